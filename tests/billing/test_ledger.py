"""Ledger service: holds, 402 pre-flight, exactly-once capture, idempotent release, modes, verify."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from talentscout.billing import (
    HoldClosed,
    HoldExhausted,
    HoldNotFound,
    capture,
    captured_count,
    hold,
    ledger,
    release,
)
from talentscout.billing.models import BillingAccount, Hold, LedgerEntry, LedgerTransaction
from talentscout.db import Database
from talentscout.errors import AppError
from tests.billing.conftest import assert_reconciles, balances, new_company

SC = "sourcing_candidate"


async def test_hold_capture_release_moves_credits(db: Database) -> None:
    cid = await new_company(db, credits=30)
    async with db.write() as s:
        h = await hold(s, cid, 20, ref="req_1", cost_key=SC, livemode=True)
        assert (h.amount, h.status, h.billing_mode) == (20, "open", "prepaid")
    assert await balances(db, cid) == {"available": 10, "held": 20, "consumed": 0, "external": -30}
    async with db.write() as s:
        for item in ("p1", "p2", "p3"):
            assert await capture(s, "req_1", item, SC) is True
    assert await balances(db, cid) == {"available": 10, "held": 17, "consumed": 3, "external": -30}
    async with db.write() as s:
        assert await release(s, "req_1") == 17
        assert await captured_count(s, "req_1") == 3
    assert await balances(db, cid) == {"available": 27, "held": 0, "consumed": 3, "external": -30}
    await assert_reconciles(db)


async def test_insufficient_credits_402_details_and_nothing_created(db: Database) -> None:
    cid = await new_company(db, credits=3)
    with pytest.raises(AppError) as info:
        async with db.write() as s:
            await hold(s, cid, 20, ref="req_poor", cost_key=SC, livemode=True)
    err = info.value
    assert (err.code, err.status, err.details) == (
        "INSUFFICIENT_CREDITS",
        402,
        {"required": 20, "available": 3},
    )
    assert err.message == "Prepaid balance 3 is below the 20 credits this run may use."
    async with db.read() as s:
        assert (await s.execute(select(Hold).where(Hold.ref == "req_poor"))).first() is None
    assert await balances(db, cid) == {"available": 3, "held": 0, "consumed": 0, "external": -3}


async def test_company_without_any_credits_gets_402_with_zero_available(db: Database) -> None:
    cid = await new_company(db)
    with pytest.raises(AppError) as info:
        async with db.write() as s:
            await hold(s, cid, 1, ref="req_zero", cost_key="preview_page", livemode=True)
    assert info.value.details == {"required": 1, "available": 0}


async def test_exact_balance_is_enough(db: Database) -> None:
    cid = await new_company(db, credits=5)
    async with db.write() as s:
        await hold(s, cid, 5, ref="req_exact", cost_key=SC, livemode=True)
    assert (await balances(db, cid))["available"] == 0


async def test_capture_replay_never_charges_twice(db: Database) -> None:
    cid = await new_company(db, credits=10)
    async with db.write() as s:
        await hold(s, cid, 5, ref="req_r", cost_key=SC, livemode=True)
    for _ in range(3):  # retries and duplicate job executions, each in its own transaction
        async with db.write() as s:
            await capture(s, "req_r", "prof_a", SC)
    async with db.write() as s:
        assert await capture(s, "req_r", "prof_a", SC) is False
        assert await capture(s, "req_r", "prof_b", SC) is True
    b = await balances(db, cid)
    assert (b["consumed"], b["held"], b["available"]) == (2, 3, 5)
    async with db.read() as s:
        n = await s.scalar(
            select(func.count()).select_from(LedgerTransaction).where(LedgerTransaction.kind == "capture")
        )
    assert n == 2
    await assert_reconciles(db)


async def test_rolled_back_capture_leaves_no_trace_and_retry_charges_once(db: Database) -> None:
    cid = await new_company(db, credits=10)
    async with db.write() as s:
        await hold(s, cid, 5, ref="req_crash", cost_key=SC, livemode=True)
    with pytest.raises(RuntimeError):
        async with db.write() as s:
            assert await capture(s, "req_crash", "prof_a", SC) is True
            raise RuntimeError("worker died before commit")
    assert (await balances(db, cid))["consumed"] == 0
    async with db.write() as s:
        assert await capture(s, "req_crash", "prof_a", SC) is True
    assert (await balances(db, cid))["consumed"] == 1


async def test_release_is_idempotent_and_blocks_new_captures(db: Database) -> None:
    cid = await new_company(db, credits=10)
    async with db.write() as s:
        await hold(s, cid, 4, ref="req_rel", cost_key=SC, livemode=True)
        await capture(s, "req_rel", "p1", SC)
    async with db.write() as s:
        assert await release(s, "req_rel") == 3
    async with db.write() as s:
        assert await release(s, "req_rel") == 0
        # a replayed capture of an already-charged item stays a quiet no-op after release
        assert await capture(s, "req_rel", "p1", SC) is False
    with pytest.raises(HoldClosed):
        async with db.write() as s:
            await capture(s, "req_rel", "p2", SC)
    assert await balances(db, cid) == {"available": 9, "held": 0, "consumed": 1, "external": -10}
    await assert_reconciles(db)


async def test_capture_beyond_the_hold_is_refused(db: Database) -> None:
    cid = await new_company(db, credits=10)
    async with db.write() as s:
        await hold(s, cid, 2, ref="req_x", cost_key=SC, livemode=True)
        await capture(s, "req_x", "a", SC)
        await capture(s, "req_x", "b", SC)
    with pytest.raises(HoldExhausted):
        async with db.write() as s:
            await capture(s, "req_x", "c", SC)
    assert (await balances(db, cid))["consumed"] == 2


async def test_unknown_hold_and_bad_arguments_are_bugs(db: Database) -> None:
    cid = await new_company(db, credits=10)
    async with db.write() as s:
        with pytest.raises(HoldNotFound):
            await capture(s, "req_nope", "a", SC)
        with pytest.raises(HoldNotFound):
            await release(s, "req_nope")
        with pytest.raises(ledger.BillingError):
            await hold(s, cid, 1, ref="r", cost_key="free_lunch", livemode=True)
        with pytest.raises(ledger.BillingError):
            await hold(s, cid, 0, ref="r", cost_key=SC, livemode=True)


async def test_hold_replay_with_same_ref_changes_nothing(db: Database) -> None:
    cid = await new_company(db, credits=10)
    async with db.write() as s:
        first = await hold(s, cid, 6, ref="req_same", cost_key=SC, livemode=True)
    async with db.write() as s:
        # even a request that could no longer afford it returns the existing hold, not a 402
        again = await hold(s, cid, 6, ref="req_same", cost_key=SC, livemode=True)
    assert again.id == first.id
    assert await balances(db, cid) == {"available": 4, "held": 6, "consumed": 0, "external": -10}


async def test_test_mode_never_touches_the_ledger(db: Database) -> None:
    cid = await new_company(db)  # no credits at all: test keys get no 402
    async with db.write() as s:
        h = await hold(s, cid, 50, ref="req_test", cost_key=SC, livemode=False)
        assert h.livemode is False
        assert await capture(s, "req_test", "p1", SC) is False
        assert await release(s, "req_test") == 0
        assert await captured_count(s, "req_test") == 0
    async with db.read() as s:
        assert (await s.execute(select(LedgerTransaction))).first() is None
        assert (await s.execute(select(BillingAccount))).first() is None


async def test_postpaid_has_no_preflight_and_records_usage(db: Database) -> None:
    cid = await new_company(db, mode="postpaid")
    async with db.write() as s:
        h = await hold(s, cid, 100, ref="req_post", cost_key="enrich_profile", livemode=True)
        assert h.billing_mode == "postpaid"
        await capture(s, "req_post", "p1", "enrich_profile")
        await capture(s, "req_post", "p2", "enrich_profile")
        assert await release(s, "req_post") == 0
    assert await balances(db, cid) == {"available": 0, "held": 0, "consumed": 2, "external": -2}
    async with db.read() as s:
        assert (await ledger.balance(s, cid))["billingMode"] == "postpaid"
    await assert_reconciles(db)


async def test_open_hold_keeps_its_mode_after_a_switch(db: Database) -> None:
    cid = await new_company(db, credits=5)
    async with db.write() as s:
        await hold(s, cid, 5, ref="req_sw", cost_key=SC, livemode=True)
    async with db.write() as s:
        from talentscout.billing.invoices import set_profile

        await set_profile(s, cid, {"billing_mode": "postpaid"})
        await capture(s, "req_sw", "p1", SC)
        await release(s, "req_sw")
    assert await balances(db, cid) == {"available": 4, "held": 0, "consumed": 1, "external": -5}
    await assert_reconciles(db)


async def test_top_up_idempotency_key_and_adjustments(db: Database) -> None:
    cid = await new_company(db)
    async with db.write() as s:
        await ledger.top_up(s, cid, 10, idempotency_key="k1")
        out = await ledger.top_up(s, cid, 10, idempotency_key="k1")
    assert out == {"billingMode": "prepaid", "balance": 10, "held": 0, "available": 10}
    async with db.write() as s:
        assert (await ledger.adjust(s, cid, -4, reason="goodwill reversal"))["available"] == 6
    with pytest.raises(AppError) as info:
        async with db.write() as s:
            await ledger.adjust(s, cid, -7, reason="too much")
    assert info.value.code == "VALIDATION_ERROR"
    with pytest.raises(AppError):
        async with db.write() as s:
            await ledger.top_up(s, cid, 0)
    await assert_reconciles(db)


async def test_refund_returns_the_credit_once(db: Database) -> None:
    cid = await new_company(db, credits=5)
    async with db.write() as s:
        await hold(s, cid, 2, ref="req_ref", cost_key=SC, livemode=True)
        await capture(s, "req_ref", "p1", SC)
        await release(s, "req_ref")
    async with db.write() as s:
        assert await ledger.refund(s, "req_ref", "p1", reason="bad profile") is True
        assert await ledger.refund(s, "req_ref", "p1", reason="bad profile") is False
        with pytest.raises(AppError):
            await ledger.refund(s, "req_ref", "never-captured", reason="x")
    assert await balances(db, cid) == {"available": 5, "held": 0, "consumed": 0, "external": -5}
    await assert_reconciles(db)


async def test_every_transaction_balances(db: Database) -> None:
    cid = await new_company(db, credits=9)
    async with db.write() as s:
        await hold(s, cid, 3, ref="req_b", cost_key=SC, livemode=True)
        await capture(s, "req_b", "p", SC)
        await release(s, "req_b")
    async with db.read() as s:
        rows = (await s.execute(select(LedgerEntry.transaction_id, LedgerEntry.amount))).all()
    per_txn: dict[object, int] = {}
    for txn, amount in rows:
        per_txn[txn] = per_txn.get(txn, 0) + amount
    assert len(per_txn) == 4 and set(per_txn.values()) == {0}


async def test_verify_detects_a_tampered_cached_balance(db: Database) -> None:
    cid = await new_company(db, credits=10)
    await assert_reconciles(db)
    async with db.write() as s:
        await s.execute(
            update(BillingAccount)
            .where(BillingAccount.company_id == cid, BillingAccount.kind == "available")
            .values(balance=BillingAccount.balance + 5)
        )
    async with db.read() as s:
        report = await ledger.verify(s)
    assert not report.ok
    assert any("account available: cached 15 != entries 10" in p for p in report.problems)


async def test_verify_detects_a_hold_counter_out_of_step(db: Database) -> None:
    cid = await new_company(db, credits=10)
    async with db.write() as s:
        await hold(s, cid, 3, ref="req_t", cost_key=SC, livemode=True)
        await s.execute(update(Hold).where(Hold.ref == "req_t").values(captured=1))
    async with db.read() as s:
        problems = (await ledger.verify(s)).problems
    assert any("hold req_t: counter 1 != 0 capture transactions" in p for p in problems)
    assert any("held 3 != open holds 2" in p for p in problems)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE billing_entries SET amount = amount + 1",
        "DELETE FROM billing_entries",
        "UPDATE billing_transactions SET amount = 0",
        "DELETE FROM billing_transactions",
    ],
)
async def test_ledger_rows_are_append_only(db: Database, statement: str) -> None:
    await new_company(db, credits=10)
    with pytest.raises((IntegrityError, DBAPIError)) as info:
        async with db.write() as s:
            await s.execute(text(statement))
    assert "append-only" in str(info.value)


@pytest.mark.pg
async def test_postgres_flow_append_only_and_verify(pg_db: Database) -> None:
    cid = await new_company(pg_db, credits=10)
    post = await new_company(pg_db, mode="postpaid", name="Post Co")
    async with pg_db.write() as s:
        await hold(s, cid, 4, ref="req_pg", cost_key=SC, livemode=True)
        assert await capture(s, "req_pg", "p1", SC) is True
        assert await capture(s, "req_pg", "p1", SC) is False
        await hold(s, post, 3, ref="req_pg_post", cost_key=SC, livemode=True)
        assert await capture(s, "req_pg_post", "p1", SC) is True
    async with pg_db.write() as s:
        assert await release(s, "req_pg") == 3
        assert await ledger.refund(s, "req_pg", "p1", reason="pg") is True
    assert await balances(pg_db, cid) == {"available": 10, "held": 0, "consumed": 0, "external": -10}
    assert await balances(pg_db, post) == {"available": 0, "held": 0, "consumed": 1, "external": -1}
    await assert_reconciles(pg_db)
    for statement in ("UPDATE billing_entries SET amount = 0", "DELETE FROM billing_transactions"):
        with pytest.raises(DBAPIError) as info:
            async with pg_db.write() as s:
                await s.execute(text(statement))
        assert "append-only" in str(info.value)
    async with pg_db.write() as s:
        await s.execute(text("UPDATE billing_accounts SET balance = balance - 1 WHERE kind = 'consumed'"))
    async with pg_db.read() as s:
        assert not (await ledger.verify(s)).ok
