"""Candidate cards: one self-contained, email- and dashboard-safe HTML fragment per profile.

`render_card` turns a `ProfileDoc` (plus, when the company has them, its latest
score and the verified emails) into a `<table>` fragment: table layout, every style
inline, at most 600 px wide, no scripts, no external stylesheets, fonts or images,
so it survives email clients and ATS dashboards that strip `<style>` and block
remote content. `render_page` wraps fragments in a minimal UTF-8 document (with a
no-script CSP) for operators who open a card in a browser.

Safety lives in three layers: the view model passes every profile value through
`sanitize.clean_text` and every link through `sanitize.safe_url`; the Jinja2
environment autoescapes everything; and the templates only put theme constants
(`themes.py`) into `style` attributes, never profile data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from talentscout.engine.profile import Link, ProfileDoc
from talentscout.render.sanitize import clean_text, mailto_url, safe_url
from talentscout.render.themes import BY_NAME, FONT_STACK, Badge, Theme, ThemeName

TEMPLATES = Path(__file__).parent / "templates"
MAX_SKILLS = 12
MAX_FIT_POINTS = 5
MAX_EMAILS = 3
UNNAMED = "Unnamed candidate"
# Which link the button opens, best first; any other http(s) link comes after these.
LINK_PREFERENCE: tuple[tuple[str, str], ...] = (
    ("linkedin", "View LinkedIn profile"),
    ("website", "Visit personal site"),
    ("portfolio", "Visit personal site"),
    ("blog", "Visit personal site"),
    ("homepage", "Visit personal site"),
    ("personal", "Visit personal site"),
    ("github", "View GitHub profile"),
    ("gitlab", "View GitLab profile"),
)
FALLBACK_LINK_LABEL = "View profile"


@dataclass(frozen=True, slots=True)
class CardScore:
    """The company's latest evaluation of the profile (API.md §5 candidate fields)."""

    match_score: int  # 0–100 (matchScore)
    rationale: str = ""
    ai_fit_points: tuple[str, ...] = ()  # aiFitPoints


@dataclass(frozen=True, slots=True)
class VerifiedEmail:
    """An enrichment result for one address (ENRICHMENT.md §5)."""

    address: str
    status: str  # valid | accept_all | guessed | invalid | unknown


@dataclass(frozen=True, slots=True)
class CardEmail:
    text: str
    href: str | None  # None: shown as text only (address outside the plain mailto form)


@dataclass(frozen=True, slots=True)
class CardButton:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class CardView:
    """Everything the template may show, already sanitised; built only by `card_view`."""

    name: str
    role: str
    company: str
    role_dir: str  # "ltr" | "rtl": orders the role and company spans for the reader
    headline: str
    location: str
    experience: str
    score: int | None
    badge: Badge | None
    rationale: str
    fit_points: tuple[str, ...]
    skills: tuple[str, ...]
    emails: tuple[CardEmail, ...]
    button: CardButton | None


def render_card(
    profile: ProfileDoc,
    *,
    theme: ThemeName = "dark",
    score: CardScore | None = None,
    emails: Sequence[VerifiedEmail] | None = None,
) -> str:
    """The card fragment (`<table …>…</table>`) for one profile."""
    palette = BY_NAME[theme]
    view = card_view(profile, palette, score, emails)
    return _template("card.html.j2").render(c=view, t=palette, font=FONT_STACK).strip()


def render_page(cards: Sequence[str], *, theme: ThemeName = "dark", title: str = "Candidate cards") -> str:
    """A standalone UTF-8 document around rendered card fragments, under a no-script CSP."""
    palette = BY_NAME[theme]
    return _template("page.html.j2").render(
        # Already-rendered fragments (our own autoescaped output), so not escaped a second time.
        cards=[Markup(card) for card in cards],
        t=palette,
        title=title,
        page_background="#020617" if theme == "dark" else "#f1f5f9",
    )


