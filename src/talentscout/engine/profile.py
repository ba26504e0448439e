"""The normalised candidate profile the engine, the index, rendering and enrichment share.

It is built once at import time from the JSON-Resume-aligned import format
(`index/schema.py`), stored as JSON in the profile table (`index/models.py`) and
read back with `ProfileDoc.from_json`. Everything here is plain data: no I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Seniority ordinal (ENGINE.md §2): 0 intern … 7 executive.
LEVELS = ("intern", "junior", "mid", "senior", "lead", "principal", "director", "executive")


@dataclass(frozen=True, slots=True)
class YearMonth:
    year: int
    month: int = 1

    def months(self) -> int:
        return self.year * 12 + (self.month - 1)

    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @staticmethod
    def parse(text: str | None) -> YearMonth | None:
        """`2021`, `2021-03`, `2021-03-15` → YearMonth; anything else → None."""
        if not text:
            return None
        parts = str(text).strip().split("-")
        try:
            year = int(parts[0])
            month = int(parts[1]) if len(parts) > 1 else 1
        except ValueError:
            return None
        if not (1900 <= year <= 2100 and 1 <= month <= 12):
            return None
        return YearMonth(year, month)


@dataclass(frozen=True, slots=True)
class Place:
    city: str | None = None
    region: str | None = None
    country_code: str | None = None
    lat: float | None = None
    lon: float | None = None
    raw: str | None = None


@dataclass(frozen=True, slots=True)
class SkillRef:
    """A skill as the profile states it (`surface`) and its canonical id (None if unknown).

    `source` says where the profile states it: "skills" (a skills entry), "keyword"
    (a keyword under a skills entry) or "experience" (only mentioned in a role's
    summary/highlights, so weaker evidence).
    """

    surface: str
    id: str | None = None
    source: str = "skills"


@dataclass(frozen=True, slots=True)
class Position:
    title: str
    company: str | None = None
    company_url: str | None = None
    company_domain: str | None = None
    start: YearMonth | None = None
    end: YearMonth | None = None  # None = current
    summary: str | None = None
    highlights: tuple[str, ...] = ()
    title_family: str | None = None  # canonical title family id
    level: int | None = None  # seniority ordinal stated by this title's markers (None: no marker)
    skill_ids: tuple[str, ...] = ()  # canonical skills mentioned in this role's summary/highlights

    @property
    def current(self) -> bool:
        return self.end is None and self.start is not None

    def duration_months(self, today: YearMonth) -> int:
        if self.start is None:
            return 0
        end = self.end or today
        return max(0, end.months() - self.start.months() + 1)


@dataclass(frozen=True, slots=True)
class Email:
    address: str
    source: str  # "import" | "enrichment:pattern" | "enrichment:page" …


@dataclass(frozen=True, slots=True)
class Link:
    network: str  # "linkedin" | "github" | "website" | …
    url: str
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Education:
    institution: str | None = None
    area: str | None = None
    study_type: str | None = None
    end: YearMonth | None = None


@dataclass(frozen=True, slots=True)
class ProfileDoc:
    profile_id: str  # `prof_…`, stable and not guessable
    external_id: str | None
    name: str
    headline: str | None = None
    summary: str | None = None
    place: Place = field(default_factory=Place)
    positions: tuple[Position, ...] = ()
    skills: tuple[SkillRef, ...] = ()
    education: tuple[Education, ...] = ()
    languages: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    emails: tuple[Email, ...] = ()
    years_experience: float = 0.0
    seniority: int | None = None
    updated_at: str | None = None  # ISO date of the last change
    company_id: str | None = None  # None = global; else private to this company

    @property
    def current(self) -> Position | None:
        for p in self.positions:
            if p.current:
                return p
        return self.positions[0] if self.positions else None

    @property
    def linkedin_url(self) -> str | None:
        for link in self.links:
            if link.network == "linkedin":
                return link.url
        return None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(data: dict[str, Any]) -> ProfileDoc:
        # Hot path: the engine loads up to ~2,000 documents per run, so this is written
        # with positional constructors and no intermediate dicts (3x faster than **kwargs).
        def ym(v: Any) -> YearMonth | None:
            return YearMonth(v["year"], v["month"]) if v else None

        g = data.get
        pl = g("place") or {}
        return ProfileDoc(
            data["profile_id"],
            g("external_id"),
            data["name"],
            g("headline"),
            g("summary"),
            Place(
                pl.get("city"),
                pl.get("region"),
                pl.get("country_code"),
                pl.get("lat"),
                pl.get("lon"),
                pl.get("raw"),
            ),
            tuple(
                Position(
                    p["title"],
                    p.get("company"),
                    p.get("company_url"),
                    p.get("company_domain"),
                    ym(p.get("start")),
                    ym(p.get("end")),
                    p.get("summary"),
                    tuple(p.get("highlights") or ()),
                    p.get("title_family"),
                    p.get("level"),
                    tuple(p.get("skill_ids") or ()),
                )
                for p in g("positions") or ()
            ),
            tuple(SkillRef(s["surface"], s.get("id"), s.get("source", "skills")) for s in g("skills") or ()),
            tuple(
                Education(e.get("institution"), e.get("area"), e.get("study_type"), ym(e.get("end")))
                for e in g("education") or ()
            ),
            tuple(g("languages") or ()),
            tuple(Link(lk["network"], lk["url"], lk.get("username")) for lk in g("links") or ()),
            tuple(Email(e["address"], e["source"]) for e in g("emails") or ()),
            float(g("years_experience") or 0.0),
            g("seniority"),
            g("updated_at"),
            g("company_id"),
        )
