"""Postpaid billing cycles and invoices.

`close_cycles` is the scheduled job: for every postpaid company (and every company
with postpaid usage not yet invoiced) it writes one immutable invoice per fully
elapsed period, with one line per cost key. The unique (company, period_start) key
and INSERT … ON CONFLICT DO NOTHING make it idempotent, also when two schedulers
run it at once. Usage is attributed by capture time, so a run that spans a cycle
boundary is billed to both periods exactly as its items were delivered.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.billing.config import BillingSettings, get_billing_settings
from talentscout.billing.ledger import COST_KEYS, POSTPAID, insert_ignore
from talentscout.billing.models import BillingProfile, Invoice, InvoiceLine, LedgerTransaction
from talentscout.db import Database
from talentscout.errors import resource_not_found, validation_error
from talentscout.kit.clock import iso_ms, utcnow
from talentscout.kit.pagination import decode_cursor, encode_cursor
from talentscout.tenancy.models import Company
from talentscout.tenancy.scoping import scoped

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
USAGE_KINDS = ("capture", "refund")


# --------------------------------------------------------------------------- period math


def _month_boundary(year: int, month: int, anchor_day: int) -> datetime:
    # Anchor 31 falls on the 30th, 29th or 28th in shorter months.
    return datetime(year, month, min(anchor_day, calendar.monthrange(year, month)[1]), tzinfo=UTC)


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def period_start(ts: datetime, *, anchor_day: int, cycle_seconds: int | None) -> datetime:
    """The start of the billing period containing `ts` (the last boundary ≤ ts)."""
    if cycle_seconds is not None:
        step = timedelta(seconds=cycle_seconds)
        return EPOCH + ((ts - EPOCH) // step) * step
    here = _month_boundary(ts.year, ts.month, anchor_day)
    if here <= ts:
        return here
    return _month_boundary(*_add_months(ts.year, ts.month, -1), anchor_day)


def next_boundary(ts: datetime, *, anchor_day: int, cycle_seconds: int | None) -> datetime:
    """The first period boundary strictly after `ts`."""
    if cycle_seconds is not None:
        return period_start(ts, anchor_day=anchor_day, cycle_seconds=cycle_seconds) + timedelta(
            seconds=cycle_seconds
        )
    here = _month_boundary(ts.year, ts.month, anchor_day)
    if here > ts:
        return here
    return _month_boundary(*_add_months(ts.year, ts.month, 1), anchor_day)


# --------------------------------------------------------------------------- usage and invoices


async def postpaid_usage(
    session: AsyncSession, company_id: uuid.UUID, start: datetime, end: datetime
) -> dict[str, int]:
    """Net postpaid credits per cost key captured in [start, end) (captures − refunds)."""
    stmt = scoped(
        select(LedgerTransaction.cost_key, LedgerTransaction.kind, func.sum(LedgerTransaction.amount))
        .where(
            LedgerTransaction.billing_mode == POSTPAID,
            LedgerTransaction.kind.in_(USAGE_KINDS),
            LedgerTransaction.created_at >= start,
            LedgerTransaction.created_at < end,
        )
        .group_by(LedgerTransaction.cost_key, LedgerTransaction.kind),
        LedgerTransaction,
        company_id,
    )
    totals: dict[str, int] = {}
    for cost_key, kind, amount in (await session.execute(stmt)).all():
        sign = 1 if kind == "capture" else -1
        totals[str(cost_key)] = totals.get(str(cost_key), 0) + sign * int(amount)
    return {key: totals[key] for key in COST_KEYS if totals.get(key)}


def invoice_out(invoice: Invoice, lines: list[InvoiceLine]) -> dict[str, Any]:
    order = {key: i for i, key in enumerate(COST_KEYS)}
    return {
        "id": str(invoice.id),
        "companyId": str(invoice.company_id),
        "periodStart": iso_ms(invoice.period_start),
        "periodEnd": iso_ms(invoice.period_end),
        "lines": [
            {"costKey": line.cost_key, "quantity": line.quantity}
            for line in sorted(lines, key=lambda line: order.get(line.cost_key, len(order)))
        ],
        "totalCredits": invoice.total_credits,
        "status": invoice.status,
        "issuedAt": iso_ms(invoice.issued_at),
    }


async def _issue(
    session: AsyncSession,
    company_id: uuid.UUID,
    start: datetime,
    end: datetime,
    usage: dict[str, int],
    now: datetime,
) -> dict[str, Any] | None:
    invoice_id = await insert_ignore(
        session,
        Invoice,
        {
            "id": uuid.uuid4(),
            "company_id": company_id,
            "period_start": start,
            "period_end": end,
            "total_credits": sum(usage.values()),
            "status": "issued",
            "issued_at": now,
        },
        ["company_id", "period_start"],
        Invoice.id,
    )
    if invoice_id is None:
        return None  # another run issued this period first
    if usage:
        await session.execute(
            insert(InvoiceLine),
            [{"invoice_id": invoice_id, "cost_key": k, "quantity": q} for k, q in usage.items()],
        )
    invoice = await session.get(Invoice, invoice_id)
    assert invoice is not None
    lines = [InvoiceLine(invoice_id=invoice_id, cost_key=k, quantity=q) for k, q in usage.items()]
    return invoice_out(invoice, lines)


async def close_company_cycles(
    session: AsyncSession, company_id: uuid.UUID, settings: BillingSettings, now: datetime
) -> list[dict[str, Any]]:
    """Invoice every elapsed, not yet invoiced period of one company (inside the caller's transaction)."""
    company = await session.get(Company, company_id)
    if company is None:
        return []
    profile = await session.get(BillingProfile, company_id)
    anchor = profile.anchor_day if profile is not None and profile.anchor_day else settings.cycle_anchor_day

    def start_of(ts: datetime) -> datetime:
        return period_start(ts, anchor_day=anchor, cycle_seconds=settings.cycle_seconds)

    def end_of(ts: datetime) -> datetime:
        return next_boundary(ts, anchor_day=anchor, cycle_seconds=settings.cycle_seconds)

    # Captures committed a little after the boundary still carry their (earlier) capture time.
    cutoff = now - timedelta(seconds=settings.close_grace_seconds)
    last_end = (
        await session.execute(scoped(select(func.max(Invoice.period_end)), Invoice, company_id))
    ).scalar_one_or_none()
    usage_after = scoped(
        select(func.min(LedgerTransaction.created_at)).where(
            LedgerTransaction.billing_mode == POSTPAID, LedgerTransaction.kind.in_(USAGE_KINDS)
        ),
        LedgerTransaction,
        company_id,
    )
    if last_end is not None:
        usage_after = usage_after.where(LedgerTransaction.created_at >= last_end)
    first_usage = (await session.execute(usage_after)).scalar_one_or_none()
    is_postpaid = company.billing_mode == POSTPAID

    start: datetime
    if is_postpaid and last_end is not None:
        start = last_end
    elif first_usage is not None:
        start = start_of(first_usage) if last_end is None else max(last_end, start_of(first_usage))
    elif is_postpaid:
        # A new postpaid company without usage: its first (empty) invoice is the last elapsed period.
        start = start_of(start_of(cutoff) - timedelta(microseconds=1))
        if company.created_at >= end_of(start):
            return []
    else:
        return []

    issued: list[dict[str, Any]] = []
    for _ in range(settings.max_catchup_cycles):
        end = end_of(start)
        if end > cutoff:
            break
        usage = await postpaid_usage(session, company_id, start, end)
        # Postpaid companies get an invoice every cycle; others only for leftover postpaid usage.
        if is_postpaid or usage:
            invoice = await _issue(session, company_id, start, end, usage, now)
            if invoice is not None:
                issued.append(invoice)
        start = end
    return issued


async def close_cycles(
    db: Database, settings: BillingSettings | None = None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The periodic job: close every elapsed cycle; returns the invoices issued by this run.

    Each company is closed in its own short write transaction, so one company's problem
    neither blocks nor rolls back the others' invoices.
    """
    settings = settings or get_billing_settings()
    now = now or utcnow()
    async with db.read() as session:
        postpaid = select(Company.id).where(Company.billing_mode == POSTPAID)
        with_usage = (
            select(LedgerTransaction.company_id)
            .where(LedgerTransaction.billing_mode == POSTPAID, LedgerTransaction.kind.in_(USAGE_KINDS))
            .distinct()
        )
        company_ids = set((await session.execute(postpaid)).scalars()) | set(
            (await session.execute(with_usage)).scalars()
        )
    issued: list[dict[str, Any]] = []
    for company_id in sorted(company_ids):
        async with db.write() as session:
            issued += await close_company_cycles(session, company_id, settings, now)
    return issued


async def list_invoices(
    session: AsyncSession, company_id: uuid.UUID | None, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Invoices newest period first (one company, or all for operators), cursor-paginated."""
    stmt = select(Invoice).order_by(Invoice.period_start.desc(), Invoice.id.desc()).limit(limit + 1)
    if company_id is not None:
        stmt = scoped(stmt, Invoice, company_id)
    if cursor:
        at, ident = decode_cursor(cursor)
        try:
            last_id = uuid.UUID(ident)
        except ValueError as exc:
            raise validation_error("cursor", "Malformed pagination cursor.") from exc
        stmt = stmt.where(
            or_(Invoice.period_start < at, and_(Invoice.period_start == at, Invoice.id < last_id))
        )
    invoices = list((await session.execute(stmt)).scalars())
    page, more = invoices[:limit], len(invoices) > limit
    lines: dict[uuid.UUID, list[InvoiceLine]] = {inv.id: [] for inv in page}
    if page:
        rows = await session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id.in_(list(lines))))
        for line in rows.scalars():
            lines[line.invoice_id].append(line)
    next_cursor = encode_cursor(page[-1].period_start, str(page[-1].id)) if more and page else None
    return [invoice_out(inv, lines[inv.id]) for inv in page], next_cursor


# --------------------------------------------------------------------------- billing profile


async def get_profile(session: AsyncSession, company_id: uuid.UUID) -> dict[str, Any]:
    """`{companyId, billingMode, anchorDay}` (anchorDay null: the configured default applies)."""
    company = await session.get(Company, company_id)
    if company is None:
        raise resource_not_found("company")
    profile = await session.get(BillingProfile, company_id)
    return {
        "companyId": str(company.id),
        "billingMode": company.billing_mode,
        "anchorDay": profile.anchor_day if profile is not None else None,
    }


async def set_profile(
    session: AsyncSession, company_id: uuid.UUID, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply `billing_mode` and/or `anchor_day` (keys present in `changes` only).

    Switching mode affects new holds only: open holds keep the mode they were taken in.
    """
    company = await session.get(Company, company_id)
    if company is None:
        raise resource_not_found("company")
    if changes.get("billing_mode") is not None:
        company.billing_mode = changes["billing_mode"]
    if "anchor_day" in changes:
        profile = await session.get(BillingProfile, company_id)
        if profile is None:
            profile = BillingProfile(company_id=company_id)
            session.add(profile)
        profile.anchor_day = changes["anchor_day"]
    await session.flush()
    return await get_profile(session, company_id)
