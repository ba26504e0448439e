"""Billing HTTP routes: `/billing/*` for tenants (`read:billing`) and `/admin/credits`,
`/admin/invoices`, `/admin/billing/*` for operators. All use the success envelope.

Including `router` also installs `app.state.balance_provider` (through the router's
lifespan, which FastAPI merges into the app's), so `GET /me` can show credits
without the app factory importing billing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request
from sqlalchemy import select

from talentscout.auth.guard import Principal, SecuredRoute, admin_only, require_principal, secured, tenant_id
from talentscout.billing import invoices, ledger, reports
from talentscout.billing.config import BillingSettings, get_billing_settings
from talentscout.billing.models import Hold
from talentscout.billing.schemas import (
    BalanceOut,
    CloseCyclesOut,
    CreditAdjustment,
    CreditRefund,
    CreditTopUp,
    EntryPage,
    Envelope,
    InvoicePage,
    ProfileOut,
    ProfileUpdate,
    RefundOut,
    UsageOut,
    VerifyOut,
)
from talentscout.db import Database
from talentscout.deps import get_db
from talentscout.errors import ok, validation_error
from talentscout.kit.clock import utcnow
from talentscout.tenancy.models import Company
from talentscout.tenancy.service import visible_companies_filter
from talentscout.web_docs import ERRORS


@asynccontextmanager
async def _install_balance_provider(app: FastAPI) -> AsyncIterator[None]:
    app.state.balance_provider = ledger.balance_provider
    yield


router = APIRouter(route_class=SecuredRoute, tags=["billing"], lifespan=_install_balance_provider)
admin_router = APIRouter(prefix="/admin", route_class=SecuredRoute, tags=["admin"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
DbDep = Annotated[Database, Depends(get_db)]
LimitQ = Annotated[int, Query(ge=1, le=100)]
CursorQ = Annotated[str | None, Query(max_length=512)]


def billing_settings(request: Request) -> BillingSettings:
    """`app.state.billing_settings` when a test or embedding app set it, else the environment."""
    configured: BillingSettings | None = getattr(request.app.state, "billing_settings", None)
    return configured or get_billing_settings()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# --------------------------------------------------------------------------- tenant routes


@router.get(
    "/billing/usage",
    response_model=Envelope[UsageOut],
    responses=ERRORS,
    openapi_extra=secured("read:billing", tenant="optional"),
)
async def get_usage(
    principal: PrincipalDep,
    db: DbDep,
    start: Annotated[
        datetime | None, Query(description="inclusive; default: start of the current UTC month")
    ] = None,
    end: Annotated[datetime | None, Query(description="exclusive; default: now")] = None,
) -> dict[str, Any]:
    """Credits used per company and cost key; an ats key without `companyId` sees every company it manages."""
    now = utcnow()
    end_at = _utc(end) if end is not None else now
    start_at = (
        _utc(start) if start is not None else now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    if start_at >= end_at:
        raise validation_error("start", "Must be before end.")
    async with db.read() as session:
        if principal.company_id is not None:
            where = Company.id == principal.company_id
        else:
            where = visible_companies_filter(principal.key_company_id, principal.is_ats)
        stmt = select(Company).where(where).order_by(Company.created_at, Company.id)
        companies = list((await session.execute(stmt)).scalars())
        return ok(await reports.usage_report(session, companies, start_at, end_at))


@router.get(
    "/billing/balance",
    response_model=Envelope[BalanceOut],
    responses=ERRORS,
    openapi_extra=secured("read:billing"),
)
async def get_balance(principal: PrincipalDep, db: DbDep) -> dict[str, Any]:
    """`{billingMode, balance, held, available}`; available = balance − held."""
    async with db.read() as session:
        return ok(await ledger.balance(session, tenant_id(principal)))


@router.get(
    "/billing/invoices",
    response_model=Envelope[InvoicePage],
    responses=ERRORS,
    openapi_extra=secured("read:billing"),
)
async def get_invoices(
    principal: PrincipalDep, db: DbDep, limit: LimitQ = 50, cursor: CursorQ = None
) -> dict[str, Any]:
    """Postpaid invoices, newest period first (cursor-paginated)."""
    async with db.read() as session:
        data, next_cursor = await invoices.list_invoices(
            session, tenant_id(principal), limit=limit, cursor=cursor
        )
        return ok({"data": data, "nextCursor": next_cursor})


@router.get(
    "/billing/ledger",
    response_model=Envelope[EntryPage],
    responses=ERRORS,
    openapi_extra=secured("read:billing"),
)
async def get_ledger(
    principal: PrincipalDep,
    db: DbDep,
    limit: LimitQ = 50,
    cursor: CursorQ = None,
    account: Annotated[Literal["available", "held", "consumed", "external"] | None, Query()] = None,
) -> dict[str, Any]:
    """The company's ledger entries, newest first (cursor-paginated)."""
    async with db.read() as session:
        data, next_cursor = await reports.list_entries(
            session, tenant_id(principal), limit=limit, cursor=cursor, account=account
        )
        return ok({"data": data, "nextCursor": next_cursor})


