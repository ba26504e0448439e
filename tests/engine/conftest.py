"""Shared fixtures: the shipped lexicons compiled once per test session, and a profile factory."""

from __future__ import annotations

from typing import Any

import pytest

from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.profile import Place, Position, ProfileDoc, SkillRef, YearMonth


@pytest.fixture(scope="session")
def lex() -> EngineLexicon:
    from talentscout.lexicons.load import load_gazetteer, load_lexicons

    return EngineLexicon.from_lexicons(load_lexicons(), load_gazetteer())


TODAY = YearMonth(2025, 12)


def make_profile(
    pid: str,
    *,
    name: str = "Alex Example",
    titles: tuple[str, ...] = ("Software Engineer",),
    company: str = "Acme Corp",
    skills: tuple[str, ...] = ("Python",),
    summary: str = "",
    city: str = "Berlin",
    cc: str = "DE",
    lat: float | None = 52.52,
    lon: float | None = 13.405,
    years: float = 6.0,
    **extra: Any,
) -> ProfileDoc:
    """A small normalised profile: the first title is current, each earlier one 3 years before."""
    positions = []
    for i, t in enumerate(titles):
        start = YearMonth(2022 - 3 * i, 1)
        end = None if i == 0 else YearMonth(2022 - 3 * i + 2, 12)
        positions.append(
            Position(
                title=t,
                company=company if i == 0 else f"{company} {i}",
                start=start,
                end=end,
                summary=summary,
            )
        )
    return ProfileDoc(
        profile_id=pid,
        external_id=pid,
        name=name,
        headline=titles[0] if titles else None,
        summary=summary or None,
        place=Place(city=city, country_code=cc, lat=lat, lon=lon),
        positions=tuple(positions),
        skills=tuple(SkillRef(surface=s) for s in skills),
        years_experience=years,
        **extra,
    )
