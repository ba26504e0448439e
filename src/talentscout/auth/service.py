"""API key lifecycle: create (plaintext returned once), list, suspend, unsuspend, revoke."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.auth.keys import SCOPES, display_prefix, generate_key, hash_key, parse_networks
from talentscout.auth.models import ApiKey
from talentscout.errors import AppError, resource_not_found, validation_error
from talentscout.kit.clock import iso_ms, utcnow
from talentscout.tenancy.models import Company


def key_out(k: ApiKey) -> dict[str, Any]:
    return {
        "id": str(k.id),
        "companyId": str(k.company_id),
        "name": k.name,
        "kind": k.kind,
        "mode": k.mode,
        "prefix": k.prefix,
        "scopes": list(k.scopes or []),
        "expiresAt": iso_ms(k.expires_at),
        "allowedIps": list(k.allowed_ips or []),
        "status": k.status,
        "lastUsedAt": iso_ms(k.last_used_at),
        "rateLimitPerMinute": k.rate_limit_per_minute,
        "rateLimitPerHour": k.rate_limit_per_hour,
        "createdAt": iso_ms(k.created_at),
    }


async def create_key(
    session: AsyncSession,
    pepper: str,
    *,
    company_id: uuid.UUID,
    name: str,
    scopes: list[str],
    kind: str = "standard",
    mode: str = "live",
    expires_at: datetime | None = None,
    allowed_ips: list[str] | None = None,
    rate_limit_per_minute: int | None = None,
    rate_limit_per_hour: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the plaintext (never stored)."""
    if await session.get(Company, company_id) is None:
        raise resource_not_found("company")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise validation_error("scopes", f"Unknown scopes: {', '.join(unknown)}.")
    try:
        parse_networks(allowed_ips or [])
    except ValueError as exc:
        raise validation_error("allowedIps", f"Invalid IP or CIDR: {exc}") from exc
    if expires_at is not None and expires_at <= utcnow():
        raise validation_error("expiresAt", "Must be in the future.")
    plaintext = generate_key(mode)
    key = ApiKey(
        company_id=company_id,
        name=name,
        kind=kind,
        mode=mode,
        prefix=display_prefix(plaintext),
        key_hash=hash_key(pepper, plaintext),
        scopes=sorted(set(scopes)),
        allowed_ips=list(allowed_ips or []),
        expires_at=expires_at,
        rate_limit_per_minute=rate_limit_per_minute,
        rate_limit_per_hour=rate_limit_per_hour,
    )
    session.add(key)
    await session.flush()
    return key, plaintext


async def list_keys(session: AsyncSession, company_id: uuid.UUID | None) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.created_at.desc())
    if company_id is not None:
        stmt = stmt.where(ApiKey.company_id == company_id)
    return list((await session.execute(stmt)).scalars())


_TRANSITIONS = {
    "suspend": ({"active"}, "suspended"),
    "unsuspend": ({"suspended"}, "active"),
    "revoke": ({"active", "suspended"}, "revoked"),
}


async def change_status(session: AsyncSession, key_id: uuid.UUID, action: str) -> ApiKey:
    """suspend / unsuspend / revoke; revocation is final."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise resource_not_found("apiKey")
    allowed, target = _TRANSITIONS[action]
    if key.status == target:
        return key
    if key.status not in allowed:
        raise AppError(
            "VALIDATION_ERROR",
            400,
            f"Cannot {action} a {key.status} key.",
            {"fields": [{"field": "status", "message": f"Cannot {action} a {key.status} key."}]},
        )
    key.status = target
    await session.flush()
    return key
