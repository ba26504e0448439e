"""Profile ids: `prof_` + 22 base62 characters encoding 128 random bits.

The id is assigned at first import and kept on re-import. Because it encodes a
128-bit integer, the search index can keep it as two u64 fast fields and turn a
hit back into its id without touching stored documents (`split_profile_id`,
`join_profile_id`), which keeps a 1,000-hit retrieval in the microseconds.
"""

from __future__ import annotations

import secrets

from talentscout.kit.tokens import BASE62

PREFIX = "prof_"
_WIDTH = 22  # 62**22 > 2**128
_INDEX = {ch: i for i, ch in enumerate(BASE62)}
_MASK64 = (1 << 64) - 1


# Base62 two digits at a time: 11 big-int divisions per id instead of 22.
_PAIRS = [a + b for a in BASE62 for b in BASE62]


def _encode(n: int) -> str:
    parts = [""] * 11
    for i in range(10, -1, -1):
        n, r = divmod(n, 3844)
        parts[i] = _PAIRS[r]
    return "".join(parts)


def new_profile_id() -> str:
    """A fresh, unguessable profile id (OS CSPRNG)."""
    return PREFIX + _encode(secrets.randbits(128))


def new_profile_id_parts() -> tuple[str, int, int]:
    """A fresh id with its (high, low) 64-bit halves, without re-parsing it."""
    n = secrets.randbits(128)
    return PREFIX + _encode(n), n >> 64, n & _MASK64


def split_profile_id(profile_id: str) -> tuple[int, int] | None:
    """(high, low) 64-bit halves of a well-formed id; None for any other string."""
    body = profile_id[len(PREFIX) :] if profile_id.startswith(PREFIX) else ""
    if len(body) != _WIDTH:
        return None
    n = 0
    for ch in body:
        v = _INDEX.get(ch)
        if v is None:
            return None
        n = n * 62 + v
    if n >> 128:
        return None
    return n >> 64, n & _MASK64


def join_profile_id(high: int, low: int) -> str:
    return PREFIX + _encode((high << 64) | low)
