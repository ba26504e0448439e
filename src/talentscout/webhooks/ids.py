"""Time-ordered message ids (`msg_…`, `evt_…`): ULID layout in Crockford base32.

48 bits of milliseconds then 80 random bits; within one millisecond the random
part is incremented, so ids created by one process sort in creation order.
That order is what "resend held deliveries in order of creation" relies on.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def ulid() -> str:
    """A 26-character, lexicographically time-ordered id."""
    global _last_ms, _last_rand
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            now = _last_ms
            _last_rand = (_last_rand + 1) & ((1 << 80) - 1)
        else:
            _last_ms = now
            # 79 bits leave headroom so same-millisecond increments never wrap.
            _last_rand = secrets.randbits(79)
        return _encode(now, 10) + _encode(_last_rand, 16)


def new_message_id() -> str:
    return "msg_" + ulid()


def new_event_id() -> str:
    return "evt_" + ulid()
