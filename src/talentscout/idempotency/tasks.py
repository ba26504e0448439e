"""Scheduled idempotency work: delete records past their 24 h retention."""

from __future__ import annotations

from talentscout.idempotency.service import purge_expired
from talentscout.jobs.registry import JobContext
from talentscout.jobs.scheduler import periodic


@periodic("idempotency.purge_expired", every_seconds=3600.0)
async def purge_idempotency_records(ctx: JobContext) -> None:
    await purge_expired(ctx.db)
