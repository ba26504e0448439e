"""The credit ledger and the service API other features call inside their own transaction.

Accounts per company (integer credits, signed entries, every transaction sums to zero):

    external  — the outside world: top-ups and adjustments come from it, postpaid usage is owed to it
    available — credits the company can spend
    held      — credits reserved by open holds
    consumed  — credits captured for delivered items

    top-up      external −n → available +n
    hold        available −n → held +n          (prepaid, live only)
    capture     held −1 → consumed +1           (prepaid) | external −1 → consumed +1 (postpaid)
    release     held −rest → available +rest    (prepaid)
    adjustment  external ∓n → available ±n
    refund      consumed −1 → available +1      (prepaid) | external +1 (postpaid)

Each transaction carries a unique idempotency key (`capture:<ref>:<item>` …) and is
inserted with ON CONFLICT DO NOTHING, so a replay writes nothing. Nothing here
commits: the caller's transaction decides, so a run and its hold (or an item's
result and its capture) become visible together or not at all.

Concurrency: on SQLite every write transaction already holds the database write lock
(`BEGIN IMMEDIATE`). On PostgreSQL the prepaid check locks the company's `available`
account row (`SELECT … FOR UPDATE`) and capture/release lock the hold row; cached
balances are then updated in one fixed account order, so two transactions never wait
on each other in opposite orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, and_, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.billing.models import BillingAccount, Hold, LedgerEntry, LedgerTransaction
from talentscout.errors import AppError, resource_not_found, validation_error
from talentscout.kit.clock import utcnow
from talentscout.tenancy.models import Company
from talentscout.tenancy.scoping import scoped

COST_KEYS = ("sourcing_candidate", "enrich_profile", "preview_page")
AVAILABLE, HELD, CONSUMED, EXTERNAL = "available", "held", "consumed", "external"
# Lock order for cached balance updates (see module docstring).
ACCOUNT_ORDER = (AVAILABLE, HELD, CONSUMED, EXTERNAL)
PREPAID, POSTPAID = "prepaid", "postpaid"
OPEN, RELEASED = "open", "released"
MAX_REF = 128
MAX_ITEM_KEY = 200
MAX_AMOUNT = 1_000_000_000


class BillingError(Exception):
    """A caller used the billing API wrongly (a bug, or a zombie worker); never a client error."""


class HoldNotFound(BillingError, LookupError):
    """No hold with that ref (the caller never took one, or its transaction rolled back)."""


class HoldClosed(BillingError):
    """Capture of a new item after the hold was released."""


class HoldExhausted(BillingError):
    """More captures than the hold reserved."""


# --------------------------------------------------------------------------- posting


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def insert_ignore(
    session: AsyncSession, model: Any, values: dict[str, Any], conflict: list[str], returning: Any
) -> Any | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING `returning`; None when the row already existed.

    On PostgreSQL a concurrent insert of the same key waits for the other transaction
    and then does nothing, so a race never aborts the caller's transaction.
    """
    if _dialect(session) == "postgresql":
        pg_stmt = postgresql.insert(model).values(values).on_conflict_do_nothing(index_elements=conflict)
        result = await session.execute(pg_stmt.returning(returning))
    else:
        lite_stmt = sqlite.insert(model).values(values).on_conflict_do_nothing(index_elements=conflict)
        result = await session.execute(lite_stmt.returning(returning))
    return result.scalar_one_or_none()


async def _ensure_accounts(session: AsyncSession, company_id: uuid.UUID) -> None:
    now = utcnow()
    for kind in ACCOUNT_ORDER:
        await insert_ignore(
            session,
            BillingAccount,
            {"company_id": company_id, "kind": kind, "balance": 0, "updated_at": now},
            ["company_id", "kind"],
            BillingAccount.kind,
        )


