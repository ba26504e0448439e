"""Webhook tables: configs, the outbox of emitted events, deliveries and their attempts.

`webhook_events` and `webhook_deliveries` are the transactional outbox: `emit()`
inserts them in the caller's transaction, so a delivery exists exactly when
the state change that caused it was committed. The dispatcher only ever reads
committed rows and leases them (`lease_until`, `lease_token`) while sending.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from talentscout.db import Base, JSONType, UTCDateTime, new_uuid
from talentscout.kit.clock import utcnow


class WebhookConfig(Base):
    """A receiver URL with its subscriptions, secret(s), custom headers and breaker state."""

    __tablename__ = "webhook_configs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    api_key_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("api_keys.id"))
    # The creating key's company: owns global configs and decides which companies they cover.
    owner_company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    # None = global: every company the owner manages (and the owner itself).
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("companies.id"), nullable=True, index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    # [{"name": ..., "value": ...}]; values are never returned by the API.
    headers: Mapped[list[dict[str, str]]] = mapped_column(JSONType, default=list)
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Why an inactive config is inactive: paused | gone (410) | circuit_open.
    disabled_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    max_retries: Mapped[int] = mapped_column(Integer, default=3)
    timeout_ms: Mapped[int] = mapped_column(Integer, default=30_000)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    circuit_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Stored in clear because signing needs them; shown to the client only once.
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookEvent(Base):
    """One emitted event (outbox record), written even when no config subscribes to it."""

    __tablename__ = "webhook_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    # The run the event is about (data.requestId), so invariant checks can find it.
    subject_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One message to one config; `id` is the Standard Webhooks `webhook-id` (`msg_…`)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # next-due lookups; per-config claiming; the per-config delivery log.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_config_due", "config_id", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_config_created", "config_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    config_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("webhook_configs.id"))
    event_id: Mapped[str] = mapped_column(String(40), ForeignKey("webhook_events.id"), index=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    # The exact bytes that are signed and sent, identical on every attempt.
    body: Mapped[str] = mapped_column(Text)
    # pending | succeeded | failed | cancelled (held = pending on a circuit-open config)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=4)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery: what happened and when the next one is due."""

    __tablename__ = "webhook_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    delivery_id: Mapped[str] = mapped_column(String(40), ForeignKey("webhook_deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
