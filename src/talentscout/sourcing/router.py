"""Sourcing endpoints (API.md §5): POST/PATCH/GET runs, preview, list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from talentscout.auth.guard import Principal, SecuredRoute, require_principal, secured, tenant_id
from talentscout.db import Database
from talentscout.deps import get_db
from talentscout.errors import ok
from talentscout.jobs.queue import queue_for
from talentscout.kit.clock import iso_ms
from talentscout.kit.pagination import decode_cursor, encode_cursor
from talentscout.sourcing import service
from talentscout.sourcing.models import PROCESSING, SourcingRun
from talentscout.sourcing.schemas import SourcingCreate, SourcingPatch
from talentscout.tenancy.scoping import scoped
from talentscout.web_docs import ERRORS

router = APIRouter(route_class=SecuredRoute, tags=["sourcing"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
DbDep = Annotated[Database, Depends(get_db)]


def _accepted(run: SourcingRun, results_path: str) -> JSONResponse:
    return JSONResponse(
        service.accepted_body(run), status_code=202, headers={"Location": results_path, "Retry-After": "2"}
    )


async def _start(
    request: Request, body: SourcingCreate, principal: Principal, db: Database, kind: str
) -> JSONResponse:
    settings = request.app.state.settings
    company_id = tenant_id(principal)
    async with db.write() as session:
        run = await service.create_run(
            session,
            queue_for(settings),
            principal,
            company_id,
            kind=kind,
            title=body.title,
            job_description=body.job_description,
            location=body.location,
            query=body.query,
            limit=body.limit,
            webhook_id=body.webhook_id,
            idempotency_key=request.headers.get("idempotency-key"),
            concurrency_cap=settings.max_concurrent_runs,
        )
    path = f"/sourcing/preview/{run.id}/results" if kind == "preview" else f"/sourcing/{run.id}/results"
    return _accepted(run, path)


@router.post("/sourcing", status_code=202, responses=ERRORS, openapi_extra=secured("sourcing:write"))
async def start_sourcing(
    request: Request, body: SourcingCreate, principal: PrincipalDep, db: DbDep
) -> JSONResponse:
    """Start a sourcing run; it executes in the background (poll the `Location`)."""
    return await _start(request, body, principal, db, "sourcing")


@router.patch(
    "/sourcing/{request_id}", status_code=202, responses=ERRORS, openapi_extra=secured("sourcing:write")
)
async def refine_sourcing(
    request: Request, request_id: str, body: SourcingPatch, principal: PrincipalDep, db: DbDep
) -> JSONResponse:
    """Refine a finished run with a query patch and evaluate `limit` more profiles."""
    settings = request.app.state.settings
    async with db.write() as session:
        run = await service.get_run(session, tenant_id(principal), request_id, "sourcing")
        run = await service.add_pass(
            session, queue_for(settings), principal, run, query=body.query, limit=body.limit or 10
        )
    return _accepted(run, f"/sourcing/{run.id}/results")


async def _results(request_id: str, principal: Principal, db: Database, kind: str) -> JSONResponse:
    async with db.read() as session:
        run = await service.get_run(session, tenant_id(principal), request_id, kind)
        if run.status == PROCESSING:
            return JSONResponse(service.processing_body(run), status_code=202, headers={"Retry-After": "2"})
        body = await service.finished_body(session, run)
    if kind == "preview":
        # Previews are search only: no ICP, scoring or passes; candidates have the 9 preview fields.
        for key in ("icp", "scoredCount", "passes"):
            body.pop(key, None)
        body["candidates"] = [{k: v for k, v in c.items() if k != "pass"} for c in body.get("candidates", [])]
    return JSONResponse(body)


@router.get(
    "/sourcing/{request_id}/results",
    responses=ERRORS,
    openapi_extra=secured("sourcing:read", polling=True),
)
async def sourcing_results(request_id: str, principal: PrincipalDep, db: DbDep) -> JSONResponse:
    """Poll a run: 202 while its current pass is processing, 200 when finished."""
    return await _results(request_id, principal, db, "sourcing")


@router.post("/sourcing/preview", status_code=202, responses=ERRORS, openapi_extra=secured("sourcing:write"))
async def start_preview(
    request: Request, body: SourcingCreate, principal: PrincipalDep, db: DbDep
) -> JSONResponse:
    """Search only (no scoring): 9-field candidates, 1 credit per page of 20 returned."""
    return await _start(request, body, principal, db, "preview")


@router.get(
    "/sourcing/preview/{request_id}/results",
    responses=ERRORS,
    openapi_extra=secured("sourcing:read", polling=True),
)
async def preview_results(request_id: str, principal: PrincipalDep, db: DbDep) -> JSONResponse:
    return await _results(request_id, principal, db, "preview")


@router.get("/sourcing", responses=ERRORS, openapi_extra=secured("sourcing:read"))
async def list_runs(
    principal: PrincipalDep,
    db: DbDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """The company's runs, newest first, cursor-paginated."""
    company_id = tenant_id(principal)
    stmt = scoped(select(SourcingRun), SourcingRun, company_id).order_by(
        SourcingRun.created_at.desc(), SourcingRun.id.desc()
    )
    if cursor:
        created, ident = decode_cursor(cursor)
        stmt = stmt.where(
            (SourcingRun.created_at < created)
            | ((SourcingRun.created_at == created) & (SourcingRun.id < ident))
        )
    async with db.read() as session:
        rows = list((await session.execute(stmt.limit(limit + 1))).scalars())
    page, more = rows[:limit], len(rows) > limit
    items = [
        {
            "requestId": r.id,
            "kind": r.kind,
            "status": r.status,
            "title": r.title,
            "location": r.location,
            "limit": r.limit,
            "pass": r.current_pass,
            "createdAt": iso_ms(r.created_at),
            "completedAt": iso_ms(r.completed_at),
            "livemode": r.livemode,
        }
        for r in page
    ]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more and page else None
    return ok({"data": items, "nextCursor": next_cursor})
