"""What a card shows beyond the profile: the company's latest sourcing score and its
latest verified emails for that profile. Read from the sourcing and enrichment tables,
always scoped to the calling company."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.enrichment.models import EnrichmentItem
from talentscout.render.cards import CardScore, VerifiedEmail
from talentscout.sourcing.models import SourcingCandidate
from talentscout.tenancy.scoping import scoped


async def latest_scores(
    session: AsyncSession, company_id: uuid.UUID, profile_ids: Sequence[str]
) -> Mapping[str, CardScore]:
    stmt = (
        scoped(select(SourcingCandidate), SourcingCandidate, company_id)
        .where(SourcingCandidate.profile_id.in_(list(profile_ids)))
        .order_by(SourcingCandidate.created_at.desc(), SourcingCandidate.id.desc())
    )
    out: dict[str, CardScore] = {}
    for row in (await session.execute(stmt)).scalars():
        if row.profile_id in out:
            continue  # newest first: keep the latest score
        data = row.data or {}
        out[row.profile_id] = CardScore(
            match_score=int(row.match_score),
            rationale=str(data.get("rationale") or ""),
            ai_fit_points=tuple(str(p) for p in data.get("aiFitPoints") or ()),
        )
    return out


async def latest_emails(
    session: AsyncSession, company_id: uuid.UUID, profile_ids: Sequence[str]
) -> Mapping[str, Sequence[VerifiedEmail]]:
    stmt = (
        scoped(select(EnrichmentItem), EnrichmentItem, company_id)
        .where(EnrichmentItem.profile_id.in_(list(profile_ids)), EnrichmentItem.success.is_(True))
        .order_by(EnrichmentItem.finished_at.desc(), EnrichmentItem.id.desc())
    )
    out: dict[str, Sequence[VerifiedEmail]] = {}
    for item in (await session.execute(stmt)).scalars():
        if item.profile_id in out:
            continue
        details = (item.candidate or {}).get("emailDetails") or []
        out[item.profile_id] = [
            VerifiedEmail(address=str(d.get("email")), status=str(d.get("status")))
            for d in details
            if d.get("email")
        ]
    return out
