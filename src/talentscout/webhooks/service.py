"""Webhook config operations: visibility per principal, CRUD, breaker reset, rotation, redelivery.

Visibility (a config another key cannot see answers exactly like an unknown id):
- a `standard` key sees its company's configs;
- an `ats` key with `?companyId=X` sees X's configs (globals excluded);
- an `ats` key without `companyId` sees its own company's configs, those of
  every company it manages, and the globals its company owns.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.auth.guard import Principal
from talentscout.config import Settings
from talentscout.errors import AppError, company_access_denied, resource_not_found, validation_error
from talentscout.kit.clock import iso_ms, utcnow
from talentscout.kit.pagination import decode_cursor, encode_cursor
from talentscout.kit.ssrf import Resolver, SsrfError, resolve_and_check
from talentscout.tenancy.models import Company
from talentscout.tenancy.scoping import scoped
from talentscout.webhooks import outbox
from talentscout.webhooks.events import EventType
from talentscout.webhooks.models import WebhookAttempt, WebhookConfig, WebhookDelivery
from talentscout.webhooks.schemas import HeaderIn, WebhookCreate, WebhookUpdate, is_masked
from talentscout.webhooks.signing import new_secret

RESOURCE = "webhook"
URL_CHECK_TIMEOUT_SECONDS = 5.0


def config_out(c: WebhookConfig) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "apiKeyId": str(c.api_key_id),
        "companyId": str(c.company_id) if c.company_id else None,
        "url": c.url,
        "name": c.name,
        "description": c.description,
        "headers": [{"name": h["name"], "isMasked": is_masked(h["name"])} for h in (c.headers or [])],
        "events": list(c.events or []),
        "isActive": c.is_active,
        "maxRetries": c.max_retries,
        "timeoutMs": c.timeout_ms,
        "consecutiveFailures": c.consecutive_failures,
        "circuitOpenedAt": iso_ms(c.circuit_opened_at),
        "createdAt": iso_ms(c.created_at),
        "updatedAt": iso_ms(c.updated_at),
        "disabledReason": None if c.is_active else c.disabled_reason,
        "previousSecretExpiresAt": iso_ms(c.previous_secret_expires_at) if c.previous_secret else None,
    }


def delivery_status(d: WebhookDelivery, c: WebhookConfig) -> str:
    """Stored status, with `held` (breaker open) and `paused` shown for waiting deliveries."""
    if d.status == "pending" and not c.is_active:
        return "held" if c.circuit_opened_at is not None else "paused"
    return d.status


def delivery_out(d: WebhookDelivery, c: WebhookConfig) -> dict[str, Any]:
    return {
        "id": d.id,
        "webhookId": str(d.config_id),
        "event": d.event,
        "companyId": str(d.company_id),
        "status": delivery_status(d, c),
        "attempts": d.attempts,
        "maxAttempts": d.max_attempts,
        "lastHttpStatus": d.last_http_status,
        "lastError": d.last_error,
        "nextAttemptAt": iso_ms(d.next_attempt_at) if d.status == "pending" else None,
        "deliveredAt": iso_ms(d.delivered_at),
        "createdAt": iso_ms(d.created_at),
        "updatedAt": iso_ms(d.updated_at),
    }


def attempt_out(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "attempt": a.attempt,
        "startedAt": iso_ms(a.started_at),
        "durationMs": a.duration_ms,
        "httpStatus": a.http_status,
        "error": a.error,
        "responseExcerpt": a.response_excerpt,
        "nextAttemptAt": iso_ms(a.next_attempt_at),
    }


def _visible(stmt: Select[Any], principal: Principal) -> Select[Any]:
    stmt = stmt.where(WebhookConfig.deleted_at.is_(None))
    if not principal.is_ats or principal.company_id is not None:
        # The guard resolved one acting company (standard key, or ats key with companyId).
        assert principal.company_id is not None
        return scoped(stmt, WebhookConfig, principal.company_id)
    own = principal.key_company_id
    managed = select(Company.id).where(or_(Company.id == own, Company.parent_company_id == own))
    return stmt.where(
        or_(
            WebhookConfig.company_id.in_(managed.scalar_subquery()),
            and_(WebhookConfig.company_id.is_(None), WebhookConfig.owner_company_id == own),
        )
    )


async def get_visible(
    session: AsyncSession, principal: Principal, config_id: uuid.UUID, *, lock: bool = False
) -> WebhookConfig:
    stmt = _visible(select(WebhookConfig).where(WebhookConfig.id == config_id), principal)
    if lock:
        stmt = stmt.with_for_update()
    config: WebhookConfig | None = (await session.execute(stmt)).scalar_one_or_none()
    if config is None:
        raise resource_not_found(RESOURCE)
    return config


async def list_visible(
    session: AsyncSession, principal: Principal, page: int, limit: int
) -> tuple[list[WebhookConfig], int]:
    base = _visible(select(WebhookConfig), principal)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (
        await session.execute(
            base.order_by(WebhookConfig.created_at.desc(), WebhookConfig.id)
            .offset((page - 1) * limit)
            .limit(limit)
        )
    ).scalars()
    return list(rows), int(total)


async def check_url(url: str, settings: Settings, resolver: Resolver | None) -> None:
    """422 INVALID_WEBHOOK_URL unless the URL passes the SSRF guard right now."""
    try:
        # Bounded: a slow resolver must not hold the request (or a worker) hostage.
        async with asyncio.timeout(URL_CHECK_TIMEOUT_SECONDS):
            await resolve_and_check(url, allow_private=settings.webhooks_allow_private, resolver=resolver)
    except TimeoutError as exc:
        reason = "resolving the host timed out"
        raise AppError(
            "INVALID_WEBHOOK_URL", 422, f"Invalid webhook URL: {reason}", {"reason": reason}
        ) from exc
    except SsrfError as exc:
        raise AppError(
            "INVALID_WEBHOOK_URL", 422, f"Invalid webhook URL: {exc.reason}", {"reason": exc.reason}
        ) from exc


async def _target_company(
    session: AsyncSession, principal: Principal, body_company: uuid.UUID | None
) -> uuid.UUID | None:
    """The company a new config belongs to; None = global (ats keys only)."""
    if not principal.is_ats:
        if body_company is not None and body_company != principal.key_company_id:
            raise company_access_denied()
        return principal.key_company_id
    query_company = principal.company_id  # already checked by the guard
    if query_company is not None and body_company is not None and query_company != body_company:
        raise validation_error("companyId", "Differs from the companyId query parameter.")
    target = query_company or body_company
    if target is None or target == principal.key_company_id:
        return target
    company = await session.get(Company, target)
    if company is None or company.parent_company_id != principal.key_company_id:
        raise company_access_denied()
    return target


def _headers_json(headers: list[HeaderIn]) -> list[dict[str, str]]:
    return [{"name": h.name, "value": h.value} for h in headers]


def _events_json(events: list[EventType]) -> list[str]:
    return [e.value for e in events]


async def create_config(
    session: AsyncSession, principal: Principal, body: WebhookCreate
) -> tuple[WebhookConfig, str]:
    company_id = await _target_company(session, principal, body.company_id)
    secret = new_secret()
    now = utcnow()
    config = WebhookConfig(
        api_key_id=principal.key_id,
        owner_company_id=principal.key_company_id,
        company_id=company_id,
        url=body.url,
        name=body.name,
        description=body.description,
        headers=_headers_json(body.headers),
        events=_events_json(body.events),
        is_active=body.is_active,
        disabled_reason=None if body.is_active else "paused",
        max_retries=body.max_retries,
        timeout_ms=body.timeout_ms,
        consecutive_failures=0,
        secret=secret,
        created_at=now,
        updated_at=now,
    )
    session.add(config)
    await session.flush()
    return config, secret


async def _requeue_pending(session: AsyncSession, config_id: uuid.UUID) -> int:
    """Make every waiting delivery of a config due now; the dispatcher sends them in creation order."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.config_id == config_id, WebhookDelivery.status == "pending")
        .values(next_attempt_at=utcnow())
    )
    outbox.wake_dispatchers_after_commit(session)
    return int(getattr(result, "rowcount", 0) or 0)


