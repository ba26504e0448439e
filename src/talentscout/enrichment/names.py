"""Name variants for address generation: nameparser for the parts, anyascii for folding.

A person's name becomes a few `NameVariant`s (first, middle, last, weight):

- nameparser splits given/middle/family names and strips titles and suffixes; a
  family-name-first hint (an all-caps first token, "NAKAMURA Hiroshi", or the
  caller's flag) swaps the order;
- anyascii folds to ASCII (Ñúñez-García → nunez-garcia, Łukasz → lukasz); the
  German/Nordic spelling (ü→ue, ø→oe, å→aa, ß→ss) is an extra variant at a lower
  weight, because both spellings occur in real mailboxes;
- compound and particle surnames add joined and shortened forms (van der Berg →
  vanderberg, berg; nunez-garcia → nunezgarcia, nunez), apostrophes are dropped
  (O'Brien → obrien).

Pure functions; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from nameparser import HumanName

PARTICLES = frozenset(
    {
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "da",
        "das",
        "dos",
        "du",
        "di",
        "la",
        "le",
        "ter",
        "ten",
        "zu",
        "bin",
        "ibn",
        "al",
        "el",
        "st",
        "mac",
    }
)
_GERMANIC = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "å": "aa",
        "æ": "ae",
        "ø": "oe",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "Å": "Aa",
        "Æ": "Ae",
        "Ø": "Oe",
    }
)
_KEEP = re.compile(r"[^a-z0-9\- ]+")
GERMANIC_WEIGHT = 0.6


@dataclass(frozen=True)
class NameVariant:
    first: str
    middle: str
    last: str
    weight: float = 1.0


def fold(text: str) -> str:
    """ASCII, lowercase, apostrophes and punctuation dropped, hyphens and spaces kept."""
    ascii_text = anyascii(text).lower().replace("'", "").replace("`", "")
    return " ".join(_KEEP.sub(" ", ascii_text).split())


def _family_first(name: str) -> bool:
    tokens = name.split()
    return len(tokens) >= 2 and len(tokens[0]) > 1 and tokens[0].isupper() and not tokens[1].isupper()


def split_name(name: str, *, family_first: bool | None = None) -> tuple[str, str, str]:
    """(first, middle, last) as written (not folded)."""
    cleaned = " ".join(name.replace("_", " ").split())
    if family_first is None:
        family_first = _family_first(cleaned)
    if family_first and "," not in cleaned:
        tokens = cleaned.split()
        cleaned = " ".join([*tokens[1:], tokens[0].title()])
    parsed = HumanName(cleaned)
    first, middle, last = str(parsed.first), str(parsed.middle), str(parsed.last)
    if not last and middle:
        middle, last = "", middle
    return first, middle, last


def _surname_forms(last: str) -> list[tuple[str, float]]:
    """Folded surname forms with weights: the joined form first."""
    folded = fold(last)
    if not folded:
        return []
    parts = [p for p in re.split(r"[\s]+", folded) if p]
    forms: list[tuple[str, float]] = []
    joined = "".join(parts)
    if len(parts) > 1:
        core = [p for p in parts if p not in PARTICLES]
        forms.append((joined.replace("-", ""), 1.0))
        if core and core != parts:
            forms.append(("".join(core).replace("-", ""), 0.6))
        elif core:
            forms.append((core[0].replace("-", ""), 0.6))
    else:
        forms.append((joined, 1.0))
    if "-" in joined:
        halves = [h for h in joined.split("-") if h]
        forms.append((joined.replace("-", ""), 0.7))
        if halves:
            forms.append((halves[0], 0.6))
    seen: dict[str, float] = {}
    for form, weight in forms:
        if form and seen.get(form, 0.0) < weight:
            seen[form] = weight
    return sorted(seen.items(), key=lambda kv: -kv[1])


def _given_forms(first: str) -> list[tuple[str, float]]:
    folded = fold(first).replace(" ", "-")
    if not folded:
        return []
    forms = [(folded, 1.0)]
    if "-" in folded:
        forms.append((folded.replace("-", ""), 0.8))
        forms.append((folded.split("-")[0], 0.5))
    return forms


def variants(name: str, *, family_first: bool | None = None, limit: int = 8) -> list[NameVariant]:
    """The name's variants, highest weight first (see module docstring)."""
    return list(_variants(name, family_first, limit))


@lru_cache(maxsize=4096)
def _variants(name: str, family_first: bool | None, limit: int) -> tuple[NameVariant, ...]:
    # nameparser costs ~1 ms per name; a batch asks several times for the same person.
    first, middle, last = split_name(name, family_first=family_first)
    out: dict[tuple[str, str, str], float] = {}

    def add(f: str, m: str, la: str, base: float) -> None:
        for given, gw in _given_forms(f) or [("", 1.0)]:
            for family, lw in _surname_forms(la) or [("", 1.0)]:
                if not given and not family:
                    continue
                key = (given, fold(m).replace(" ", ""), family)
                out[key] = max(out.get(key, 0.0), base * gw * lw)

    add(first, middle, last, 1.0)
    germanic = (first + middle + last).translate(_GERMANIC)
    if germanic != first + middle + last:
        add(
            first.translate(_GERMANIC),
            middle.translate(_GERMANIC),
            last.translate(_GERMANIC),
            GERMANIC_WEIGHT,
        )
    ranked = sorted(out.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(NameVariant(f, m, la, round(w, 4)) for (f, m, la), w in ranked[:limit])


def name_tokens(name: str) -> set[str]:
    """Folded name tokens (≥ 2 chars), for "does this address belong to the person" checks."""
    tokens: set[str] = set()
    for variant in variants(name):
        for part in (variant.first, variant.last):
            for piece in re.split(r"[-\s]", part):
                if len(piece) >= 2:
                    tokens.add(piece)
            if len(part) >= 2:
                tokens.add(part.replace("-", ""))
    return tokens
