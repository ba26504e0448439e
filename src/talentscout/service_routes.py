"""Service endpoints: `/me`, `/livez`, `/readyz`, `/metrics`."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from talentscout.auth.guard import Principal, SecuredRoute, require_principal, secured
from talentscout.db import Database
from talentscout.deps import get_db
from talentscout.errors import envelope, ok
from talentscout.migrate import current_revisions, head_revisions
from talentscout.tenancy.service import company_out
from talentscout.web_docs import ERRORS

router = APIRouter(route_class=SecuredRoute, tags=["service"])


@router.get("/me", responses=ERRORS, openapi_extra=secured(None, tenant="optional"))
async def me(
    request: Request,
    principal: Annotated[Principal, Depends(require_principal)],
    db: Annotated[Database, Depends(get_db)],
) -> dict[str, Any]:
    """Who am I: key, scopes, company, rate limits and remaining, billing, livemode."""
    company = principal.company
    credits = None
    balance_hook = getattr(request.app.state, "balance_provider", None)
    if balance_hook is not None:
        async with db.read() as session:
            credits = await balance_hook(session, company.id)
    rate = principal.rate
    return ok(
        {
            "key": {
                "id": str(principal.key_id),
                "name": principal.key_name,
                "kind": principal.kind,
                "prefix": principal.key_prefix,
                "scopes": sorted(principal.scopes),
            },
            "company": company_out(company),
            "rateLimits": None
            if rate is None
            else {
                "perMinute": rate.minute.limit,
                "remainingMinute": rate.minute.remaining,
                "perHour": rate.hour.limit,
                "remainingHour": rate.hour.remaining,
            },
            "billingMode": company.billing_mode,
            "credits": credits,
            "livemode": principal.livemode,
        }
    )


@router.get("/livez", tags=["service"])
async def livez() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", tags=["service"], responses={503: ERRORS[500]})
async def readyz(request: Request, db: Annotated[Database, Depends(get_db)]) -> Response:
    """Database reachable, migrations at head, and each registered check (e.g. worker heartbeat)."""
    checks: dict[str, Any] = {}
    try:
        async with asyncio.timeout(5):
            async with db.read() as session:
                await session.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current = await current_revisions(db.engine)
            heads = head_revisions()
            checks["migrations"] = "ok" if current == heads else f"at {sorted(current)}, heads are {sorted(heads)}"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = f"error: {type(exc).__name__}"
    for name, check in getattr(request.app.state, "readiness_checks", {}).items():
        checks[name] = await check()
    if all(v == "ok" for v in checks.values()):
        return JSONResponse(ok({"status": "ready", "checks": checks}))
    body = envelope("SERVICE_UNAVAILABLE", "Service is not ready.", {"checks": checks}, request.state.request_id)
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


@router.get("/metrics", tags=["service"], include_in_schema=False)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
