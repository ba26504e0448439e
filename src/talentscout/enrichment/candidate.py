"""The Candidate object (API.md §5) built from a ProfileDoc for enrichment results.

Enrichment has no job description to score against, so `matchScore` is 0 and the
explanation fields are empty unless the company already scored this profile in a
sourcing run: then that run's score and explanations are reused (the same rule
render-html follows), and only the profile facts are refreshed. Pure; no I/O.
"""

from __future__ import annotations

from typing import Any

from talentscout.engine.profile import Position, ProfileDoc, YearMonth

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _ym(value: YearMonth | None) -> str | None:
    return f"{_MONTHS[value.month - 1]} {value.year}" if value else None


def duration(position: Position) -> str:
    start = _ym(position.start)
    end = _ym(position.end) or ("present" if position.start else None)
    if start and end:
        return f"{start} – {end}"
    return start or end or ""


def location_text(doc: ProfileDoc) -> str | None:
    place = doc.place
    parts = [p for p in (place.city, place.region, place.country_code) if p]
    return ", ".join(parts) if parts else place.raw


def candidate_from_profile(doc: ProfileDoc, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Candidate fields for `doc` (without the enrichment extras)."""
    current = doc.current
    skills: list[str] = []
    for skill in doc.skills:
        if skill.surface not in skills:
            skills.append(skill.surface)
    base: dict[str, Any] = {
        "profileId": doc.profile_id,
        "name": doc.name,
        "linkedinUrl": doc.linkedin_url,
        "matchScore": 0,
        "rationale": (
            doc.headline or (f"{current.title} at {current.company}" if current and current.company else "")
        )[:300],
        "skills": skills,
        "headline": doc.headline,
        "location": location_text(doc),
        "currentCompany": current.company if current else None,
        "currentRole": current.title if current else None,
        "aiFitPoints": [],
        "aiRedFlags": [],
        "aiDetailedRationale": [],
        "detailedExperience": [
            {
                "role": p.title,
                "company": p.company,
                "duration": duration(p),
                "highlights": list(p.highlights),
            }
            for p in doc.positions
        ],
        "emails": [],
        "source": "local",
    }
    if previous:
        for key in (
            "matchScore",
            "rationale",
            "aiFitPoints",
            "aiRedFlags",
            "aiDetailedRationale",
            "scoreBreakdown",
        ):
            if key in previous:
                base[key] = previous[key]
    return base
