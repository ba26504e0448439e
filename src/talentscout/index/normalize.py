"""Import format -> `ProfileDoc`: the one place a raw profile becomes the normalised profile.

This module owns the derivation rules, so the engine, the index and enrichment
all see the same facts:

* positions: dates parsed (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`), sorted newest first
  (current roles first, then by end, then by start); `end=None` means current;
  each carries its title family and the level its seniority markers state, the
  company's registrable domain (from the work url) and the canonical skills its
  summary/highlights mention;
* skills: every `skills[].name` and `skills[].keywords[]` as a `SkillRef` with the
  canonical id (None when unknown; the surface is kept either way), then skills
  only mentioned in role text (`source="experience"`), de-duplicated by id;
* years of experience: the union of position intervals (overlaps count once),
  current roles running to `today`;
* overall seniority: the current role's stated level, else the most recent
  stated level if it is at most 3 years old, else an estimate from years
  (<1 y junior … 8+ y senior; never above senior without a title saying so);
* place: the gazetteer's reading of "city, region, countryCode";
* links by network (linkedin, github, twitter, website …), emails with source "import".

Pure and deterministic: the same input, ids and `today` give the same document.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from talentscout.engine.profile import (
    Education,
    Email,
    Link,
    Place,
    Position,
    ProfileDoc,
    SkillRef,
    YearMonth,
)
from talentscout.index.schema import parse_date, validate_profile
from talentscout.index.vocab import Vocabulary
from talentscout.lexicons.normalize import normalize

__all__ = ["estimate_level", "normalize_profile", "registrable_domain", "this_month"]

# Networks under their canonical lowercase name; anything else is kept lowercased.
_NETWORKS = {
    "linkedin": "linkedin",
    "linked in": "linkedin",
    "github": "github",
    "gitlab": "gitlab",
    "twitter": "twitter",
    "x": "twitter",
    "stackoverflow": "stackoverflow",
    "stack overflow": "stackoverflow",
    "dribbble": "dribbble",
    "behance": "behance",
    "medium": "medium",
    "kaggle": "kaggle",
    "website": "website",
    "personal website": "website",
    "portfolio": "website",
    "blog": "website",
}
_HOST_NETWORKS = (
    ("linkedin.com", "linkedin"),
    ("github.com", "github"),
    ("gitlab.com", "gitlab"),
    ("twitter.com", "twitter"),
    ("x.com", "twitter"),
    ("stackoverflow.com", "stackoverflow"),
    ("dribbble.com", "dribbble"),
    ("behance.net", "behance"),
    ("kaggle.com", "kaggle"),
    ("medium.com", "medium"),
)
# Two-label public suffixes common in company urls (co.uk, com.au …). A full PSL
# (tldextract) costs ~20 µs per url; this covers the suffixes that matter for
# email-pattern learning, and unknown ones degrade to "last two labels".
_SECOND_LEVEL = frozenset(
    {"co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "or", "ne", "go", "gob", "nic", "mil"}
)


def this_month() -> YearMonth:
    now = datetime.now(UTC)
    return YearMonth(now.year, now.month)


@lru_cache(maxsize=100_000)
def registrable_domain(url: str) -> str | None:
    """`https://careers.examplepay.co.uk/x` -> `examplepay.co.uk`; None when no host."""
    text = url.strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = (urlsplit(text).hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if not host or "." not in host or host.replace(".", "").isdigit():
        return None
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _network_of(name: str | None, url: str | None) -> str:
    if name:
        key = name.strip().lower()
        return _NETWORKS.get(key, key.replace(" ", "") or "website")
    host = registrable_domain(url) if url else None
    for suffix, net in _HOST_NETWORKS:
        if host == suffix:
            return net
    return "website"


def _username_from_url(network: str, url: str | None) -> str | None:
    # Plain string slicing: urlsplit costs more than the rest of link handling.
    if not url or network not in ("github", "linkedin", "gitlab", "twitter"):
        return None
    rest = url.split("//", 1)[-1]
    parts = [p for p in rest.split("?", 1)[0].split("#", 1)[0].split("/")[1:] if p]
    if network == "linkedin":
        return parts[1] if len(parts) >= 2 and parts[0] in ("in", "pub") else None
    return parts[0] if parts else None


def estimate_level(years: float) -> int:
    """Seniority from years alone, when no title states it: capped at senior (3)."""
    if years < 1.0:
        return 1
    if years < 3.0:
        return 1 if years < 2.0 else 2
    if years < 8.0:
        return 2 if years < 5.0 else 3
    return 3


def _years(positions: tuple[Position, ...], today: YearMonth) -> float:
    spans: list[tuple[int, int]] = []
    now = today.months()
    for p in positions:
        if p.start is None:
            continue
        start = p.start.months()
        end = min((p.end or today).months(), now)
        if end >= start:
            spans.append((start, end + 1))
    if not spans:
        return 0.0
    spans.sort()
    total = 0
    cur_s, cur_e = spans[0]
    for s, e in spans[1:]:
        if s <= cur_e:
            cur_e = max(cur_e, e)
        else:
            total += cur_e - cur_s
            cur_s, cur_e = s, e
    total += cur_e - cur_s
    return round(total / 12.0, 2)


def _position_sort_key(p: Position) -> tuple[int, int]:
    # Newest first: current roles, then by end, then by start; undated last.
    big = 10**7
    end = big if p.end is None and p.start is not None else (p.end.months() if p.end else -1)
    start = p.start.months() if p.start else -1
    return (-end, -start)


def _overall_level(positions: tuple[Position, ...], years: float, today: YearMonth) -> int | None:
    if not positions:
        return None
    for p in positions:
        if p.level is None:
            continue
        age = 0 if p.end is None else today.months() - p.end.months()
        if age <= 36:
            return p.level
        break
    return estimate_level(years)


def normalize_profile(
    raw: Mapping[str, Any],
    *,
    lexicons: Vocabulary,
    profile_id: str,
    company_id: str | None,
    updated_at: str | None = None,
    today: YearMonth | None = None,
    validated: bool = False,
) -> ProfileDoc:
    """Turn one import-format profile into the normalised `ProfileDoc`.

    `raw` is a dict of the import format; it is validated here (raises
    `pydantic.ValidationError`) unless `validated` says it came from
    `schema.validate_profile[_json]` already. `company_id` None makes the profile
    global. `today` (default: this month) is where current roles end.
    """
    src: Mapping[str, Any] = raw if validated else validate_profile(raw)
    today = today or this_month()
    vocab = lexicons
    b: Mapping[str, Any] = src["basics"]

    positions: list[Position] = []
    for w in src.get("work") or ():
        title = w.get("position") or ""
        family, level = vocab.title(title) if title else (None, None)
        start, end = parse_date(w.get("startDate")), parse_date(w.get("endDate"))
        if start is not None and end is not None and end.months() < start.months():
            end = start  # a small slip the schema tolerated (see schema.DATE_SLIP_MONTHS)
        summary = w.get("summary") or None
        highlights = tuple(h for h in w.get("highlights") or () if h)
        text = " ".join((summary, *highlights)) if summary else " ".join(highlights)
        url = w.get("url") or None
        positions.append(
            Position(
                title=title,
                company=w.get("name") or None,
                company_url=url,
                company_domain=registrable_domain(url) if url else None,
                start=start,
                end=end,
                summary=summary,
                highlights=highlights,
                title_family=family,
                level=level,
                skill_ids=vocab.skills_in_text(text) if text else (),
            )
        )
    positions.sort(key=_position_sort_key)
    pos = tuple(positions)

    skills: list[SkillRef] = []
    seen: set[str] = set()
    for s in src.get("skills") or ():
        for surface, source in ((s["name"], "skills"), *((k, "keyword") for k in s.get("keywords") or ())):
            if not surface:
                continue
            sid = vocab.skill_id(surface)
            key = sid or "~" + normalize(surface)
            if key in seen:
                continue
            seen.add(key)
            skills.append(SkillRef(surface=surface, id=sid, source=source))
    for p in pos:
        for sid in p.skill_ids:
            if sid not in seen:
                seen.add(sid)
                skills.append(SkillRef(surface=sid, id=sid, source="experience"))

    place = Place()
    loc = b.get("location")
    if loc:
        resolved = vocab.place(loc.get("city") or None, loc.get("region") or None, loc.get("countryCode") or None)
        if resolved is not None:
            place = resolved

    links: list[Link] = []
    seen_urls: set[str] = set()
    for soc in b.get("profiles") or ():
        url = soc.get("url") or ""
        username = soc.get("username") or None
        if not url and not username:
            continue
        if url and url in seen_urls:
            continue
        seen_urls.add(url)
        net = _network_of(soc.get("network") or None, url or None)
        links.append(Link(network=net, url=url, username=username or _username_from_url(net, url)))
    site = b.get("url") or None
    if site and site not in seen_urls:
        net = _network_of(None, site)
        links.append(Link(network=net, url=site, username=_username_from_url(net, site)))

    email = b.get("email") or None
    years = _years(pos, today)
    return ProfileDoc(
        profile_id=profile_id,
        external_id=src["id"],
        name=b["name"],
        headline=b.get("label") or None,
        summary=b.get("summary") or None,
        place=place,
        positions=pos,
        skills=tuple(skills),
        education=tuple(
            Education(
                institution=e.get("institution") or None,
                area=e.get("area") or None,
                study_type=e.get("studyType") or None,
                end=parse_date(e.get("endDate")),
            )
            for e in src.get("education") or ()
        ),
        languages=tuple(dict.fromkeys(lang["language"] for lang in src.get("languages") or ())),
        links=tuple(links),
        emails=(Email(address=email.lower(), source="import"),) if email else (),
        years_experience=years,
        seniority=_overall_level(pos, years, today),
        updated_at=updated_at,
        company_id=company_id,
    )
