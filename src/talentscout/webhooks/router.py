"""`/webhooks`: configs, test pings, breaker reset, delivery log, redelivery, secret rotation.

Every route is `tenant="optional"`: an `ats` key may own global configs
(companyId null), so it may call without `?companyId`. Unknown, deleted and
foreign ids all answer `404 RESOURCE_NOT_FOUND` with the same body.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from talentscout.auth.guard import Principal, SecuredRoute, require_principal, secured
from talentscout.config import Settings
from talentscout.db import Database
from talentscout.deps import get_db, get_settings_dep
from talentscout.errors import ok
from talentscout.kit.clock import utcnow
from talentscout.kit.ssrf import Resolver
from talentscout.web_docs import ERRORS
from talentscout.webhooks import outbox, service
from talentscout.webhooks.delivery import attempt, job_from, record
from talentscout.webhooks.events import EventType
from talentscout.webhooks.models import WebhookConfig, WebhookDelivery
from talentscout.webhooks.schemas import (
    DeliveryDetailEnvelope,
    DeliveryEnvelope,
    DeliveryPageEnvelope,
    TestEnvelope,
    WebhookCreate,
    WebhookEnvelope,
    WebhookListEnvelope,
    WebhookSecretEnvelope,
    WebhookUpdate,
)
from talentscout.webhooks.sender import WebhookSender

router = APIRouter(route_class=SecuredRoute, tags=["webhooks"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
READ = secured("read:webhooks", tenant="optional")
WRITE = secured("write:webhooks", tenant="optional")


def _resolver(request: Request) -> Resolver | None:
    """Tests inject a resolver on `app.state.ssrf_resolver`; production uses DNS."""
    resolver: Resolver | None = getattr(request.app.state, "ssrf_resolver", None)
    return resolver


@router.post(
    "/webhooks", status_code=201, response_model=WebhookSecretEnvelope, responses=ERRORS, openapi_extra=WRITE
)
async def create_webhook(
    request: Request, body: WebhookCreate, principal: PrincipalDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Create a config; the response carries `signingSecret`, shown only this once."""
    await service.check_url(body.url, settings, _resolver(request))
    async with db.write() as session:
        config, secret = await service.create_config(session, principal, body)
        return ok({**service.config_out(config), "signingSecret": secret})


@router.get("/webhooks", response_model=WebhookListEnvelope, responses=ERRORS, openapi_extra=READ)
async def list_webhooks(
    principal: PrincipalDep,
    db: DbDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
) -> dict[str, Any]:
    """With `companyId`, only that company's configs; an ats key without it also sees its globals."""
    async with db.read() as session:
        rows, total = await service.list_visible(session, principal, page, limit)
        return ok({"data": [service.config_out(c) for c in rows], "total": total})


@router.get("/webhooks/{webhook_id}", response_model=WebhookEnvelope, responses=ERRORS, openapi_extra=READ)
async def get_webhook(webhook_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    async with db.read() as session:
        return ok(service.config_out(await service.get_visible(session, principal, webhook_id)))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookEnvelope, responses=ERRORS, openapi_extra=WRITE)
