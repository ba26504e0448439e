"""Scheduled billing work: close postpaid billing cycles into invoices.

Closing is idempotent per (company, period), so firing more often than a cycle is long
only makes invoices appear sooner after the boundary; every few minutes is plenty.
"""

from __future__ import annotations

import structlog

from talentscout.billing.config import get_billing_settings
from talentscout.billing.invoices import close_cycles
from talentscout.jobs.registry import JobContext
from talentscout.jobs.scheduler import periodic

log = structlog.get_logger("talentscout.billing")


def _interval(_settings: object) -> float:
    cycle = get_billing_settings().cycle_seconds
    # Short test cycles close promptly; monthly cycles are checked every five minutes.
    return 300.0 if cycle is None else max(1.0, min(300.0, cycle / 4))


@periodic("billing.close_cycles", every_seconds=_interval)
async def close_billing_cycles(ctx: JobContext) -> None:
    issued = await close_cycles(ctx.db)
    if issued:
        log.info("billing.invoices_issued", count=len(issued))
