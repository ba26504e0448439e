"""The sourcing run pipeline as job tasks: ICP → search → rank → explain → store → settle → emit.

Each pass runs as one job. The expensive stages (ICP derivation, index search,
ranking and explanations) run in a worker thread so the event loop stays free.
Everything that finishing a pass changes — candidate rows, one credit capture per
delivered candidate, the pass/run state, the hold release and the webhook outbox
row — commits in ONE fenced transaction keyed by (run, profile), so a re-executed
job (crash, lost lease, retry) changes nothing. On the last failed attempt the run
ends `failed` (credits released, `sourcing.failed` emitted) instead of retrying.

Decisions: a profile counts as "scored in this session" once it was delivered as a
candidate of an earlier pass, so a refinement never re-scores or re-bills it; test
(`sk_test_`) runs search the global (demo) pool only, never a company's private pool.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import structlog
from sqlalchemy import select, update

from talentscout.billing import ledger
from talentscout.engine.profile import ProfileDoc, YearMonth
from talentscout.engine.run import EngineRequest, derive, run_engine
from talentscout.index.store import get_profiles
from talentscout.jobs.registry import JobContext, PermanentJobError, task
from talentscout.kit.clock import iso_ms, utcnow
from talentscout.providers.llm.refine import refine_icp_from_env
from talentscout.providers.search.chain import AllProvidersFailed, SearchOutcome, build_chain
from talentscout.sourcing.models import (
    COMPLETED,
    FAILED,
    PROCESSING,
    SourcingCandidate,
    SourcingPass,
    SourcingRun,
)
from talentscout.sourcing.resources import engine_resources
from talentscout.tenancy.scoping import scoped
from talentscout.webhooks.outbox import emit

log = structlog.get_logger("talentscout.sourcing")
RETRIEVE_N = 1000


class IndexUnavailable(Exception):
    """Every candidate index failed (run-level `INDEX_UNAVAILABLE`)."""


async def _load(
    ctx: JobContext, run_id: str, pass_no: int
) -> tuple[SourcingRun, SourcingPass, list[str], set[str]]:
    async with ctx.db.read() as s:
        run = (await s.execute(select(SourcingRun).where(SourcingRun.id == run_id))).scalar_one_or_none()
        if run is None:
            raise PermanentJobError(f"run {run_id} does not exist")
        passes = list(
            (
                await s.execute(
                    scoped(select(SourcingPass), SourcingPass, run.company_id)
                    .where(SourcingPass.run_id == run_id)
                    .order_by(SourcingPass.pass_no)
                )
            ).scalars()
        )
        current = next((p for p in passes if p.pass_no == pass_no), None)
        if current is None:
            raise PermanentJobError(f"run {run_id} has no pass {pass_no}")
        patches = [p.query for p in passes if 1 < p.pass_no <= pass_no and p.query]
        scored = set(
            (
                await s.execute(
                    scoped(select(SourcingCandidate.profile_id), SourcingCandidate, run.company_id).where(
                        SourcingCandidate.run_id == run_id
                    )
                )
            ).scalars()
        )
    return run, current, patches, scored


async def _progress(ctx: JobContext, run_id: str, message: str, sourced: int | None = None) -> None:
    values: dict[str, Any] = {"message": message, "updated_at": utcnow()}
    if sourced is not None:
        values["candidates_sourced_count"] = sourced
    async with ctx.fenced() as s:
        await s.execute(
            update(SourcingRun)
            .where(SourcingRun.id == run_id, SourcingRun.status == PROCESSING)
            .values(**values)
        )


class ProvidersExhausted(IndexUnavailable, PermanentJobError):
    """Every provider failed after its own retries and failover: the run ends now.

    Permanent on purpose: re-running the job would repeat every provider's retries
    (multiplying calls to providers that are already down) only to fail the same way.
    """


async def _search(
    ctx: JobContext, run: SourcingRun, icp: Any, visibility: str | None, exclude: list[str]
) -> SearchOutcome:
    # The provider chain (providers/search): configured order, per-company override, `local`
    # only for test-mode runs; the first provider that answers wins and names the `source`.
    chain = build_chain(ctx.settings, livemode=run.livemode, company_id=str(run.company_id))
    try:
        return await chain.search(icp, company_id=visibility, exclude_ids=exclude, limit=RETRIEVE_N)
    except AllProvidersFailed as exc:
        raise ProvidersExhausted(str(exc)) from exc


async def _documents(
    ctx: JobContext, outcome: SearchOutcome, visibility: str | None, limit: int | None = None
) -> list[ProfileDoc]:
    """The hits' documents in hit order: local ones from the profile table, external ones as answered
    (external profiles are never stored)."""
    hits = outcome.hits if limit is None else outcome.hits[:limit]
    local = await get_profiles(ctx.db, [h.profile_id for h in hits if h.doc is None], visibility)
    by_id = {d.profile_id: d for d in local}
    docs: list[ProfileDoc] = []
    for h in hits:
        doc = h.doc if h.doc is not None else by_id.get(h.profile_id)
        if doc is not None:
            docs.append(doc)
    return docs


@task("sourcing.run_pass", max_attempts=3)
async def run_pass(ctx: JobContext, run_id: str, pass_no: int) -> None:
    """Execute one pass of a sourcing run (see module docstring)."""
    structlog.contextvars.bind_contextvars(run_id=run_id)
    run, current, patches, scored = await _load(ctx, run_id, pass_no)
    if current.status != PROCESSING:
        return  # already finished by an earlier execution
    try:
        started = time.perf_counter()
        res = await engine_resources()
        now = utcnow()
        request = EngineRequest(
            title=run.title,
            job_description=run.job_description,
            location=run.location,
            query=run.query or "",
            patches=tuple(patches),
            limit=current.limit,
            today=YearMonth(now.year, now.month),  # recency is measured from today, not the pool
        )
        await _progress(ctx, run_id, "Deriving the ideal candidate profile.")
        icp = await asyncio.to_thread(derive, request, res.lexicon)
        if run.livemode:
            # Optional OpenAI-compatible refinement (TALENTSCOUT_LLM_*): soft additions only, and the
            # deterministic ICP on any failure; test keys make no outbound calls.
            icp = await asyncio.to_thread(refine_icp_from_env, request.icp_input(), icp)
        visibility = str(run.company_id) if run.livemode else None
        outcome = await _search(ctx, run, icp, visibility, sorted(scored))
        hits = outcome.hits
        await _progress(ctx, run_id, f"Found {len(hits)} candidates; scoring them.", sourced=len(hits))
        docs = await _documents(ctx, outcome, visibility)
        request = EngineRequest(
            request.title,
            request.job_description,
            request.location,
            request.query,
            request.patches,
            request.limit,
            today=request.today,
            icp=icp,
        )
        result = await asyncio.to_thread(
            run_engine,
            request,
            docs,
            outcome.scores,
            res.lexicon,
            None,
            frozenset(scored),
            current.limit,
            embedder=res.embedder,
            view_cache=res.view_cache,
            source=outcome.source,
        )
        log.info(
            "sourcing.pass_ranked",
            pass_no=pass_no,
            source=outcome.source,
            found=len(hits),
            scored=result.scored,
            ms=round((time.perf_counter() - started) * 1000, 1),
            **result.timings,
        )
        await _finish(ctx, run_id, pass_no, result.icp.to_json(), result.candidates, len(hits), result.scored)
    except Exception as exc:
        if ctx.attempt < ctx.max_attempts and not isinstance(exc, PermanentJobError):
            raise
        code = "INDEX_UNAVAILABLE" if isinstance(exc, IndexUnavailable) else "AGENT_ERROR"
        log.exception("sourcing.pass_failed", pass_no=pass_no, code=code)
        await _fail(ctx, run_id, pass_no, code, _public_message(code))


def _public_message(code: str) -> str:
    if code == "INDEX_UNAVAILABLE":
        return "Every candidate index failed after retries and failover."
    return "The sourcing run failed unexpectedly."


def _event_data(run: SourcingRun, p: SourcingPass, credits: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "requestId": run.id,
        "status": run.status,
        "pass": p.pass_no,
        "candidatesCount": p.new_candidates,
        "creditsConsumed": credits,
        "completedAt": iso_ms(run.completed_at),
        "resultsUrl": f"/sourcing/{run.id}/results",
    }
    if run.status == FAILED:
        data["errorCode"] = run.error_code
        data["errorMessage"] = run.error_message
    return data


async def _finish(
    ctx: JobContext,
    run_id: str,
    pass_no: int,
    icp: dict[str, Any],
    candidates: list[dict[str, Any]],
    found: int,
    scored: int,
) -> None:
    async with ctx.fenced() as s:
        run = (await s.execute(select(SourcingRun).where(SourcingRun.id == run_id))).scalar_one()
        p = (
            await s.execute(
                select(SourcingPass).where(SourcingPass.run_id == run_id, SourcingPass.pass_no == pass_no)
            )
        ).scalar_one()
        if p.status != PROCESSING:
            return
        already = set(
            (
                await s.execute(
                    select(SourcingCandidate.profile_id).where(SourcingCandidate.run_id == run_id)
                )
            ).scalars()
        )
        new = 0
        for c in candidates:
            pid = c["profileId"]
            if pid in already:
                continue
            # Emails are revealed (and billed) by enrichment only: `emails` is empty until enriched.
            c = {**c, "emails": []}
            s.add(
                SourcingCandidate(
                    run_id=run_id,
                    company_id=run.company_id,
                    profile_id=pid,
                    pass_no=pass_no,
                    match_score=int(c["matchScore"]),
                    data=c,
                )
            )
            await ledger.capture(s, p.hold_ref, pid, "sourcing_candidate")
            new += 1
        await ledger.release(s, p.hold_ref)
        now = utcnow()
        p.status, p.completed_at, p.new_candidates = COMPLETED, now, new
        p.found_count, p.scored_count = found, scored
        run.status, run.completed_at, run.updated_at = COMPLETED, now, now
        run.found_count += found
        run.scored_count += scored
        run.candidates_sourced_count = found
        run.icp = icp
        run.message = f"Pass {pass_no} completed with {new} new candidates."
        await s.flush()
        credits = await ledger.captured_count(s, p.hold_ref)
        await emit(
            s, run.company_id, "SOURCING_COMPLETED", _event_data(run, p, credits), webhook_id=run.webhook_id
        )


async def _fail(ctx: JobContext, run_id: str, pass_no: int, code: str, message: str) -> None:
    async with ctx.fenced() as s:
        run = (await s.execute(select(SourcingRun).where(SourcingRun.id == run_id))).scalar_one()
        p = (
            await s.execute(
                select(SourcingPass).where(SourcingPass.run_id == run_id, SourcingPass.pass_no == pass_no)
            )
        ).scalar_one()
        if p.status != PROCESSING:
            return
        await ledger.release(s, p.hold_ref)
        now = utcnow()
        p.status, p.completed_at, p.error_code, p.error_message = FAILED, now, code, message
        run.status, run.completed_at, run.updated_at = FAILED, now, now
        run.error_code, run.error_message = code, message
        run.message = f"Pass {pass_no} failed."
        await s.flush()
        await emit(s, run.company_id, "SOURCING_FAILED", _event_data(run, p, 0), webhook_id=run.webhook_id)


def preview_candidate(doc: Any) -> dict[str, Any]:
    """The 9-field preview candidate of API.md §5 (search only: no score, no explanation)."""
    cur = doc.current
    place = doc.place
    location = ", ".join(x for x in (place.city, place.region, place.country_code) if x) or place.raw
    profile_url = doc.linkedin_url or next((lk.url for lk in doc.links), None)
    return {
        "profileId": doc.profile_id,
        "fullName": doc.name,
        "profileUrl": profile_url,
        "title": cur.title if cur else None,
        "headline": doc.headline,
        "location": location or None,
        "country": place.country_code,
        "companyName": cur.company if cur else None,
        "companyUrl": cur.company_url if cur else None,
    }


@task("sourcing.run_preview", max_attempts=3)
async def run_preview(ctx: JobContext, run_id: str, pass_no: int = 1) -> None:
    """Search only: the top `limit` profiles as 9-field candidates, 1 credit per page of 20."""
    structlog.contextvars.bind_contextvars(run_id=run_id)
    run, current, _, _ = await _load(ctx, run_id, pass_no)
    if current.status != PROCESSING:
        return
    try:
        res = await engine_resources()
        request = EngineRequest(
            run.title, run.job_description, run.location, run.query or "", limit=run.limit
        )
        icp = await asyncio.to_thread(derive, request, res.lexicon)
        visibility = str(run.company_id) if run.livemode else None
        outcome = await _search(ctx, run, icp, visibility, [])
        hits = outcome.hits
        docs = await _documents(ctx, outcome, visibility, limit=run.limit)
        rows = [preview_candidate(d) for d in docs]
        await _finish_preview(ctx, run_id, icp.to_json(), rows, len(hits))
    except Exception as exc:
        if ctx.attempt < ctx.max_attempts and not isinstance(exc, PermanentJobError):
            raise
        code = "INDEX_UNAVAILABLE" if isinstance(exc, IndexUnavailable) else "AGENT_ERROR"
        log.exception("sourcing.preview_failed", code=code)
        await _fail(ctx, run_id, pass_no, code, _public_message(code))


async def _finish_preview(
    ctx: JobContext, run_id: str, icp: dict[str, Any], rows: list[dict[str, Any]], found: int
) -> None:
    async with ctx.fenced() as s:
        run = (await s.execute(select(SourcingRun).where(SourcingRun.id == run_id))).scalar_one()
        p = (
            await s.execute(
                select(SourcingPass).where(SourcingPass.run_id == run_id, SourcingPass.pass_no == 1)
            )
        ).scalar_one()
        if p.status != PROCESSING:
            return
        for rank, row in enumerate(rows):
            # match_score orders previews by retrieval rank (results sort by it, descending).
            s.add(
                SourcingCandidate(
                    run_id=run_id,
                    company_id=run.company_id,
                    profile_id=row["profileId"],
                    pass_no=1,
                    match_score=len(rows) - rank,
                    data=row,
                )
            )
        pages = (len(rows) + 19) // 20
        for page in range(pages):
            await ledger.capture(s, p.hold_ref, f"page:{page + 1}", "preview_page")
        await ledger.release(s, p.hold_ref)
        now = utcnow()
        p.status, p.completed_at, p.new_candidates, p.found_count = COMPLETED, now, len(rows), found
        run.status, run.completed_at, run.updated_at = COMPLETED, now, now
        run.found_count, run.candidates_sourced_count = found, len(rows)
        run.icp = icp
        run.message = f"Preview completed with {len(rows)} candidates."
