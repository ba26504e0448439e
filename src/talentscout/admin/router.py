"""Admin endpoints: companies and API keys (credits, invoices, suppressions join later)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from talentscout.auth import service as keys
from talentscout.auth.guard import SecuredRoute, admin_only
from talentscout.config import Settings
from talentscout.db import Database
from talentscout.deps import get_db, get_settings_dep
from talentscout.errors import ok, resource_not_found
from talentscout.kit.schema import WireModel
from talentscout.tenancy import service as companies
from talentscout.tenancy.models import Company
from talentscout.tenancy.schemas import AdminCompanyCreate, AdminCompanyUpdate
from talentscout.web_docs import ERRORS

router = APIRouter(prefix="/admin", route_class=SecuredRoute, tags=["admin"])
DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


class AdminKeyCreate(WireModel):
    company_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(max_length=20)
    kind: Literal["standard", "ats"] = "standard"
    mode: Literal["live", "test"] = "live"
    expires_at: datetime | None = None
    allowed_ips: list[str] = Field(default_factory=list, max_length=100)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=10_000_000)
    rate_limit_per_hour: int | None = Field(default=None, ge=1, le=1_000_000_000)


@router.post("/companies", status_code=201, responses=ERRORS, openapi_extra=admin_only())
async def admin_create_company(body: AdminCompanyCreate, db: DbDep) -> dict[str, Any]:
    async with db.write() as session:
        company = await companies.create_company(
            session,
            name=body.name,
            description=body.description,
            metadata=body.metadata,
            billing_mode=body.billing_mode,
            plan=body.plan,
            rate_limit_per_minute=body.rate_limit_per_minute,
            rate_limit_per_hour=body.rate_limit_per_hour,
        )
        return ok(companies.company_out(company))


@router.get("/companies", responses=ERRORS, openapi_extra=admin_only())
async def admin_list_companies(
    db: DbDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> dict[str, Any]:
    async with db.read() as session:
        rows, total = await companies.list_companies(session, True, page, limit)
        return ok({"data": [companies.company_out(c) for c in rows], "total": total, "page": page, "limit": limit})


@router.get("/companies/{company_id}", responses=ERRORS, openapi_extra=admin_only())
async def admin_get_company(company_id: uuid.UUID, db: DbDep) -> dict[str, Any]:
    async with db.read() as session:
        company = await session.get(Company, company_id)
        if company is None:
            raise resource_not_found("company")
        return ok(companies.company_out(company))


@router.patch("/companies/{company_id}", responses=ERRORS, openapi_extra=admin_only())
async def admin_update_company(company_id: uuid.UUID, body: AdminCompanyUpdate, db: DbDep) -> dict[str, Any]:
    async with db.write() as session:
        company = await session.get(Company, company_id)
        if company is None:
            raise resource_not_found("company")
        companies.apply_update(company, body.model_dump(exclude_unset=True, by_alias=False))
        await session.flush()
        return ok(companies.company_out(company))


@router.post("/api-keys", status_code=201, responses=ERRORS, openapi_extra=admin_only())
async def admin_create_key(body: AdminKeyCreate, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """Create a key; the plaintext `key` is in this response only."""
    async with db.write() as session:
        key, plaintext = await keys.create_key(
            session,
            settings.secret_key.get_secret_value(),
            company_id=body.company_id,
            name=body.name,
            scopes=body.scopes,
            kind=body.kind,
            mode=body.mode,
            expires_at=body.expires_at,
            allowed_ips=body.allowed_ips,
            rate_limit_per_minute=body.rate_limit_per_minute,
            rate_limit_per_hour=body.rate_limit_per_hour,
        )
        return ok({**keys.key_out(key), "key": plaintext})


@router.get("/api-keys", responses=ERRORS, openapi_extra=admin_only())
async def admin_list_keys(db: DbDep, company_id: Annotated[uuid.UUID | None, Query(alias="companyId")] = None) -> dict[str, Any]:
    async with db.read() as session:
        return ok({"data": [keys.key_out(k) for k in await keys.list_keys(session, company_id)]})


async def _transition(db: Database, key_id: uuid.UUID, action: str) -> dict[str, Any]:
    async with db.write() as session:
        return ok(keys.key_out(await keys.change_status(session, key_id, action)))


@router.post("/api-keys/{key_id}/suspend", responses=ERRORS, openapi_extra=admin_only())
async def admin_suspend_key(key_id: uuid.UUID, db: DbDep) -> dict[str, Any]:
    return await _transition(db, key_id, "suspend")


@router.post("/api-keys/{key_id}/unsuspend", responses=ERRORS, openapi_extra=admin_only())
async def admin_unsuspend_key(key_id: uuid.UUID, db: DbDep) -> dict[str, Any]:
    return await _transition(db, key_id, "unsuspend")


@router.post("/api-keys/{key_id}/revoke", responses=ERRORS, openapi_extra=admin_only())
async def admin_revoke_key(key_id: uuid.UUID, db: DbDep) -> dict[str, Any]:
    return await _transition(db, key_id, "revoke")
