"""The candidate-index provider port: `SearchProvider`, its hits and its failures.

A provider answers an ICP with scored hits. A local hit names a profile of this
instance's profile table by id (the pipeline loads the documents); an external
hit carries the whole normalised `ProfileDoc` (external profiles are never
stored). External documents get a profile id derived from (provider, the
provider's own id): stable across runs, so a refinement recognises a profile it
already scored, and namespaced, so a provider can never answer with the id of a
local profile and have its data shown under it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from talentscout.engine.icp import ICP
from talentscout.engine.profile import ProfileDoc
from talentscout.index.ids import PREFIX, join_profile_id

__all__ = [
    "ProviderError",
    "ProviderHit",
    "ProviderUnavailable",
    "SearchProvider",
    "external_profile_id",
]


@dataclass(frozen=True, slots=True)
class ProviderHit:
    """One search hit: a local profile id, or an external document; never both."""

    score: float
    profile_id: str
    doc: ProfileDoc | None = None

    @staticmethod
    def local(profile_id: str, score: float) -> ProviderHit:
        return ProviderHit(float(score), profile_id)

    @staticmethod
    def external(doc: ProfileDoc, score: float) -> ProviderHit:
        return ProviderHit(float(score), doc.profile_id, doc)

    @property
    def is_external(self) -> bool:
        return self.doc is not None


class SearchProvider(Protocol):
    """A candidate index. `search` raises `ProviderError` when it cannot answer."""

    @property
    def name(self) -> str: ...

    async def search(
        self, icp: ICP, *, company_id: str | None, exclude_ids: Sequence[str], limit: int
    ) -> list[ProviderHit]:
        """Up to `limit` hits, best first. `company_id` (None: global pool only) and
        `exclude_ids` (profiles already scored in the session) apply to local ids; the
        chain drops excluded external ids itself."""
        ...


class ProviderError(Exception):
    """A provider could not answer. `retryable` says whether another attempt may help;
    `counts` whether the failure says something about the provider's health (breaker)."""

    def __init__(self, provider: str, reason: str, *, retryable: bool = False, counts: bool = True) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason
        self.retryable = retryable
        self.counts = counts
        self.retry_after: float | None = None


class ProviderUnavailable(ProviderError):
    """Refused without calling: the breaker is open or the provider is saturated."""

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(provider, reason, retryable=False, counts=False)


def external_profile_id(provider: str, external_id: str) -> str:
    """A stable `prof_` id for an external profile, namespaced by provider (see module docstring)."""
    digest = hashlib.blake2b(f"{provider}\x00{external_id}".encode(), digest_size=16).digest()
    n = int.from_bytes(digest, "big")
    pid = join_profile_id(n >> 64, n & ((1 << 64) - 1))
    assert pid.startswith(PREFIX)
    return pid