async def _apply(session: AsyncSession, company_id: uuid.UUID, legs: list[tuple[str, int]]) -> None:
    """Add each leg to its account's cached balance, creating the accounts on first use."""
    if _dialect(session) == "sqlite":
        # SQLite has no row locks (the transaction holds the database write lock), so all
        # legs go in one statement: fewer round trips through the driver thread.
        deltas = dict(legs)
        stmt = (
            update(BillingAccount)
            .where(BillingAccount.company_id == company_id, BillingAccount.kind.in_(list(deltas)))
            .values(
                balance=BillingAccount.balance + case(deltas, value=BillingAccount.kind), updated_at=utcnow()
            )
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await session.execute(stmt))
        if result.rowcount != len(deltas):
            if result.rowcount:
                raise BillingError(f"company {company_id} has only some ledger accounts")
            await _ensure_accounts(session, company_id)
            await session.execute(stmt)
        return
    # PostgreSQL: one row per statement, in ACCOUNT_ORDER, so lock acquisition order is fixed.
    for account, delta in legs:
        one = (
            update(BillingAccount)
            .where(BillingAccount.company_id == company_id, BillingAccount.kind == account)
            .values(balance=BillingAccount.balance + delta, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        result = cast(CursorResult[Any], await session.execute(one))
        if result.rowcount == 0:
            await _ensure_accounts(session, company_id)
            await session.execute(one)


async def _post(
    session: AsyncSession,
    *,
    company_id: uuid.UUID,
    kind: str,
    idem_key: str,
    legs: Mapping[str, int],
    now: datetime,
    billing_mode: str | None = None,
    cost_key: str | None = None,
    hold_id: uuid.UUID | None = None,
    item_key: str | None = None,
    reason: str | None = None,
) -> uuid.UUID | None:
    """Write one balanced transaction; None (and nothing written) if `idem_key` exists."""
    if sum(legs.values()) != 0 or any(account not in ACCOUNT_ORDER for account in legs):
        raise BillingError(f"unbalanced or unknown legs for {kind}: {dict(legs)}")
    amount = sum(v for v in legs.values() if v > 0)
    txn_id = await insert_ignore(
        session,
        LedgerTransaction,
        {
            "id": uuid.uuid4(),
            "company_id": company_id,
            "kind": kind,
            "idem_key": idem_key,
            "amount": amount,
            "billing_mode": billing_mode,
            "cost_key": cost_key,
            "hold_id": hold_id,
            "item_key": item_key,
            "reason": reason,
            "created_at": now,
        },
        ["idem_key"],
        LedgerTransaction.id,
    )
    if txn_id is None:
        return None
    ordered = sorted(
        (item for item in legs.items() if item[1] != 0), key=lambda kv: ACCOUNT_ORDER.index(kv[0])
    )
    await _apply(session, company_id, ordered)
    await session.execute(
        insert(LedgerEntry),
        [
            {"transaction_id": txn_id, "company_id": company_id, "account": a, "amount": d, "created_at": now}
            for a, d in ordered
        ],
    )
    return cast(uuid.UUID, txn_id)


async def _exists(session: AsyncSession, idem_key: str) -> bool:
    stmt = select(LedgerTransaction.id).where(LedgerTransaction.idem_key == idem_key)
    return (await session.execute(stmt)).first() is not None


async def _company(session: AsyncSession, company_id: uuid.UUID) -> Company:
    company = await session.get(Company, company_id)
    if company is None:
        raise resource_not_found("company")
    return company


async def _locked_available(session: AsyncSession, company_id: uuid.UUID) -> int:
    """The cached `available` balance with its row locked until the caller's transaction ends."""
    stmt = (
        scoped(select(BillingAccount.balance), BillingAccount, company_id)
        .where(BillingAccount.kind == AVAILABLE)
        .with_for_update()
    )
    value = (await session.execute(stmt)).scalar_one_or_none()
    return int(value or 0)


async def _locked_hold(session: AsyncSession, hold_ref: str) -> Hold:
    stmt = (
        select(Hold).where(Hold.ref == hold_ref).with_for_update().execution_options(populate_existing=True)
    )
    hold = (await session.execute(stmt)).scalar_one_or_none()
    if hold is None:
        raise HoldNotFound(f"no hold with ref {hold_ref!r}")
    return hold


def _check_cost_key(cost_key: str) -> None:
    if cost_key not in COST_KEYS:
        raise BillingError(f"unknown cost key {cost_key!r}; expected one of {COST_KEYS}")


# --------------------------------------------------------------------------- service API


async def hold(
    session: AsyncSession,
    company_id: uuid.UUID,
    amount: int,
    *,
    ref: str,
    cost_key: str,
    livemode: bool,
    now: datetime | None = None,
) -> Hold:
    """Reserve `amount` credits for run `ref`, atomically with the caller's run creation.

    Prepaid (live): raises `402 INSUFFICIENT_CREDITS` with `{required, available}` when
    available < amount; the check and the reservation happen under one lock. Postpaid:
    no check, nothing reserved (usage is recorded at capture). Test keys
    (`livemode=False`): a hold row only, the ledger is never touched. A repeated call
    with the same `ref` returns the existing hold and changes nothing.
    """
    _check_cost_key(cost_key)
    if not 1 <= amount <= MAX_AMOUNT:
        raise BillingError(f"hold amount must be 1..{MAX_AMOUNT}, got {amount}")
    if not 1 <= len(ref) <= MAX_REF:
        raise BillingError(f"hold ref must be 1..{MAX_REF} characters")
    now = now or utcnow()
    company = await _company(session, company_id)
    mode = company.billing_mode
    reserve = livemode and mode == PREPAID
    # Lock first, then look for a replay: a concurrent duplicate has committed by the time we hold the lock.
    available = await _locked_available(session, company_id) if reserve else 0
    existing = (await session.execute(select(Hold).where(Hold.ref == ref))).scalar_one_or_none()
    if existing is not None:
        return existing
    if reserve and available < amount:
        raise AppError(
            "INSUFFICIENT_CREDITS",
            402,
            f"Prepaid balance {available} is below the {amount} credits this run may use.",
            {"required": amount, "available": available},
        )
    hold_id = await insert_ignore(
        session,
        Hold,
        {
            "id": uuid.uuid4(),
            "company_id": company_id,
            "ref": ref,
            "cost_key": cost_key,
            "amount": amount,
            "captured": 0,
            "released": 0,
            "status": OPEN,
            "billing_mode": mode,
            "livemode": livemode,
            "created_at": now,
        },
        ["ref"],
        Hold.id,
    )
    if hold_id is not None and reserve:
        await _post(
            session,
            company_id=company_id,
            kind="hold",
            idem_key=f"hold:{ref}",
            legs={AVAILABLE: -amount, HELD: amount},
            now=now,
            billing_mode=mode,
            cost_key=cost_key,
            hold_id=hold_id,
        )
    # A concurrent duplicate (same ref) that won the insert is returned as a replay.
    return (await session.execute(select(Hold).where(Hold.ref == ref))).scalar_one()


async def capture(
    session: AsyncSession,
    hold_ref: str,
    item_key: str,
    cost_key: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Charge 1 credit for one delivered item of the run; True if charged now.

    Exactly once per (hold_ref, item_key): a replay (retry, duplicate job execution,
    restart after a crash) returns False and writes nothing. Test-mode holds never
    charge. Raises `HoldClosed` for a new item after release and `HoldExhausted`
    beyond the reserved amount: both mean the caller's transaction must not commit.
    """
    _check_cost_key(cost_key)
    if not 1 <= len(item_key) <= MAX_ITEM_KEY:
        raise BillingError(f"item key must be 1..{MAX_ITEM_KEY} characters")
    idem_key = f"capture:{hold_ref}:{item_key}"
    # Fast path, one statement: count the capture on the hold if it is live, open and not
    # exhausted. On PostgreSQL the UPDATE locks the hold row, so captures of one run
    # serialize and the conditions are re-checked against the committed row.
    bump = (
        update(Hold)
        .where(
            Hold.ref == hold_ref, Hold.status == OPEN, Hold.livemode.is_(True), Hold.captured < Hold.amount
        )
        .values(captured=Hold.captured + 1)
        .returning(Hold.id, Hold.company_id, Hold.billing_mode)
        .execution_options(synchronize_session=False)
    )
    row = (await session.execute(bump)).one_or_none()
    if row is None:
        return await _capture_refused(session, hold_ref, item_key, idem_key)
    hold_id, company_id, mode = row
    source = HELD if mode == PREPAID else EXTERNAL
    txn = await _post(
        session,
        company_id=company_id,
        kind="capture",
        idem_key=idem_key,
        legs={source: -1, CONSUMED: 1},
        now=now or utcnow(),
        billing_mode=mode,
        cost_key=cost_key,
        hold_id=hold_id,
        item_key=item_key,
    )
    if txn is None:  # a replay while the hold is open: undo the counter bump
        await session.execute(
            update(Hold)
            .where(Hold.id == hold_id)
            .values(captured=Hold.captured - 1)
            .execution_options(synchronize_session=False)
        )
        return False
    return True


async def _capture_refused(session: AsyncSession, hold_ref: str, item_key: str, idem_key: str) -> bool:
    """Why the fast path did not apply: test hold or replay (False), or a caller bug (raise)."""
    held = await _locked_hold(session, hold_ref)
    # A replay of an item captured earlier stays a quiet no-op, even after release.
    if not held.livemode or await _exists(session, idem_key):
        return False
    if held.status != OPEN:
        raise HoldClosed(f"hold {hold_ref!r} is released; cannot capture {item_key!r}")
    raise HoldExhausted(f"hold {hold_ref!r} already captured all {held.amount} credits")


async def release(session: AsyncSession, hold_ref: str, *, now: datetime | None = None) -> int:
    """Return the uncaptured rest of the hold to `available` (run ended); idempotent.

    Returns the credits released by this call (0 on a replay, for postpaid and test holds).
    """
    held = await _locked_hold(session, hold_ref)
    if held.status != OPEN:
        return 0
    now = now or utcnow()
    rest = held.amount - held.captured
    released = 0
    if held.livemode and held.billing_mode == PREPAID and rest > 0:
        txn = await _post(
            session,
            company_id=held.company_id,
            kind="release",
            idem_key=f"release:{hold_ref}",
            legs={HELD: -rest, AVAILABLE: rest},
            now=now,
            billing_mode=held.billing_mode,
            cost_key=held.cost_key,
            hold_id=held.id,
        )
        released = rest if txn is not None else 0
    held.status = RELEASED
    held.released = released
    held.closed_at = now
    await session.flush()
    return released


async def captured_count(session: AsyncSession, *hold_refs: str) -> int:
    """Credits captured for these holds (a run's `creditsConsumed`; 0 for test holds)."""
    if not hold_refs:
        return 0
    stmt = select(func.coalesce(func.sum(Hold.captured), 0)).where(
        Hold.ref.in_(hold_refs), Hold.livemode.is_(True)
    )
    return int((await session.execute(stmt)).scalar_one())


async def balance(session: AsyncSession, company_id: uuid.UUID) -> dict[str, Any]:
    """`{billingMode, balance, held, available}` from the cached account balances."""
    company = await _company(session, company_id)
    stmt = scoped(select(BillingAccount.kind, BillingAccount.balance), BillingAccount, company_id)
    accounts = {kind: int(value) for kind, value in (await session.execute(stmt)).all()}
    available, held = accounts.get(AVAILABLE, 0), accounts.get(HELD, 0)
    return {
        "billingMode": company.billing_mode,
        "balance": available + held,
        "held": held,
        "available": available,
    }


async def top_up(
    session: AsyncSession,
    company_id: uuid.UUID,
    amount: int,
    *,
    reason: str | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Add `amount` (> 0) credits; with an `idempotency_key` a repeat adds nothing."""
    if not 1 <= amount <= MAX_AMOUNT:
        raise validation_error("amount", f"Must be an integer between 1 and {MAX_AMOUNT}.")
    await _company(session, company_id)
    await _post(
        session,
        company_id=company_id,
        kind="topup",
        idem_key=f"topup:{company_id}:{idempotency_key or uuid.uuid4()}",
        legs={EXTERNAL: -amount, AVAILABLE: amount},
        now=now or utcnow(),
        reason=reason,
    )
    return await balance(session, company_id)


async def adjust(
    session: AsyncSession,
    company_id: uuid.UUID,
    amount: int,
    *,
    reason: str,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Operator correction of `available` by ±amount; never below zero."""
    if amount == 0 or abs(amount) > MAX_AMOUNT:
        raise validation_error("amount", f"Must be a non-zero integer within ±{MAX_AMOUNT}.")
    await _company(session, company_id)
    if amount < 0:
        available = await _locked_available(session, company_id)
        if available + amount < 0:
            raise validation_error(
                "amount", f"Would make available credits negative (available {available})."
            )
    await _post(
        session,
        company_id=company_id,
        kind="adjustment",
        idem_key=f"adjustment:{company_id}:{idempotency_key or uuid.uuid4()}",
        legs={EXTERNAL: -amount, AVAILABLE: amount},
        now=now or utcnow(),
        reason=reason,
    )
    return await balance(session, company_id)


async def refund(
    session: AsyncSession, hold_ref: str, item_key: str, *, reason: str, now: datetime | None = None
) -> bool:
    """Reverse one capture (credit back to prepaid `available`, or off the postpaid bill); idempotent."""
    stmt = select(LedgerTransaction).where(LedgerTransaction.idem_key == f"capture:{hold_ref}:{item_key}")
    original = (await session.execute(stmt)).scalar_one_or_none()
    if original is None:
        raise resource_not_found("capture")
    target = AVAILABLE if original.billing_mode == PREPAID else EXTERNAL
    txn = await _post(
        session,
        company_id=original.company_id,
        kind="refund",
        idem_key=f"refund:{hold_ref}:{item_key}",
        legs={CONSUMED: -original.amount, target: original.amount},
        now=now or utcnow(),
        billing_mode=original.billing_mode,
        cost_key=original.cost_key,
        hold_id=original.hold_id,
        item_key=item_key,
        reason=reason,
    )
    return txn is not None


# --------------------------------------------------------------------------- reconciliation


@dataclass
class VerifyReport:
    """Result of `verify`: empty `problems` means the ledger reconciles."""

    accounts: int = 0
    transactions: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "accounts": self.accounts,
            "transactions": self.transactions,
            "problems": self.problems,
        }


async def derived_balances(session: AsyncSession, company_id: uuid.UUID) -> dict[str, int]:
    """Each account's balance computed from its entries (the source of truth)."""
    stmt = scoped(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account),
        LedgerEntry,
        company_id,
    )
    return {account: int(total) for account, total in (await session.execute(stmt)).all()}


async def verify(session: AsyncSession, company_id: uuid.UUID | None = None) -> VerifyReport:
    """Reconcile cached balances, transactions and holds against the entries.

    Checks: every transaction's entries sum to zero (and it has entries); every cached
    account balance equals the sum of its entries; no available/held balance is
    negative; each company's held balance equals the uncaptured rest of its open
    prepaid holds; each hold's capture counter equals its capture transactions.
    """
    report = VerifyReport()

    def only(stmt: Any, model: Any) -> Any:
        return stmt if company_id is None else scoped(stmt, model, company_id)

    sums = select(
        LedgerEntry.company_id, LedgerEntry.account, func.sum(LedgerEntry.amount).label("total")
    ).group_by(LedgerEntry.company_id, LedgerEntry.account)
    derived = {(c, a): int(t) for c, a, t in (await session.execute(only(sums, LedgerEntry))).all()}
    accounts = (await session.execute(only(select(BillingAccount), BillingAccount))).scalars().all()
    report.accounts = len(accounts)
    for account in accounts:
        key = (account.company_id, account.kind)
        expected = derived.pop(key, 0)
        if account.balance != expected:
            report.problems.append(
                f"company {account.company_id} account {account.kind}: cached {account.balance} != entries {expected}"
            )
        if account.kind in (AVAILABLE, HELD) and expected < 0:
            report.problems.append(
                f"company {account.company_id} account {account.kind} is negative ({expected})"
            )
    for (company, account_kind), total in derived.items():
        report.problems.append(
            f"company {company} account {account_kind}: entries {total} without an account row"
        )

    txn_sums = (
        select(
            LedgerTransaction.id, func.coalesce(func.sum(LedgerEntry.amount), 0), func.count(LedgerEntry.id)
        )
        .select_from(LedgerTransaction)
        .outerjoin(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.id)
    )
    rows = (await session.execute(only(txn_sums, LedgerTransaction))).all()
    report.transactions = len(rows)
    for txn_id, total, count in rows:
        if int(count) == 0 or int(total) != 0:
            report.problems.append(f"transaction {txn_id}: {count} entries summing to {total}")

    open_rest = (
        select(Hold.company_id, func.sum(Hold.amount - Hold.captured))
        .where(Hold.status == OPEN, Hold.livemode.is_(True), Hold.billing_mode == PREPAID)
        .group_by(Hold.company_id)
    )
    expected_held = {c: int(v) for c, v in (await session.execute(only(open_rest, Hold))).all()}
    held_rows = only(select(BillingAccount.company_id, BillingAccount.balance), BillingAccount).where(
        BillingAccount.kind == HELD
    )
    actual_held = {c: int(v) for c, v in (await session.execute(held_rows)).all()}
    for company in set(expected_held) | set(actual_held):
        if expected_held.get(company, 0) != actual_held.get(company, 0):
            report.problems.append(
                f"company {company}: held {actual_held.get(company, 0)} != open holds {expected_held.get(company, 0)}"
            )

    capture_counts = (
        select(Hold.ref, Hold.captured, func.count(LedgerTransaction.id))
        .select_from(Hold)
        .outerjoin(
            LedgerTransaction, and_(LedgerTransaction.hold_id == Hold.id, LedgerTransaction.kind == "capture")
        )
        .group_by(Hold.ref, Hold.captured)
    )
    for ref, counter, count in (await session.execute(only(capture_counts, Hold))).all():
        if int(counter) != int(count):
            report.problems.append(f"hold {ref}: counter {counter} != {count} capture transactions")
    return report


async def balance_provider(session: AsyncSession, company_id: uuid.UUID) -> dict[str, Any]:
    """What `GET /me` shows under `credits` (installed on `app.state.balance_provider`)."""
    return await balance(session, company_id)