def _resume(config: WebhookConfig) -> None:
    config.is_active = True
    config.disabled_reason = None
    config.consecutive_failures = 0
    config.circuit_opened_at = None


async def update_config(session: AsyncSession, config: WebhookConfig, body: WebhookUpdate) -> WebhookConfig:
    fields = body.model_fields_set
    if "url" in fields and body.url is not None:
        config.url = body.url
    if "events" in fields and body.events is not None:
        config.events = _events_json(body.events)
    if "name" in fields:
        config.name = body.name
    if "description" in fields:
        config.description = body.description
    if "headers" in fields and body.headers is not None:
        config.headers = _headers_json(body.headers)
    if "max_retries" in fields and body.max_retries is not None:
        config.max_retries = body.max_retries
    if "timeout_ms" in fields and body.timeout_ms is not None:
        config.timeout_ms = body.timeout_ms
    if "is_active" in fields and body.is_active is not None and body.is_active != config.is_active:
        if body.is_active:
            # Resuming also closes an open breaker: the client says the receiver is back.
            _resume(config)
            await _requeue_pending(session, config.id)
        else:
            config.is_active = False
            config.disabled_reason = "paused"
            config.circuit_opened_at = None
    config.updated_at = utcnow()
    await session.flush()
    return config


async def delete_config(session: AsyncSession, config: WebhookConfig) -> None:
    """Soft delete (the delivery log stays for audit); pending deliveries are cancelled."""
    now = utcnow()
    config.deleted_at = now
    config.is_active = False
    config.updated_at = now
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.config_id == config.id, WebhookDelivery.status == "pending")
        .values(status="cancelled", next_attempt_at=None, last_error="webhook deleted", updated_at=now)
    )
    await session.flush()


