"""Runtime access to the built lexicons (skills, title families, seniority, places).

This module owns reading the committed files under ``talentscout/data`` (built
by :mod:`talentscout.lexicons.build`) into typed, immutable objects. It never
touches the network or ``shared/``; everything is loaded once per process and
cached (:func:`load_lexicons`, :func:`load_gazetteer`).

All lookups take raw text and normalise it with
:func:`talentscout.lexicons.normalize.normalize`, the same function the build
used for every surface form.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Any, TypeVar

import orjson

from talentscout.lexicons.gazetteer import Gazetteer, Place, load_gazetteer
from talentscout.lexicons.normalize import normalize, singularize, strip_parenthetical

__all__ = [
    "AmbiguousToken",
    "Gazetteer",
    "Lexicons",
    "Place",
    "Skill",
    "TitleFamily",
    "TitleParse",
    "data_files",
    "load_gazetteer",
    "load_lexicons",
    "read_data_bytes",
    "verify_data",
]


def data_files() -> Traversable:
    """The package data directory (``talentscout/data``)."""
    return resources.files("talentscout").joinpath("data")


def read_data_bytes(name: str) -> bytes:
    """Raw bytes of one committed data file."""
    return data_files().joinpath(name).read_bytes()


def _read_json(name: str) -> Any:
    raw = read_data_bytes(name)
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return orjson.loads(raw)


def verify_data() -> dict[str, bool]:
    """Check every file listed in ``SHA256SUMS`` against its sha256 (file -> ok)."""
    result: dict[str, bool] = {}
    for line in read_data_bytes("SHA256SUMS").decode("utf-8").splitlines():
        if not line.strip():
            continue
        digest, name = line.split(None, 1)
        name = name.strip().lstrip("*")
        try:
            data = read_data_bytes(name)
        except FileNotFoundError:
            result[name] = False
            continue
        result[name] = hashlib.sha256(data).hexdigest() == digest
    return result


@dataclass(frozen=True, slots=True)
class Skill:
    """A canonical skill (or a grouping node of the skill hierarchy).

    ``aliases`` are normalised surface forms, strongest first; ``broader`` and
    ``narrower`` are skill ids; ``kind`` is ``"skill"`` or ``"group"`` (ESCO
    hierarchy groups and O*NET commodity categories).
    """

    id: str
    label: str
    kind: str
    category: str
    aliases: tuple[str, ...]
    broader: tuple[str, ...]
    narrower: tuple[str, ...]
    hot: bool
    sources: tuple[str, ...]
    n_occupations: int
    esco_uri: str | None


@dataclass(frozen=True, slots=True)
class TitleFamily:
    """An occupation family: an O*NET-SOC occupation, or an ESCO occupation with no O*NET match.

    ``synonyms`` are normalised title forms, strongest first; ``related`` are
    adjacent family ids (O*NET Primary-Short/Long, both directions);
    ``skills`` are the technology skill ids O*NET lists for the occupation
    (hot technologies first; ``hot_skills`` is that subset).
    """

    id: str
    label: str
    source: str
    synonyms: tuple[str, ...]
    related: tuple[str, ...]
    isco: tuple[str, ...]
    job_zone: int | None
    skills: tuple[str, ...]
    hot_skills: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AmbiguousToken:
    """A short or everyday-word skill token that needs confirming context.

    ``context`` words confirm it nearby, ``negative`` phrases refute it; a
    mention in an explicit skills list counts as confirmed.
    """

    token: str
    skill_ids: tuple[str, ...]
    context: frozenset[str]
    negative: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class TitleParse:
    """Result of :meth:`Lexicons.parse_title`."""

    raw: str
    normalized: str
    core: str
    seniority: int | None
    markers: tuple[str, ...]
    families: tuple[str, ...]
    matched: str | None


_TITLE_QUALIFIER_SPLIT = re.compile(r"\s+(?:-|–|—|\||@|at)\s+|,|\(|/\s")
# Trailing words that qualify a skill name without changing it.
_GENERIC_SKILL_TAILS = frozenset(
    [
        "certification",
        "certified",
        "certificate",
        "license",
        "licence",
        "framework",
        "frameworks",
        "library",
        "software",
        "systems",
        "system",
        "tools",
        "tool",
        "skills",
        "skill",
        "programming",
        "language",
        "scripting",
        "development",
        "platform",
        "suite",
        "experience",
        "knowledge",
        "proficiency",
        "basics",
        "fundamentals",
    ]
)
# Head nouns that name the same job in software titles.
_HEAD_SWAPS: dict[str, tuple[str, ...]] = {
    "engineer": ("developer",),
    "developer": ("engineer",),
    "programmer": ("developer",),
}
# Markers that may also trail a title ("Engineer II", "Analyst, Level 2").
_END_MARKERS = frozenset(
    {
        "i",
        "ii",
        "iii",
        "iv",
        "v",
        "l1",
        "l2",
        "l3",
        "l4",
        "level 1",
        "level 2",
        "level 3",
        "intern",
        "internship",
        "trainee",
        "jr",
        "sr",
        "junior",
        "senior",
    }
)


_T = TypeVar("_T")


class _LazyRows(Mapping[str, _T]):
    """Read-only id -> object mapping that builds each object on first access."""

    __slots__ = ("_cache", "_make", "_pos", "_rows")

    def __init__(self, ids: list[str], rows: list[list[Any]], make: Callable[[list[Any]], _T]) -> None:
        self._pos = {k: i for i, k in enumerate(ids)}
        self._rows = rows
        self._make = make
        self._cache: dict[str, _T] = {}

    def __getitem__(self, key: str) -> _T:
        obj = self._cache.get(key)
        if obj is None:
            obj = self._make(self._rows[self._pos[key]])
            self._cache[key] = obj
        return obj

    def __contains__(self, key: object) -> bool:
        return key in self._pos

    def __iter__(self) -> Iterator[str]:
        return iter(self._pos)

    def __len__(self) -> int:
        return len(self._pos)


class _PackedIndex(Mapping[str, tuple[Any, ...]]):
    """Surface form -> ids (or weights), decoded from ``row * 256 + weight`` ints."""

    __slots__ = ("_data", "_ids", "_weights")

    def __init__(self, data: dict[str, int | list[int]], ids: list[str], *, weights: bool) -> None:
        self._data = data
        self._ids = ids
        self._weights = weights

    def _decode(self, v: int | list[int]) -> tuple[Any, ...]:
        packed = (v,) if isinstance(v, int) else v
        if self._weights:
            return tuple(x & 255 for x in packed)
        ids = self._ids
        return tuple(ids[x >> 8] for x in packed)

    def __getitem__(self, key: str) -> tuple[Any, ...]:
        return self._decode(self._data[key])

    def get(self, key: str, default: Any = None) -> Any:
        v = self._data.get(key)
        return default if v is None else self._decode(v)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


class Lexicons:
    """Skills, title families, seniority words and the other word lists, all read-only."""

    def __init__(
        self, skills_doc: Mapping[str, Any], titles_doc: Mapping[str, Any], lexicon_doc: Mapping[str, Any]
    ):
        self._load_skills(skills_doc)
        self._load_titles(titles_doc)
        self._load_lexicon(lexicon_doc)

    # -- loading ------------------------------------------------------------
    # The files carry ready-made indexes, so loading is one orjson parse per
    # file plus thin read-only views; Skill / TitleFamily objects are built on
    # first access.

    def _load_skills(self, doc: Mapping[str, Any]) -> None:
        col = {name: i for i, name in enumerate(doc["fields"])}
        rows: list[list[Any]] = doc["skills"]
        ids: list[str] = [row[0] for row in rows]
        categories: list[str] = doc["categories"]
        source_sets = [tuple(s.split("|")) if s else () for s in doc["source_sets"]]
        c_id, c_label, c_group, c_cat = col["id"], col["label"], col["is_group"], col["category"]
        c_src, c_alias, c_broader, c_narrower = (
            col["sources"],
            col["aliases"],
            col["broader"],
            col["narrower"],
        )
        c_hot, c_nocc, c_uri = col["hot"], col["n_occupations"], col["esco_uri"]

        def make(row: list[Any]) -> Skill:
            return Skill(
                id=row[c_id],
                label=row[c_label],
                kind="group" if row[c_group] else "skill",
                category=categories[row[c_cat]],
                aliases=tuple(row[c_alias].split("|")) if row[c_alias] else (),
                broader=tuple(ids[i] for i in row[c_broader]),
                narrower=tuple(ids[i] for i in row[c_narrower]),
                hot=bool(row[c_hot]),
                sources=source_sets[row[c_src]],
                n_occupations=int(row[c_nocc]),
                esco_uri=row[c_uri] or None,
            )

        self.skills: Mapping[str, Skill] = _LazyRows(ids, rows, make)
        self.skill_surface_index: Mapping[str, tuple[str, ...]] = _PackedIndex(
            doc["index"], ids, weights=False
        )
        self.skill_surface_weights: Mapping[str, tuple[int, ...]] = _PackedIndex(
            doc["index"], ids, weights=True
        )
        self.skill_max_tokens: int = int(doc["max_tokens"])

    def _load_titles(self, doc: Mapping[str, Any]) -> None:
        col = {name: i for i, name in enumerate(doc["fields"])}
        rows: list[list[Any]] = doc["families"]
        ids: list[str] = [row[0] for row in rows]

        def make(row: list[Any]) -> TitleFamily:
            syn = row[col["synonyms"]]
            return TitleFamily(
                id=row[col["id"]],
                label=row[col["label"]],
                source=row[col["source"]],
                synonyms=tuple(syn.split("|")) if syn else (),
                related=tuple(row[col["related"]]),
                isco=tuple(row[col["isco"]]),
                job_zone=row[col["job_zone"]],
                skills=tuple(row[col["skills"]]),
                hot_skills=tuple(row[col["hot_skills"]]),
            )

        self.title_families: Mapping[str, TitleFamily] = _LazyRows(ids, rows, make)
        self.title_surface_index: Mapping[str, tuple[str, ...]] = _PackedIndex(
            doc["index"], ids, weights=False
        )
        self.title_surface_weights: Mapping[str, tuple[int, ...]] = _PackedIndex(
            doc["index"], ids, weights=True
        )
        self.title_max_tokens: int = int(doc["max_tokens"])

    def _load_lexicon(self, doc: Mapping[str, Any]) -> None:
        self.seniority_words: Mapping[str, int] = MappingProxyType(
            {k: int(v[0]) for k, v in doc["seniority"].items()}
        )
        # Words that are pure markers and can be peeled off a title ("senior",
        # "jr", "ii"); role words ("manager", "director") stay in the core.
        self.seniority_markers: frozenset[str] = frozenset(
            k for k, v in doc["seniority"].items() if v[1] == "peel"
        )
        self.title_abbreviations: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {k: tuple(v) for k, v in doc["title_abbreviations"].items()}
        )
        self.ambiguous_tokens: Mapping[str, AmbiguousToken] = MappingProxyType(
            {
                k: AmbiguousToken(
                    token=k,
                    skill_ids=tuple(v["ids"]),
                    context=frozenset(v["context"]),
                    negative=tuple(v["negative"]),
                    source=v["source"],
                )
                for k, v in doc["ambiguous_tokens"].items()
            }
        )
        conf: dict[str, set[str]] = {}
        for a, b in doc["confusables"]["skill"]:
            conf.setdefault(a, set()).add(b)
            conf.setdefault(b, set()).add(a)
        self.skill_confusables: Mapping[str, frozenset[str]] = MappingProxyType(
            {k: frozenset(v) for k, v in conf.items()}
        )
        tconf: dict[str, set[str]] = {}
        for _pa, fa, _pb, fb in doc["confusables"]["title"]:
            tconf.setdefault(fa, set()).add(fb)
            tconf.setdefault(fb, set()).add(fa)
        self.title_confusables: Mapping[str, frozenset[str]] = MappingProxyType(
            {k: frozenset(v) for k, v in tconf.items()}
        )
        sp: dict[str, str] = {}
        for brit, amer in doc["spelling_variants"].items():
            sp[brit] = amer
            sp[amer] = brit
        self.spelling_variants: Mapping[str, str] = MappingProxyType(sp)
        self.common_word_forms: frozenset[str] = frozenset(doc["common_word_forms"])

    # -- skills ---------------------------------------------------------------

    def skill_ids_for(self, text: str) -> tuple[str, ...]:
        """Skill ids whose surface form equals the normalised *text*, strongest first."""
        return self.skill_surface_index.get(normalize(text), ())

    def find_skill(self, text: str) -> Skill | None:
        """The best skill for an exact surface form ("k8s" -> kubernetes), else None."""
        ids = self.skill_ids_for(text)
        return self.skills[ids[0]] if ids else None

    def ambiguous_confirmed(self, token: str, context: str) -> bool:
        """Does *context* (nearby text) confirm an ambiguous skill token ("go" near "goroutines")?

        True when the token is not ambiguous at all; otherwise a confirming
        context word/phrase must occur and no refuting phrase may.
        """
        amb = self.ambiguous_tokens.get(normalize(token))
        if amb is None:
            return True
        ctx = f" {normalize(context)} "
        if any(f" {neg} " in ctx for neg in amb.negative):
            return False
        return any(f" {word} " in ctx for word in amb.context)

    def resolve_skill(self, text: str, *, context: str = "", in_skill_list: bool = False) -> tuple[str, ...]:
        """Skill ids for a skill mention, strongest first, or () when it names no known skill.

        Tries the exact surface form, then without parentheses ("JavaScript
        (ES6+)"), without a generic trailing word ("PMP certification", "Flask
        framework") and with a singular head ("warehouse management systems").
        Ambiguous tokens ("go", "excel", "drive") count only inside an explicit
        skills list (``in_skill_list``) or when *context* confirms them.
        """
        for form in self._skill_candidates(text):
            amb = self.ambiguous_tokens.get(form)
            if amb is not None:
                # The words around the token in the mention itself ("Flask
                # framework") count as context too.
                if in_skill_list or self.ambiguous_confirmed(form, f"{context} {text}"):
                    direct = self.skill_surface_index.get(form, ())
                    return tuple(dict.fromkeys([*amb.skill_ids, *direct]))
                return ()
            ids = self.skill_surface_index.get(form)
            if ids:
                return tuple(ids)
        return ()

    def _skill_candidates(self, text: str) -> list[str]:
        norm = normalize(text)
        out = [norm]
        outer = normalize(strip_parenthetical(text)[0])
        if outer and outer != norm:
            out.append(outer)
        for base in list(out):
            words = base.split()
            while len(words) > 1 and words[-1] in _GENERIC_SKILL_TAILS:
                words = words[:-1]
                out.append(" ".join(words))
            sing = singularize(base)
            if sing != base:
                out.append(sing)
        return list(dict.fromkeys(f for f in out if f))

    def skill_ancestors(self, skill_id: str, depth: int = 3) -> tuple[str, ...]:
        """Broader skill ids up to *depth* levels, nearest first, without repeats."""
        seen: dict[str, None] = {}
        frontier = [skill_id]
        for _ in range(depth):
            nxt: list[str] = []
            for sid in frontier:
                sk = self.skills.get(sid)
                if sk is None:
                    continue
                for b in sk.broader:
                    if b not in seen and b != skill_id:
                        seen[b] = None
                        nxt.append(b)
            frontier = nxt
        return tuple(seen)

    # -- titles ---------------------------------------------------------------

    def family_ids_for(self, text: str) -> tuple[str, ...]:
        """Family ids whose synonym equals the normalised *text*, strongest first."""
        return self.title_surface_index.get(normalize(text), ())

    def find_title_family(self, text: str) -> TitleFamily | None:
        """Best family for a title: exact synonym first, then :meth:`parse_title`."""
        ids = self.family_ids_for(text)
        if not ids:
            ids = self.parse_title(text).families
        return self.title_families[ids[0]] if ids else None

    def related_families(self, family_id: str) -> tuple[str, ...]:
        fam = self.title_families.get(family_id)
        return fam.related if fam else ()

    def _expansions(self, words: list[str], limit: int = 16) -> list[list[str]]:
        """Word lists with abbreviations expanded ("sr eng mgr" -> [engineer manager, engineering manager ...])."""
        combos: list[list[str]] = [[]]
        for w in words:
            exp = self.title_abbreviations.get(w)
            options = [e.split() for e in exp] if exp else [[w]]
            if exp and w in self.title_surface_index:
                options.append([w])
            combos = [c + o for c in combos for o in options][:limit]
        return combos

    def _match_suffix(self, words: list[str]) -> tuple[tuple[str, ...], str | None]:
        for start in range(len(words)):
            cand = " ".join(words[start:])
            ids = self.title_surface_index.get(cand)
            if ids:
                return ids, cand
        return (), None

    def parse_title(self, text: str) -> TitleParse:
        """Peel seniority markers and qualifiers off a job title and map its core to families.

        "Sr. Software Eng II, Payments" -> core "software engineer", seniority 3
        (the strongest marker wins; "II" alone would be 2), families
        ("15-1252.00", ...). The core is matched exactly, then by its longest
        known trailing phrase ("payments platform engineer" -> "platform engineer").
        """
        raw = text
        # Keep the first qualifier-free segment ("Staff Engineer, Payments" ->
        # "Staff Engineer"), unless it holds nothing but seniority markers
        # ("Intern - Marketing" -> "Intern Marketing").
        segments = [seg for seg in _TITLE_QUALIFIER_SPLIT.split(text or "") if seg and normalize(seg)]
        head = segments[0] if segments else ""
        if len(segments) > 1 and all(
            w in self.seniority_markers or w in _END_MARKERS for w in normalize(head).split()
        ):
            head = f"{segments[1]} {head}"
        norm = normalize(head) or normalize(text)
        words = norm.split()
        markers: list[str] = []
        levels: list[int] = []

        def take_marker(ws: list[str], at_start: bool) -> bool:
            for n in (2, 1):
                if len(ws) <= n:
                    continue
                cand = " ".join(ws[:n] if at_start else ws[-n:])
                if cand in self.seniority_markers and (at_start or cand in _END_MARKERS):
                    markers.append(cand)
                    levels.append(self.seniority_words[cand])
                    if at_start:
                        del ws[:n]
                    else:
                        del ws[-n:]
                    return True
            return False

        while take_marker(words, True):
            pass
        while take_marker(words, False):
            pass
        # Role words ("manager", "director", "vp") set the level but stay in the core.
        for n in (3, 2, 1):
            for i in range(0, max(len(words) - n + 1, 0)):
                cand = " ".join(words[i : i + n])
                if cand in self.seniority_words and cand not in self.seniority_markers:
                    levels.append(self.seniority_words[cand])
        families: tuple[str, ...] = ()
        matched: str | None = None
        expansions = self._expansions(words)
        core = " ".join(expansions[0]) if expansions else ""
        best_len = 0
        for option in expansions:
            ids, hit = self._match_suffix(option)
            if option and option[-1] in _HEAD_SWAPS:
                # "C# .NET Engineer" is filed as ".NET Developer": try the sibling head noun.
                for alt in _HEAD_SWAPS[option[-1]]:
                    ids2, hit2 = self._match_suffix([*option[:-1], alt])
                    if hit2 is not None and (hit is None or len(hit2.split()) > len(hit.split())):
                        ids, hit = ids2, hit2
            # The longest matched phrase wins; ties keep the first (preferred) expansion.
            if hit is not None and len(hit.split()) > best_len:
                families, matched, core, best_len = ids, hit, " ".join(option), len(hit.split())
        if not families and norm in self.title_surface_index:
            families, matched = self.title_surface_index[norm], norm
        seniority = max(levels) if levels else None
        return TitleParse(
            raw=raw,
            normalized=norm,
            core=core,
            seniority=seniority,
            markers=tuple(markers),
            families=families,
            matched=matched,
        )

    def seniority_of(self, text: str) -> int | None:
        """Seniority level (0-7) implied by a title, or None when it says nothing."""
        return self.parse_title(text).seniority

    # -- misc -----------------------------------------------------------------

    def iter_skill_forms(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """All (surface form, skill ids) pairs, for building phrase matchers."""
        return iter(self.skill_surface_index.items())


@lru_cache(maxsize=1)
def load_lexicons() -> Lexicons:
    """The process-wide :class:`Lexicons` (loaded once from the committed files)."""
    return Lexicons(_read_json("skills.json.gz"), _read_json("titles.json.gz"), _read_json("lexicon.json"))
