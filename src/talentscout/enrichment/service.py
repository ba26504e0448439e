"""Enrichment runs: create (validate → hold → items → enqueue, in the request's one
transaction), finish items and runs (result + capture + webhook in one transaction
each, keyed by (run, profile)), and shape the bodies of API.md §6.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.auth.guard import Principal
from talentscout.billing import ledger
from talentscout.enrichment.models import (
    COMPLETED,
    DONE,
    FAILED,
    PENDING,
    PROCESSING,
    EnrichmentItem,
    EnrichmentRun,
)
from talentscout.enrichment.pipeline import ProfileOutcome
from talentscout.errors import request_not_found
from talentscout.jobs.queue import JobQueue
from talentscout.kit.clock import iso_ms, utcnow
from talentscout.tenancy.scoping import scoped
from talentscout.webhooks.events import EventType
from talentscout.webhooks.outbox import emit, validate_run_webhook

RUN_TASK = "enrichment.run"
COST_KEY = "enrich_profile"
ACCEPTED_MESSAGE = "Enrichment request accepted and queued for processing."


def results_path(run_id: str) -> str:
    return f"/sourcing/enrich/{run_id}/results"


async def create_run(
    session: AsyncSession,
    queue: JobQueue,
    principal: Principal,
    company_id: uuid.UUID,
    *,
    profile_ids: list[str],
    webhook_id: uuid.UUID | None,
    idempotency_key: str | None,
) -> EnrichmentRun:
    """Create the run, hold len(profileIds) credits, create its items and enqueue its job."""
    if idempotency_key:
        existing = (
            await session.execute(
                scoped(select(EnrichmentRun), EnrichmentRun, company_id).where(
                    EnrichmentRun.idempotency_key == idempotency_key
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    if webhook_id is not None:
        await validate_run_webhook(session, company_id, webhook_id, "enrich")
    run_id = f"enr_{uuid.uuid4()}"
    now = utcnow()
    run = EnrichmentRun(
        id=run_id,
        company_id=company_id,
        api_key_id=principal.key_id,
        livemode=principal.livemode,
        webhook_id=webhook_id,
        status=PROCESSING,
        message=ACCEPTED_MESSAGE,
        profile_ids=list(profile_ids),
        hold_ref=run_id,
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
    )
    session.add(run)
    await session.flush()
    # Raises 402 INSUFFICIENT_CREDITS (prepaid, live) and rolls the whole request back.
    await ledger.hold(
        session, company_id, len(profile_ids), ref=run_id, cost_key=COST_KEY, livemode=principal.livemode
    )
    session.add_all(
        EnrichmentItem(
            run_id=run_id, company_id=company_id, position=i, profile_id=pid, status=PENDING, created_at=now
        )
        for i, pid in enumerate(profile_ids)
    )
    await queue.enqueue(session, RUN_TASK, {"run_id": run_id}, dedupe_key=f"enrich:{run_id}")
    await session.flush()
    return run


async def get_run(session: AsyncSession, company_id: uuid.UUID, run_id: str) -> EnrichmentRun:
    """The company's run, or 404 REQUEST_NOT_FOUND (identical for unknown and foreign ids)."""
    stmt = scoped(select(EnrichmentRun), EnrichmentRun, company_id).where(EnrichmentRun.id == run_id)
    run = (await session.execute(stmt)).scalar_one_or_none()
    if run is None:
        raise request_not_found()
    return run


async def items_of(session: AsyncSession, run: EnrichmentRun) -> list[EnrichmentItem]:
    stmt = (
        scoped(select(EnrichmentItem), EnrichmentItem, run.company_id)
        .where(EnrichmentItem.run_id == run.id)
        .order_by(EnrichmentItem.position)
    )
    return list((await session.execute(stmt)).scalars())


