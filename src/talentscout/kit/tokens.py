"""Random tokens and keyed hashes (API keys are stored only as HMAC-SHA256 digests)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

BASE62 = string.digits + string.ascii_letters


def random_base62(length: int) -> str:
    """`length` base62 chars from the OS CSPRNG (32 chars ≈ 190.5 bits)."""
    return "".join(secrets.choice(BASE62) for _ in range(length))


def keyed_hash(pepper: str, value: str) -> str:
    return hmac.new(pepper.encode(), value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
