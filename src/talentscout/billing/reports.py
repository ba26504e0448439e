"""Read models over the ledger: the usage report (API.md §10) and the cursor list of entries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.billing.ledger import COST_KEYS
from talentscout.billing.models import Hold, LedgerEntry, LedgerTransaction
from talentscout.errors import validation_error
from talentscout.kit.clock import iso_ms
from talentscout.kit.pagination import decode_cursor, encode_cursor
from talentscout.tenancy.models import Company
from talentscout.tenancy.scoping import scoped


async def usage_report(
    session: AsyncSession, companies: list[Company], start: datetime, end: datetime
) -> dict[str, Any]:
    """Credits used per company and cost key in [start, end), prepaid and postpaid alike.

    `events` counts captures; `creditsUsed` is captures minus refunds.
    """
    ids = [c.id for c in companies]
    stmt = (
        select(
            LedgerTransaction.company_id,
            LedgerTransaction.cost_key,
            LedgerTransaction.kind,
            func.count(),
            func.sum(LedgerTransaction.amount),
        )
        .where(
            LedgerTransaction.company_id.in_(ids),
            LedgerTransaction.kind.in_(("capture", "refund")),
            LedgerTransaction.created_at >= start,
            LedgerTransaction.created_at < end,
        )
        .group_by(LedgerTransaction.company_id, LedgerTransaction.cost_key, LedgerTransaction.kind)
    )
    events: dict[tuple[uuid.UUID, str], int] = {}
    credits: dict[tuple[uuid.UUID, str], int] = {}
    for company_id, cost_key, kind, count, amount in (await session.execute(stmt)).all() if ids else []:
        key = (company_id, str(cost_key))
        if kind == "capture":
            events[key] = events.get(key, 0) + int(count)
            credits[key] = credits.get(key, 0) + int(amount)
        else:
            credits[key] = credits.get(key, 0) - int(amount)
    out: list[dict[str, Any]] = []
    for company in companies:
        breakdown = [
            {
                "costKey": cost_key,
                "events": events.get((company.id, cost_key), 0),
                "creditsUsed": credits.get((company.id, cost_key), 0),
            }
            for cost_key in COST_KEYS
        ]
        out.append(
            {
                "companyId": str(company.id),
                "companyName": company.name,
                "billingMode": company.billing_mode,
                "totalCreditsUsed": sum(b["creditsUsed"] for b in breakdown),
                "breakdownByCostKey": breakdown,
            }
        )
    return {
        "companies": out,
        "totalCreditsUsed": sum(c["totalCreditsUsed"] for c in out),
        "start": iso_ms(start),
        "end": iso_ms(end),
    }


async def list_entries(
    session: AsyncSession,
    company_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None,
    account: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """The company's ledger entries, newest first, with their transaction's context."""
    stmt = scoped(
        select(LedgerEntry, LedgerTransaction, Hold.ref)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .outerjoin(Hold, Hold.id == LedgerTransaction.hold_id)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc())
        .limit(limit + 1),
        LedgerEntry,
        company_id,
    )
    if account is not None:
        stmt = stmt.where(LedgerEntry.account == account)
    if cursor:
        at, ident = decode_cursor(cursor)
        if not ident.isdigit():
            raise validation_error("cursor", "Malformed pagination cursor.")
        stmt = stmt.where(
            or_(LedgerEntry.created_at < at, and_(LedgerEntry.created_at == at, LedgerEntry.id < int(ident)))
        )
    rows = (await session.execute(stmt)).all()
    page, more = rows[:limit], len(rows) > limit
    data = [
        {
            "id": entry.id,
            "transactionId": str(txn.id),
            "kind": txn.kind,
            "account": entry.account,
            "amount": entry.amount,
            "costKey": txn.cost_key,
            "holdRef": ref,
            "itemKey": txn.item_key,
            "reason": txn.reason,
            "createdAt": iso_ms(entry.created_at),
        }
        for entry, txn, ref in page
    ]
    next_cursor = encode_cursor(page[-1][0].created_at, str(page[-1][0].id)) if more and page else None
    return data, next_cursor
