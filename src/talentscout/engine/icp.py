"""The Ideal Candidate Profile (ICP) document (ENGINE.md §2).

One JSON document, stable field names (camelCase, as on the wire). Every item
carries ``value``, ``weight``, ``source`` and ``evidence`` (character spans in
the named input field), so ranking and explanations can cite where each
criterion came from. ``ICP.model_json_schema()`` is the schema an LLM is asked
to fill (providers/llm) and the one its answer is validated against.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ICP",
    "ICP_VERSION",
    "Evidence",
    "ExcludedCompany",
    "ExpandedSkill",
    "LocationCriterion",
    "NegativeKeyword",
    "SeniorityCriterion",
    "SkillCriterion",
    "Source",
    "TextCriterion",
    "TitleCriterion",
    "WorkMode",
    "YearsCriterion",
]

ICP_VERSION = 1

Source = Literal[
    "title",
    "jd_required",
    "jd_preferred",
    "jd_responsibilities",
    "query",
    "patch",
    "expansion",
    "llm",
    "location",
]
InputField = Literal["title", "jobDescription", "location", "query", "patch", "llm"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Evidence(_Model):
    """A character span ``[start, end)`` of one input field, and the text it covers."""

    field: InputField
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    patch: int | None = Field(default=None, description="index of the patch when field == 'patch'")


class _Item(_Model):
    value: str
    weight: float = Field(ge=0.0, le=1.0)
    source: Source
    evidence: list[Evidence] = Field(default_factory=list)


class TitleCriterion(_Item):
    """A target title family, a synonym of it, or an adjacent family (weaker)."""

    family: str | None = Field(default=None, description="canonical title family id (O*NET-SOC or esco-…)")
    kind: Literal["target", "synonym", "adjacent"] = "target"


class SeniorityCriterion(_Item):
    """Seniority ordinal 0 intern … 7 executive; ``tolerance`` levels either side are a full fit."""

    level: int = Field(ge=0, le=7)
    tolerance: int = Field(default=1, ge=0, le=3)


class YearsCriterion(_Model):
    min: float | None = Field(default=None, ge=0)
    max: float | None = Field(default=None, ge=0)
    hard: bool = Field(
        default=False, description="strict minimum from explicit user input (years>=N): filters"
    )
    source: Source = "jd_required"
    evidence: list[Evidence] = Field(default_factory=list)


class SkillCriterion(_Item):
    """A required or preferred skill: canonical id (None when unknown) and its surface forms."""

    id: str | None = None
    label: str
    surfaces: list[str] = Field(default_factory=list, description="normalised surface forms to match")
    minYears: float | None = Field(default=None, ge=0)
    hard: bool = Field(default=False, description="explicit must: from the query; a miss caps the score hard")


class ExpandedSkill(_Item):
    """A skill that counts as partial evidence for ``parent`` (alias, hierarchy, co-occurrence, embedding)."""

    id: str | None = None
    label: str
    parent: str = Field(description="the value of the must/nice skill it expands")
    via: Literal["alias", "narrower", "broader", "cooccurrence", "embedding", "family"]
    surfaces: list[str] = Field(default_factory=list)


class LocationCriterion(_Item):
    kind: Literal["city", "region", "country", "group", "unknown"] = "unknown"
    name: str | None = None
    countryCode: str | None = None
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    radiusKm: float | None = None
    countries: list[str] = Field(default_factory=list, description="member countries of a region group")
    variants: list[str] = Field(default_factory=list)
    hard: bool = Field(default=False, description="explicit location: from the query: filters")


class WorkMode(_Model):
    mode: Literal["onsite", "hybrid", "remote"] | None = None
    remoteRegion: str | None = None
    countries: list[str] = Field(default_factory=list, description="where remote candidates may live")
    source: Source = "location"
    evidence: list[Evidence] = Field(default_factory=list)


class TextCriterion(_Item):
    """Languages, industries, education, quoted phrases, free keywords."""


class NegativeKeyword(_Item):
    hard: bool = False
    kind: Literal["explicit", "confusable"] = "explicit"


class ExcludedCompany(_Item):
    pass


class ICP(_Model):
    """The Ideal Candidate Profile."""

    version: int = ICP_VERSION
    inputHash: str = ""
    title: str = ""
    targetTitles: list[TitleCriterion] = Field(default_factory=list)
    titleSynonyms: list[TitleCriterion] = Field(default_factory=list)
    seniority: SeniorityCriterion | None = None
    yearsExperience: YearsCriterion = Field(default_factory=YearsCriterion)
    mustHaveSkills: list[SkillCriterion] = Field(default_factory=list)
    niceToHaveSkills: list[SkillCriterion] = Field(default_factory=list)
    expandedSkills: list[ExpandedSkill] = Field(default_factory=list)
    locations: list[LocationCriterion] = Field(default_factory=list)
    workMode: WorkMode = Field(default_factory=WorkMode)
    languages: list[TextCriterion] = Field(default_factory=list)
    industries: list[TextCriterion] = Field(default_factory=list)
    education: list[TextCriterion] = Field(default_factory=list)
    keywords: list[TextCriterion] = Field(
        default_factory=list, description="quoted phrases and free query words"
    )
    negativeKeywords: list[NegativeKeyword] = Field(default_factory=list)
    excludedCompanies: list[ExcludedCompany] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="how conflicts were resolved")

    def to_json(self) -> dict[str, object]:
        """Stable JSON (field order as declared)."""
        return self.model_dump(mode="json")

    @property
    def target_family(self) -> str | None:
        for t in self.targetTitles:
            if t.family:
                return t.family
        return None
