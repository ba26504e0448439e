"""Text normalisation shared by the lexicon build and every runtime lookup.

This module owns the one rule that turns free text (a job title, a skill
mention, a place name) into the key space of the lexicons. The build
normalises every surface form with :func:`normalize`, and runtime code must
normalise its input with the same function, so the two always agree.

Rules (in order):

* Unicode NFKC, then ``anyascii`` folding ("München" -> "munchen",
  "Łódź" -> "lodz"), then lowercase.
* Technical tokens keep their punctuation: ``c++``, ``c#``, ``f#``, ``.net``,
  ``node.js``, ``asp.net``, ``r&d``, ``p&l`` and a fixed set of slash terms
  (``ci/cd``, ``tcp/ip``, ``pl/sql``, ``ui/ux`` ...).
* Other slashes, hyphens, brackets, commas and the like become spaces
  (``front-end`` -> ``front end``, ``python/django`` -> ``python django``);
  a stand-alone ``&`` becomes ``and``; apostrophes are dropped.
* Dots survive only between two alphanumerics (``node.js``, ``3.5``) or at the
  start of a token followed by a letter (``.net``); trailing dots go
  (``jr.`` -> ``jr``).
* Whitespace is collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

__all__ = [
    "KEEP_SLASH_TERMS",
    "normalize",
    "normalize_place",
    "singularize",
    "slugify",
    "strip_parenthetical",
    "tokens",
]

# Slash-joined terms whose slash is part of the name. Everything else with a
# slash is treated as a list ("python/django" means python and django).
KEEP_SLASH_TERMS: frozenset[str] = frozenset(
    {
        "ci/cd",
        "tcp/ip",
        "pl/sql",
        "pl/pgsql",
        "ui/ux",
        "ux/ui",
        "a/b",
        "i/o",
        "24/7",
        "r/3",
        "s/4hana",
        "as/400",
        "os/2",
        "os/390",
        "z/os",
        "ob/gyn",
        "hvac/r",
        "ap/ar",
        "a/p",
        "a/r",
        "p/l",
        "l/c",
        "b/l",
        "w/c",
        "c/c++",
        "pl/1",
        "pl/i",
        "tv/film",
        "rn/bsn",
    }
)

_ALLOWED = re.compile(r"[^a-z0-9+#./&' \t-]")
# "c++", "notepad++", "c#", "f#": keep a '+'/'#' run that directly follows an
# alphanumeric; drop the rest (leading '#' of hashtags, "+1 555" phone pluses).
_STRAY_PLUS = re.compile(r"(?<![a-z0-9+])\++|(?<![a-z0-9#])#+")
# "5+ years" keeps "5+", but "+" between spaces goes.
_AMP_ALONE = re.compile(r"(?<![a-z0-9])&|&(?![a-z0-9])")
_SPACES = re.compile(r"\s+")


_HAS_ALNUM = re.compile(r"[a-z0-9]")
_NEEDS_FIX = re.compile(r"[./]")


def _fix_token(tok: str) -> str:
    if "/" in tok and tok not in KEEP_SLASH_TERMS:
        return " ".join(_fix_token(part) for part in tok.split("/") if part)
    # '&' inside a token ("r&d", "at&t") stays; dangling ones were handled.
    # Dots: keep a leading ".net"-style dot, inner dots, drop trailing dots.
    tok = tok.rstrip(".")
    if tok.startswith("."):
        stripped = tok.lstrip(".")
        tok = "." + stripped if stripped[:1].isalpha() else stripped
    # "c++" style suffixes are fine; a token that is only punctuation is not.
    if not _HAS_ALNUM.search(tok):
        return ""
    return tok


_PLAIN = re.compile(r"[A-Za-z0-9 ]*")


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Normalise *text* into the lexicon key space (see module docstring)."""
    if not text:
        return ""
    if _PLAIN.fullmatch(text):
        # Fast path: plain words need only lowercasing and space folding.
        return " ".join(text.lower().split())
    s = text
    if not s.isascii():
        s = anyascii(unicodedata.normalize("NFKC", s))
    s = s.lower().replace("'", "")
    s = _ALLOWED.sub(" ", s).replace("-", " ")
    if "+" in s or "#" in s:
        s = _STRAY_PLUS.sub(" ", s)
    if "&" in s:
        s = _AMP_ALONE.sub(" and ", s)
    out = []
    for tok in s.split():
        if _NEEDS_FIX.search(tok) or not _HAS_ALNUM.search(tok):
            tok = _fix_token(tok)
            if not tok:
                continue
        out.append(tok)
    return " ".join(out)


