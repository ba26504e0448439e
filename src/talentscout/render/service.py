"""Rendering the cards of the profiles a company may see (the router and the CLI share it).

Visibility is the tenancy rule of API.md §1, applied by `index.store.get_profiles`: a
profile is global (`company_id` NULL) or private to one company, and one the company
cannot see is absent exactly like one that does not exist, so the caller can only ever
answer `PROFILE_NOT_FOUND`.

Scores and verified emails belong to other features (sourcing, enrichment); they
reach the card through lookups passed in by the caller (`router.SCORE_LOOKUP`,
`router.EMAIL_LOOKUP`), so this module never imports them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.db import Database
from talentscout.index.store import get_profiles
from talentscout.render.cards import CardScore, VerifiedEmail, render_card
from talentscout.render.sanitize import clean_text
from talentscout.render.themes import ThemeName

# async (session, company_id, profile_ids) -> {profile_id: …}; ids absent from the result have none.
ScoreLookup = Callable[[AsyncSession, uuid.UUID, Sequence[str]], Awaitable[Mapping[str, CardScore]]]
EmailLookup = Callable[
    [AsyncSession, uuid.UUID, Sequence[str]], Awaitable[Mapping[str, Sequence[VerifiedEmail]]]
]


async def no_scores(
    session: AsyncSession, company_id: uuid.UUID, profile_ids: Sequence[str]
) -> dict[str, CardScore]:
    """Default score lookup until the sourcing feature installs its own."""
    return {}


async def no_emails(
    session: AsyncSession, company_id: uuid.UUID, profile_ids: Sequence[str]
) -> dict[str, list[VerifiedEmail]]:
    """Default verified-email lookup until the enrichment feature installs its own."""
    return {}


@dataclass(frozen=True, slots=True)
class RenderedCard:
    profile_id: str
    name: str | None = None
    html: str | None = None  # None: unknown or not visible to the company

    @property
    def found(self) -> bool:
        return self.html is not None


async def render_cards(
    db: Database,
    profile_ids: Sequence[str],
    *,
    company_id: uuid.UUID | None,
    theme: ThemeName,
    score_lookup: ScoreLookup = no_scores,
    email_lookup: EmailLookup = no_emails,
) -> list[RenderedCard]:
    """One result per requested id, in request order (a repeated id is rendered once, answered twice).

    `company_id=None` sees global profiles only and gets no scores or emails, which
    are always some company's.
    """
    # The index owns the visibility rule (global + the company's own private profiles).
    docs = await get_profiles(db, profile_ids, str(company_id) if company_id is not None else None)
    profiles = {doc.profile_id: doc for doc in docs}
    found = list(profiles)
    scores: Mapping[str, CardScore] = {}
    emails: Mapping[str, Sequence[VerifiedEmail]] = {}
    if company_id is not None and found:
        async with db.read() as session:
            scores = await score_lookup(session, company_id, found)
            emails = await email_lookup(session, company_id, found)

    def render_all() -> dict[str, str]:
        return {
            pid: render_card(doc, theme=theme, score=scores.get(pid), emails=emails.get(pid))
            for pid, doc in profiles.items()
        }

    # Up to ten cards is a few milliseconds of pure CPU: keep it off the event loop.
    html = await anyio.to_thread.run_sync(render_all) if profiles else {}
    return [
        # The name as the card shows it: raw values may hold lone surrogates JSON cannot carry.
        RenderedCard(pid, clean_text(profiles[pid].name), html[pid]) if pid in profiles else RenderedCard(pid)
        for pid in profile_ids
    ]
