"""The import format (ENGINE.md §1): JSON Resume plus `id`, as strict pydantic schemas.

This module owns what a valid input profile is. Every field has a size cap and
every list a length cap, so one hostile row (a 10 MB summary, 10,000 skills) is
rejected with a readable reason instead of bloating the database or the index.
Types are checked without coercion for strings (a number where a name belongs is
an error, not "123"), unknown keys are ignored (JSON Resume has many sections we
do not use: awards, volunteer, references …), and dates must parse and be in
order (an end up to `DATE_SLIP_MONTHS` before its start is tolerated as a typing
slip). Numeric `id`s are accepted as strings. `validate_profile_json(line)`
parses and validates in one pass (pydantic-core) and returns plain dicts
(`ImportProfile` TypedDicts), which is what keeps the importer fast.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Required

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints, TypeAdapter
from typing_extensions import TypedDict

from talentscout.engine.profile import YearMonth

# Size limits. Generous for real CVs, small enough that one row cannot hurt.
MAX_LINE_BYTES = 1_000_000
MAX_ID = 200
MAX_NAME = 300
MAX_SHORT = 300
MAX_URL = 2048
MAX_EMAIL = 320
MAX_TEXT = 20_000
MAX_HIGHLIGHT = 2_000
MAX_POSITIONS = 60
MAX_HIGHLIGHTS = 40
MAX_EDUCATION = 30
MAX_SKILLS = 300
MAX_KEYWORDS = 60
MAX_PROFILES = 30
MAX_LANGUAGES = 40


def _id_to_str(v: Any) -> Any:
    # ATS exports often use numeric ids; they are still ids, so accept ints (not floats/bools).
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


_OPEN_END = frozenset({"", "present", "current", "now", "today"})


@lru_cache(maxsize=8192)
def parse_date(text: str | None) -> YearMonth | None:
    """A validated import date -> YearMonth; None for absent/"present" (an open end)."""
    if text is None or text.lower() in _OPEN_END:
        return None
    return YearMonth.parse(text)


# An end date up to this many months before its start is a typing slip (CVs and ATS
# exports are full of "2016-05 – 2016-03"); the normaliser clamps it. Beyond that
# the row is rejected: the dates are out of order, not mistyped.
DATE_SLIP_MONTHS = 12


def _check_order(start_text: str | None, end_text: str | None) -> None:
    start, end = parse_date(start_text), parse_date(end_text)
    # The pattern let "2021-13" through; the calendar check is here, once per entry.
    for text, value in ((start_text, start), (end_text, end)):
        if value is None and text is not None and text.lower() not in _OPEN_END:
            raise ValueError(f"not a date (want YYYY, YYYY-MM or YYYY-MM-DD): {text[:40]!r}")
    if start is None or end is None:
        return
    # Year-only dates cover the whole year: "2022-06 – 2022" is in order.
    end_months = end.months() + (11 if end_text is not None and len(end_text) == 4 else 0)
    if start.months() - end_months > DATE_SLIP_MONTHS:
        raise ValueError(f"dates out of order: endDate {end_text} is before startDate {start_text}")


# Plain constrained strings: validated inside pydantic-core (no Python call per
# field), which keeps validation at tens of thousands of profiles per second.
# "" is accepted and read as "absent" by the normaliser.
Str = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_SHORT)]
OptStr = Str | None
OptUrl = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_URL)] | None
OptText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)] | None
OptEmail = (
    Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, max_length=MAX_EMAIL, pattern=r"^(?:[^@\s]+@[^@\s]+\.[^@\s]+)?$"
        ),
    ]
    | None
)
OptDate = (
    Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            max_length=10,
            pattern=r"^(?:\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?|[Pp]resent|[Cc]urrent|[Nn]ow|[Tt]oday|)$",
        ),
    ]
    | None
)
Highlight = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_HIGHLIGHT)]


# The sections are TypedDicts validated by pydantic-core: the same constraints as
# BaseModels, but the result is plain dicts and lists, which makes validation ~4x
# faster (no model instance per position / skill / link), and the importer's
# budget is a few hundred microseconds per profile for everything.
# Unknown keys are dropped; absent optional fields are absent keys.
_CONFIG = ConfigDict(extra="ignore")


class ImportLocation(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    address: OptText
    postalCode: OptStr
    city: OptStr
    region: OptStr
    countryCode: OptStr


class ImportSocial(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    network: OptStr
    username: OptStr
    url: OptUrl


class ImportBasics(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    name: Required[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]]
    label: OptStr
    email: OptEmail
    phone: OptStr
    url: OptUrl
    summary: OptText
    location: ImportLocation | None
    profiles: Annotated[list[ImportSocial], Field(max_length=MAX_PROFILES)]


class _Work(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    name: OptStr
    position: OptStr
    url: OptUrl
    location: OptStr
    startDate: OptDate
    endDate: OptDate
    summary: OptText
    highlights: Annotated[list[Highlight], Field(max_length=MAX_HIGHLIGHTS)]


class _Education(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    institution: OptStr
    area: OptStr
    studyType: OptStr
    startDate: OptDate
    endDate: OptDate


def _dates_in_order(entry: Any) -> Any:
    _check_order(entry.get("startDate"), entry.get("endDate"))
    return entry


ImportWork = Annotated[_Work, AfterValidator(_dates_in_order)]
ImportEducation = Annotated[_Education, AfterValidator(_dates_in_order)]


class ImportSkill(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    name: Required[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SHORT)]]
    level: OptStr
    keywords: Annotated[list[Str], Field(max_length=MAX_KEYWORDS)]


class ImportLanguage(TypedDict, total=False):
    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    language: Required[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SHORT)]]
    fluency: OptStr


class ImportProfile(TypedDict, total=False):
    """One profile of the import format: JSON Resume sections plus the source system's `id`."""

    __pydantic_config__ = _CONFIG  # type: ignore[misc]
    id: Required[
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID), BeforeValidator(_id_to_str)
        ]
    ]
    basics: Required[ImportBasics]
    work: Annotated[list[ImportWork], Field(max_length=MAX_POSITIONS)]
    education: Annotated[list[ImportEducation], Field(max_length=MAX_EDUCATION)]
    skills: Annotated[list[ImportSkill], Field(max_length=MAX_SKILLS)]
    languages: Annotated[list[ImportLanguage], Field(max_length=MAX_LANGUAGES)]


