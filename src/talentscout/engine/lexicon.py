"""The engine's compiled view of the reference lexicons.

The lexicon package (`talentscout.lexicons`) owns the data files and their
loader; the engine compiles what it needs once into lookup tables that suit
phrase matching: normalised surface form -> skills / title families, the
narrower links the files only store as broader links, seniority markers,
ambiguous short tokens and confusable pairs. Compiling is pure: it takes the
loaded ``Lexicons`` object and a ``Gazetteer``, never a path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from talentscout.lexicons.gazetteer import Gazetteer, Place
from talentscout.lexicons.load import Lexicons
from talentscout.lexicons.normalize import normalize, singularize

__all__ = [
    "AmbiguousToken",
    "EngineLexicon",
    "Family",
    "Gazetteer",
    "Place",
    "SkillInfo",
]


@dataclass(frozen=True, slots=True)
class SkillInfo:
    id: str
    label: str
    kind: str  # "skill" | "group"
    forms: tuple[str, ...]  # normalised surface forms, strongest first
    broader: tuple[str, ...]
    hot: bool = False
    n_occupations: int = 0
    sources: tuple[str, ...] = ()  # "curated" | "esco" | "onet"


@dataclass(frozen=True, slots=True)
class Family:
    id: str
    label: str
    related: tuple[str, ...]
    synonyms: tuple[str, ...]  # normalised title forms, strongest first
    skills: tuple[str, ...]  # O*NET technology skills of this occupation, hot first


@dataclass(frozen=True, slots=True)
class AmbiguousToken:
    ids: tuple[str, ...]
    context: frozenset[str]
    negative: tuple[str, ...]


_COMPILED: dict[tuple[int, int], EngineLexicon] = {}
_SOFT_GROUP_WORDS = (
    "transversal", "attitude", "social", "communication", "thinking", "self-management", "values",
    "collaboration", "working with others", "management skills", "assisting", "caring", "leading",
)  # fmt: skip

# A surface form is a "strong" alias from this form weight on (curated 100,
# labels 55-60); ESCO alternative labels (25) and group names (10) are weaker.
STRONG_FORM = 50


@dataclass
class EngineLexicon:
    """Lookup tables compiled from the lexicon documents (see module docstring)."""

    skills: dict[str, SkillInfo]
    skill_forms: dict[str, list[tuple[str, int]]]  # form -> [(skill id, form weight)], best first
    narrower: dict[str, list[str]]
    families: dict[str, Family]
    title_forms: dict[str, list[tuple[str, int]]]  # form -> [(family id, weight)], best first
    seniority: dict[str, tuple[int, bool]]  # phrase -> (level, peelable)
    abbreviations: dict[str, list[str]]
    ambiguous: dict[str, AmbiguousToken]
    confusable_titles: list[tuple[str, str, str, str]]
    confusable_skills: list[tuple[str, str]]
    common_words: frozenset[str]
    gazetteer: Gazetteer | None = None
    max_skill_words: int = 6
    max_title_words: int = 8

    # -- construction ----------------------------------------------------------

    @classmethod
    def from_lexicons(cls, lex: Lexicons, gazetteer: Gazetteer | None = None) -> EngineLexicon:
        """Compile from the loaded :class:`talentscout.lexicons.load.Lexicons` (cached per object)."""
        key = (id(lex), id(gazetteer))
        got = _COMPILED.get(key)
        if got is not None:
            return got
        skill_map: dict[str, SkillInfo] = {}
        for sid, sk in lex.skills.items():
            skill_map[sid] = SkillInfo(
                id=sid,
                label=sk.label,
                kind=sk.kind,
                forms=sk.aliases,
                broader=sk.broader,
                hot=sk.hot,
                n_occupations=int(sk.n_occupations or 0),
                sources=tuple(sk.sources),
            )
        forms_idx: dict[str, list[tuple[str, int]]] = {}
        for form, ids in lex.skill_surface_index.items():
            ws = lex.skill_surface_weights.get(form, ())
            lst: list[tuple[str, int]] = []
            for i, sid in enumerate(ids):
                w = int(ws[i]) if i < len(ws) else 0
                # Group names ("databases", "teamwork principles") are weak surfaces.
                if skill_map[sid].kind != "skill":
                    w = min(w, 10)
                lst.append((sid, w))
            lst.sort(key=lambda t: (-t[1], t[0]))
            forms_idx[form] = lst
        narrower = {sid: list(sk.narrower) for sid, sk in lex.skills.items() if sk.narrower}
        fams: dict[str, Family] = {}
        for fid, fam in lex.title_families.items():
            fams[fid] = Family(
                id=fid, label=fam.label, related=fam.related, synonyms=fam.synonyms, skills=fam.skills
            )
        title_idx: dict[str, list[tuple[str, int]]] = {}
        for form, ids in lex.title_surface_index.items():
            ws = lex.title_surface_weights.get(form, ())
            title_idx[form] = [(fid, int(ws[i]) if i < len(ws) else 0) for i, fid in enumerate(ids)]
        seniority = {k: (int(v), k in lex.seniority_markers) for k, v in lex.seniority_words.items()}
        ambiguous = {
            k: AmbiguousToken(tuple(v.skill_ids), frozenset(v.context), tuple(v.negative))
            for k, v in lex.ambiguous_tokens.items()
        }
        conf_titles: list[tuple[str, str, str, str]] = []
        for fa, others in lex.title_confusables.items():
            for fb in sorted(others):
                conf_titles.append(
                    (
                        fams[fa].label.lower() if fa in fams else fa,
                        fa,
                        fams[fb].label.lower() if fb in fams else fb,
                        fb,
                    )
                )
        conf_skills = sorted({tuple(sorted((a, b))) for a, bs in lex.skill_confusables.items() for b in bs})
        out = cls(
            skills=skill_map,
            skill_forms=forms_idx,
            narrower=narrower,
            families=fams,
            title_forms=title_idx,
            seniority=seniority,
            abbreviations={k: list(v) for k, v in lex.title_abbreviations.items()},
            ambiguous=ambiguous,
            confusable_titles=conf_titles,
            confusable_skills=[(a, b) for a, b in conf_skills],
            common_words=frozenset(lex.common_word_forms),
            gazetteer=gazetteer,
            max_skill_words=min(int(lex.skill_max_tokens), 8),
            max_title_words=min(int(lex.title_max_tokens), 10),
        )
        _COMPILED[key] = out
        return out

    # -- skills ------------------------------------------------------------------

    def skill_candidates(self, form: str) -> list[tuple[str, int]]:
        """Skills a normalised phrase can denote, best first ([] if unknown)."""
        got = self.skill_forms.get(form)
        if got:
            return got
        sing = singularize(form)
        if sing != form:
            return self.skill_forms.get(sing, [])
        return []

    def is_soft(self, sid: str | None) -> bool:
        """A transversal/soft skill: ESCO-only, phrased as an activity or filed under a social/attitude group.

        Tools, languages and technologies (curated or O*NET entries) are never soft.
        """
        if sid is None:
            return False
        info = self.skills.get(sid)
        if info is None or {"curated", "onet"} & set(info.sources):
            return False
        groups = " ".join(self.skills[b].label.lower() for b in info.broader if b in self.skills)
        return len(info.label.split()) >= 3 or any(w in groups for w in _SOFT_GROUP_WORDS)

    def skill_label(self, sid: str) -> str:
        info = self.skills.get(sid)
        return info.label if info else sid

    def skill_surfaces(self, sid: str, limit: int = 12) -> list[str]:
        """Strong surface forms of a skill for text matching (shortest ambiguous ones excluded)."""
        info = self.skills.get(sid)
        if info is None:
            return []
        out: list[str] = []
        for f in info.forms:
            if len(f) < 2 and f not in ("c", "r"):
                continue
            out.append(f)
            if len(out) >= limit:
                break
        return out

    # -- titles ------------------------------------------------------------------

    def soc6(self, family_id: str) -> str:
        """The 6-digit SOC of an O*NET family ("15-1243.01" -> "15-1243"); other ids map to themselves."""
        return family_id.split(".", 1)[0] if family_id[:2].isdigit() else family_id

    def related_families(self, family_id: str) -> tuple[str, ...]:
        fam = self.families.get(family_id)
        return fam.related if fam else ()

    def family_label(self, family_id: str) -> str:
        fam = self.families.get(family_id)
        return fam.label if fam else family_id

    def family_skills(self, family_id: str) -> Sequence[str]:
        fam = self.families.get(family_id)
        return fam.skills if fam else ()

    def iter_confusable_titles(self, family_id: str) -> Iterable[tuple[str, str]]:
        """(confusable title form, its family) pairs for a target family."""
        for a, fa, b, fb in self.confusable_titles:
            if fa == family_id:
                yield (b, fb)
            elif fb == family_id:
                yield (a, fa)


def normalize_phrase(text: str) -> str:
    """The lexicon key of a phrase (re-exported so callers need one import)."""
    return normalize(text)
