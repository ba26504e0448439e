"""Sourcing decisions: create runs and passes (validate → authorize → hold → enqueue, in
the request's one transaction), and shape run/result bodies exactly as API.md §5.

The HTTP request never waits for the engine: it only writes the run, its first pass, the
credit hold and the job row, and commits them together, so a crash can never leave a run
without its job or a hold without its run.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.auth.guard import Principal
from talentscout.billing import ledger
from talentscout.errors import AppError, request_not_found
from talentscout.jobs.queue import JobQueue
from talentscout.kit.clock import iso_ms, utcnow
from talentscout.sourcing.models import (
    COMPLETED,
    FAILED,
    PROCESSING,
    SourcingCandidate,
    SourcingPass,
    SourcingRun,
)
from talentscout.tenancy.scoping import scoped
from talentscout.webhooks.outbox import validate_run_webhook

RUN_TASK = "sourcing.run_pass"
PREVIEW_TASK = "sourcing.run_preview"
PREVIEW_PAGE = 20


def hold_ref(run_id: str, pass_no: int) -> str:
    return f"{run_id}:pass:{pass_no}"


async def _check_concurrency(session: AsyncSession, company_id: uuid.UUID, cap: int) -> None:
    """A per-company cap on runs in flight keeps one tenant from starving the workers."""
    stmt = scoped(select(func.count()).select_from(SourcingRun), SourcingRun, company_id).where(
        SourcingRun.status == PROCESSING
    )
    running = int((await session.execute(stmt)).scalar_one())
    if running >= cap:
        raise AppError(
            "RATE_LIMIT_EXCEEDED",
            429,
            f"At most {cap} runs may be processing at once for a company.",
            {"retryAfter": 5, "limit": cap, "remaining": 0, "reset": None},
            {"Retry-After": "5"},
        )


async def create_run(
    session: AsyncSession,
    queue: JobQueue,
    principal: Principal,
    company_id: uuid.UUID,
    *,
    kind: str,
    title: str,
    job_description: str,
    location: str,
    query: str | None,
    limit: int,
    webhook_id: uuid.UUID | None,
    idempotency_key: str | None,
    concurrency_cap: int,
) -> SourcingRun:
    """Create a run + pass 1, hold its credits and enqueue its job — all in `session`."""
    if idempotency_key:
        existing = (
            await session.execute(
                scoped(select(SourcingRun), SourcingRun, company_id).where(
                    SourcingRun.idempotency_key == idempotency_key
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            return existing
    if webhook_id is not None:
        await validate_run_webhook(session, company_id, webhook_id, "sourcing")
    await _check_concurrency(session, company_id, concurrency_cap)
    prefix = "req_prev_" if kind == "preview" else "req_"
    run = SourcingRun(
        id=f"{prefix}{uuid.uuid4()}",
        company_id=company_id,
        kind=kind,
        api_key_id=principal.key_id,
        livemode=principal.livemode,
        title=title,
        job_description=job_description,
        location=location,
        query=query,
        limit=limit,
        webhook_id=webhook_id,
        status=PROCESSING,
        current_pass=1,
        message="Sourcing run accepted and queued for processing.",
        idempotency_key=idempotency_key,
    )
    session.add(run)
    await session.flush()
    amount = math.ceil(limit / PREVIEW_PAGE) if kind == "preview" else limit
    cost_key = "preview_page" if kind == "preview" else "sourcing_candidate"
    await ledger.hold(
        session, company_id, amount, ref=hold_ref(run.id, 1), cost_key=cost_key, livemode=principal.livemode
    )
    session.add(
        SourcingPass(
            run_id=run.id,
            company_id=company_id,
            pass_no=1,
            query=query,
            limit=limit,
            hold_ref=hold_ref(run.id, 1),
        )
    )
    await queue.enqueue(
        session,
        PREVIEW_TASK if kind == "preview" else RUN_TASK,
        {"run_id": run.id, "pass_no": 1},
        dedupe_key=f"{run.id}:1",
    )
    await session.flush()
    return run


async def get_run(session: AsyncSession, company_id: uuid.UUID, run_id: str, kind: str) -> SourcingRun:
    """The company's run, or 404 REQUEST_NOT_FOUND (identical for unknown and foreign ids)."""
    run = (
        await session.execute(
            scoped(select(SourcingRun), SourcingRun, company_id).where(SourcingRun.id == run_id)
        )
    ).scalar_one_or_none()
    if run is None or run.kind != kind:
        raise request_not_found()
    return run


