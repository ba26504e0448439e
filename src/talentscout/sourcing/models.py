"""Runs, passes and delivered candidates: the run is a state machine in the database.

A run (`req_…`, or `req_prev_…` for previews) has one or more passes (1 = the POST,
2+ = each PATCH). Every delivered candidate is one row keyed by (run, profile), and
its credit capture is keyed the same way, so a re-executed pass changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from talentscout.db import Base, JSONType, UTCDateTime
from talentscout.kit.clock import utcnow

PROCESSING, COMPLETED, FAILED = "processing", "completed", "failed"


class SourcingRun(Base):
    __tablename__ = "sourcing_runs"
    __table_args__ = (UniqueConstraint("company_id", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="sourcing")  # sourcing | preview
    api_key_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    livemode: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(200))
    job_description: Mapped[str] = mapped_column(Text)
    location: Mapped[str] = mapped_column(String(200))
    query: Mapped[str | None] = mapped_column(Text, nullable=True)
    limit: Mapped[int] = mapped_column(Integer)
    webhook_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=PROCESSING, index=True)
    current_pass: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[str] = mapped_column(String(300), default="")
    candidates_sourced_count: Mapped[int] = mapped_column(Integer, default=0)
    found_count: Mapped[int] = mapped_column(Integer, default=0)
    scored_count: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    icp: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # Binding the Idempotency-Key to the run makes a blind retry unable to start a second run
    # even if the generic idempotency record was never written (crash after commit).
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SourcingPass(Base):
    __tablename__ = "sourcing_passes"
    __table_args__ = (UniqueConstraint("run_id", "pass_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("sourcing_runs.id"), index=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    pass_no: Mapped[int] = mapped_column(Integer)
    query: Mapped[str | None] = mapped_column(Text, nullable=True)
    limit: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=PROCESSING)
    hold_ref: Mapped[str] = mapped_column(String(100))
    found_count: Mapped[int] = mapped_column(Integer, default=0)
    scored_count: Mapped[int] = mapped_column(Integer, default=0)
    new_candidates: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SourcingCandidate(Base):
    __tablename__ = "sourcing_candidates"
    __table_args__ = (UniqueConstraint("run_id", "profile_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(64), ForeignKey("sourcing_runs.id"), index=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    profile_id: Mapped[str] = mapped_column(String(32), index=True)
    pass_no: Mapped[int] = mapped_column(Integer)
    match_score: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
