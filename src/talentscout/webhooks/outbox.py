"""Transactional outbox: `emit()` writes events and their deliveries in the caller's transaction.

Features call `emit(session, company_id, "sourcing.completed", data)` inside the
same transaction that records the state change. If that transaction rolls
back, the rows vanish with it; once it commits, the dispatcher finds them no
matter what happens to the process afterwards. After a commit, dispatchers in
this process are woken so delivery does not wait for the next poll.

Fan-out for an event of company C goes to every config that is not deleted,
subscribes to the event and is active or circuit-open (open configs *hold*
their deliveries until reset):
- configs of C itself;
- global configs (companyId null) owned by C or by the ATS company managing C;
- the run's explicit `webhook_id`, when it belongs to C (directly or as such a
  global) and subscribes to any event of the event's category (decision: a run
  that names a webhook must tell it how the run ended, even if the config only
  subscribed to the other outcome). Each config gets at most one delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson
import structlog
from sqlalchemy import and_, event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from talentscout.errors import AppError
from talentscout.kit.clock import iso_ms, utcnow
from talentscout.tenancy.models import Company
from talentscout.webhooks.events import Category, EventType, events_of_category, parse_event
from talentscout.webhooks.ids import new_event_id, new_message_id
from talentscout.webhooks.models import WebhookConfig, WebhookDelivery, WebhookEvent

log = structlog.get_logger("talentscout.webhooks")

_wakers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
_wakers_lock = threading.Lock()
_SESSION_FLAG = "talentscout.webhooks.wake_armed"


def register_waker(wake: asyncio.Event) -> Callable[[], None]:
    """Have `wake` set (on its own loop) whenever a session that emitted commits."""
    entry = (asyncio.get_running_loop(), wake)
    with _wakers_lock:
        _wakers.add(entry)

    def unregister() -> None:
        with _wakers_lock:
            _wakers.discard(entry)

    return unregister


def wake_dispatchers() -> None:
    """Poke every dispatcher of this process (thread-safe; dispatchers may run on other loops)."""
    with _wakers_lock:
        entries = list(_wakers)
    for loop, wake in entries:
        # A loop may close between the check and the call; a missed wake-up only costs a poll.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(wake.set)


def wake_dispatchers_after_commit(session: AsyncSession) -> None:
    """Wake this process's dispatchers once the session's transaction commits."""
    sync_session = session.sync_session
    if sync_session.info.get(_SESSION_FLAG):
        return
    sync_session.info[_SESSION_FLAG] = True

    def _after_commit(s: Session) -> None:
        s.info.pop(_SESSION_FLAG, None)
        wake_dispatchers()

    def _after_rollback(s: Session, _previous_transaction: object) -> None:
        s.info.pop(_SESSION_FLAG, None)

    event.listen(sync_session, "after_commit", _after_commit, once=True)
    event.listen(sync_session, "after_soft_rollback", _after_rollback, once=True)


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def deliverable(config: WebhookConfig) -> bool:
    """Active configs receive deliveries; circuit-open ones hold them; paused/gone/deleted get none."""
    if config.deleted_at is not None:
        return False
    return config.is_active or config.circuit_opened_at is not None


def render_body(event: EventType, timestamp: str, delivery_id: str, data_json: bytes) -> str:
    """The payload `{"event", "timestamp", "deliveryId", "data"}`; `data` is spliced in verbatim."""
    head = orjson.dumps({"event": event.dotted, "timestamp": timestamp, "deliveryId": delivery_id})
    return (head[:-1] + b',"data":' + data_json + b"}").decode()


async def _owner_companies(session: AsyncSession, company_id: uuid.UUID) -> list[uuid.UUID]:
    """The company itself and the ATS company managing it: owners whose globals cover it."""
    parent = (
        await session.execute(select(Company.parent_company_id).where(Company.id == company_id))
    ).scalar_one_or_none()
    return [company_id] if parent is None else [company_id, parent]


def _configs_covering(company_id: uuid.UUID, owners: list[uuid.UUID]) -> Any:
    return and_(
        WebhookConfig.deleted_at.is_(None),
        or_(
            WebhookConfig.company_id == company_id,
            and_(WebhookConfig.company_id.is_(None), WebhookConfig.owner_company_id.in_(owners)),
        ),
    )


async def emit(
    session: AsyncSession,
    company_id: uuid.UUID,
    event: EventType | str | int,
    data: Mapping[str, Any],
    *,
    webhook_id: uuid.UUID | str | None = None,
) -> list[str]:
    """Record `event` for `company_id` and queue one delivery per target config.

    Runs inside the caller's transaction and never commits. Returns the delivery
    ids (`msg_…`, the `webhook-id` each receiver will see). `data` must be
    JSON-serialisable (UUIDs and aware datetimes are converted).
    """
    kind = parse_event(event)
    data_json = orjson.dumps(dict(data), option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS)
    plain_data: dict[str, Any] = orjson.loads(data_json)
    owners = await _owner_companies(session, company_id)
    configs = list(
        (
            await session.execute(
                select(WebhookConfig)
                .where(_configs_covering(company_id, owners))
                .order_by(WebhookConfig.created_at, WebhookConfig.id)
            )
        ).scalars()
    )
    targets = [c for c in configs if deliverable(c) and kind.value in (c.events or [])]
    explicit = _as_uuid(webhook_id) if webhook_id is not None else None
    if explicit is not None and all(c.id != explicit for c in targets):
        named = next((c for c in configs if c.id == explicit), None)
        category_events = {e.value for e in events_of_category(kind.category)}
        if named is not None and deliverable(named) and category_events & set(named.events or []):
            targets.append(named)
        elif named is None:
            log.warning(
                "webhook_emit_unknown_webhook", webhook_id=str(webhook_id), company_id=str(company_id)
            )

    record = await _add_event(session, company_id, kind, plain_data)
    ids = [
        _add_delivery(session, config, record, kind, data_json, max_attempts=config.max_retries + 1)
        for config in targets
    ]
    await session.flush()
    if ids:
        wake_dispatchers_after_commit(session)
    return ids


async def _add_event(
    session: AsyncSession, company_id: uuid.UUID, kind: EventType, plain_data: dict[str, Any]
) -> WebhookEvent:
    subject = plain_data.get("requestId") or plain_data.get("webhookId")
    record = WebhookEvent(
        id=new_event_id(),
        company_id=company_id,
        event=kind.value,
        subject_id=str(subject)[:64] if subject is not None else None,
        data=plain_data,
        created_at=utcnow(),
    )
    session.add(record)
    await session.flush()  # the event row must exist before deliveries reference it
    return record


def _add_delivery(
    session: AsyncSession,
    config: WebhookConfig,
    record: WebhookEvent,
    kind: EventType,
    data_json: bytes,
    *,
    max_attempts: int,
    lease_token: str | None = None,
    lease_until: datetime | None = None,
) -> str:
    delivery_id = new_message_id()
    session.add(
        WebhookDelivery(
            id=delivery_id,
            config_id=config.id,
            event_id=record.id,
            company_id=record.company_id,
            event=kind.value,
            body=render_body(kind, iso_ms(record.created_at) or "", delivery_id, data_json),
            status="pending",
            attempts=0,
            max_attempts=max_attempts,
            next_attempt_at=record.created_at,
            lease_token=lease_token,
            lease_until=lease_until,
            created_at=record.created_at,
            updated_at=record.created_at,
        )
    )
    return delivery_id


async def emit_ping(
    session: AsyncSession, config: WebhookConfig, *, lease_token: str, lease_until: datetime
) -> str:
    """A one-attempt PING delivery already leased to the caller (`POST /webhooks/{id}/test`)."""
    data = {"webhookId": str(config.id), "message": "Test webhook from talentscout."}
    record = await _add_event(session, config.company_id or config.owner_company_id, EventType.PING, data)
    delivery_id = _add_delivery(
        session,
        config,
        record,
        EventType.PING,
        orjson.dumps(data),
        max_attempts=1,
        lease_token=lease_token,
        lease_until=lease_until,
    )
    await session.flush()
    return delivery_id


async def find_run_webhook(
    session: AsyncSession, company_id: uuid.UUID, webhook_id: uuid.UUID | str
) -> WebhookConfig | None:
    """The config `webhook_id` names if it can receive `company_id`'s events (own or covering global)."""
    wid = _as_uuid(webhook_id)
    if wid is None:
        return None
    owners = await _owner_companies(session, company_id)
    stmt = select(WebhookConfig).where(WebhookConfig.id == wid, _configs_covering(company_id, owners))
    return (await session.execute(stmt)).scalar_one_or_none()


async def validate_run_webhook(
    session: AsyncSession, company_id: uuid.UUID, webhook_id: uuid.UUID | str, category: Category
) -> WebhookConfig:
    """Check a run's `webhookId` before the run starts (API.md §2 error table).

    422 `WEBHOOK_NOT_FOUND` when unknown, foreign or deleted; 422
    `WEBHOOK_NOT_SUBSCRIBED` when it subscribes to no event of `category`.
    """
    config = await find_run_webhook(session, company_id, webhook_id)
    if config is None:
        raise AppError(
            "WEBHOOK_NOT_FOUND",
            422,
            "webhookId does not name a webhook of this company.",
            {"webhookId": str(webhook_id)},
        )
    wanted = sorted(e.value for e in events_of_category(category))
    if not set(wanted) & set(config.events or []):
        raise AppError(
            "WEBHOOK_NOT_SUBSCRIBED",
            422,
            f"Webhook {config.id} subscribes to no {category} event.",
            {"webhookId": str(config.id), "requiredAnyOf": wanted},
        )
    return config