async def add_pass(
    session: AsyncSession,
    queue: JobQueue,
    principal: Principal,
    run: SourcingRun,
    *,
    query: str | None,
    limit: int,
) -> SourcingRun:
    """PATCH: append a refinement pass to a finished run (409 while one is processing)."""
    if run.status == PROCESSING:
        raise AppError(
            "RUN_IN_PROGRESS", 409, "The current pass is still processing; retry when it has finished.", None
        )
    pass_no = run.current_pass + 1
    await ledger.hold(
        session,
        run.company_id,
        limit,
        ref=hold_ref(run.id, pass_no),
        cost_key="sourcing_candidate",
        livemode=run.livemode,
    )
    session.add(
        SourcingPass(
            run_id=run.id,
            company_id=run.company_id,
            pass_no=pass_no,
            query=query,
            limit=limit,
            hold_ref=hold_ref(run.id, pass_no),
        )
    )
    run.current_pass = pass_no
    run.status = PROCESSING
    run.message = f"Refinement pass {pass_no} accepted and queued for processing."
    run.error_code = None
    run.error_message = None
    run.completed_at = None
    run.updated_at = utcnow()
    await queue.enqueue(
        session, RUN_TASK, {"run_id": run.id, "pass_no": pass_no}, dedupe_key=f"{run.id}:{pass_no}"
    )
    await session.flush()
    return run


def accepted_body(run: SourcingRun) -> dict[str, Any]:
    return {
        "success": True,
        "requestId": run.id,
        "status": run.status,
        "message": run.message,
        "webhookId": str(run.webhook_id) if run.webhook_id else None,
        "createdAt": iso_ms(run.created_at),
        "updatedAt": iso_ms(run.updated_at),
        "livemode": run.livemode,
    }


def processing_body(run: SourcingRun) -> dict[str, Any]:
    return {
        "success": True,
        "requestId": run.id,
        "status": PROCESSING,
        "createdAt": iso_ms(run.created_at),
        "candidatesSourcedCount": run.candidates_sourced_count,
        "message": run.message,
        "livemode": run.livemode,
    }


async def finished_body(session: AsyncSession, run: SourcingRun) -> dict[str, Any]:
    passes = list(
        (
            await session.execute(
                scoped(select(SourcingPass), SourcingPass, run.company_id)
                .where(SourcingPass.run_id == run.id)
                .order_by(SourcingPass.pass_no)
            )
        ).scalars()
    )
    body: dict[str, Any] = {
        "success": True,
        "requestId": run.id,
        "status": run.status,
        "createdAt": iso_ms(run.created_at),
        "completedAt": iso_ms(run.completed_at),
        "livemode": run.livemode,
        "foundCount": run.found_count,
        "scoredCount": run.scored_count,
    }
    if run.status == COMPLETED:
        rows = list(
            (
                await session.execute(
                    scoped(select(SourcingCandidate), SourcingCandidate, run.company_id).where(
                        SourcingCandidate.run_id == run.id
                    )
                )
            ).scalars()
        )
        # Ranked by matchScore desc, ties stable by profileId (API.md §5).
        rows.sort(key=lambda c: (-c.match_score, c.profile_id))
        body["candidates"] = [{**c.data, "pass": c.pass_no} for c in rows]
    if run.status == FAILED:
        body["errorCode"] = run.error_code
        body["errorMessage"] = run.error_message
    body["icp"] = run.icp
    body["passes"] = [
        {
            "pass": p.pass_no,
            "query": p.query,
            "limit": p.limit,
            "status": p.status,
            "createdAt": iso_ms(p.created_at),
            "completedAt": iso_ms(p.completed_at),
            "newCandidates": p.new_candidates,
        }
        for p in passes
    ]
    body["creditsConsumed"] = await ledger.captured_count(session, *(p.hold_ref for p in passes))
    return body
