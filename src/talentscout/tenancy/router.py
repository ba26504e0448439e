"""`/companies` (and the `/company` alias): ATS keys create and manage client companies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from talentscout.auth.guard import Principal, SecuredRoute, require_principal, secured
from talentscout.db import Database
from talentscout.deps import get_db
from talentscout.errors import company_access_denied, ok
from talentscout.tenancy import service
from talentscout.tenancy.schemas import CompanyCreate, CompanyEnvelope, CompanyListEnvelope, CompanyUpdate
from talentscout.web_docs import ERRORS

router = APIRouter(route_class=SecuredRoute, tags=["companies"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
DbDep = Annotated[Database, Depends(get_db)]


@router.post(
    "/companies",
    status_code=201,
    response_model=CompanyEnvelope,
    responses=ERRORS,
    openapi_extra=secured("write:companies", tenant="none"),
)
async def create_company(body: CompanyCreate, principal: PrincipalDep, db: DbDep) -> dict[str, object]:
    """Create a client company managed by the calling ATS (ats keys only)."""
    if not principal.is_ats:
        raise company_access_denied("Only ats keys can create companies.")
    async with db.write() as session:
        company = await service.create_company(
            session,
            name=body.name,
            description=body.description,
            metadata=body.metadata,
            parent_company_id=principal.key_company_id,
            created_by_key_id=principal.key_id,
        )
        return ok(service.company_out(company))


@router.get(
    "/companies",
    response_model=CompanyListEnvelope,
    responses=ERRORS,
    openapi_extra=secured("read:companies", tenant="none"),
)
async def list_companies(
    principal: PrincipalDep,
    db: DbDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, object]:
    """The key's own company, or every company an ats key manages (and its own)."""
    async with db.read() as session:
        where = service.visible_companies_filter(principal.key_company_id, principal.is_ats)
        rows, total = await service.list_companies(session, where, page, limit)
        return ok({"data": [service.company_out(c) for c in rows], "total": total, "page": page, "limit": limit})


@router.get(
    "/companies/{company_id}",
    response_model=CompanyEnvelope,
    responses=ERRORS,
    openapi_extra=secured("read:companies", tenant="none"),
)
async def get_company(company_id: uuid.UUID, principal: PrincipalDep, db: DbDep) -> dict[str, object]:
    async with db.read() as session:
        company = await service.get_visible_company(
            session, company_id, principal.key_company_id, principal.is_ats
        )
        return ok(service.company_out(company))


@router.patch(
    "/companies/{company_id}",
    response_model=CompanyEnvelope,
    responses=ERRORS,
    openapi_extra=secured("write:companies", tenant="none"),
)
async def update_company(
    company_id: uuid.UUID, body: CompanyUpdate, principal: PrincipalDep, db: DbDep
) -> dict[str, object]:
    """Partial update; `metadata` is merged into the stored object."""
    async with db.write() as session:
        company = await service.get_visible_company(
            session, company_id, principal.key_company_id, principal.is_ats
        )
        service.apply_update(company, body.model_dump(exclude_unset=True, by_alias=False))
        await session.flush()
        return ok(service.company_out(company))