IMPORT_PROFILE: TypeAdapter[ImportProfile] = TypeAdapter(ImportProfile)


def validate_profile(obj: Any) -> ImportProfile:
    """Validate a parsed profile (dict); raises `pydantic.ValidationError`."""
    return IMPORT_PROFILE.validate_python(obj)


def validate_profile_json(data: bytes | str) -> ImportProfile:
    """Parse and validate one JSON profile in one pass; raises `pydantic.ValidationError`."""
    return IMPORT_PROFILE.validate_json(data)


def error_reason(exc: Exception) -> str:
    """A one-line, human reason for a rejected row (first pydantic error, with its path)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        errs = exc.errors(include_url=False, include_input=False)
        if not errs:
            return "invalid profile"
        first = errs[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        msg = str(first.get("msg", "invalid"))
        if first.get("type") == "json_invalid":
            return f"broken JSON: {first.get('ctx', {}).get('error', msg)}"
        if first.get("type") == "missing":
            msg = "missing"
        elif first.get("type") == "string_pattern_mismatch":
            field = str(first.get("loc", ("",))[-1])
            msg = "not a date (want YYYY, YYYY-MM or YYYY-MM-DD)" if field.endswith("Date") else "not a valid address"
        more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
        return f"{loc}: {msg}{more}" if loc else f"{msg}{more}"
    return str(exc) or type(exc).__name__
