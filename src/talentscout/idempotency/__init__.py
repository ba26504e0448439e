"""Idempotency-Key handling for POST and PATCH (API.md §4)."""
