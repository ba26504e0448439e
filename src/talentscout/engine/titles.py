"""Job-title normalisation: seniority peeled off, the core mapped to a title family.

"Sr. Data warehouse developer II" -> level 3, core "data warehouse developer",
family 15-1243.01 (Data Warehousing Specialist). The lookup tries the whole
title, then the peeled core, then abbreviation expansions, then the longest
contiguous sub-phrase that is a known title (so "Fullstack Developer Team
Lead at Acme" still finds the full-stack family), and finally head-word
fallbacks. Results are memoised per (lexicon, title) because profile titles
repeat a lot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from talentscout.engine.lexicon import EngineLexicon
from talentscout.lexicons.normalize import normalize, singularize

__all__ = ["TitleParse", "parse_title"]


@dataclass(frozen=True, slots=True)
class TitleParse:
    """The reading of one title string."""

    raw: str
    core: str  # normalised title with seniority markers peeled
    level: int | None  # seniority ordinal from markers (None: no marker)
    families: tuple[tuple[str, float], ...]  # (family id, confidence), best first
    matched: str  # the lexicon form that matched ("" when none)

    @property
    def family(self) -> str | None:
        return self.families[0][0] if self.families else None


_AT_COMPANY = re.compile(r"\s+(?:at|@|chez|bei)\s+\S.*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s+[-–—|/]\s+|\s*[|/]\s*|\s+cum\s+|\s*[,;]\s*|\s+&\s+(?=[A-Z])", re.IGNORECASE)
_PARENS = re.compile(r"\s*[(\[][^)\]]*[)\]]?")
_NOISE = re.compile(r"^(?:urgent(?:ly)?|hiring|new|immediate|wanted)\b[\s:!-]*", re.IGNORECASE)
_ROMAN_LEVEL = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}
_OF_HEAD = re.compile(r"^(?P<head>.+?) of (?P<tail>.+)$")

_CACHE: dict[tuple[int, str], TitleParse] = {}
_CACHE_MAX = 200_000


def parse_title(text: str, lex: EngineLexicon) -> TitleParse:
    """Parse one job title (memoised)."""
    key = (id(lex), text)
    got = _CACHE.get(key)
    if got is not None:
        return got
    res = _parse(text, lex)
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[key] = res
    return res


def _peel(words: list[str], lex: EngineLexicon) -> tuple[list[str], int | None, list[str]]:
    """Remove peelable seniority markers; return (core words, level, role-marker words kept)."""
    level: int | None = None
    out: list[str] = []
    roles: list[str] = []
    i = 0
    n = len(words)
    while i < n:
        hit = None
        for span in (3, 2, 1):
            if i + span > n:
                continue
            phrase = " ".join(words[i : i + span])
            if phrase in lex.seniority:
                hit = (span, *lex.seniority[phrase])
                break
        if hit is None:
            out.append(words[i])
            i += 1
            continue
        span, lvl, peel = hit
        phrase_words = words[i : i + span]
        # A lone roman numeral / letter is a level only at the end ("Engineer II"),
        # never inside ("Part I Instructor" is rare; "i" as a word is noise anyway).
        if span == 1 and phrase_words[0] in _ROMAN_LEVEL and i != n - 1:
            out.append(words[i])
            i += 1
            continue
        level = lvl if level is None else max(level, lvl)
        if not peel:
            out.extend(phrase_words)
            roles.append(" ".join(phrase_words))
        i += span
    return out, level, roles


def _lookup(form: str, lex: EngineLexicon) -> list[tuple[str, int]]:
    if not form:
        return []
    got = lex.title_forms.get(form)
    if got:
        return got
    sing = singularize(form)
    if sing != form:
        got = lex.title_forms.get(sing)
        if got:
            return got
    return []


def _families(hits: list[tuple[str, int]], conf: float) -> tuple[tuple[str, float], ...]:
    """Top family plus the families that own the same form almost as strongly."""
    if not hits:
        return ()
    best_w = hits[0][1]
    out: list[tuple[str, float]] = []
    for fid, w in hits[:4]:
        if w >= 0.6 * best_w:
            out.append((fid, round(conf * (1.0 if w == best_w else 0.85), 3)))
    return tuple(out)


def _expand_abbrev(words: list[str], lex: EngineLexicon) -> list[str] | None:
    changed = False
    out: list[str] = []
    for w in words:
        exp = lex.abbreviations.get(w)
        if exp:
            out.extend(exp[0].split())
            changed = True
        else:
            out.append(w)
    return out if changed else None


def _subphrase(words: list[str], lex: EngineLexicon) -> tuple[float, str, list[tuple[str, int]], bool] | None:
    """Longest contiguous known title inside *words*, preferring ones that end at the head (last) word.

    Returns (score, form, hits, keeps_head) or None.
    """
    n = len(words)
    best: tuple[float, str, list[tuple[str, int]], bool] | None = None
    for length in range(n - 1 if n > 1 else 1, 0, -1):
        for i in range(n - length, -1, -1):
            form = " ".join(words[i : i + length])
            if length == 1 and form in lex.seniority:
                continue
            hits = _lookup(form, lex)
            if not hits:
                continue
            keeps_head = i + length == n
            score = length / n + (0.25 if keeps_head else 0.0)
            if best is None or score > best[0]:
                best = (score, form, hits, keeps_head)
        if best is not None:
            break
    return best


def _parse(text: str, lex: EngineLexicon) -> TitleParse:
    raw = text or ""
    # "URGENT-Quantity Surveyor (Penang)" -> "Quantity Surveyor": hiring noise and parentheticals go.
    stripped = _AT_COMPANY.sub("", _PARENS.sub(" ", _NOISE.sub("", raw.strip()))).strip()
    stripped = stripped or raw.strip()
    whole = normalize(stripped)
    words = whole.split()
    core_words, level, _roles = _peel(words, lex)
    _roles = [r for r in _roles if lex.seniority.get(r, (9, False))[0] <= 4]
    core = " ".join(core_words)

    # 1. whole title, then the peeled core, then the core without low role
    #    markers ("Loan Officer Team Lead" -> "loan officer"; "manager" stays:
    #    it changes the occupation).
    lead_words = {w for r in _roles for w in r.split()}
    no_roles = " ".join(w for w in core_words if w not in lead_words) if lead_words else core
    for form, conf in ((whole, 1.0), (core, 1.0), (no_roles, 0.95)):
        hits = _lookup(form, lex)
        if hits:
            return TitleParse(raw, core, level, _families(hits, conf), form)
    # 2. abbreviations ("sw eng" -> "software engineer").
    exp = _expand_abbrev(core_words, lex)
    if exp:
        hits = _lookup(" ".join(exp), lex)
        if hits:
            return TitleParse(raw, " ".join(exp), level, _families(hits, 1.0), " ".join(exp))
        core_words = exp
    # 3. parts split by separators ("Vice President - Engineering", "Nurse / Midwife").
    parts = [normalize(p) for p in _SEPARATORS.split(stripped) if p.strip()]
    if len(parts) > 1:
        for idx, p in enumerate(parts):
            pw, _lvl, _ = _peel(p.split(), lex)
            hits = _lookup(" ".join(pw), lex)
            if hits:
                return TitleParse(raw, core, level, _families(hits, 0.9), " ".join(pw))
            if idx == 0:
                # The first part usually carries the role ("Trade Marketing Manager / Assistant
                # Manager"): accept its best sub-phrase when it keeps the head noun.
                sub = _subphrase(pw, lex)
                if sub is not None and sub[3]:
                    return TitleParse(
                        raw, core, level, _families(sub[2], min(0.85, 0.35 + 0.5 * sub[0])), sub[1]
                    )
    # 4. "director of X" / "head of X" -> "X director", "X manager".
    m = _OF_HEAD.match(core)
    if m:
        for cand in (f"{m.group('tail')} {m.group('head')}", f"{m.group('tail')} manager"):
            hits = _lookup(cand, lex)
            if hits:
                return TitleParse(raw, core, level, _families(hits, 0.9), cand)
    # 5. longest contiguous sub-phrase that is a known title.
    best = _subphrase(core_words, lex)
    if best is not None:
        conf = min(0.85, 0.35 + 0.5 * best[0])
        return TitleParse(raw, core, level, _families(best[2], conf), best[1])
    return TitleParse(raw, core, level, (), "")
