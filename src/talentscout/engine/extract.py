"""Skill, years and language extraction from job-description lines.

Two readings of a line:

* **list items** (bullets and short lines in requirement-like sections): cue
  words are peeled ("Proficiency in", "Hands-on experience with", "(must
  have)", "is a plus"), the rest is split into items ("Node.js and React") and
  each item is looked up whole, then by longest match inside it; an item the
  lexicon does not know is kept as a raw skill when it is short and
  skill-like, so unseen vocabulary still counts.
* **prose**: longest-match phrase extraction over the skill lexicon, where
  short or everyday-word forms (Go, R, C, Excel, Access, Spark …) need a
  confirming context word nearby and no refuting phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from talentscout.engine.lexicon import EngineLexicon
from talentscout.engine.text import Token, tokenize
from talentscout.lexicons.normalize import normalize

__all__ = [
    "LANGUAGES",
    "SkillMention",
    "YearsMention",
    "extract_languages",
    "extract_skills",
    "extract_years",
    "strip_cues",
]


@dataclass(frozen=True, slots=True)
class SkillMention:
    skill_id: str | None  # None: a raw skill the lexicon does not know
    label: str
    form: str  # normalised surface as written
    start: int  # clean-text span
    end: int
    strength: float  # confidence that this is a real skill mention, 0..1
    marker: str | None = None  # "must" / "nice" when the line says so explicitly


@dataclass(frozen=True, slots=True)
class YearsMention:
    min: float | None
    max: float | None
    start: int
    end: int
    skill_text: str | None  # "5+ years of Python" -> "Python"


# --- cues ---------------------------------------------------------------------

_PREFIX_CUES = re.compile(
    r"^(?:(?:very|really|extremely)\s+)?"
    r"(?:(?:strong|solid|deep|good|great|excellent|proven|demonstrated|extensive|advanced|basic|working|practical|"
    r"hands[- ]on|professional|prior|previous|relevant|some|sound|thorough|in[- ]depth|expert|fluent|fluency)\s+)*"
    r"(?:(?:experience|expertise|proficiency|knowledge|understanding|familiarity|exposure|background|skills?|"
    r"competence|competency|command|mastery|track record|ability to use|ability to work with|capability)\s+"
    r"(?:(?:in|with|of|on|using|to|around|across)\s+)+)?"
    r"(?:(?:proficient|skilled|experienced|versed|fluent|competent|comfortable|familiar|confident|adept)\s+"
    r"(?:in|with|at|using)\s+)?"
    r"(?:(?:you\s+)?(?:have|know|bring|possess|use|master)\s+)?",
    re.IGNORECASE,
)
_YEARS_PREFIX = re.compile(
    r"^(?:at\s+least\s+|minimum(?:\s+of)?\s+|min\.?\s+|over\s+|more\s+than\s+)?"
    r"\S+\s*(?:\+|plus)?\s*(?:[-–]\s*\S+\s*)?(?:years?|yrs?)\s*(?:of\s+)?(?:(?:professional|relevant|hands[- ]on|proven|"
    r"commercial|industry|practical|working)\s+)*(?:experience\s+)?(?:(?:with|in|using|of|on)\s+)?",
    re.IGNORECASE,
)
_SUFFIX_CUES = re.compile(
    r"(?:\s*[-–:,]?\s*(?:\((?:must[- ]have|required|mandatory|essential|preferred|nice[- ]to[- ]have|a plus|"
    r"optional|bonus|desirable)\)|is\s+(?:a\s+)?(?:big\s+)?(?:plus|bonus|advantage|must|required|mandatory|"
    r"preferred|desirable|nice to have)|(?:would be|are|is)\s+(?:a\s+)?(?:plus|bonus|nice|great|welcome)|"
    r"a\s+plus|required|preferred|mandatory|essential|"
    r"skills?|experience|knowledge|expertise|proficiency|abilities|background|principles|practices|concepts|"
    r"tools?|development|programming)\s*[.!;]?\s*)+$",
    re.IGNORECASE,
)
_MUST_MARK = re.compile(
    r"\((?:must[- ]have|required|mandatory|essential)\)|\bis\s+(?:a\s+)?(?:must|required|mandatory)\b|\bmust have\b|\brequired\b",
    re.IGNORECASE,
)
_NICE_MARK = re.compile(
    r"\((?:preferred|nice[- ]to[- ]have|a plus|optional|bonus|desirable)\)|\b(?:is|are|would be)\s+(?:a\s+)?(?:big\s+)?(?:plus|bonus|advantage|nice to have|desirable)\b|\ba plus\b|\bpreferred\b|\bnice to have\b",
    re.IGNORECASE,
)
_ITEM_SPLIT = re.compile(r"\s*(?:,|;|/|\||\band\b|\bor\b|&|\+(?=\s))\s*", re.IGNORECASE)
# Items that are never skills on their own.
_GENERIC_ITEM = re.compile(
    r"^(?:a|an|the|your|our|strong|excellent|good|great|as)\b|ownership|similar role|mindset|attitude|team player|passion|passionate|"
    r"willing|eager|motivated|driven|self[- ]starter|degree|bachelor|master|diploma|years?|availability|"
    r"ability to|able to|can[- ]do|personality|curious|curiosity|humble|equivalent|references|license|licence|"
    r"driving|right to work|work permit|visa|background check|other|similar|related|etc\b|e\.g\.|such as",
    re.IGNORECASE,
)
# Everyday words that lexicons list as skills but that carry no signal alone.
_STOP_FORMS = frozenset(
    {
        "experience", "skills", "skill", "knowledge", "tools", "tool", "work", "team", "teams", "support",
        "management", "development", "design", "data", "systems", "system", "software", "english", "office",
        "operations", "service", "services", "business", "customer", "customers", "technology", "process",
        "processes", "quality", "research", "planning", "training", "communication skills", "ability", "years",
        "year", "role", "job", "company", "people", "environment", "solutions", "products", "product",
        "projects", "project", "clients", "client", "tasks", "daily", "day", "new", "plus", "bonus", "strong",
        "expert", "expertise", "background", "understanding", "proficiency", "familiarity", "exposure", "use",
        "using", "level", "basic", "advanced", "mindset", "culture", "health", "safety", "insurance", "vision",
        "dental", "pension", "equity", "salary", "benefits", "leave", "travel", "remote", "hybrid", "onsite",
        "flexible", "time", "hours", "paid", "competitive", "growth", "learning", "gym", "membership", "offices",
        "employees", "it", "ai", "web", "apps", "app", "mobile", "cloud", "platform", "platforms", "framework",
        "frameworks", "engineering", "science", "analysis", "reporting", "documentation", "testing", "security",
        "networking", "writing", "reading", "speaking", "mentor", "mentoring", "coaching", "leadership",
        "collaboration", "teamwork", "organisation", "organization", "administration", "sales", "marketing",
        "finance", "accounting", "legal", "education", "teaching", "law", "construction", "manufacturing",
        "maintenance", "production", "logistics", "retail", "hospitality", "cooking", "cleaning", "driving",
        "computer", "computers", "internet", "email", "phone", "telephone", "writing skills", "standards",
        "industry standards", "best practices", "code", "coding", "programming", "languages", "language",
        "deadlines", "fast paced environment", "detail", "details", "accuracy", "a", "an", "the", "and", "or",
    }
)  # fmt: skip

LANGUAGES = frozenset(
    {
        "english", "german", "french", "spanish", "italian", "portuguese", "dutch", "polish", "swedish",
        "norwegian", "danish", "finnish", "russian", "ukrainian", "czech", "slovak", "hungarian", "romanian",
        "bulgarian", "greek", "turkish", "arabic", "hebrew", "hindi", "bengali", "urdu", "mandarin",
        "cantonese", "chinese", "japanese", "korean", "vietnamese", "thai", "indonesian", "malay", "tagalog",
        "filipino", "swahili", "persian", "farsi", "catalan", "croatian", "serbian", "slovenian", "estonian",
        "latvian", "lithuanian", "icelandic", "irish", "welsh",
    }
)  # fmt: skip
_LANG_CUE = re.compile(
    r"\b(fluent|fluency|native|proficient|proficiency|business|working|professional|conversational|written|spoken|"
    r"speak|speaking|language)\b",
    re.IGNORECASE,
)


def strip_cues(item: str) -> tuple[str, int]:
    """Peel requirement cue words off a list item; return (rest, offset of rest in item)."""
    s = item
    off = 0
    m = _YEARS_PREFIX.match(s)
    if m and m.end() > 0 and _NUMBERISH.match(s.split()[0] if s.split() else ""):
        off += m.end()
        s = s[m.end() :]
    m = _PREFIX_CUES.match(s)
    if m and m.end() > 0:
        off += m.end()
        s = s[m.end() :]
    m = _SUFFIX_CUES.search(s)
    if m and m.start() > 0:
        s = s[: m.start()]
    # A prefix may reappear after years ("5+ years of hands-on experience with X").
    m = _PREFIX_CUES.match(s)
    if m and m.end() > 0 and m.end() < len(s):
        off += m.end()
        s = s[m.end() :]
    lead = len(s) - len(s.lstrip(" -–:*•"))
    return s.strip(" -–:*•.;,"), off + lead


_NUMBERISH = re.compile(
    r"^(?:\d{1,2}(?:\.\d)?\+?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|at|minimum|min\.?|over|more)\b",
    re.IGNORECASE,
)


# --- years --------------------------------------------------------------------

_NUM_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "twenty": 20,
    "a": 1, "an": 1,
}  # fmt: skip
_NUM = r"(?:\d{1,2}(?:\.\d)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|twenty)"
_YEARS_RE = re.compile(
    rf"(?P<pre>at\s+least|minimum(?:\s+of)?|min\.?|over|more\s+than|no\s+less\s+than|up\s+to|maximum(?:\s+of)?|max\.?)?\s*"
    rf"(?P<a>{_NUM})\s*(?:(?P<plus>\+|plus|or\s+more)|\s*(?:-|–|to)\s*(?P<b>{_NUM}))?\s*\+?\s*"
    rf"(?P<unit>years?|yrs?|y\.o\.e|yoe)(?P<plus2>\+)?\b"
    rf"(?P<tail>[^.;\n]{{0,80}})",
    re.IGNORECASE,
)
_SKILL_AFTER_YEARS = re.compile(
    r"^\s*(?:of\s+)?(?:(?:professional|relevant|hands[- ]on|proven|commercial|industry|practical|working|"
    r"progressive|post[- ]qualification)\s+)*(?:experience\s+)?(?:(?:with|in|using|of|on)\s+)(?P<s>[^,.;()]{2,60})",
    re.IGNORECASE,
)
_NOT_A_SKILL_TAIL = re.compile(
    r"^(?:the|a|an)?\s*(?:relevant|related|similar|professional|industry|work|working|experience|role|field|"
    r"position|environment|capacity|setting)\b",
    re.IGNORECASE,
)


def _num(text: str) -> float | None:
    t = text.lower()
    if t in _NUM_WORDS:
        return float(_NUM_WORDS[t])
    try:
        return float(t)
    except ValueError:
        return None


def extract_years(text: str, base: int = 0) -> list[YearsMention]:
    """ "5+ years", "3-5 yrs", "at least five years of Python", "up to 2 years" in *text*."""
    out: list[YearsMention] = []
    for m in _YEARS_RE.finditer(text):
        a = _num(m.group("a"))
        if a is None or a > 40:
            continue
        pre = (m.group("pre") or "").lower()
        b = _num(m.group("b")) if m.group("b") else None
        lo: float | None = a
        hi: float | None = b
        if pre.startswith(("up to", "maximum", "max")):
            lo, hi = None, a
        elif m.group("plus") or m.group("plus2") or pre:
            hi = None
        elif b is None:
            hi = None  # "5 years of experience" reads as a minimum
        if lo is not None and hi is not None and hi < lo:
            lo, hi = hi, lo
        skill_text: str | None = None
        sm = _SKILL_AFTER_YEARS.match(m.group("tail") or "")
        if sm:
            cand = sm.group("s").strip()
            if cand and not _NOT_A_SKILL_TAIL.match(cand):
                skill_text = cand
        end = m.end("unit") if m.group("plus2") is None else m.end("plus2")
        start = m.start("pre") if m.group("pre") else m.start("a")
        out.append(YearsMention(lo, hi, base + start, base + end, skill_text))
    return out


# --- languages ----------------------------------------------------------------


def extract_languages(text: str, base: int = 0) -> list[tuple[str, int, int]]:
    """Spoken languages asked for in *text* ("Fluent English", "German (C1)")."""
    out: list[tuple[str, int, int]] = []
    has_cue = bool(_LANG_CUE.search(text))
    short = len(text.split()) <= 4
    for m in re.finditer(r"[A-Za-z]+", text):
        w = m.group(0).lower()
        if w in LANGUAGES and (has_cue or short):
            out.append((m.group(0).capitalize(), base + m.start(), base + m.end()))
    return out


# --- skills -------------------------------------------------------------------


def _window_text(tokens: list[Token], i: int, j: int, radius: int = 8) -> list[str]:
    lo = max(0, i - radius)
    hi = min(len(tokens), j + radius)
    return [t.word for t in tokens[lo:i]] + [t.word for t in tokens[j:hi]]


def _ambiguous_ok(
    form: str, tokens: list[Token], i: int, j: int, lex: EngineLexicon, list_context: bool
) -> bool:
    amb = lex.ambiguous.get(form)
    if amb is None:
        return True
    # Refuting phrases around the token ("excel in", "go-to-market", "access to").
    lo = max(0, i - 3)
    hi = min(len(tokens), j + 3)
    around = " " + " ".join(t.word for t in tokens[lo:hi]) + " "
    for neg in amb.negative:
        if f" {neg} " in around and form in neg.split():
            return False
    if list_context:
        return True
    ctx = set(_window_text(tokens, i, j))
    return bool(ctx & amb.context)


def _accept(
    form: str,
    cands: list[tuple[str, int]],
    tokens: list[Token],
    i: int,
    j: int,
    lex: EngineLexicon,
    list_context: bool,
) -> float:
    """Confidence for a lexicon hit, 0 to reject."""
    if form in _STOP_FORMS or form in LANGUAGES:
        return 0.0
    sid, w = cands[0]
    info = lex.skills.get(sid)
    n_words = j - i
    if info is not None and info.kind != "skill" and w < 50:
        return 0.0
    if form in lex.ambiguous:
        return 0.9 if _ambiguous_ok(form, tokens, i, j, lex, list_context) else 0.0
    if n_words == 1:
        if len(form) <= 2 and not list_context:
            return 0.0
        if form in lex.common_words:
            return 0.8 if list_context else 0.0
        if w < 50 and not list_context:
            return 0.0
        return 1.0 if w >= 50 else 0.8
    if w < 20 and not list_context:
        return 0.0
    return 1.0 if w >= 50 else 0.85


def _longest_matches(
    tokens: list[Token], lex: EngineLexicon, list_context: bool, text: str, base: int
) -> list[SkillMention]:
    out: list[SkillMention] = []
    words = [t.word for t in tokens]
    n = len(words)
    i = 0
    maxw = lex.max_skill_words
    while i < n:
        hit = None
        for length in range(min(maxw, n - i), 0, -1):
            form = " ".join(words[i : i + length])
            cands = lex.skill_candidates(form)
            if not cands:
                continue
            conf = _accept(form, cands, tokens, i, i + length, lex, list_context)
            if conf <= 0:
                continue
            hit = (length, form, cands, conf)
            break
        if hit is None:
            i += 1
            continue
        length, form, cands, conf = hit
        s, e = tokens[i].start, tokens[i + length - 1].end
        sid = cands[0][0]
        out.append(SkillMention(sid, lex.skill_label(sid), form, s, e, conf))
        i += length
    return out


def extract_skills(text: str, base: int, lex: EngineLexicon, *, list_like: bool) -> list[SkillMention]:
    """Skills mentioned in one line (*base* = the line's clean-text offset)."""
    marker: str | None = None
    if _MUST_MARK.search(text):
        marker = "must"
    elif _NICE_MARK.search(text):
        marker = "nice"
    if not list_like:
        toks = tokenize(text, base)
        return [_with_marker(m, marker) for m in _longest_matches(toks, lex, False, text, base)]
    body = re.sub(r"^\s*(?:[-*•·▪◦‣–—>+]|\d{1,2}[.)])\s*", "", text)
    body_off = len(text) - len(body)
    rest, off = strip_cues(body)
    rest_base = base + body_off + off
    if not rest:
        return []
    whole = normalize(rest)
    toks_all = tokenize(rest, rest_base)
    # The whole residue is one known skill ("Customer service", "Office 365").
    cands = lex.skill_candidates(whole) if whole else []
    if cands and _accept(whole, cands, toks_all, 0, len(toks_all), lex, True) > 0:
        sid = cands[0][0]
        return [SkillMention(sid, lex.skill_label(sid), whole, rest_base, rest_base + len(rest), 1.0, marker)]
    out: list[SkillMention] = []
    pos = 0
    for part in _ITEM_SPLIT.split(rest):
        idx = rest.find(part, pos) if part else -1
        if not part or idx < 0:
            continue
        pos = idx + len(part)
        pbase = rest_base + idx
        sub, soff = strip_cues(part)
        if not sub:
            continue
        pbase += soff
        norm = normalize(sub)
        toks = tokenize(sub, pbase)
        if not toks:
            continue
        cands = lex.skill_candidates(norm)
        if cands and _accept(norm, cands, toks, 0, len(toks), lex, True) > 0:
            sid = cands[0][0]
            out.append(SkillMention(sid, lex.skill_label(sid), norm, pbase, pbase + len(sub), 1.0, marker))
            continue
        found = _longest_matches(toks, lex, True, sub, pbase)
        covered = sum(len(f.form.split()) for f in found)
        if found and covered * 2 >= len(toks):
            out.extend(_with_marker(f, marker) for f in found)
            continue
        if _raw_skill_like(sub, norm):
            out.append(SkillMention(None, sub, norm, pbase, pbase + len(sub), 0.7, marker))
        else:
            out.extend(_with_marker(f, marker) for f in found)
    return out


def _with_marker(m: SkillMention, marker: str | None) -> SkillMention:
    if marker is None or m.marker == marker:
        return m
    return SkillMention(m.skill_id, m.label, m.form, m.start, m.end, m.strength, marker)


def _raw_skill_like(raw: str, norm: str) -> bool:
    """A short item the lexicon does not know but that reads like a skill name."""
    words = norm.split()
    if not words or len(words) > 4 or len(norm) < 2:
        return False
    if _GENERIC_ITEM.search(raw) or norm in _STOP_FORMS or norm in LANGUAGES:
        return False
    if any(w in LANGUAGES for w in words):
        return False
    return any(c.isalpha() for c in norm)
