"""API key format, generation and keyed hashing (API.md §1)."""

from __future__ import annotations

import ipaddress
import re

from talentscout.kit.tokens import keyed_hash, random_base62

KEY_RE = re.compile(r"^sk_(live|test)_[0-9A-Za-z]{32}$")

SCOPES = (
    "sourcing:write",
    "sourcing:read",
    "enrich:write",
    "read:webhooks",
    "write:webhooks",
    "read:companies",
    "write:companies",
    "read:billing",
)
KINDS = ("standard", "ats")
STATUSES = ("active", "suspended", "revoked")

# Plan rate limits (API.md §3): requests per minute, per hour.
PLANS: dict[str, tuple[int, int]] = {
    "trial": (30, 500),
    "starter": (120, 5000),
    "business": (300, 15000),
    "scale": (600, 30000),
}


def generate_key(mode: str) -> str:
    """`sk_live_` / `sk_test_` plus 32 base62 chars (≈190 bits)."""
    if mode not in ("live", "test"):
        raise ValueError("mode must be live or test")
    return f"sk_{mode}_{random_base62(32)}"


def hash_key(pepper: str, key: str) -> str:
    return keyed_hash(pepper, key)


def display_prefix(key: str) -> str:
    """The non-secret part shown in listings: `sk_live_AbCd`."""
    return key[:12]


def parse_networks(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Validate an allowlist of IPs/CIDRs (raises ValueError on a bad entry)."""
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values]


def ip_allowed(client_ip: str | None, allowed: list[str]) -> bool:
    if not allowed:
        return True
    if client_ip is None:
        return False
    try:
        addr = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return any(addr in net for net in parse_networks(allowed))
