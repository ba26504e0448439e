"""Pattern learning: from the index's known addresses, and from what enrichment finds.

`rebuild_from_index` streams the **global** profiles (private pools are a
company's own data and must not shape what other tenants see), matches every
known address against the person's name variants and replaces the `index` rows
of `enrichment_pattern_stats` (per domain and the global prior `*`) and the
company→mail-domain map. It runs as a periodic task and from the CLI; until it
has run, enrichment falls back to the built-in prior.

`record_feedback` adds `feedback` evidence in the caller's transaction: verified
or self-published addresses count for their pattern, SMTP rejections against it.
Observations are weighted by evidence quality and halved every
`enrichment_pattern_half_life_days`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.billing.ledger import insert_ignore
from talentscout.config import Settings
from talentscout.engine.profile import ProfileDoc
from talentscout.enrichment.domains import company_key, is_company_domain, registrable, split_address
from talentscout.enrichment.models import CompanyDomain, PatternStat
from talentscout.enrichment.names import variants
from talentscout.enrichment.patterns import (
    DIGITS,
    UNMATCHED,
    Evidence,
    PatternModel,
    global_prior,
    match_local,
)
from talentscout.index.models import Profile
from talentscout.kit.clock import utcnow

GLOBAL = "*"
# How much one observation of each origin is worth.
QUALITY = {
    "import": 1.0,
    "valid": 1.0,
    "page": 1.0,
    "accept_all": 0.3,
    "index": 0.8,
    # Our own unverified guesses written back to the index must not feed themselves.
    "pattern": 0.1,
    "guessed": 0.1,
}
_BATCH = 2000


def age_weight(when: datetime | None, now: datetime, half_life_days: float) -> float:
    if when is None or half_life_days <= 0:
        return 1.0
    days = max(0.0, (now - when).total_seconds() / 86400.0)
    return math.pow(0.5, days / half_life_days)


def _doc_time(doc: ProfileDoc) -> datetime | None:
    if not doc.updated_at:
        return None
    try:
        value = datetime.fromisoformat(doc.updated_at)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def observe_doc(
    doc: ProfileDoc,
    per_domain: dict[str, Evidence],
    company_map: dict[str, dict[str, float]],
    *,
    now: datetime,
    half_life_days: float,
    extra_suffixes: tuple[str, ...] = (),
) -> None:
    """Add one profile's known addresses to the aggregates."""
    if not doc.emails:
        return
    names = variants(doc.name)
    weight_age = age_weight(_doc_time(doc), now, half_life_days)
    company_keys = [k for k in (company_key(p.company) for p in doc.positions[:2]) if k]
    for email in doc.emails:
        local, domain = split_address(email.address)
        if not local or not domain:
            continue
        reg = registrable(domain, extra_suffixes)
        if not is_company_domain(reg):
            continue  # free-mail patterns say nothing about a company's scheme
        # "import", "enrichment:page", "enrichment:pattern" …: weigh by the last part.
        quality = QUALITY.get(email.source.rsplit(":", 1)[-1], QUALITY["index"])
        weight = quality * weight_age
        per_domain.setdefault(domain, Evidence()).observe(match_local(local, names), weight)
        for key in company_keys:
            company_map.setdefault(key, {})
            company_map[key][domain] = company_map[key].get(domain, 0.0) + weight


