"""The federation endpoint `POST /index/search` (contract: `providers/search/remote.py`).

Mount with `app.include_router(remote_server.router)` (at the root, not under
`/v1`: it is an instance-to-instance API, not a tenant API). It is off — 404 like
any unknown route — until `TALENTSCOUT_SEARCH_SERVER_TOKENS` lists at least one
token (a JSON array, so tokens rotate by listing old and new together).

The token is checked before the body is parsed, so an unauthenticated caller
learns nothing about the body format. The answer comes from the embedded index
and the profile table, global pool only, without emails, at most
`TALENTSCOUT_SEARCH_SERVER_MAX_RESULTS` profiles.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from talentscout.config import Settings
from talentscout.db import Database
from talentscout.deps import get_db, get_settings_dep
from talentscout.errors import AppError
from talentscout.index.store import get_profiles
from talentscout.kit.tokens import constant_time_equal
from talentscout.providers.search.base import ProviderError
from talentscout.providers.search.local import LocalProvider
from talentscout.providers.search.profiles import doc_to_import
from talentscout.providers.search.remote import PATH, PROTOCOL_VERSION, RemoteSearchRequest

__all__ = ["router"]


def check_token(request: Request) -> None:
    """404 when federation is off; 401 unless the bearer token is one of the configured ones."""
    settings: Settings = request.app.state.settings
    tokens = [t.get_secret_value() for t in settings.search_server_tokens if t.get_secret_value()]
    if not tokens:
        raise AppError("RESOURCE_NOT_FOUND", 404, "No such route.", {"resourceType": "route"})
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    # Compare against every token (no early exit): timing says nothing about which one matched.
    matched = False
    for token in tokens:
        matched |= constant_time_equal(given, token)
    if scheme.lower() != "bearer" or not matched:
        raise AppError(
            "INVALID_API_KEY", 401, "Invalid federation token.", None, {"WWW-Authenticate": "Bearer"}
        )


class FederationRoute(APIRoute):
    """Checks the federation token before FastAPI reads and validates the body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            check_token(request)
            return await original(request)

        return handler


router = APIRouter(route_class=FederationRoute, tags=["federation"])
DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


@router.post(PATH, summary="Federated candidate search (instance to instance)")
async def federated_search(body: RemoteSearchRequest, db: DbDep, settings: SettingsDep) -> dict[str, Any]:
    """Search this instance's global pool with an ICP; profiles come back in the import format."""
    limit = max(1, min(body.limit, settings.search_server_max_results))
    try:
        hits = await LocalProvider(settings.data_dir).search(
            body.icp, company_id=None, exclude_ids=(), limit=limit
        )
    except ProviderError:
        raise AppError("INDEX_UNAVAILABLE", 503, "The candidate index is unavailable.", None) from None
    scores = {h.profile_id: h.score for h in hits}
    docs = await get_profiles(db, [h.profile_id for h in hits], None)
    results = [
        {"profileId": d.profile_id, "score": scores[d.profile_id], "profile": doc_to_import(d)} for d in docs
    ]
    return {"version": PROTOCOL_VERSION, "count": len(results), "results": results}
