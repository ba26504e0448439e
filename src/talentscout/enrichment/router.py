"""Enrichment endpoints (API.md §6) and the suppression admin API (API.md §1 Admin).

`router` carries the tenant routes (`enrich:write`); `admin_router` the operator's
`/admin/suppressions` (admin token only).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from talentscout.auth.guard import Principal, SecuredRoute, admin_only, require_principal, secured, tenant_id
from talentscout.db import Database
from talentscout.deps import get_db
from talentscout.enrichment import service, suppression
from talentscout.enrichment.models import PROCESSING
from talentscout.enrichment.schemas import EnrichCreate, SuppressionCreate
from talentscout.errors import ok
from talentscout.jobs.queue import queue_for
from talentscout.web_docs import ERRORS

router = APIRouter(route_class=SecuredRoute, tags=["enrichment"])
admin_router = APIRouter(prefix="/admin", route_class=SecuredRoute, tags=["admin"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
DbDep = Annotated[Database, Depends(get_db)]


@router.post("/sourcing/enrich", status_code=202, responses=ERRORS, openapi_extra=secured("enrich:write"))
async def start_enrichment(
    request: Request, body: EnrichCreate, principal: PrincipalDep, db: DbDep
) -> JSONResponse:
    """Enrich 1–10 profiles in the background: each in isolation under a 10 s deadline.

    Billing: 1 credit per successfully enriched profile — a profile counts as enriched when
    its evaluation completed within its deadline, whether or not an email was found.
    Prepaid companies need `len(profileIds)` available credits (else 402); they are held
    and the unused rest is released when the run ends.
    """
    settings = request.app.state.settings
    company_id = tenant_id(principal)
    async with db.write() as session:
        run = await service.create_run(
            session,
            queue_for(settings),
            principal,
            company_id,
            profile_ids=body.profile_ids,
            webhook_id=body.webhook_id,
            idempotency_key=request.headers.get("idempotency-key"),
        )
        payload = service.accepted_body(run)
    return JSONResponse(
        payload, status_code=202, headers={"Location": service.results_path(run.id), "Retry-After": "2"}
    )


@router.get(
    "/sourcing/enrich/{request_id}/results",
    responses=ERRORS,
    openapi_extra=secured("enrich:write", polling=True),
)
async def enrichment_results(request_id: str, principal: PrincipalDep, db: DbDep) -> JSONResponse:
    """202 while processing, 200 when finished (`completed` may hold failed items)."""
    async with db.read() as session:
        run = await service.get_run(session, tenant_id(principal), request_id)
        items = await service.items_of(session, run)
        if run.status == PROCESSING:
            return JSONResponse(
                service.processing_body(run, items), status_code=202, headers={"Retry-After": "2"}
            )
        body = await service.finished_body(session, run, items)
    return JSONResponse(body)


@admin_router.post("/suppressions", status_code=201, responses=ERRORS, openapi_extra=admin_only())
async def admin_add_suppression(body: SuppressionCreate, db: DbDep) -> dict[str, Any]:
    """Suppress an email (stored hashed), an email SHA-256, a domain or a profile id."""
    async with db.write() as session:
        row = await suppression.add(session, body.kind, body.value, body.reason)
        return ok(suppression.out(row))


@admin_router.get("/suppressions", responses=ERRORS, openapi_extra=admin_only())
async def admin_list_suppressions(
    db: DbDep,
    kind: Annotated[Literal["email", "email_sha256", "domain", "profile"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    async with db.read() as session:
        rows = await suppression.listing(session, kind, limit, offset)
        return ok({"data": [suppression.out(r) for r in rows], "limit": limit, "offset": offset})


@admin_router.delete("/suppressions/{suppression_id}", responses=ERRORS, openapi_extra=admin_only())
async def admin_delete_suppression(suppression_id: uuid.UUID, db: DbDep) -> dict[str, Any]:
    async with db.write() as session:
        await suppression.remove(session, suppression_id)
    return ok({"id": str(suppression_id), "deleted": True})
