"""Model-based test of the ledger (RELIABILITY.md 16).

A hypothesis state machine drives top-ups, holds (live and test, prepaid and
postpaid), captures, duplicate captures, crashes (a transaction that captured or
released and then died, i.e. rolled back), releases and their replays, refunds and
billing-mode switches against a real database, and compares it with a plain Python
model after every step: available ≥ 0, every transaction balances, cached balances
match the entries, captures per run equal the items successfully delivered, and
replays change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from talentscout.billing import HoldClosed, HoldExhausted, capture, hold, ledger, release
from talentscout.billing.invoices import set_profile
from talentscout.billing.models import Hold
from talentscout.db import Database
from talentscout.errors import AppError
from talentscout.migrate import upgrade
from talentscout.tenancy import service as companies
from talentscout.tenancy.scoping import scoped

T = TypeVar("T")
EXAMPLES = int(os.environ.get("TALENTSCOUT_TEST_LEDGER_EXAMPLES", "15"))
COST_KEY = "sourcing_candidate"


class Crash(Exception):
    """The process 'dies' before commit: the transaction rolls back."""


@dataclass
class Run:
    ref: str
    amount: int
    live: bool
    mode: str
    captured: set[str] = field(default_factory=set)
    refunded: set[str] = field(default_factory=set)
    released: bool = False


@dataclass
class Model:
    mode: str = "prepaid"
    available: int = 0
    held: int = 0
    runs: dict[str, Run] = field(default_factory=dict)

    @property
    def consumed(self) -> int:
        return sum(len(r.captured) - len(r.refunded) for r in self.runs.values() if r.live)


def make_machine(loop: asyncio.AbstractEventLoop, db: Database) -> type[RuleBasedStateMachine]:
    def run(coro: Awaitable[T]) -> T:
        return loop.run_until_complete(coro)  # type: ignore[arg-type]

    class LedgerMachine(RuleBasedStateMachine):
        runs = Bundle("runs")

        def __init__(self) -> None:
            super().__init__()
            self.model = Model()
            self.company_id = run(self._new_company())

        async def _new_company(self) -> uuid.UUID:
            async with db.write() as s:
                return (await companies.create_company(s, name="Model Co")).id

        # ---------------------------------------------------------------- rules

        @rule(amount=st.integers(1, 15))
        def top_up(self, amount: int) -> None:
            async def go() -> None:
                async with db.write() as s:
                    await ledger.top_up(s, self.company_id, amount)

            run(go())
            self.model.available += amount

        @rule()
        def switch_mode(self) -> None:
            new = "postpaid" if self.model.mode == "prepaid" else "prepaid"

            async def go() -> None:
                async with db.write() as s:
                    await set_profile(s, self.company_id, {"billing_mode": new})

            run(go())
            self.model.mode = new

        @rule(target=runs, amount=st.integers(1, 6), live=st.booleans())
        def start_run(self, amount: int, live: bool) -> Any:
            ref = f"req_{uuid.uuid4().hex}"

            async def go() -> None:
                async with db.write() as s:
                    await hold(s, self.company_id, amount, ref=ref, cost_key=COST_KEY, livemode=live)

            reserve = live and self.model.mode == "prepaid"
            if reserve and self.model.available < amount:
                with pytest.raises(AppError) as info:
                    run(go())
                assert info.value.details == {"required": amount, "available": self.model.available}
                return multiple()
            run(go())
            if reserve:
                self.model.available -= amount
                self.model.held += amount
            self.model.runs[ref] = Run(ref, amount, live, self.model.mode)
            return ref

        @rule(ref=runs)
        def replay_hold(self, ref: str) -> None:
            r = self.model.runs[ref]

            async def go() -> None:
                async with db.write() as s:
                    h = await hold(s, self.company_id, r.amount, ref=ref, cost_key=COST_KEY, livemode=r.live)
                    assert h.amount == r.amount

            run(go())  # nothing changes: the invariants compare against the untouched model

        @rule(ref=runs, item=st.integers(0, 7))
        def deliver_item(self, ref: str, item: int) -> None:
            r = self.model.runs[ref]
            key = f"prof_{item}"

            async def go() -> bool:
                async with db.write() as s:
                    return await capture(s, ref, key, COST_KEY)

            if not r.live:
                assert run(go()) is False
            elif key in r.captured:
                assert run(go()) is False  # duplicate delivery / retry
            elif r.released:
                with pytest.raises(HoldClosed):
                    run(go())
            elif len(r.captured) >= r.amount:
                with pytest.raises(HoldExhausted):
                    run(go())
            else:
                assert run(go()) is True
                r.captured.add(key)
                if r.mode == "prepaid":
                    self.model.held -= 1

        @rule(ref=runs, item=st.integers(0, 7))
        def crash_after_capture(self, ref: str, item: int) -> None:
            """The item succeeded and was captured, but the process died before commit."""

            async def go() -> None:
                async with db.write() as s:
                    with contextlib.suppress(HoldClosed, HoldExhausted):
                        await capture(s, ref, f"prof_{item}", COST_KEY)
                    raise Crash

            with pytest.raises(Crash):
                run(go())

        @rule(ref=runs)
        def crash_after_release(self, ref: str) -> None:
            async def go() -> None:
                async with db.write() as s:
                    await release(s, ref)
                    raise Crash

            with pytest.raises(Crash):
                run(go())

        @rule(ref=runs)
        def release_run(self, ref: str) -> None:
            r = self.model.runs[ref]

            async def go() -> int:
                async with db.write() as s:
                    return await release(s, ref)

            released = run(go())
            expected = 0
            if not r.released and r.live and r.mode == "prepaid":
                expected = r.amount - len(r.captured)
                self.model.held -= expected
                self.model.available += expected
            assert released == expected  # a replayed release returns 0 and moves nothing
            r.released = True

        @rule(ref=runs, item=st.integers(0, 7))
        def refund_item(self, ref: str, item: int) -> None:
            r = self.model.runs[ref]
            key = f"prof_{item}"
            if key not in r.captured:
                return

            async def go() -> bool:
                async with db.write() as s:
                    return await ledger.refund(s, ref, key, reason="model")

            refunded = run(go())
            assert refunded is (key not in r.refunded)
            if refunded:
                r.refunded.add(key)
                if r.mode == "prepaid":
                    self.model.available += 1

        # ---------------------------------------------------------------- invariants

        @invariant()
        def matches_model_and_reconciles(self) -> None:
            async def go() -> tuple[dict[str, Any], dict[str, int], ledger.VerifyReport, dict[str, int]]:
                async with db.read() as s:
                    # verify() also checks each hold's counter against its capture transactions
                    holds = scoped(select(Hold.ref, Hold.captured), Hold, self.company_id)
                    counts = {ref: n for ref, n in (await s.execute(holds)).all()}
                    return (
                        await ledger.balance(s, self.company_id),
                        await ledger.derived_balances(s, self.company_id),
                        await ledger.verify(s, self.company_id),
                        counts,
                    )

            cached, derived, report, counts = run(go())
            assert report.ok, report.problems
            assert cached["available"] >= 0
            assert cached["available"] == derived.get("available", 0) == self.model.available
            assert cached["held"] == derived.get("held", 0) == self.model.held
            assert derived.get("consumed", 0) == self.model.consumed
            assert sum(derived.values()) == 0  # the whole company ledger balances
            for ref, r in self.model.runs.items():
                assert counts[ref] == (len(r.captured) if r.live else 0)

    return LedgerMachine


def test_ledger_state_machine(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/model.db"
    upgrade(url)
    loop = asyncio.new_event_loop()
    db = Database(url)
    try:
        run_state_machine_as_test(
            make_machine(loop, db),
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.run_until_complete(db.dispose())
        loop.close()
