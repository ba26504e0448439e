"""The profile table: the system of record for candidate profiles.

The normalised document (`engine.profile.ProfileDoc` as JSON) is stored whole, with the
columns that queries filter on pulled out. `id` is `prof_` + 22 random base62 chars,
assigned at first import and kept on re-import, so ids are stable and not guessable
across tenants. A profile is global (`company_id` NULL) or private to one company;
`(scope_key, external_id)` makes imports idempotent per visibility scope.

`content_hash` (of the normalised document) lets a re-import skip unchanged rows.
`seq` is a change counter: every insert or update takes a higher value, and the
search index records the highest `seq` it holds, so after a crash between a
database commit and an index commit the index catches up from `seq >` its mark
(`index/sync.py`). The document's own `profile_id`, `external_id` and
`company_id` always equal the row's columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from talentscout.db import Base, JSONType, UTCDateTime
from talentscout.kit.clock import utcnow


class Profile(Base):
    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("scope_key", "external_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200))
    # "global" or the owning company's id as text: one unique key covers both visibilities.
    scope_key: Mapped[str] = mapped_column(String(40))
    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    country_code: Mapped[str | None] = mapped_column(String(2), nullable=True)
    seniority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    years_experience: Mapped[float] = mapped_column(Float, default=0.0)
    doc: Mapped[dict[str, Any]] = mapped_column(JSONType)
    source: Mapped[str] = mapped_column(String(40), default="local")
    content_hash: Mapped[str] = mapped_column(String(32), default="")
    seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, index=True)
