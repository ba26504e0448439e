"""The operator API under `/admin/*` (admin token only, never an API key)."""