def tokens(text: str) -> list[str]:
    """Tokens of the normalised text."""
    return normalize(text).split()


_PLACE_DROP = re.compile(r"[^a-z0-9 ]")


@lru_cache(maxsize=65536)
def normalize_place(text: str) -> str:
    """Place-name key: like :func:`normalize` but with all punctuation removed.

    Place names carry no technical punctuation, and GeoNames spells the same
    name with and without dots/hyphens ("St. Louis", "Saint-Denis"), so the
    gazetteer keys are plain lowercase ASCII words.
    """
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text)
    if not s.isascii():
        s = anyascii(s)
    s = s.lower().replace("'", "").replace("\u2019", "")
    s = s.replace(".", " ").replace("-", " ")
    s = _PLACE_DROP.sub(" ", s)
    return " ".join(s.split())


_PARENS = re.compile(r"\s*\(([^()]*)\)\s*")


def strip_parenthetical(text: str) -> tuple[str, list[str]]:
    """Split "Python (computer programming)" into ("Python", ["computer programming"])."""
    inner = [m.strip() for m in _PARENS.findall(text) if m.strip()]
    outer = _SPACES.sub(" ", _PARENS.sub(" ", text)).strip()
    return outer, inner


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """Stable id slug: "C++" -> "cpp", "C#" -> "csharp", ".NET" -> "dotnet", "Node.js" -> "node-js"."""
    s = normalize(text)
    s = s.replace("c++", "cpp").replace("c#", "csharp").replace("f#", "fsharp")
    s = s.replace("++", "pp").replace("#", "sharp")
    if s.startswith("."):
        s = "dot" + s[1:]
    s = s.replace(" .", " dot")
    s = s.replace("&", " and ").replace("+", " plus ")
    return _SLUG_DROP.sub("-", s).strip("-")


# Words whose plural is not made by the regular rules below, or that look
# plural but are not.
_IRREGULAR_PLURALS: dict[str, str] = {
    "men": "man",
    "women": "woman",
    "people": "person",
    "children": "child",
    "staff": "staff",
    "chiefs": "chief",
    "attorneys": "attorney",
    "boss": "boss",
    "bosses": "boss",
    "series": "series",
    "species": "species",
    "analyses": "analysis",
    "diagnoses": "diagnosis",
    "thesis": "thesis",
    "news": "news",
    "sales": "sales",
    "logistics": "logistics",
    "operations": "operations",
    "services": "services",
    "systems": "systems",
    "relations": "relations",
    "resources": "resources",
    "affairs": "affairs",
    "communications": "communications",
    "economics": "economics",
    "mathematics": "mathematics",
    "physics": "physics",
    "statistics": "statistics",
    "athletics": "athletics",
    "aesthetics": "aesthetics",
    "electronics": "electronics",
    "robotics": "robotics",
    "analytics": "analytics",
    "graphics": "graphics",
    "avionics": "avionics",
    "mechanics": "mechanic",
    "arts": "arts",
    "goods": "goods",
    "works": "works",
    "apparatus": "apparatus",
    "chassis": "chassis",
    "corps": "corps",
}
_NO_S_ENDINGS = ("ss", "us", "is", "ous", "ics")


def singularize_word(word: str) -> str:
    """Singular of one lowercase English noun (occupation titles are plural in O*NET)."""
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if len(word) <= 3 or not word.endswith("s") or word.endswith(_NO_S_ENDINGS):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zzes")):
        return word[:-2]
    if word.endswith("ves") and word[:-3] in {"shel", "hal", "sel", "thie", "wi", "kni", "cal"}:
        return word[:-3] + ("fe" if word[:-3] in {"wi", "kni"} else "f")
    return word[:-1]


def singularize(phrase: str) -> str:
    """Singularise the head (last word) of a normalised phrase: "registered nurses" -> "registered nurse"."""
    words = phrase.split()
    if not words:
        return phrase
    words[-1] = singularize_word(words[-1])
    return " ".join(words)
