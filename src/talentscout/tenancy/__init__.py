"""Companies (tenants) and the one scoping helper every tenant query goes through."""
