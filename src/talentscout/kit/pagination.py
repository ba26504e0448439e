"""Opaque cursor pagination over (created_at, id) keys, newest first."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from talentscout.errors import validation_error


def encode_cursor(created_at: datetime, ident: str) -> str:
    raw = json.dumps([created_at.isoformat(), ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Parse a cursor; a malformed one is a 400 on the `cursor` field."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data: Any = json.loads(base64.urlsafe_b64decode(padded.encode()))
        created = datetime.fromisoformat(data[0])
        ident = str(data[1])
    except (ValueError, TypeError, IndexError, KeyError) as exc:
        raise validation_error("cursor", "Malformed pagination cursor.") from exc
    return created, ident
