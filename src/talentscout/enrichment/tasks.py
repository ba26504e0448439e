"""Enrichment jobs: the run itself, greylist re-checks, pattern learning and the reconciler hook.

`enrichment.run` loads what the batch needs from the database (profiles with
visibility, suppressions, company→domain map, pattern models, earlier sourcing
scores), runs the isolated batch with no database work inside the per-profile
clocks, then commits each item (result + capture + pattern feedback + greylist
re-check job) in its own fenced transaction keyed by (run, profile), and finally
closes the run (counts, release, webhook) in one more. A re-executed job skips
items already done, so nothing is billed or emitted twice. On its last attempt a
failing job still closes the run: `failed` (AGENT_ERROR) if nothing was
processed, otherwise `completed` with the unprocessed items as ENRICHMENT_ERROR.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import select

from talentscout.engine.profile import ProfileDoc
from talentscout.enrichment import learn, service, suppression
from talentscout.enrichment.assemble import rescore
from talentscout.enrichment.domains import company_key, resolve_mail_domains
from talentscout.enrichment.models import PENDING, PROCESSING, EnrichmentItem, EnrichmentRun
from talentscout.enrichment.pipeline import BatchContext, ProfileOutcome, enrich_batch
from talentscout.enrichment.verify import VerificationHub, intel_for
from talentscout.index.store import get_profiles
from talentscout.jobs import FencingError, JobContext, periodic, reconciler, task
from talentscout.kit.clock import utcnow
from talentscout.sourcing.models import SourcingCandidate
from talentscout.tenancy.scoping import scoped

log = structlog.get_logger("talentscout.enrichment")
RECHECK_TASK = "enrichment.recheck"
NOT_FOUND = "No profile with this id is visible to your company."
SUPPRESSED = "This profile is on the suppression list; it was not processed."


@task(service.RUN_TASK, max_attempts=3)
async def run_enrichment(ctx: JobContext, *, run_id: str) -> None:
    async with ctx.db.read() as session:
        run = await session.get(EnrichmentRun, run_id)
        if run is None or run.status != PROCESSING:
            return
        items = await service.items_of(session, run)
    pending = [i.profile_id for i in items if i.status == PENDING]
    try:
        if pending:
            outcomes = await _process(ctx, run, pending)
            for outcome in outcomes:
                await _commit_item(ctx, run, outcome)
        async with ctx.fenced() as session:
            current = await session.get(EnrichmentRun, run_id, populate_existing=True)
            if current is not None:
                await service.finish_run(session, current)
    except FencingError:
        raise
    except Exception as exc:
        if ctx.attempt < ctx.max_attempts:
            raise
        log.error("enrichment.run_failed", run_id=run_id, error=type(exc).__name__)
        async with ctx.fenced() as session:
            current = await session.get(EnrichmentRun, run_id, populate_existing=True)
            if current is not None:
                await service.abort_run(session, current, "AGENT_ERROR", "Enrichment failed unexpectedly.")


async def _process(ctx: JobContext, run: EnrichmentRun, profile_ids: list[str]) -> list[ProfileOutcome]:
    settings = ctx.settings
    docs = await get_profiles(ctx.db, profile_ids, str(run.company_id))
    found = {d.profile_id: d for d in docs}
    outcomes: dict[str, ProfileOutcome] = {
        pid: ProfileOutcome(pid, False, error_code="PROFILE_NOT_FOUND", error_message=NOT_FOUND)
        for pid in profile_ids
        if pid not in found
    }
    extra = tuple(settings.enrichment_extra_suffixes)
    async with ctx.db.read() as session:
        known = [e.address for d in docs for e in d.emails]
        blocked = await suppression.load(session, found, known)
        todo: list[ProfileDoc] = []
        for doc in docs:
            if blocked.profile_blocked(doc.profile_id, (e.address for e in doc.emails)):
                outcomes[doc.profile_id] = ProfileOutcome(
                    doc.profile_id,
                    False,
                    error_code="ENRICHMENT_ERROR",
                    error_message=SUPPRESSED,
                    reason="suppressed",
                )
            else:
                todo.append(doc)
        keys = [k for d in todo for k in (company_key(p.company) for p in d.positions[:3]) if k]
        company_map = await learn.load_company_map(session, keys)
        domains = {d.profile_id: resolve_mail_domains(d, company_map, extra_suffixes=extra) for d in todo}
        models = await learn.load_models(session, {m.domain for ds in domains.values() for m in ds}, settings)
        previous = await _previous_scores(session, run.company_id, [d.profile_id for d in todo])

    async def blocked_addresses(addresses: list[str]) -> set[str]:
        async with ctx.db.read() as s:
            return await suppression.blocked_addresses(s, addresses)

    batch = BatchContext(
        settings=settings,
        network=run.livemode,
        domains=domains,
        models=models,
        suppressions=blocked,
        previous=previous,
        blocked=blocked_addresses,
    )
    for outcome in await enrich_batch(todo, batch):
        outcomes[outcome.profile_id] = outcome
    return [outcomes[pid] for pid in profile_ids]


async def _previous_scores(
    session: Any, company_id: uuid.UUID, profile_ids: list[str]
) -> dict[str, dict[str, Any]]:
    """The company's latest sourcing candidate per profile (its score and explanations are reused)."""
    if not profile_ids:
        return {}
    stmt = (
        scoped(select(SourcingCandidate), SourcingCandidate, company_id)
        .where(SourcingCandidate.profile_id.in_(profile_ids))
        .order_by(SourcingCandidate.created_at)
    )
    return {row.profile_id: dict(row.data) for row in (await session.execute(stmt)).scalars()}


