"""Profile rows in the service database: bulk upsert, visibility-checked reads, change feed.

Owns every SQL statement on the `profiles` table. Bulk writes bypass the ORM
and go through the driver's `executemany` (SQLite) / pipelined `executemany`
(psycopg) with pre-serialised JSON, because the importer's target (a million
profiles in minutes) leaves ~20 µs per row for the database. The column
encodings therefore mirror what SQLAlchemy itself writes (SQLite: UUIDs as 32
hex chars, datetimes as naive UTC text), so ORM reads of these rows work.

Reads for the engine (`get_profiles`) always apply visibility: global rows
plus the calling company's private rows. Another company's private profile
is indistinguishable from a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Text, and_, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from talentscout.db import Database
from talentscout.engine.profile import ProfileDoc
from talentscout.index.models import Profile
from talentscout.kit.clock import iso_ms, utcnow

__all__ = [
    "ProfileRow",
    "StoredProfile",
    "existing_ids",
    "get_profiles",
    "iter_changed",
    "max_seq",
    "write_rows",
]

# Rows per statement / lookup. SQLite caps host parameters at 32,766.
LOOKUP_CHUNK = 5_000


@dataclass(slots=True)
class ProfileRow:
    """One profile ready to write: columns plus the document's JSON text."""

    id: str
    external_id: str
    scope_key: str
    company_id: str | None
    name: str
    country_code: str | None
    seniority: int | None
    years_experience: float
    doc_json: str
    source: str
    content_hash: str
    seq: int


@dataclass(frozen=True, slots=True)
class StoredProfile:
    seq: int
    doc: ProfileDoc


def _uuid_param(dialect: str, company_id: str | None) -> Any:
    if company_id is None:
        return None
    u = uuid.UUID(company_id)
    return u.hex if dialect == "sqlite" else u


def _ts_param(dialect: str, value: datetime) -> Any:
    if dialect == "sqlite":
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def _conn(session: AsyncSession) -> AsyncConnection:
    return await session.connection()


async def max_seq(session: AsyncSession) -> int:
    """Highest change counter in the table (0 when empty)."""
    return int((await session.execute(select(func.coalesce(func.max(Profile.seq), 0)))).scalar_one())


async def existing_ids(session: AsyncSession, scope_key: str, external_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """externalId -> (profile id, content hash) for the rows that already exist in `scope_key`."""
    out: dict[str, tuple[str, str]] = {}
    for i in range(0, len(external_ids), LOOKUP_CHUNK):
        chunk = list(external_ids[i : i + LOOKUP_CHUNK])
        res = await session.execute(
            select(Profile.external_id, Profile.id, Profile.content_hash).where(
                Profile.scope_key == scope_key, Profile.external_id.in_(chunk)
            )
        )
        for ext, pid, h in res.all():
            out[ext] = (pid, h)
    return out


async def write_rows(session: AsyncSession, inserts: Sequence[ProfileRow], updates: Sequence[ProfileRow]) -> None:
    """Insert new rows and overwrite changed ones (keeping id and created_at) in the session's transaction."""
    conn = await _conn(session)
    dialect = conn.dialect.name
    now = utcnow()
    ts = _ts_param(dialect, now)
    if dialect == "sqlite":
        ins = (
            "INSERT INTO profiles (id, external_id, scope_key, company_id, name, country_code, seniority, "
            "years_experience, doc, source, content_hash, seq, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        upd = (
            "UPDATE profiles SET name = ?, country_code = ?, seniority = ?, years_experience = ?, doc = ?, "
            "source = ?, content_hash = ?, seq = ?, updated_at = ? WHERE id = ?"
        )
    else:
        ins = (
            "INSERT INTO profiles (id, external_id, scope_key, company_id, name, country_code, seniority, "
            "years_experience, doc, source, content_hash, seq, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, CAST(%s AS JSONB), %s, %s, %s, %s, %s)"
        )
        upd = (
            "UPDATE profiles SET name = %s, country_code = %s, seniority = %s, years_experience = %s, "
            "doc = CAST(%s AS JSONB), source = %s, content_hash = %s, seq = %s, updated_at = %s WHERE id = %s"
        )
    if inserts:
        await conn.exec_driver_sql(
            ins,
            [
                (
                    r.id,
                    r.external_id,
                    r.scope_key,
                    _uuid_param(dialect, r.company_id),
                    r.name,
                    r.country_code,
                    r.seniority,
                    r.years_experience,
                    r.doc_json,
                    r.source,
                    r.content_hash,
                    r.seq,
                    ts,
                    ts,
                )
                for r in inserts
            ],
        )
    if updates:
        await conn.exec_driver_sql(
            upd,
            [
                (
                    r.name,
                    r.country_code,
                    r.seniority,
                    r.years_experience,
                    r.doc_json,
                    r.source,
                    r.content_hash,
                    r.seq,
                    ts,
                    r.id,
                )
                for r in updates
            ],
        )


def _doc_of(doc: Any, updated_at: datetime | None) -> ProfileDoc:
    data = orjson.loads(doc) if isinstance(doc, str | bytes) else doc
    if updated_at is not None:
        data = {**data, "updated_at": iso_ms(updated_at)}
    return ProfileDoc.from_json(data)


def _visible(company_id: str | None) -> Any:
    if company_id is None:
        return Profile.company_id.is_(None)
    return or_(Profile.company_id.is_(None), Profile.company_id == uuid.UUID(company_id))


async def get_profiles(db: Database, ids: Sequence[str], company_id: str | None) -> list[ProfileDoc]:
    """The profiles with these ids that `company_id` may see, in the order of `ids`.

    `company_id` None sees global profiles only. Unknown ids and other companies'
    private profiles are silently absent (no existence leak).
    """
    if not ids:
        return []
    found: dict[str, ProfileDoc] = {}
    async with db.read() as session:
        for i in range(0, len(ids), LOOKUP_CHUNK):
            chunk = list(dict.fromkeys(ids[i : i + LOOKUP_CHUNK]))
            res = await session.execute(
                select(Profile.id, type_coerce(Profile.doc, Text), Profile.updated_at).where(
                    Profile.id.in_(chunk), _visible(company_id)
                )
            )
            for pid, doc, updated in res.all():
                found[pid] = _doc_of(doc, updated)
    return [found[i] for i in dict.fromkeys(ids) if i in found]


async def iter_changed(
    db: Database, *, after_seq: int = 0, batch: int = 2_000
) -> AsyncIterator[list[StoredProfile]]:
    """Every profile with `seq > after_seq`, in (seq, id) order, in batches (keyset pagination)."""
    # The document is read as text and parsed with orjson: the JSON type's stdlib
    # decoder would dominate a full rebuild. (psycopg still hands JSONB back parsed.)
    doc_text = type_coerce(Profile.doc, Text)
    last_seq, last_id = after_seq, None
    while True:
        after = (
            Profile.seq > last_seq
            if last_id is None
            else or_(Profile.seq > last_seq, and_(Profile.seq == last_seq, Profile.id > last_id))
        )
        async with db.read() as session:
            res = await session.execute(
                select(Profile.seq, Profile.id, doc_text, Profile.updated_at)
                .where(after)
                .order_by(Profile.seq, Profile.id)
                .limit(batch)
            )
            rows = res.all()
        if not rows:
            return
        out = [StoredProfile(seq=int(seq), doc=_doc_of(doc, updated)) for seq, _pid, doc, updated in rows]
        last_seq, last_id = int(rows[-1][0]), str(rows[-1][1])
        yield out
