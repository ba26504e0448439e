"""Enrichment fixtures: the loopback rig, settings pointed at it, profile builders, a batch runner."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from talentscout.config import Settings
from talentscout.engine.profile import Email, Link, Position, ProfileDoc, YearMonth
from talentscout.enrichment.domains import resolve_mail_domains
from talentscout.enrichment.patterns import DEFAULT_PRIOR, Evidence, PatternModel
from talentscout.enrichment.pipeline import BatchContext, ProfileOutcome, enrich_batch
from talentscout.enrichment.suppression import SuppressionSet
from talentscout.enrichment.verify import VerificationHub
from tests.conftest import make_settings
from tests.enrichment.rig import Rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    with Rig(tmp_path) as r:
        yield r


def rig_settings(rig: Rig, **overrides: Any) -> Settings:
    return make_settings("sqlite+aiosqlite:///unused.db", **rig.settings_overrides(**overrides))


def person(
    pid: str,
    name: str,
    *,
    domain: str | None = None,
    company: str = "Acme",
    links: Sequence[tuple[str, str]] = (),
    emails: Sequence[tuple[str, str]] = (),
) -> ProfileDoc:
    return ProfileDoc(
        profile_id=pid,
        external_id=pid,
        name=name,
        headline="Engineer",
        positions=(
            Position(title="Engineer", company=company, company_domain=domain, start=YearMonth(2020, 1)),
        ),
        links=tuple(Link(network=n, url=u) for n, u in links),
        emails=tuple(Email(address=a, source=s) for a, s in emails),
    )


def strong_model(domain: str, pattern: str = "{first}.{last}", n: int = 8) -> PatternModel:
    ev = Evidence()
    for _ in range(n):
        ev.counts[pattern] = ev.counts.get(pattern, 0.0) + 1.0
        ev.observations += 1
    return PatternModel.fit(domain, ev, DEFAULT_PRIOR)


async def run_batch(
    settings: Settings,
    docs: Sequence[ProfileDoc],
    *,
    network: bool = True,
    models: dict[str, PatternModel] | None = None,
    suppressions: SuppressionSet | None = None,
    hub: VerificationHub | None = None,
) -> list[ProfileOutcome]:
    extra = tuple(settings.enrichment_extra_suffixes)
    domains = {d.profile_id: resolve_mail_domains(d, {}, extra_suffixes=extra) for d in docs}
    wanted = {m.domain for ds in domains.values() for m in ds}
    all_models = {d: strong_model(d) for d in wanted}
    all_models.update(models or {})
    ctx = BatchContext(
        settings=settings,
        network=network,
        domains=domains,
        models=all_models,
        suppressions=suppressions or SuppressionSet(frozenset(), frozenset(), frozenset()),
    )
    return await enrich_batch(docs, ctx, hub=hub)


def details(outcome: ProfileOutcome) -> dict[str, dict[str, Any]]:
    assert outcome.success, (outcome.error_code, outcome.error_message)
    assert outcome.candidate is not None
    return {d["email"]: d for d in outcome.candidate["emailDetails"]}
