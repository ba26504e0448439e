"""Enrichment tables: runs and their items (state machines), suppressions, learned mail patterns.

A run (`enr_<uuid>`) owns one item per requested profile id, created with the run
(status `pending`). Finishing an item updates it `WHERE status = 'pending'` and
captures its credit in the same transaction, keyed by (run, profile): a job that
runs twice changes nothing the second time.

Pattern evidence is aggregated per (mail domain, pattern, source): `index` rows are
rebuilt from the profile index's known addresses, `feedback` rows accumulate what
enrichment found or had rejected. Domain `*` holds the global prior.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from talentscout.db import Base, JSONType, UTCDateTime
from talentscout.kit.clock import utcnow

PROCESSING, COMPLETED, FAILED = "processing", "completed", "failed"
PENDING, DONE = "pending", "done"


class EnrichmentRun(Base):
    __tablename__ = "enrichment_runs"
    __table_args__ = (UniqueConstraint("company_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    api_key_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    livemode: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=PROCESSING, index=True)
    message: Mapped[str] = mapped_column(String(300), default="")
    profile_ids: Mapped[list[str]] = mapped_column(JSONType)
    hold_ref: Mapped[str] = mapped_column(String(100))
    enriched_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EnrichmentItem(Base):
    __tablename__ = "enrichment_items"
    __table_args__ = (UniqueConstraint("run_id", "profile_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("enrichment_runs.id"), index=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    position: Mapped[int] = mapped_column(Integer)
    profile_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    success: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Extension: why an item was not processed (e.g. "suppressed"); never a contract error code.
    reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    candidate: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # Per-address evidence behind `candidate.emailDetails`, so a greylist re-check can re-score.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Suppression(Base):
    """Operator-managed do-not-process list (GDPR objections, opt-outs).

    Emails are stored only as the SHA-256 of the normalised address (`match_key`),
    with a masked hint for humans; domains and profile ids are stored as given.
    """

    __tablename__ = "enrichment_suppressions"
    __table_args__ = (UniqueConstraint("kind", "match_key"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(16))  # email | email_sha256 | domain | profile
    match_key: Mapped[str] = mapped_column(String(255), index=True)
    hint: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PatternStat(Base):
    """Evidence for one local-part pattern at one mail domain (`*` = global prior)."""

    __tablename__ = "enrichment_pattern_stats"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)  # index | feedback
    positive: Mapped[float] = mapped_column(Float, default=0.0)
    negative: Mapped[float] = mapped_column(Float, default=0.0)
    observations: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CompanyDomain(Base):
    """Company name (normalised) → mail domain, learned from the index's known addresses."""

    __tablename__ = "enrichment_company_domains"

    company_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    weight: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