def card_view(
    profile: ProfileDoc,
    theme: Theme,
    score: CardScore | None = None,
    emails: Sequence[VerifiedEmail] | None = None,
) -> CardView:
    """Select and sanitise what the card shows."""
    current = profile.current
    role = clean_text(current.title if current else None)
    company = clean_text(current.company if current else None)
    headline = clean_text(profile.headline)
    if _blank(role) and _blank(company) and not _blank(headline):
        # No positions: the headline is the best "role" line there is.
        role, headline = headline, ""
    if not _blank(headline) and headline.strip() in (role.strip(), f"{role.strip()} at {company.strip()}"):
        headline = ""
    match = None if score is None else max(0, min(100, int(score.match_score)))
    return CardView(
        name=_or(clean_text(profile.name), UNNAMED),
        role=_or(role, ""),
        company=_or(company, ""),
        role_dir=text_direction(role, company),
        headline=_or(headline, ""),
        location=_location(profile),
        experience=_experience(profile.years_experience),
        score=match,
        badge=None if match is None else theme.badge_for(match),
        rationale=_or(clean_text(score.rationale), "") if score else "",
        fit_points=_texts(score.ai_fit_points, MAX_FIT_POINTS) if score else (),
        skills=_texts((s.surface for s in profile.skills), MAX_SKILLS),
        emails=_emails(emails or ()),
        button=_button(profile.links),
    )


def text_direction(*texts: str) -> str:
    """`rtl` if the first strongly directional character (UAX #9 L/R/AL) is right-to-left.

    Each value already sits in its own `dir="auto"` element, which isolates it; this
    orders the elements themselves (role · company) for an RTL reader.
    """
    for text in texts:
        for ch in text:
            kind = unicodedata.bidirectional(ch)
            if kind == "L":
                return "ltr"
            if kind in ("R", "AL"):
                return "rtl"
    return "ltr"


def _blank(text: str) -> bool:
    return not text.strip()


def _or(text: str, default: str) -> str:
    # Whitespace-only values would render as an empty box: treat them as absent.
    return default if _blank(text) else text


def _texts(values: Any, limit: int) -> tuple[str, ...]:
    """Non-blank sanitised values, first occurrence of each (case-insensitive), at most `limit`."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in values:
        text = clean_text(raw)
        key = text.strip().casefold()
        if not key or key in seen:
            continue
        seen.add(key)
        out.append(text)
        if len(out) == limit:
            break
    return tuple(out)


def _location(profile: ProfileDoc) -> str:
    place = profile.place
    raw = clean_text(place.raw)
    if not _blank(raw):
        return raw
    # "Berlin, Berlin, DE" reads as a mistake: a region equal to its city is dropped.
    return ", ".join(_texts((place.city, place.region, place.country_code), 3))


def _experience(years: float | None) -> str:
    if not years or years < 1:
        return ""
    n = round(years)
    return f"{n} year{'s' if n != 1 else ''} experience"


def _emails(emails: Sequence[VerifiedEmail]) -> tuple[CardEmail, ...]:
    # Only `valid` addresses: a card must never present a pattern guess or a catch-all as verified.
    out: list[CardEmail] = []
    seen: set[str] = set()
    for email in emails:
        text = clean_text(email.address).strip()
        if email.status != "valid" or not text or text.casefold() in seen:
            continue
        seen.add(text.casefold())
        out.append(CardEmail(text=text, href=mailto_url(text)))
        if len(out) == MAX_EMAILS:
            break
    return tuple(out)


def _button(links: Sequence[Link]) -> CardButton | None:
    usable = [(link.network.lower() if link.network else "", safe_url(link.url)) for link in links]
    for network, label in LINK_PREFERENCE:
        for net, href in usable:
            if net == network and href is not None and not href.startswith("mailto:"):
                return CardButton(label, href)
    for _, href in usable:
        if href is not None and not href.startswith("mailto:"):
            return CardButton(FALLBACK_LINK_LABEL, href)
    return None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # autoescape=True (not select_autoescape): every template here is HTML, whatever its name.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def _template(name: str) -> Template:
    return _environment().get_template(name)
