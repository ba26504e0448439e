"""Business-agnostic helpers: clocks, ids, tokens, pagination, JSON time format."""
