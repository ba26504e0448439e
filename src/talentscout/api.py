"""The one list of routers: read this file to see the whole API."""

from __future__ import annotations

from fastapi import APIRouter

from talentscout.admin.router import router as admin_router
from talentscout.billing import router as billing_routes
from talentscout.enrichment import router as enrichment_routes
from talentscout.providers.search import remote_server
from talentscout.render.router import router as render_router
from talentscout.service_routes import router as service_router
from talentscout.sourcing.router import router as sourcing_router
from talentscout.tenancy.router import router as companies_router
from talentscout.webhooks.router import router as webhooks_router

# Tenant-facing routers: served at the root and under /v1 (alias only, hidden from the schema).
PUBLIC_ROUTERS: list[APIRouter] = [service_router, companies_router, sourcing_router, billing_routes.router, webhooks_router, render_router, enrichment_routes.router]
# Root-only routers (no /v1 alias): the operator API and the federation search endpoint.
ADMIN_ROUTERS: list[APIRouter] = [
    admin_router,
    billing_routes.admin_router,
    enrichment_routes.admin_router,
    remote_server.router,
]


def company_alias_router() -> APIRouter:
    """`/company` is an alias of `/companies` (API.md §9)."""
    alias = APIRouter(route_class=companies_router.route_class)
    for route in companies_router.routes:
        path = getattr(route, "path", "")
        if path.startswith("/companies"):
            alias.add_api_route(
                "/company" + path[len("/companies") :],
                route.endpoint,  # type: ignore[attr-defined]
                methods=list(route.methods),  # type: ignore[attr-defined]
                status_code=route.status_code,  # type: ignore[attr-defined]
                response_model=route.response_model,  # type: ignore[attr-defined]
                openapi_extra=route.openapi_extra,  # type: ignore[attr-defined]
                include_in_schema=False,
            )
    return alias
