"""The suppression list: people, addresses and domains enrichment must never process.

Kinds: `email` (stored as the SHA-256 of the normalised address, with a masked
hint), `email_sha256` (the caller already hashed it), `domain`, `profile`. Both
email kinds match the same hash, so an operator can suppress an address without
ever sending it in clear. The check runs before any processing: a suppressed
profile (by id or by one of its known addresses) is not processed and not billed,
and suppressed addresses and domains are never probed nor returned.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.billing.ledger import insert_ignore
from talentscout.enrichment.models import Suppression
from talentscout.errors import resource_not_found, validation_error
from talentscout.kit.clock import iso_ms, utcnow

KINDS = ("email", "email_sha256", "domain", "profile")
EMAIL_KINDS = ("email", "email_sha256")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def email_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def mask(address: str) -> str:
    local, _, domain = address.strip().lower().partition("@")
    return f"{local[:1]}***@{domain}"


def normalise(kind: str, value: str) -> tuple[str, str | None]:
    """(match_key, hint) for a suppression entry; 400 on a malformed value."""
    text = value.strip()
    if kind == "email":
        if "@" not in text or len(text) > 320:
            raise validation_error("value", "Must be an email address.")
        return email_hash(text), mask(text)
    if kind == "email_sha256":
        if not _SHA256.match(text.lower()):
            raise validation_error("value", "Must be a lowercase hex SHA-256 of the normalised address.")
        return text.lower(), None
    if kind == "domain":
        domain = text.lower().rstrip(".")
        if not _DOMAIN.match(domain):
            raise validation_error("value", "Must be a domain name.")
        return domain, domain
    if kind == "profile":
        if not 1 <= len(text) <= 64:
            raise validation_error("value", "Must be a profile id.")
        return text, text
    raise validation_error("kind", f"Must be one of {', '.join(KINDS)}.")


def out(row: Suppression) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "value": row.hint,
        "valueHash": row.match_key if row.kind in EMAIL_KINDS else None,
        "reason": row.reason,
        "createdAt": iso_ms(row.created_at),
    }


async def add(session: AsyncSession, kind: str, value: str, reason: str | None) -> Suppression:
    """Add an entry; adding an existing one returns it unchanged (idempotent)."""
    key, hint = normalise(kind, value)
    store_kind = "email" if kind == "email_sha256" else kind
    await insert_ignore(
        session,
        Suppression,
        {
            "id": uuid.uuid4(),
            "kind": store_kind,
            "match_key": key,
            "hint": hint,
            "reason": reason,
            "created_at": utcnow(),
        },
        ["kind", "match_key"],
        Suppression.id,
    )
    row = (
        await session.execute(
            select(Suppression).where(Suppression.kind == store_kind, Suppression.match_key == key)
        )
    ).scalar_one()
    return row


async def remove(session: AsyncSession, suppression_id: uuid.UUID) -> None:
    row = await session.get(Suppression, suppression_id)
    if row is None:
        raise resource_not_found("suppression")
    await session.delete(row)
    await session.flush()


async def listing(session: AsyncSession, kind: str | None, limit: int, offset: int) -> list[Suppression]:
    stmt = (
        select(Suppression)
        .order_by(Suppression.created_at.desc(), Suppression.id)
        .limit(limit)
        .offset(offset)
    )
    if kind is not None:
        stmt = stmt.where(Suppression.kind == ("email" if kind == "email_sha256" else kind))
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True)
class SuppressionSet:
    """The entries relevant to one batch, for in-memory checks inside the pipeline."""

    profiles: frozenset[str]
    hashes: frozenset[str]
    domains: frozenset[str]

    def profile_blocked(self, profile_id: str, known_emails: Iterable[str]) -> bool:
        return profile_id in self.profiles or any(email_hash(e) in self.hashes for e in known_emails)

    def address_blocked(self, address: str) -> bool:
        domain = address.rpartition("@")[2].lower()
        return email_hash(address) in self.hashes or self.domain_blocked(domain)

    def domain_blocked(self, domain: str) -> bool:
        labels = domain.lower().split(".")
        # `acme.com` also suppresses `eu.acme.com`.
        return any(".".join(labels[i:]) in self.domains for i in range(len(labels) - 1))


async def load(session: AsyncSession, profile_ids: Iterable[str], addresses: Iterable[str]) -> SuppressionSet:
    """Profile and address entries for these ids/addresses, and every domain entry."""
    ids = sorted(set(profile_ids))
    hashes = sorted({email_hash(a) for a in addresses})
    stmt = select(Suppression.kind, Suppression.match_key).where(
        or_(
            (Suppression.kind == "profile") & Suppression.match_key.in_(ids),
            (Suppression.kind == "email") & Suppression.match_key.in_(hashes),
            Suppression.kind == "domain",
        )
    )
    rows = (await session.execute(stmt)).all()
    return SuppressionSet(
        profiles=frozenset(k for kind, k in rows if kind == "profile"),
        hashes=frozenset(k for kind, k in rows if kind == "email"),
        domains=frozenset(k for kind, k in rows if kind == "domain"),
    )


async def blocked_addresses(session: AsyncSession, addresses: Iterable[str]) -> set[str]:
    """Which of `addresses` are suppressed by hash (addresses found during a run)."""
    by_hash = {email_hash(a): a for a in addresses}
    if not by_hash:
        return set()
    stmt = select(Suppression.match_key).where(
        Suppression.kind == "email", Suppression.match_key.in_(list(by_hash))
    )
    return {by_hash[h] for h in (await session.execute(stmt)).scalars()}