async def reset_circuit(session: AsyncSession, config: WebhookConfig) -> WebhookConfig:
    _resume(config)
    config.updated_at = utcnow()
    await _requeue_pending(session, config.id)
    await session.flush()
    return config


async def rotate_secret(session: AsyncSession, config: WebhookConfig, settings: Settings) -> str:
    """New current secret; the old one keeps signing (second signature) for the overlap window."""
    now = utcnow()
    config.previous_secret = config.secret
    config.previous_secret_expires_at = now + timedelta(seconds=settings.webhooks_secret_overlap_seconds)
    config.secret = new_secret()
    config.updated_at = now
    await session.flush()
    return config.secret


async def list_deliveries(
    session: AsyncSession, config: WebhookConfig, cursor: str | None, limit: int
) -> tuple[list[WebhookDelivery], str | None]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.config_id == config.id)
    if cursor:
        created, ident = decode_cursor(cursor)
        stmt = stmt.where(
            or_(
                WebhookDelivery.created_at < created,
                and_(WebhookDelivery.created_at == created, WebhookDelivery.id < ident),
            )
        )
    rows = list(
        (
            await session.execute(
                stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit + 1)
            )
        ).scalars()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id)
    return rows, next_cursor


async def get_delivery(session: AsyncSession, config: WebhookConfig, delivery_id: str) -> WebhookDelivery:
    delivery = (
        await session.execute(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.config_id == config.id
            )
        )
    ).scalar_one_or_none()
    if delivery is None:
        raise resource_not_found("webhookDelivery")
    return delivery


async def attempts_of(session: AsyncSession, delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(
        (
            await session.execute(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_id == delivery.id)
                .order_by(WebhookAttempt.attempt)
            )
        ).scalars()
    )


async def redeliver(
    session: AsyncSession, config: WebhookConfig, delivery: WebhookDelivery
) -> WebhookDelivery:
    """Send the same message again (same `webhook-id`) with a fresh retry budget."""
    now = utcnow()
    if delivery.status != "pending":
        delivery.status = "pending"
        delivery.delivered_at = None
    delivery.max_attempts = delivery.attempts + config.max_retries + 1
    delivery.next_attempt_at = now
    delivery.updated_at = now
    await session.flush()
    outbox.wake_dispatchers_after_commit(session)
    return delivery