async def _commit_item(ctx: JobContext, run: EnrichmentRun, outcome: ProfileOutcome) -> None:
    async with ctx.fenced() as session:
        written = await service.finish_item(session, run, outcome)
        if not written or not outcome.success:
            return
        for fb in outcome.feedback:
            await learn.record_feedback(
                session, fb.domain, fb.pattern, positive=fb.positive, negative=fb.negative
            )
        if run.livemode and ctx.settings.smtp_verify:
            run_at = utcnow() + timedelta(seconds=ctx.settings.enrichment_greylist_recheck_seconds)
            for domain, emails in outcome.greylisted.items():
                await ctx.queue.enqueue(
                    session,
                    RECHECK_TASK,
                    {"run_id": run.id, "profile_id": outcome.profile_id, "domain": domain, "emails": emails},
                    dedupe_key=f"recheck:{run.id}:{outcome.profile_id}:{domain}",
                    run_at=run_at,
                )


@task(RECHECK_TASK, max_attempts=2)
async def recheck_greylisted(
    ctx: JobContext, *, run_id: str, profile_id: str, domain: str, emails: list[str]
) -> None:
    """Ask the greylisting server again and re-score those addresses in the stored result."""
    settings = ctx.settings
    intel_for(settings).forget(emails)
    hub = VerificationHub(settings, network=True, coalesce_seconds=0.0)
    loop = asyncio.get_running_loop()
    try:
        verdicts = await hub.verify(
            profile_id, domain, emails, loop.time() + settings.enrichment_profile_timeout_seconds
        )
    finally:
        await hub.aclose()
    async with ctx.fenced() as session:
        item = (
            await session.execute(
                select(EnrichmentItem).where(
                    EnrichmentItem.run_id == run_id, EnrichmentItem.profile_id == profile_id
                )
            )
        ).scalar_one_or_none()
        if item is None or not item.candidate or not item.evidence:
            return
        item.candidate = rescore(item.candidate, item.evidence, verdicts, utcnow())
        await session.flush()


@periodic("enrichment.learn_patterns", every_seconds=lambda s: s.enrichment_learn_interval_seconds)
async def learn_patterns(ctx: JobContext) -> None:
    """Rebuild the index-derived pattern evidence and company→domain map."""
    async with ctx.fenced() as session:
        stats = await learn.rebuild_from_index(session, ctx.settings)
    log.info("enrichment.patterns_learned", **stats)


@reconciler("enrichment.requeue_runs")
async def requeue_stuck_runs(ctx: JobContext) -> int:
    """Re-enqueue runs still `processing` a while after creation (their job may be lost)."""
    cutoff = utcnow() - timedelta(
        seconds=ctx.settings.job_lease_seconds * 2 + ctx.settings.enrichment_profile_timeout_seconds
    )
    async with ctx.db.write() as session:
        rows = list(
            (
                await session.execute(
                    select(EnrichmentRun.id).where(
                        EnrichmentRun.status == PROCESSING, EnrichmentRun.created_at < cutoff
                    )
                )
            ).scalars()
        )
        for run_id in rows:
            await ctx.queue.enqueue(
                session, service.RUN_TASK, {"run_id": run_id}, dedupe_key=f"enrich:{run_id}"
            )
    return len(rows)
