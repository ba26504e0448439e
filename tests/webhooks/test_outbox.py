"""`emit()` fan-out and `validate_run_webhook()` as the sourcing/enrichment features use them."""

from __future__ import annotations

import json
import uuid
from typing import Literal

import pytest
from sqlalchemy import select

from talentscout.errors import AppError
from talentscout.kit.clock import utcnow
from talentscout.webhooks.models import WebhookDelivery, WebhookEvent
from talentscout.webhooks.outbox import emit, validate_run_webhook
from tests.webhooks.conftest import World

URL = "https://hooks.example.com/in"


async def test_fan_out_targets(world: World) -> None:
    ats = await world.company("ATS")
    client = await world.company("Client", parent=ats)
    other_ats = await world.company("Other ATS")
    stranger = await world.company("Stranger", parent=other_ats)

    own = await world.config(client, URL, events=["SOURCING_COMPLETED"])
    own_unsubscribed = await world.config(client, URL, events=["ENRICH_COMPLETED"])
    own_paused = await world.config(
        client, URL, events=["SOURCING_COMPLETED"], is_active=False, disabled_reason="paused"
    )
    own_open = await world.config(
        client, URL, events=["SOURCING_COMPLETED"], is_active=False, circuit_opened_at=utcnow()
    )
    own_deleted = await world.config(client, URL, events=["SOURCING_COMPLETED"], deleted_at=utcnow())
    managing_global = await world.config(None, URL, owner=ats, events=["SOURCING_COMPLETED"])
    foreign_global = await world.config(None, URL, owner=other_ats, events=["SOURCING_COMPLETED"])
    foreign = await world.config(stranger, URL, events=["SOURCING_COMPLETED"])
    named = await world.config(client, URL, events=["SOURCING_FAILED"])
    named_enrich = await world.config(client, URL, events=["ENRICH_FAILED"])

    async with world.db.write() as s:
        ids = await emit(
            s, client, "SOURCING_COMPLETED", {"requestId": "run-1", "pass": 1}, webhook_id=named.id
        )
        # A named webhook of another category is not told about this run.
        extra = await emit(s, client, 6, {"requestId": "run-2"}, webhook_id=str(named_enrich.id))
    rows = await world.deliveries()
    by_config = {d.config_id: d for d in rows if d.id in ids}
    assert set(by_config) == {own.id, own_open.id, managing_global.id, named.id}
    for skipped in (own_unsubscribed, own_paused, own_deleted, foreign_global, foreign, named_enrich):
        assert skipped.id not in by_config
    assert len(extra) == 3 and named_enrich.id not in {d.config_id for d in rows if d.id in extra}
    for delivery in by_config.values():
        body = json.loads(delivery.body)
        assert body == {
            "event": "sourcing.completed",
            "timestamp": body["timestamp"],
            "deliveryId": delivery.id,
            "data": {"requestId": "run-1", "pass": 1},
        }
        assert delivery.event == "SOURCING_COMPLETED" and delivery.status == "pending"
        assert delivery.max_attempts == 4 and delivery.company_id == client
    assert ids == sorted(ids)  # time-ordered ids: creation order is id order

    async with world.db.read() as s:
        events = list((await s.execute(select(WebhookEvent).order_by(WebhookEvent.id))).scalars())
    assert [(e.event, e.subject_id) for e in events] == [
        ("SOURCING_COMPLETED", "run-1"),
        ("SOURCING_COMPLETED", "run-2"),
    ]


async def test_event_without_subscribers_still_leaves_its_outbox_record(world: World) -> None:
    company = await world.company()
    async with world.db.write() as s:
        assert (
            await emit(s, company, "enrich.failed", {"requestId": "e1", "when": utcnow(), "id": uuid.uuid4()})
            == []
        )
    async with world.db.read() as s:
        (event,) = (await s.execute(select(WebhookEvent))).scalars()
        assert event.event == "ENRICH_FAILED" and event.data["when"].endswith("Z")
        assert (await s.execute(select(WebhookDelivery))).first() is None
    async with world.db.write() as s:
        with pytest.raises(ValueError):
            await emit(s, company, 3, {})


async def test_validate_run_webhook(world: World) -> None:
    ats = await world.company("ATS")
    client = await world.company("Client", parent=ats)
    other = await world.company("Other")
    sourcing = await world.config(client, URL, events=["SOURCING_FAILED"])
    enrich_only = await world.config(client, URL, events=["ENRICH_COMPLETED", "PING"])
    ping_only = await world.config(client, URL, events=["PING"])
    global_cfg = await world.config(None, URL, owner=ats, events=["ENRICH_FAILED"])
    foreign = await world.config(other, URL, events=["SOURCING_COMPLETED"])
    deleted = await world.config(client, URL, events=["SOURCING_COMPLETED"], deleted_at=utcnow())
    paused = await world.config(client, URL, events=["SOURCING_COMPLETED"], is_active=False)

    async with world.db.read() as s:
        assert (await validate_run_webhook(s, client, sourcing.id, "sourcing")).id == sourcing.id
        assert (await validate_run_webhook(s, client, str(enrich_only.id), "enrich")).id == enrich_only.id
        assert (await validate_run_webhook(s, client, global_cfg.id, "enrich")).id == global_cfg.id
        assert (await validate_run_webhook(s, client, paused.id, "sourcing")).id == paused.id
        for wid in (foreign.id, deleted.id, uuid.uuid4(), "not-a-uuid"):
            with pytest.raises(AppError) as err:
                await validate_run_webhook(s, client, wid, "sourcing")
            assert (err.value.status, err.value.code) == (422, "WEBHOOK_NOT_FOUND")
        checks: tuple[tuple[uuid.UUID, Literal["sourcing", "enrich"]], ...] = (
            (enrich_only.id, "sourcing"),
            (ping_only.id, "enrich"),
            (sourcing.id, "enrich"),
        )
        for wid, category in checks:
            with pytest.raises(AppError) as err:
                await validate_run_webhook(s, client, wid, category)
            assert (err.value.status, err.value.code) == (422, "WEBHOOK_NOT_SUBSCRIBED")
        # The ATS's global does not cover a company it does not manage.
        with pytest.raises(AppError):
            await validate_run_webhook(s, other, global_cfg.id, "enrich")
