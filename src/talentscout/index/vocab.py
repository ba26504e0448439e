"""What the profile normaliser needs from the lexicons, as one small protocol.

The normaliser (`index/normalize.py`) depends only on `Vocabulary`: canonical
skill ids for a surface form, skill ids mentioned in free text, the title family
and seniority level of a job title, and a resolved place. `load_vocabulary()`
returns the implementation backed by the shipped lexicons
(`talentscout.lexicons.load`) when it is available, and otherwise a small
vocabulary built from the team's curated tables (`lexicons/curated/*.tsv`), so
imports keep working (with fewer canonical ids and no coordinates) in a tree
whose data files have not been built.

Every lookup is memoised: titles, skills and cities repeat heavily across a
talent pool, and the importer's throughput target (thousands of profiles per
second per core) leaves a few microseconds per lookup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Protocol, runtime_checkable

from talentscout.engine.profile import Place
from talentscout.lexicons.normalize import normalize

__all__ = [
    "CuratedVocabulary",
    "PhraseMatcher",
    "TitleParser",
    "Vocabulary",
    "load_vocabulary",
]


@runtime_checkable
class Vocabulary(Protocol):
    """The lexicon operations profile normalisation needs (all pure and memoised)."""

    def skill_id(self, surface: str) -> str | None:
        """Canonical skill id of a skill as written ("k8s" -> "kubernetes"), None if unknown."""
        ...

    def skills_in_text(self, text: str) -> tuple[str, ...]:
        """Canonical ids of skills mentioned in prose, conservatively (no ambiguous short tokens)."""
        ...

    def title(self, title: str) -> tuple[str | None, int | None]:
        """(title family id, seniority level 0-7) of a job title; None where unknown."""
        ...

    def place(self, city: str | None, region: str | None, country_code: str | None) -> Place | None:
        """Resolve a stated location (any part may be missing) to a place, with lat/lon when known."""
        ...


_ROMAN_OR_LEVEL = re.compile(r"^(?:i{1,3}|iv|v|l[1-9]|[1-9])$")
_TITLE_SPLIT = re.compile(r"\s+(?:at|@|for|with|in)\s+|\s*[,|(]\s*|\s+-\s+")


class TitleParser:
    """Title -> (family, level): peel seniority markers, then longest known core.

    Shared by every vocabulary so the rule is the same whatever the backing data:
    1. cut the title at " at Company", " - ", ",", "(" and keep the first part;
    2. find seniority phrases (longest first); the title's level is the highest
       one found (so "senior manager" is a manager, 6, not senior, 3);
    3. drop the "peel" markers (senior, jr, ii …) and look the core up; when the
       whole core is unknown, try its word suffixes ("orthopedic nurse
       practitioner" -> "nurse practitioner"), because English titles put the
       role head last.
    """

    def __init__(
        self,
        forms: Mapping[str, str],
        seniority: Mapping[str, tuple[int, bool]],
        abbreviations: Mapping[str, str] | None = None,
    ) -> None:
        self._forms = forms
        self._seniority = seniority
        self._abbrev = abbreviations or {}
        self._max_marker = max((len(k.split()) for k in seniority), default=1)
        self.parse = lru_cache(maxsize=200_000)(self._parse)

    def _parse(self, title: str) -> tuple[str | None, int | None]:
        head = _TITLE_SPLIT.split(title, maxsplit=1)[0] or title
        words = normalize(head).split()
        if not words:
            return None, None
        if self._abbrev:
            words = " ".join(self._abbrev.get(w, w) for w in words).split()
        level: int | None = None
        keep: list[str] = []
        i = 0
        n = len(words)
        while i < n:
            matched = False
            for size in range(min(self._max_marker, n - i), 0, -1):
                phrase = " ".join(words[i : i + size])
                hit = self._seniority.get(phrase)
                if hit is None:
                    continue
                lvl, peel = hit
                # Roman numerals and "l3" only count at the end ("Nurse II", not "I Am …").
                if _ROMAN_OR_LEVEL.match(phrase) and i + size != n:
                    continue
                level = lvl if level is None else max(level, lvl)
                if not peel:
                    keep.extend(words[i : i + size])
                i += size
                matched = True
                break
            if not matched:
                keep.append(words[i])
                i += 1
        family = self._family(keep) or self._family(words)
        return family, level

    def _family(self, words: list[str]) -> str | None:
        for start in range(len(words)):
            fam = self._forms.get(" ".join(words[start:]))
            if fam is not None:
                return fam
        return None


def _curated_rows(name: str, min_cols: int) -> Iterable[list[str]]:
    text = resources.files("talentscout.lexicons").joinpath("curated", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) >= min_cols:
            yield cols


class CuratedVocabulary:
    """A fallback vocabulary from the curated tables alone (no ESCO/O*NET, no coordinates)."""

    def __init__(self) -> None:
        skills: dict[str, str] = {}
        for cols in _curated_rows("skills.tsv", 3):
            sid, label = cols[0].strip(), cols[1].strip()
            forms = [label, sid] + [a for a in (cols[3].split("|") if len(cols) > 3 else []) if a.strip()]
            for f in forms:
                skills.setdefault(normalize(f), sid)
        titles: dict[str, str] = {}
        for cols in _curated_rows("titles.tsv", 2):
            for phrase in cols[1].split("|"):
                if phrase.strip():
                    titles.setdefault(normalize(phrase), cols[0].strip())
        seniority: dict[str, tuple[int, bool]] = {}
        for cols in _curated_rows("seniority.tsv", 2):
            seniority[normalize(cols[0])] = (int(cols[1]), len(cols) < 3 or cols[2].strip() == "peel")
        abbreviations: dict[str, str] = {}
        for cols in _curated_rows("title_abbreviations.tsv", 2):
            first = cols[1].split("|")[0].strip()
            if first and " " not in cols[0].strip():
                abbreviations[normalize(cols[0])] = normalize(first)
        self._skills = skills
        self._matcher = PhraseMatcher(skills)
        self._titles = TitleParser(titles, seniority, abbreviations)
        self._skill_memo: dict[str, str | None] = {}
        self._place_memo: dict[tuple[str | None, str | None, str | None], Place | None] = {}

    def skill_id(self, surface: str) -> str | None:
        try:
            return self._skill_memo[surface]
        except KeyError:
            sid = self._skill_memo[surface] = self._skills.get(normalize(surface))
            return sid

    def skills_in_text(self, text: str) -> tuple[str, ...]:
        return self._matcher(text)

    def title(self, title: str) -> tuple[str | None, int | None]:
        return self._titles.parse(title)

    def place(self, city: str | None, region: str | None, country_code: str | None) -> Place | None:
        key = (city, region, country_code)
        try:
            return self._place_memo[key]
        except KeyError:
            raw = ", ".join(p for p in key if p)
            cc = country_code.upper() if country_code and len(country_code) == 2 else None
            place = self._place_memo[key] = (
                Place(city=city, region=region, country_code=cc, raw=raw) if raw else None
            )
            return place


class PhraseMatcher:
    """Longest-match skill phrases in prose.

    Keeps the set of every proper word-prefix of the multi-word forms, so a
    phrase is only extended while it can still become a form: a word costs one
    set probe, and a match costs one probe per word it spans. Single-word
    forms count only when they are not plain short words (< 4 letters: "go",
    "r", "c" are ambiguous in prose; "k8s", "c++" are fine) and not in
    `prose_stop` (everyday words such as "design" or "sales"); such skills
    still count from an explicit skills list.
    """

    def __init__(self, forms: Mapping[str, str], prose_stop: frozenset[str] = frozenset()) -> None:
        self._forms = forms
        self._stop = prose_stop
        prefixes: set[str] = set()
        for form in forms:
            if " " not in form:
                continue
            words = form.split()
            for k in range(1, len(words)):
                prefixes.add(" ".join(words[:k]))
        self._prefixes = frozenset(prefixes)
        # Single-word forms that count in prose, and the words that can start a match.
        self._singles = {f: sid for f, sid in forms.items() if " " not in f and self._single_ok(f)}
        self._starts = frozenset(self._singles) | frozenset(p for p in prefixes if " " not in p)

    def _single_ok(self, word: str) -> bool:
        return not ((len(word) < 4 and word.isalpha()) or word in self._stop)

    def __call__(self, text: str) -> tuple[str, ...]:
        if text.isascii():
            # Fast path (almost all text): lowercase, hyphens as spaces, strip clause
            # punctuation off each word; only candidate start words enter Python code.
            raw = text.lower().replace("-", " ").split()
            words = [w.strip(_STRIP) for w in raw]
        else:
            words = prose_words(text)
            raw = words
        starts = self._starts
        hits = [i for i, w in enumerate(words) if w in starts]
        if not hits:
            return ()
        found: dict[str, None] = {}
        forms, prefixes, singles = self._forms, self._prefixes, self._singles
        n = len(words)
        skip = 0
        for i in hits:
            if i < skip:
                continue
            phrase = words[i]
            best = singles.get(phrase)
            best_end = i + 1
            j = i + 1
            # Extend while the phrase can still grow into a form and no clause ends here.
            while phrase in prefixes and j < n and raw[j - 1][-1] not in _BREAKS and raw[j - 1] != _BREAK:
                phrase = phrase + " " + words[j]
                j += 1
                sid = forms.get(phrase)
                if sid is not None:
                    best, best_end = sid, j
            if best is not None:
                found.setdefault(best, None)
                skip = best_end
        return tuple(found)


_STRIP = ",.;:!?()[]{}\"'"
_BREAKS = frozenset(",;:.!?)")
_BREAK = "|"  # never part of a normalised form, so no phrase spans it


@lru_cache(maxsize=100_000)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    words = tuple(normalize(chunk).split())
    return (*words, _BREAK) if chunk[-1] in _BREAKS else words


def prose_words(text: str) -> list[str]:
    """Normalised words of prose, with a break marker at clause punctuation.

    Plain lowercase alphanumeric chunks are taken as they are; only chunks with
    punctuation or non-ASCII go through the lexicon `normalize` (memoised per
    chunk: "python," and "care." repeat across a pool), which keeps prose
    matching cheap enough for bulk import.
    """
    out: list[str] = []
    for chunk in text.lower().split():
        if chunk.isalnum() and chunk.isascii():
            out.append(chunk)
        else:
            out.extend(_chunk_words(chunk))
    return out


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The process-wide vocabulary: shipped lexicons when built, curated tables otherwise."""
    try:
        from talentscout.index.vocab_lexicons import LexiconVocabulary

        return LexiconVocabulary.load()
    except (ImportError, FileNotFoundError):
        return CuratedVocabulary()
