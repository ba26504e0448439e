"""Time helpers: one UTC clock and the contract's ISO 8601 millisecond format."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso_ms(value: datetime | None) -> str | None:
    """`2026-05-26T09:00:00.000Z` (API.md: ISO 8601 UTC with milliseconds)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
