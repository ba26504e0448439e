"""`POST /sourcing/render-html` (API.md §7): candidate cards for 1–10 profiles, synchronously.

Free of charge (no billing calls). Unknown and foreign profiles are the same per-item
`PROFILE_NOT_FOUND`; the request itself only fails on auth, scope or validation.

Hooks for later features, read at call time so assigning them is enough:
* `SCORE_LOOKUP` — the company's latest `CardScore` per profile (from its sourcing results);
* `EMAIL_LOOKUP` — verified emails per profile (from its enrichment results); tests may swap both.
Both are `async (session, company_id, profile_ids) -> {profile_id: …}`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import Field, StringConstraints

from talentscout.auth.guard import Principal, SecuredRoute, require_principal, secured, tenant_id
from talentscout.db import Database
from talentscout.deps import get_db
from talentscout.kit.schema import OutModel, WireModel
from talentscout.render import lookups, service
from talentscout.web_docs import ERRORS

SCORE_LOOKUP: service.ScoreLookup = lookups.latest_scores
EMAIL_LOOKUP: service.EmailLookup = lookups.latest_emails
MAX_PROFILES = 10

router = APIRouter(route_class=SecuredRoute, tags=["enrichment"])
PrincipalDep = Annotated[Principal, Depends(require_principal)]
DbDep = Annotated[Database, Depends(get_db)]
# Ids are opaque (`prof_…`): any other short printable-ASCII string is a well-formed request
# that finds nothing. Printable ASCII only, because ids are echoed back in the response.
ProfileIdIn = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]


class RenderRequest(WireModel):
    profile_ids: Annotated[list[ProfileIdIn], Field(min_length=1, max_length=MAX_PROFILES)]
    theme: Literal["dark", "light"] = "dark"


class RenderedItem(OutModel):
    profile_id: str
    success: Literal[True] = True
    name: str
    html_content: str


class RenderFailure(OutModel):
    profile_id: str
    success: Literal[False] = False
    error_code: Literal["PROFILE_NOT_FOUND"] = "PROFILE_NOT_FOUND"


class RenderResponse(OutModel):
    success: Literal[True] = True
    rendered_count: int
    data: list[RenderedItem | RenderFailure]


@router.post(
    "/sourcing/render-html",
    response_model=RenderResponse,
    responses=ERRORS,
    openapi_extra=secured("enrich:write"),
    summary="Render candidate cards (HTML)",
)
async def render_html(body: RenderRequest, principal: PrincipalDep, db: DbDep) -> RenderResponse:
    """Email- and dashboard-safe HTML cards (dark `#0f172a` or light `#ffffff`), one per profile.

    Each `htmlContent` is a self-contained `<table>` fragment: inline CSS only, at most
    600 px wide, no scripts or external resources. Profiles the company cannot see
    are `PROFILE_NOT_FOUND`, exactly like unknown ids. No credits are consumed.
    """
    cards = await service.render_cards(
        db,
        body.profile_ids,
        company_id=tenant_id(principal),
        theme=body.theme,
        score_lookup=SCORE_LOOKUP,
        email_lookup=EMAIL_LOOKUP,
    )
    data: list[RenderedItem | RenderFailure] = [
        RenderedItem(profile_id=c.profile_id, name=c.name or "", html_content=c.html)
        if c.html is not None
        else RenderFailure(profile_id=c.profile_id)
        for c in cards
    ]
    return RenderResponse(rendered_count=sum(1 for c in cards if c.found), data=data)
