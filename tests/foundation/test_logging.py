"""Structured logs: PII masked, ISO timestamps untouched."""

from __future__ import annotations

from talentscout.observability import mask_pii


def test_emails_and_phones_masked_timestamps_kept() -> None:
    event = mask_pii(
        None,
        "info",
        {
            "timestamp": "2026-11-28T12:41:03.123Z",
            "event": "contact ada.lovelace@examplepay.com or +1 (415) 555-0100",
            "day": "2026-11-28 12:00",
            "count": 5,
        },
    )
    assert event["timestamp"] == "2026-11-28T12:41:03.123Z"
    assert event["day"] == "2026-11-28 12:00"
    assert "ada.lovelace@" not in event["event"] and "a***@examplepay.com" in event["event"]
    assert "555-0100" not in event["event"] and "[phone]" in event["event"]
    assert event["count"] == 5
