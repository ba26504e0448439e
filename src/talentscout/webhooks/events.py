"""The webhook event catalogue and its three notations (API.md §8 Events)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Literal

Category = Literal["sourcing", "enrich"]


class EventType(enum.StrEnum):
    """Config-side enum names; `.dotted` is the payload name, `.number` the numeric code."""

    PING = "PING"
    SOURCING_COMPLETED = "SOURCING_COMPLETED"
    SOURCING_FAILED = "SOURCING_FAILED"
    ENRICH_COMPLETED = "ENRICH_COMPLETED"
    ENRICH_FAILED = "ENRICH_FAILED"

    @property
    def dotted(self) -> str:
        return _DOTTED[self]

    @property
    def number(self) -> int:
        return _NUMBERS[self]

    @property
    def category(self) -> str:
        return self.dotted.split(".", 1)[0]


_DOTTED: dict[EventType, str] = {
    EventType.PING: "ping",
    EventType.SOURCING_COMPLETED: "sourcing.completed",
    EventType.SOURCING_FAILED: "sourcing.failed",
    EventType.ENRICH_COMPLETED: "enrich.completed",
    EventType.ENRICH_FAILED: "enrich.failed",
}
_NUMBERS: dict[EventType, int] = {
    EventType.PING: 2,
    EventType.SOURCING_COMPLETED: 6,
    EventType.SOURCING_FAILED: 7,
    EventType.ENRICH_COMPLETED: 8,
    EventType.ENRICH_FAILED: 9,
}
# The InstaView interview/analysis events: part of their numbering, not of this product.
UNSUPPORTED_NUMBERS = frozenset({0, 1, 3, 4, 5})

_BY_NAME: dict[str, EventType] = {}
for _event in EventType:
    _BY_NAME[_event.value] = _event
    _BY_NAME[_event.dotted] = _event
    _BY_NAME[str(_event.number)] = _event


def parse_event(value: object) -> EventType:
    """One event in enum (`SOURCING_COMPLETED`), dotted (`sourcing.completed`) or numeric (6) form."""
    if isinstance(value, EventType):
        return value
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"unsupported event {value!r}")
    key = str(value).strip()
    if key.lstrip("-").isdigit() and int(key) in UNSUPPORTED_NUMBERS:
        raise ValueError(f"event {value!r} (interview/analysis events) is not supported by this service")
    event = _BY_NAME.get(key) or _BY_NAME.get(key.upper())
    if event is None:
        raise ValueError(f"unknown event {value!r}")
    return event


def parse_events(values: Iterable[object]) -> list[EventType]:
    """Parse and de-duplicate, keeping the catalogue order (so responses are stable)."""
    wanted = {parse_event(v) for v in values}
    return [e for e in EventType if e in wanted]


def events_of_category(category: str) -> frozenset[EventType]:
    return frozenset(e for e in EventType if e.category == category)