async def update_webhook(
    request: Request,
    webhook_id: uuid.UUID,
    body: WebhookUpdate,
    principal: PrincipalDep,
    db: DbDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Partial update: `headers` replaces the list; `isActive: false` pauses, `true` resumes."""
    async with db.read() as session:
        await service.get_visible(session, principal, webhook_id)  # 404 before the URL check
    if body.url is not None:
        await service.check_url(body.url, settings, _resolver(request))
    async with db.write() as session:
        config = await service.get_visible(session, principal, webhook_id, lock=True)
        config = await service.update_config(session, config, body)
        return ok(service.config_out(config))


@router.delete(
    "/webhooks/{webhook_id}", status_code=204, response_class=Response, responses=ERRORS, openapi_extra=WRITE
)
async def delete_webhook(webhook_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> Response:
    """Delete the config and cancel its pending deliveries."""
    async with db.write() as session:
        config = await service.get_visible(session, principal, webhook_id, lock=True)
        await service.delete_config(session, config)
    return Response(status_code=204)


def _test_result(success: bool, message: str, **extra: Any) -> dict[str, Any]:
    return ok({"success": success, "message": message, **extra})


@router.post(
    "/webhooks/{webhook_id}/test", response_model=TestEnvelope, responses=ERRORS, openapi_extra=WRITE
)
async def test_webhook(
    request: Request, webhook_id: uuid.UUID, principal: PrincipalDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """Send one PING now and report the outcome (always 200 for a visible config)."""
    token = uuid.uuid4().hex
    async with db.write() as session:
        config = await service.get_visible(session, principal, webhook_id, lock=True)
        if EventType.PING.value not in (config.events or []):
            return _test_result(False, "This webhook does not subscribe to PING; add it to events to test.")
        if config.circuit_opened_at is not None:
            return _test_result(
                False, "The circuit breaker is open; call reset-circuit first. No delivery was created."
            )
        if not config.is_active:
            return _test_result(False, "This webhook is inactive. No delivery was created.")
        lease_until = utcnow() + timedelta(
            seconds=config.timeout_ms / 1000 + settings.webhooks_lease_margin_seconds
        )
        delivery_id = await outbox.emit_ping(session, config, lease_token=token, lease_until=lease_until)
        delivery = await session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        job = job_from(delivery, config, token)
    sender: WebhookSender | None = getattr(request.app.state, "webhook_sender", None)
    own_sender = sender is None
    if sender is None:
        sender = WebhookSender.from_settings(settings, _resolver(request))
    try:
        result = await attempt(job, sender)
    finally:
        if own_sender:
            await sender.aclose()
    await record(db, settings, job, result)
    extra = {"deliveryId": delivery_id, "httpStatus": result.status, "durationMs": result.duration_ms}
    if result.ok:
        return _test_result(True, f"Delivered: HTTP {result.status}.", **extra)
    return _test_result(False, f"Delivery failed: {result.error}", **extra)


@router.post(
    "/webhooks/{webhook_id}/reset-circuit",
    response_model=WebhookEnvelope,
    responses=ERRORS,
    openapi_extra=WRITE,
)
async def reset_circuit(webhook_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    """Close the breaker and reactivate; deliveries held while open are resent in creation order."""
    async with db.write() as session:
        config = await service.get_visible(session, principal, webhook_id, lock=True)
        return ok(service.config_out(await service.reset_circuit(session, config)))


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookSecretEnvelope,
    responses=ERRORS,
    openapi_extra=WRITE,
)
async def rotate_secret(
    webhook_id: uuid.UUID, principal: PrincipalDep, db: DbDep, settings: SettingsDep
) -> dict[str, Any]:
    """(extension) New secret, returned once; the previous one also signs for 24 h."""
    async with db.write() as session:
        config = await service.get_visible(session, principal, webhook_id, lock=True)
        secret = await service.rotate_secret(session, config, settings)
        return ok({**service.config_out(config), "signingSecret": secret})


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPageEnvelope,
    responses=ERRORS,
    openapi_extra=READ,
)
async def list_deliveries(
    webhook_id: uuid.UUID,
    principal: PrincipalDep,
    db: DbDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """(extension) The delivery log, newest first, with a cursor."""
    async with db.read() as session:
        config = await service.get_visible(session, principal, webhook_id)
        rows, next_cursor = await service.list_deliveries(session, config, cursor, limit)
        return ok({"data": [service.delivery_out(d, config) for d in rows], "nextCursor": next_cursor})


async def _visible_delivery(
    session: Any, principal: Principal, webhook_id: uuid.UUID, delivery_id: str
) -> tuple[WebhookConfig, WebhookDelivery]:
    config = await service.get_visible(session, principal, webhook_id)
    return config, await service.get_delivery(session, config, delivery_id)


@router.get(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetailEnvelope,
    responses=ERRORS,
    openapi_extra=READ,
)
async def get_delivery(
    webhook_id: uuid.UUID, delivery_id: str, principal: PrincipalDep, db: DbDep
) -> dict[str, Any]:
    """(extension) One delivery with its payload and every attempt."""
    async with db.read() as session:
        config, delivery = await _visible_delivery(session, principal, webhook_id, delivery_id)
        attempts = await service.attempts_of(session, delivery)
        return ok(
            {
                **service.delivery_out(delivery, config),
                "payload": delivery.body,
                "attemptLog": [service.attempt_out(a) for a in attempts],
            }
        )


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryEnvelope,
    responses=ERRORS,
    openapi_extra=WRITE,
)
async def redeliver(
    webhook_id: uuid.UUID, delivery_id: str, principal: PrincipalDep, db: DbDep
) -> dict[str, Any]:
    """(extension) Queue the same message (same `webhook-id`) again with a fresh retry budget."""
    async with db.write() as session:
        config, delivery = await _visible_delivery(session, principal, webhook_id, delivery_id)
        delivery = await service.redeliver(session, config, delivery)
        return ok(service.delivery_out(delivery, config))
