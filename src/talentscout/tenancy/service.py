"""Company operations shared by the public API, the admin API and the CLI."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.errors import resource_not_found
from talentscout.kit.clock import iso_ms
from talentscout.tenancy.models import Company


def company_out(c: Company) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "name": c.name,
        "description": c.description,
        "metadata": c.meta or {},
        "billingMode": c.billing_mode,
        "plan": c.plan,
        "rateLimitPerMinute": c.rate_limit_per_minute,
        "rateLimitPerHour": c.rate_limit_per_hour,
        "parentCompanyId": str(c.parent_company_id) if c.parent_company_id else None,
        "createdAt": iso_ms(c.created_at),
        "updatedAt": iso_ms(c.updated_at),
    }


async def create_company(
    session: AsyncSession,
    *,
    name: str,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    billing_mode: str = "prepaid",
    plan: str | None = None,
    parent_company_id: uuid.UUID | None = None,
    created_by_key_id: uuid.UUID | None = None,
    rate_limit_per_minute: int | None = None,
    rate_limit_per_hour: int | None = None,
) -> Company:
    company = Company(
        name=name,
        description=description,
        meta=metadata or {},
        billing_mode=billing_mode,
        plan=plan,
        parent_company_id=parent_company_id,
        created_by_key_id=created_by_key_id,
        rate_limit_per_minute=rate_limit_per_minute,
        rate_limit_per_hour=rate_limit_per_hour,
    )
    session.add(company)
    await session.flush()
    return company


def visible_companies_filter(key_company_id: uuid.UUID, is_ats: bool) -> Any:
    """Own company, plus (for ats keys) every company its ATS company manages."""
    if is_ats:
        return or_(Company.id == key_company_id, Company.parent_company_id == key_company_id)
    return Company.id == key_company_id


async def get_visible_company(
    session: AsyncSession, company_id: uuid.UUID, key_company_id: uuid.UUID, is_ats: bool
) -> Company:
    stmt = select(Company).where(Company.id == company_id, visible_companies_filter(key_company_id, is_ats))
    company = (await session.execute(stmt)).scalar_one_or_none()
    if company is None:
        raise resource_not_found("company")
    return company


async def list_companies(
    session: AsyncSession, where: Any, page: int, limit: int
) -> tuple[list[Company], int]:
    total = (await session.execute(select(func.count()).select_from(Company).where(where))).scalar_one()
    stmt = (
        select(Company)
        .where(where)
        .order_by(Company.created_at.desc(), Company.id)
        .offset((page - 1) * limit)
        .limit(limit)
    )
    return list((await session.execute(stmt)).scalars()), int(total)


def apply_update(company: Company, changes: dict[str, Any]) -> None:
    """Partial update; `metadata` is merged key by key (API.md §9)."""
    for field, value in changes.items():
        if field == "metadata":
            merged = dict(company.meta or {})
            merged.update(value or {})
            company.meta = merged
        else:
            setattr(company, field, value)
