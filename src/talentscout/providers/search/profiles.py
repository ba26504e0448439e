"""External profiles ⇄ the import format (ENGINE.md §1) ⇄ `ProfileDoc`.

Every external adapter maps its wire records to the import format and hands
them here: each one is validated by the importer's own strict schema
(`index/schema.py`: size caps, typed strings, date order) and normalised by
`index.normalize.normalize_profile`, so external candidates get exactly the
same facts (title families, canonical skills, places) as imported ones. A
record that fails validation is skipped and counted, never fatal: one bad row
must not cost the whole answer. Text is kept as text — HTML in a name stays a
string; escaping is the renderer's job, and JSON never executes it.

Emails are dropped: addresses are revealed (and billed) by enrichment only.

`doc_to_import` is the reverse direction, used by the federation endpoint to
answer other instances in the public import format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from pydantic import ValidationError

from talentscout.engine.profile import ProfileDoc
from talentscout.index.normalize import normalize_profile
from talentscout.index.schema import validate_profile
from talentscout.index.vocab import load_vocabulary
from talentscout.providers.search.base import ProviderHit, external_profile_id

__all__ = ["doc_to_import", "external_hits"]

log = structlog.get_logger("talentscout.providers.search")


def external_hits(
    provider: str, records: Sequence[tuple[str, Mapping[str, Any], float]]
) -> list[ProviderHit]:
    """`(provider's id, import-format dict, score)` rows → hits with normalised docs (CPU: call in a thread)."""
    vocab = load_vocabulary()
    hits: list[ProviderHit] = []
    seen: set[str] = set()
    skipped = 0
    for key, raw, score in records:
        pid = external_profile_id(provider, key)
        if pid in seen:
            continue
        try:
            clean: dict[str, Any] = dict(validate_profile(raw))
            basics: dict[str, Any] = dict(clean["basics"])
            basics.pop("email", None)
            basics.pop("phone", None)
            clean["basics"] = basics
            doc = normalize_profile(clean, lexicons=vocab, profile_id=pid, company_id=None, validated=True)
        except (ValidationError, ValueError, KeyError, TypeError):
            skipped += 1
            continue
        seen.add(pid)
        hits.append(ProviderHit.external(doc, score))
    if skipped:
        log.warning("search.provider_records_skipped", provider=provider, skipped=skipped, kept=len(hits))
    return hits


def doc_to_import(doc: ProfileDoc) -> dict[str, Any]:
    """A stored profile in the import format (no emails: see module docstring)."""
    place = doc.place
    location = {
        k: v
        for k, v in (("city", place.city), ("region", place.region), ("countryCode", place.country_code))
        if v
    }
    basics: dict[str, Any] = {"name": doc.name}
    if doc.headline:
        basics["label"] = doc.headline
    if doc.summary:
        basics["summary"] = doc.summary
    if location:
        basics["location"] = location
    socials = [
        {k: v for k, v in (("network", lk.network), ("url", lk.url), ("username", lk.username)) if v}
        for lk in doc.links
    ]
    if socials:
        basics["profiles"] = socials
    work = []
    for p in doc.positions:
        entry: dict[str, Any] = {"position": p.title}
        if p.company:
            entry["name"] = p.company
        if p.company_url:
            entry["url"] = p.company_url
        if p.start:
            entry["startDate"] = p.start.iso()
        if p.end:
            entry["endDate"] = p.end.iso()
        if p.summary:
            entry["summary"] = p.summary
        if p.highlights:
            entry["highlights"] = list(p.highlights)
        work.append(entry)
    education = []
    for e in doc.education:
        row = {
            k: v
            for k, v in (("institution", e.institution), ("area", e.area), ("studyType", e.study_type))
            if v
        }
        if e.end:
            row["endDate"] = e.end.iso()
        if row:
            education.append(row)
    out: dict[str, Any] = {"id": doc.external_id or doc.profile_id, "basics": basics}
    if work:
        out["work"] = work
    if education:
        out["education"] = education
    # Skills only mentioned in role text are derived facts (their surface is an id): omitted.
    skills = [{"name": s.surface} for s in doc.skills if s.source != "experience"]
    if skills:
        out["skills"] = skills
    if doc.languages:
        out["languages"] = [{"language": lang} for lang in doc.languages]
    return out
