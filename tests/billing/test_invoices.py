"""Postpaid cycles: period math, idempotent and immutable invoices, usage in the period it happened."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from talentscout.billing import capture, hold, ledger, release
from talentscout.billing.config import BillingSettings
from talentscout.billing.invoices import close_cycles, list_invoices, next_boundary, period_start, set_profile
from talentscout.billing.models import Invoice
from talentscout.db import Database
from talentscout.kit.clock import utcnow
from tests.billing.conftest import new_company

HOURLY = BillingSettings(cycle_seconds=3600, close_grace_seconds=0)


def test_monthly_periods_follow_the_anchor_day() -> None:
    ts = datetime(2026, 3, 10, 12, tzinfo=UTC)
    assert period_start(ts, anchor_day=15, cycle_seconds=None) == datetime(2026, 2, 15, tzinfo=UTC)
    assert next_boundary(ts, anchor_day=15, cycle_seconds=None) == datetime(2026, 3, 15, tzinfo=UTC)
    # anchor 31 falls on the last day of short months
    feb = datetime(2026, 2, 28, 0, 0, 1, tzinfo=UTC)
    assert period_start(feb, anchor_day=31, cycle_seconds=None) == datetime(2026, 2, 28, tzinfo=UTC)
    assert next_boundary(feb, anchor_day=31, cycle_seconds=None) == datetime(2026, 3, 31, tzinfo=UTC)
    # a boundary belongs to the period it starts; December rolls into the next year
    jan1 = datetime(2027, 1, 1, tzinfo=UTC)
    assert period_start(jan1, anchor_day=1, cycle_seconds=None) == jan1
    assert next_boundary(datetime(2026, 12, 31, tzinfo=UTC), anchor_day=1, cycle_seconds=None) == jan1


def test_fixed_length_periods_for_tests() -> None:
    ts = datetime(2026, 5, 26, 9, 30, 15, 500, tzinfo=UTC)
    assert period_start(ts, anchor_day=1, cycle_seconds=3600) == datetime(2026, 5, 26, 9, tzinfo=UTC)
    assert next_boundary(ts, anchor_day=1, cycle_seconds=3600) == datetime(2026, 5, 26, 10, tzinfo=UTC)
    on = datetime(2026, 5, 26, 10, tzinfo=UTC)
    assert next_boundary(on, anchor_day=1, cycle_seconds=3600) == on + timedelta(hours=1)


def _hour(ts: datetime) -> datetime:
    return period_start(ts, anchor_day=1, cycle_seconds=3600)


async def _capture_at(
    db: Database, ref: str, item: str, at: datetime, cost_key: str = "sourcing_candidate"
) -> None:
    async with db.write() as s:
        assert await capture(s, ref, item, cost_key, now=at)


async def _postpaid_run(db: Database, cid: uuid.UUID, ref: str, amount: int = 10) -> None:
    async with db.write() as s:
        await hold(s, cid, amount, ref=ref, cost_key="sourcing_candidate", livemode=True)


async def test_a_run_across_the_boundary_is_billed_to_both_periods(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    boundary = _hour(utcnow()) + timedelta(hours=1)
    await _postpaid_run(db, cid, "req_span")
    for i, at in enumerate([boundary - timedelta(seconds=2), boundary - timedelta(microseconds=1)]):
        await _capture_at(db, "req_span", f"a{i}", at)
    for i in range(3):
        await _capture_at(db, "req_span", f"b{i}", boundary + timedelta(seconds=i))
    async with db.write() as s:
        await hold(s, cid, 5, ref="enr_1", cost_key="enrich_profile", livemode=True)
        await capture(s, "enr_1", "p1", "enrich_profile", now=boundary + timedelta(minutes=5))
        await release(s, "enr_1")

    issued = await close_cycles(db, HOURLY, now=boundary + timedelta(hours=1))
    assert [(i["periodStart"], i["totalCredits"]) for i in issued] == [
        ((boundary - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), 2),
        (boundary.strftime("%Y-%m-%dT%H:%M:%S.000Z"), 4),
    ]
    assert issued[0]["lines"] == [{"costKey": "sourcing_candidate", "quantity": 2}]
    assert issued[1]["lines"] == [
        {"costKey": "sourcing_candidate", "quantity": 3},
        {"costKey": "enrich_profile", "quantity": 1},
    ]
    assert {i["status"] for i in issued} == {"issued"}


async def test_closing_twice_issues_one_invoice_per_period(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    start = _hour(utcnow())
    await _postpaid_run(db, cid, "req_twice")
    await _capture_at(db, "req_twice", "x", start + timedelta(minutes=1))
    now = start + timedelta(hours=1, minutes=1)
    first = await close_cycles(db, HOURLY, now=now)
    assert len(first) == 1
    assert await close_cycles(db, HOURLY, now=now) == []
    assert await close_cycles(db, HOURLY, now=now + timedelta(minutes=30)) == []
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Invoice)) == 1


async def test_concurrent_close_runs_issue_each_invoice_once(db: Database) -> None:
    await _concurrent_close(db)


@pytest.mark.pg
async def test_concurrent_close_runs_issue_each_invoice_once_postgres(pg_db: Database) -> None:
    await _concurrent_close(pg_db)


async def _concurrent_close(db: Database) -> None:
    cids = [await new_company(db, mode="postpaid", name=f"Co {i}") for i in range(3)]
    start = _hour(utcnow())
    for n, cid in enumerate(cids):
        await _postpaid_run(db, cid, f"req_cc_{n}")
        await _capture_at(db, f"req_cc_{n}", "x", start + timedelta(minutes=1))
    now = start + timedelta(hours=1)
    results = await asyncio.gather(*(close_cycles(db, HOURLY, now=now) for _ in range(4)))
    assert sum(len(r) for r in results) == 3
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Invoice)) == 3


async def test_catch_up_after_downtime_and_empty_postpaid_cycles(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    prepaid = await new_company(db, credits=5, name="Prepaid Co")
    start = _hour(utcnow())
    await _postpaid_run(db, cid, "req_cu")
    await _capture_at(db, "req_cu", "x", start + timedelta(minutes=1))
    async with db.write() as s:
        await hold(s, prepaid, 2, ref="req_pre", cost_key="sourcing_candidate", livemode=True)
        await capture(s, "req_pre", "x", "sourcing_candidate")
    issued = await close_cycles(db, HOURLY, now=start + timedelta(hours=3, minutes=5))
    assert [i["totalCredits"] for i in issued] == [1, 0, 0]
    assert {i["companyId"] for i in issued} == {str(cid)}  # prepaid usage is never invoiced


async def test_new_postpaid_company_without_usage(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    # created during the current period: nothing has elapsed yet
    assert await close_cycles(db, HOURLY, now=utcnow()) == []
    later = _hour(utcnow()) + timedelta(hours=1, minutes=1)
    issued = await close_cycles(db, HOURLY, now=later)
    assert [(i["companyId"], i["totalCredits"], i["lines"]) for i in issued] == [(str(cid), 0, [])]


async def test_usage_left_from_a_postpaid_period_is_invoiced_after_switching_to_prepaid(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    start = _hour(utcnow())
    await _postpaid_run(db, cid, "req_sw")
    await _capture_at(db, "req_sw", "x", start + timedelta(minutes=1))
    async with db.write() as s:
        await set_profile(s, cid, {"billing_mode": "prepaid"})
    issued = await close_cycles(db, HOURLY, now=start + timedelta(hours=5))
    assert [i["totalCredits"] for i in issued] == [1]  # and no empty invoices once prepaid
    assert await close_cycles(db, HOURLY, now=start + timedelta(hours=9)) == []


async def test_refund_reduces_the_period_it_happens_in(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    start = _hour(utcnow())
    await _postpaid_run(db, cid, "req_rf")
    await _capture_at(db, "req_rf", "a", start + timedelta(minutes=1))
    await _capture_at(db, "req_rf", "b", start + timedelta(minutes=2))
    async with db.write() as s:
        await ledger.refund(s, "req_rf", "b", reason="duplicate person", now=start + timedelta(minutes=3))
    issued = await close_cycles(db, HOURLY, now=start + timedelta(hours=1))
    assert issued[0]["lines"] == [{"costKey": "sourcing_candidate", "quantity": 1}]


async def test_monthly_cycle_on_the_company_anchor_day(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    async with db.write() as s:
        await set_profile(s, cid, {"anchor_day": 15})
    await _postpaid_run(db, cid, "req_m")
    await _capture_at(db, "req_m", "jan", datetime(2030, 1, 20, tzinfo=UTC))
    await _capture_at(db, "req_m", "feb1", datetime(2030, 2, 14, 23, 59, tzinfo=UTC))
    await _capture_at(db, "req_m", "feb2", datetime(2030, 2, 15, tzinfo=UTC))
    monthly = BillingSettings(cycle_anchor_day=1, close_grace_seconds=300)
    # 2 minutes after the boundary the grace period keeps Feb 15 – Mar 15 open
    issued = await close_cycles(db, monthly, now=datetime(2030, 3, 15, 0, 2, tzinfo=UTC))
    assert [(i["periodStart"], i["periodEnd"], i["totalCredits"]) for i in issued] == [
        ("2030-01-15T00:00:00.000Z", "2030-02-15T00:00:00.000Z", 2)
    ]
    issued = await close_cycles(db, monthly, now=datetime(2030, 3, 15, 0, 10, tzinfo=UTC))
    assert [(i["periodStart"], i["totalCredits"]) for i in issued] == [("2030-02-15T00:00:00.000Z", 1)]
    async with db.read() as s:
        page, cursor = await list_invoices(s, cid, limit=1, cursor=None)
        assert [i["periodStart"] for i in page] == ["2030-02-15T00:00:00.000Z"] and cursor
        page, cursor = await list_invoices(s, cid, limit=1, cursor=cursor)
        assert [i["periodStart"] for i in page] == ["2030-01-15T00:00:00.000Z"] and cursor is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE billing_invoices SET total_credits = 0",
        "DELETE FROM billing_invoices",
        "UPDATE billing_invoice_lines SET quantity = 0",
        "DELETE FROM billing_invoice_lines",
    ],
)
async def test_issued_invoices_are_immutable(db: Database, statement: str) -> None:
    cid = await new_company(db, mode="postpaid")
    start = _hour(utcnow())
    await _postpaid_run(db, cid, "req_imm")
    await _capture_at(db, "req_imm", "x", start + timedelta(minutes=1))
    assert len(await close_cycles(db, HOURLY, now=start + timedelta(hours=1))) == 1
    with pytest.raises((IntegrityError, DBAPIError)) as info:
        async with db.write() as s:
            await s.execute(text(statement))
    assert "append-only" in str(info.value)