async def rebuild_from_index(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """Recompute the `index` evidence and the company map from global profiles (one transaction)."""
    now = utcnow()
    extra = tuple(settings.enrichment_extra_suffixes)
    per_domain: dict[str, Evidence] = {}
    company_map: dict[str, dict[str, float]] = {}
    last_id = ""
    profiles = 0
    while True:
        stmt = (
            select(Profile.id, Profile.doc)
            .where(Profile.company_id.is_(None), Profile.id > last_id)
            .order_by(Profile.id)
            .limit(_BATCH)
        )
        rows = (await session.execute(stmt)).all()
        if not rows:
            break
        for pid, raw in rows:
            last_id = pid
            profiles += 1
            try:
                doc = ProfileDoc.from_json(raw)
            except (KeyError, TypeError, ValueError):
                continue
            observe_doc(
                doc,
                per_domain,
                company_map,
                now=now,
                half_life_days=settings.enrichment_pattern_half_life_days,
                extra_suffixes=extra,
            )
    overall = Evidence()
    for evidence in per_domain.values():
        overall.merge(evidence)
    await session.execute(delete(PatternStat).where(PatternStat.source == "index"))
    rows_out: list[dict[str, object]] = []
    for domain, evidence in [*per_domain.items(), (GLOBAL, overall)]:
        for pattern, value in evidence.counts.items():
            rows_out.append(_stat(domain, pattern, value, 0.0, evidence.observations, now))
        rows_out.append(_stat(domain, UNMATCHED, evidence.unmatched, 0.0, evidence.observations, now))
        rows_out.append(_stat(domain, DIGITS, evidence.digits, 0.0, evidence.observations, now))
    for start in range(0, len(rows_out), 500):
        session.add_all(PatternStat(**r) for r in rows_out[start : start + 500])
        await session.flush()
    await session.execute(delete(CompanyDomain))
    for key, domains in company_map.items():
        for domain, weight in domains.items():
            session.add(CompanyDomain(company_key=key, domain=domain, weight=weight, updated_at=now))
    await session.flush()
    return {"profiles": profiles, "domains": len(per_domain), "companies": len(company_map)}


def _stat(domain: str, pattern: str, pos: float, neg: float, obs: int, now: datetime) -> dict[str, object]:
    return {
        "domain": domain,
        "pattern": pattern,
        "source": "index",
        "positive": pos,
        "negative": neg,
        "observations": obs,
        "updated_at": now,
    }


async def load_models(
    session: AsyncSession, domains: Iterable[str], settings: Settings
) -> dict[str, PatternModel]:
    """The fitted model of each domain (smoothed over the global prior)."""
    wanted = sorted(set(domains))
    stmt = select(PatternStat).where(PatternStat.domain.in_([*wanted, GLOBAL]))
    rows = list((await session.execute(stmt)).scalars())
    now = utcnow()
    evidence: dict[str, Evidence] = defaultdict(Evidence)
    observations: dict[str, dict[str, int]] = defaultdict(dict)
    for row in rows:
        ev = evidence[row.domain]
        decay = (
            age_weight(row.updated_at, now, settings.enrichment_pattern_half_life_days)
            if row.source == "feedback"
            else 1.0
        )
        if row.pattern == UNMATCHED:
            ev.unmatched += row.positive * decay
        elif row.pattern == DIGITS:
            ev.digits += row.positive * decay
        else:
            ev.counts[row.pattern] = ev.counts.get(row.pattern, 0.0) + row.positive * decay
            if row.negative:
                ev.negative[row.pattern] = ev.negative.get(row.pattern, 0.0) + row.negative * decay
        observations[row.domain][row.source] = max(
            observations[row.domain].get(row.source, 0), row.observations
        )
    for domain, by_source in observations.items():
        evidence[domain].observations = sum(by_source.values())
    prior = global_prior(evidence[GLOBAL]) if GLOBAL in evidence else global_prior(Evidence())
    return {
        d: PatternModel.fit(d, evidence.get(d, Evidence()), prior, settings.enrichment_pattern_alpha)
        for d in wanted
    }


async def load_company_map(session: AsyncSession, keys: Iterable[str]) -> dict[str, dict[str, float]]:
    wanted = sorted({k for k in keys if k})
    if not wanted:
        return {}
    rows = (
        await session.execute(select(CompanyDomain).where(CompanyDomain.company_key.in_(wanted)))
    ).scalars()
    out: dict[str, dict[str, float]] = {}
    for row in rows:
        out.setdefault(row.company_key, {})[row.domain] = row.weight
    return out


async def record_feedback(
    session: AsyncSession, domain: str, pattern: str, *, positive: float = 0.0, negative: float = 0.0
) -> None:
    """Add feedback evidence for (domain, pattern) in the caller's transaction."""
    now = utcnow()
    await insert_ignore(
        session,
        PatternStat,
        {
            "domain": domain,
            "pattern": pattern,
            "source": "feedback",
            "positive": 0.0,
            "negative": 0.0,
            "observations": 0,
            "updated_at": now,
        },
        ["domain", "pattern", "source"],
        PatternStat.domain,
    )
    row = await session.get(PatternStat, (domain, pattern, "feedback"))
    if row is None:
        return
    row.positive += positive
    row.negative += negative
    row.observations += 1
    row.updated_at = now
    await session.flush()
