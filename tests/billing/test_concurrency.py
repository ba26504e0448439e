"""Concurrent run creations against a balance that covers only some (RELIABILITY.md 15).

Each trial: a fresh prepaid company with credits for exactly K holds (plus a remainder
too small for one more), then N holds at once, each in its own session and
transaction. Exactly K must succeed, the rest get 402, and available never goes
negative. `TALENTSCOUT_TEST_BILLING_TRIALS` raises the trial count (the issue's
acceptance run uses 200).
"""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from talentscout.billing import capture, hold, release
from talentscout.db import Database
from talentscout.errors import AppError
from tests.billing.conftest import assert_reconciles, balances, new_company

TRIALS = int(os.environ.get("TALENTSCOUT_TEST_BILLING_TRIALS", "25"))
N, K, AMOUNT = 8, 3, 5


async def _one_hold(db: Database, company_id: uuid.UUID, ref: str) -> bool:
    try:
        async with db.write() as session:
            await hold(session, company_id, AMOUNT, ref=ref, cost_key="sourcing_candidate", livemode=True)
            # Keep the transaction open a moment so competing transactions really overlap.
            await asyncio.sleep(0)
        return True
    except AppError as err:
        assert err.status == 402 and err.code == "INSUFFICIENT_CREDITS"
        assert err.details is not None and 0 <= err.details["available"] < AMOUNT
        return False


async def _trials(db: Database) -> None:
    for trial in range(TRIALS):
        cid = await new_company(db, credits=K * AMOUNT + AMOUNT - 1, name=f"Trial {trial}")
        results = await asyncio.gather(*(_one_hold(db, cid, f"req_{cid.hex}_{i}") for i in range(N)))
        assert sum(results) == K, f"trial {trial}: {sum(results)} holds accepted, expected {K}"
        b = await balances(db, cid)
        assert b["available"] == AMOUNT - 1 and b["held"] == K * AMOUNT
    await assert_reconciles(db)


async def test_concurrent_holds_sqlite(db: Database) -> None:
    await _trials(db)


@pytest.mark.pg
async def test_concurrent_holds_postgres(pg_db: Database) -> None:
    await _trials(pg_db)


async def _race_captures(db: Database) -> None:
    """Duplicate executions capturing the same items at once charge each item once."""
    cid = await new_company(db, credits=10, name="Dupes")
    async with db.write() as session:
        await hold(session, cid, 10, ref="req_dupe", cost_key="enrich_profile", livemode=True)

    async def worker(item: str) -> bool:
        async with db.write() as session:
            return await capture(session, "req_dupe", item, "enrich_profile")

    items = [f"prof_{i % 4}" for i in range(16)]  # each of 4 items captured by 4 workers at once
    charged = await asyncio.gather(*(worker(item) for item in items))
    assert sum(charged) == 4
    async with db.write() as session:
        assert await release(session, "req_dupe") == 6
    assert await balances(db, cid) == {"available": 6, "held": 0, "consumed": 4, "external": -10}
    await assert_reconciles(db)


async def test_concurrent_duplicate_captures_sqlite(db: Database) -> None:
    await _race_captures(db)


@pytest.mark.pg
async def test_concurrent_duplicate_captures_postgres(pg_db: Database) -> None:
    await _race_captures(pg_db)
