"""`remote`: another talentscout instance's federation endpoint, and the wire contract both sides use.

Contract (version 1) — served by `remote_server.router`, called by `RemoteProvider`:

    POST {base}/index/search
    Authorization: Bearer <token>          (one of the server's TALENTSCOUT_SEARCH_SERVER_TOKENS)
    Content-Type: application/json

    {"icp": <ICP document, ENGINE.md §2, as GET /sourcing/{id}/results returns it>,
     "limit": 50}                          (1 … 1000; the server caps it further)

    200 {"version": 1, "count": 2,
         "results": [{"profileId": "prof_…", "score": 12.5,
                      "profile": <one profile in the import format, ENGINE.md §1, without emails>},
                     …]}                   (best first)
    401 INVALID_API_KEY (missing/wrong token) · 404 when the server has no tokens (federation off)
    400 VALIDATION_ERROR (bad body, e.g. an ICP of a newer version) · 503 INDEX_UNAVAILABLE

The server searches its GLOBAL pool only — never a company's private pool — and
never returns email addresses. The client treats every answer as untrusted: the
envelope is validated here, each profile by the import schema, and a profile's
id on this side is derived from ("remote", its `profileId`).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from talentscout.engine.icp import ICP
from talentscout.providers.search.base import ProviderHit
from talentscout.providers.search.calls import ResilientCaller
from talentscout.providers.search.profiles import external_hits

__all__ = ["PATH", "RemoteProvider", "RemoteResult", "RemoteSearchRequest", "RemoteSearchResponse"]

PATH = "/index/search"
PROTOCOL_VERSION = 1
MAX_LIMIT = 1000


class RemoteSearchRequest(BaseModel):
    """The request body."""

    model_config = ConfigDict(extra="forbid")

    icp: ICP
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)


class RemoteResult(BaseModel):
    """One hit: the server's profile id, its score, the profile in the import format."""

    model_config = ConfigDict(extra="ignore")

    profileId: str = Field(min_length=1, max_length=100)
    score: float = 0.0
    profile: dict[str, Any]

    @field_validator("score")
    @classmethod
    def _finite(cls, v: float) -> float:
        # NaN/inf would poison the lexical normalisation (score / best score).
        return v if math.isfinite(v) else 0.0


class RemoteSearchResponse(BaseModel):
    """The response body."""

    model_config = ConfigDict(extra="ignore")

    version: int = PROTOCOL_VERSION
    count: int = Field(default=0, ge=0)
    results: list[RemoteResult] = Field(max_length=MAX_LIMIT)


def endpoint(base_url: str) -> str:
    """`https://peer.example` or `https://peer.example/index/search` → the endpoint URL."""
    base = base_url.rstrip("/")
    return base if base.endswith(PATH) else base + PATH


class RemoteProvider:
    """A peer talentscout's global pool."""

    name = "remote"

    def __init__(self, base_url: str, token: str, caller: ResilientCaller, *, max_results: int = 200) -> None:
        self.url = endpoint(base_url)
        self._token = token
        self.caller = caller
        self.max_results = max(1, min(max_results, MAX_LIMIT))

    async def search(
        self, icp: ICP, *, company_id: str | None, exclude_ids: Sequence[str], limit: int
    ) -> list[ProviderHit]:
        # company_id is deliberately not sent: a peer only ever searches its global pool.
        n = max(1, min(limit, self.max_results))
        body = {"icp": icp.to_json(), "limit": n}
        async with self.caller.client() as client:
            answer = await self.caller.call(
                client,
                "POST",
                self.url,
                RemoteSearchResponse.model_validate,
                headers={"Authorization": f"Bearer {self._token}", "Accept": "application/json"},
                json=body,
            )
        records = [(r.profileId, r.profile, r.score) for r in answer.results[:n]]
        return await asyncio.to_thread(external_hits, self.name, records)