async def finish_item(session: AsyncSession, run: EnrichmentRun, outcome: ProfileOutcome) -> bool:
    """Record one item's result and capture its credit in the caller's transaction.

    Keyed by (run, profile): the UPDATE only matches a `pending` item, and the capture is
    idempotent per (hold, item), so a re-executed job changes nothing. True if written now.
    """
    now = utcnow()
    stmt = (
        update(EnrichmentItem)
        .where(
            EnrichmentItem.run_id == run.id,
            EnrichmentItem.profile_id == outcome.profile_id,
            EnrichmentItem.status == PENDING,
        )
        .values(
            status=DONE,
            success=outcome.success,
            candidate=outcome.candidate,
            evidence=outcome.evidence,
            error_code=outcome.error_code,
            error_message=outcome.error_message,
            reason=outcome.reason,
            duration_ms=outcome.duration_ms,
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    if result.rowcount != 1:
        return False
    if outcome.success:
        await ledger.capture(session, run.hold_ref, outcome.profile_id, COST_KEY)
    return True


async def finish_run(
    session: AsyncSession,
    run: EnrichmentRun,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    """Close the run: counts, status, release the rest of the hold, emit the webhook — one transaction."""
    if run.status != PROCESSING:
        return
    now = utcnow()
    counts = (
        await session.execute(
            scoped(select(EnrichmentItem.success, func.count()), EnrichmentItem, run.company_id)
            .where(EnrichmentItem.run_id == run.id, EnrichmentItem.status == DONE)
            .group_by(EnrichmentItem.success)
        )
    ).all()
    enriched = sum(int(n) for ok, n in counts if ok)
    processed = sum(int(n) for _ok, n in counts)
    run.enriched_count = enriched
    run.failure_count = len(run.profile_ids) - enriched
    if error_code is not None and processed == 0:
        run.status = FAILED
        run.error_code, run.error_message = error_code, error_message
        run.message = "Enrichment failed before any profile was processed."
    else:
        run.status = COMPLETED
        run.message = f"Enrichment completed: {enriched} of {len(run.profile_ids)} profiles enriched."
    run.completed_at = now
    run.updated_at = now
    await ledger.release(session, run.hold_ref)
    credits = await ledger.captured_count(session, run.hold_ref)
    data: dict[str, Any] = {
        "requestId": run.id,
        "status": run.status,
        "enrichedCount": run.enriched_count,
        "failureCount": run.failure_count,
        "creditsConsumed": credits,
        "completedAt": iso_ms(now),
        "resultsUrl": results_path(run.id),
    }
    if run.status == FAILED:
        data["errorCode"], data["errorMessage"] = run.error_code, run.error_message
    event = EventType.ENRICH_COMPLETED if run.status == COMPLETED else EventType.ENRICH_FAILED
    await emit(session, run.company_id, event, data, webhook_id=run.webhook_id)
    await session.flush()


async def abort_run(session: AsyncSession, run: EnrichmentRun, code: str, message: str) -> None:
    """The job gave up: fail the run if nothing was processed, else fail the rest of its items."""
    processed = (
        await session.execute(
            scoped(select(func.count()).select_from(EnrichmentItem), EnrichmentItem, run.company_id).where(
                EnrichmentItem.run_id == run.id, EnrichmentItem.status == DONE
            )
        )
    ).scalar_one()
    if int(processed) == 0:
        await finish_run(session, run, error_code=code, error_message=message)
        return
    await session.execute(
        update(EnrichmentItem)
        .where(EnrichmentItem.run_id == run.id, EnrichmentItem.status == PENDING)
        .values(
            status=DONE,
            success=False,
            error_code="ENRICHMENT_ERROR",
            error_message=message,
            finished_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    await finish_run(session, run)


def accepted_body(run: EnrichmentRun) -> dict[str, Any]:
    return {
        "success": True,
        "requestId": run.id,
        "status": run.status,
        "message": run.message if run.status == PROCESSING else ACCEPTED_MESSAGE,
        "createdAt": iso_ms(run.created_at),
        "webhookId": str(run.webhook_id) if run.webhook_id else None,
        "livemode": run.livemode,
    }


def processing_body(run: EnrichmentRun, items: list[EnrichmentItem]) -> dict[str, Any]:
    return {
        "success": True,
        "requestId": run.id,
        "status": PROCESSING,
        "createdAt": iso_ms(run.created_at),
        "message": run.message,
        "processedCount": sum(1 for i in items if i.status == DONE),  # extension
        "livemode": run.livemode,
    }


def item_body(item: EnrichmentItem) -> dict[str, Any]:
    if item.success:
        return {"profileId": item.profile_id, "success": True, "candidate": item.candidate}
    body: dict[str, Any] = {
        "profileId": item.profile_id,
        "success": False,
        "errorCode": item.error_code or "ENRICHMENT_ERROR",
        "errorMessage": item.error_message or "Enrichment failed for this profile.",
    }
    if item.reason:
        body["reason"] = item.reason  # extension, e.g. "suppressed"
    return body


async def finished_body(
    session: AsyncSession, run: EnrichmentRun, items: list[EnrichmentItem]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": True,
        "requestId": run.id,
        "status": run.status,
        "createdAt": iso_ms(run.created_at),
        "completedAt": iso_ms(run.completed_at),
        "enrichedCount": run.enriched_count,
        "failureCount": run.failure_count,
        "creditsConsumed": await ledger.captured_count(session, run.hold_ref),
        "livemode": run.livemode,
    }
    if run.status == FAILED:
        body["errorCode"], body["errorMessage"] = run.error_code, run.error_message
    body["data"] = [item_body(i) for i in items if i.status == DONE]
    return body