# --------------------------------------------------------------------------- admin routes


@admin_router.post(
    "/credits",
    status_code=201,
    response_model=Envelope[BalanceOut],
    responses=ERRORS,
    openapi_extra=admin_only(),
)
async def admin_top_up(
    body: CreditTopUp,
    db: DbDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> dict[str, Any]:
    """Add credits; with `Idempotency-Key` a retried top-up adds nothing the second time."""
    async with db.write() as session:
        return ok(
            await ledger.top_up(
                session, body.company_id, body.amount, reason=body.reason, idempotency_key=idempotency_key
            )
        )


@admin_router.get(
    "/credits", response_model=Envelope[BalanceOut], responses=ERRORS, openapi_extra=admin_only()
)
async def admin_balance(
    db: DbDep, company_id: Annotated[uuid.UUID, Query(alias="companyId")]
) -> dict[str, Any]:
    async with db.read() as session:
        return ok(await ledger.balance(session, company_id))


@admin_router.post(
    "/credits/adjustments",
    status_code=201,
    response_model=Envelope[BalanceOut],
    responses=ERRORS,
    openapi_extra=admin_only(),
)
async def admin_adjust(
    body: CreditAdjustment,
    db: DbDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> dict[str, Any]:
    """Correct available credits by ±amount (never below zero)."""
    async with db.write() as session:
        return ok(
            await ledger.adjust(
                session, body.company_id, body.amount, reason=body.reason, idempotency_key=idempotency_key
            )
        )


@admin_router.post(
    "/credits/refunds",
    status_code=201,
    response_model=Envelope[RefundOut],
    responses=ERRORS,
    openapi_extra=admin_only(),
)
async def admin_refund(body: CreditRefund, db: DbDep) -> dict[str, Any]:
    """Reverse the capture of one item (idempotent: `refunded` is false on a repeat)."""
    async with db.write() as session:
        refunded = await ledger.refund(session, body.hold_ref, body.item_key, reason=body.reason)
        held = await session.execute(select(Hold.company_id).where(Hold.ref == body.hold_ref))
        return ok({"refunded": refunded, "balance": await ledger.balance(session, held.scalar_one())})


@admin_router.get(
    "/invoices", response_model=Envelope[InvoicePage], responses=ERRORS, openapi_extra=admin_only()
)
async def admin_invoices(
    db: DbDep,
    company_id: Annotated[uuid.UUID | None, Query(alias="companyId")] = None,
    limit: LimitQ = 50,
    cursor: CursorQ = None,
) -> dict[str, Any]:
    async with db.read() as session:
        data, next_cursor = await invoices.list_invoices(session, company_id, limit=limit, cursor=cursor)
        return ok({"data": data, "nextCursor": next_cursor})


@admin_router.get(
    "/billing/companies/{company_id}",
    response_model=Envelope[ProfileOut],
    responses=ERRORS,
    openapi_extra=admin_only(),
)
async def admin_get_profile(company_id: uuid.UUID, db: DbDep) -> dict[str, Any]:
    async with db.read() as session:
        return ok(await invoices.get_profile(session, company_id))


@admin_router.patch(
    "/billing/companies/{company_id}",
    response_model=Envelope[ProfileOut],
    responses=ERRORS,
    openapi_extra=admin_only(),
)
async def admin_set_profile(company_id: uuid.UUID, body: ProfileUpdate, db: DbDep) -> dict[str, Any]:
    """Set the billing mode and/or the cycle anchor day (open holds keep their mode)."""
    async with db.write() as session:
        return ok(await invoices.set_profile(session, company_id, body.model_dump(exclude_unset=True)))


@admin_router.post(
    "/billing/close-cycles",
    response_model=Envelope[CloseCyclesOut],
    responses=ERRORS,
    openapi_extra=admin_only(),
)
async def admin_close_cycles(
    db: DbDep, settings: Annotated[BillingSettings, Depends(billing_settings)]
) -> dict[str, Any]:
    """Run the invoice job now (idempotent per company and period)."""
    return ok({"issued": await invoices.close_cycles(db, settings)})


@admin_router.get(
    "/billing/verify", response_model=Envelope[VerifyOut], responses=ERRORS, openapi_extra=admin_only()
)
async def admin_verify(db: DbDep) -> dict[str, Any]:
    """Reconcile the ledger; `ok: false` lists every problem."""
    async with db.read() as session:
        return ok((await ledger.verify(session)).as_dict())
