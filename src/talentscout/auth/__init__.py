"""API keys, scopes, the request principal and the admin token."""
