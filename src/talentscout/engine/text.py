"""Text plumbing for the ICP: markup stripping with offsets, sections, tokens.

Everything the ICP cites is a character span of the *original* input, so the
clean text keeps a map from each of its characters back to the input. The
section splitter then labels every line (requirements, nice to have,
responsibilities, about, benefits, …) so that skill extraction can weigh a
mention by where it was made, and ignore the boilerplate.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from talentscout.lexicons.normalize import normalize

__all__ = [
    "SECTION_KINDS",
    "CleanText",
    "Line",
    "Token",
    "classify_heading",
    "split_sections",
    "strip_markup",
    "tokenize",
]

# Tags that end a block: they become a line break so bullets stay bullets.
_BLOCK_TAGS = re.compile(
    r"<\s*/?\s*(p|div|br|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|dt|dd|blockquote)\b[^>]*>",
    re.IGNORECASE,
)
_ANY_TAG = re.compile(r"<[^<>]{0,400}>")
_ENTITY = re.compile(r"&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Markdown emphasis / heading markers that are not content.
_MD_MARKERS = re.compile(r"(\*\*|__|(?<!\w)\*(?!\s)|(?<=\S)\*(?!\w)|^#{1,6}\s+|`)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class CleanText:
    """Markup-free text with, for every character, its offset in the original input."""

    text: str
    offsets: tuple[int, ...]
    original_length: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the clean text back to the original input."""
        if not self.offsets or start >= len(self.offsets):
            return (self.original_length, self.original_length)
        end = max(start + 1, min(end, len(self.offsets)))
        return (self.offsets[start], self.offsets[end - 1] + 1)


def strip_markup(raw: str) -> CleanText:
    """Remove HTML tags/entities and Markdown markers, keeping an offset map.

    Block tags turn into newlines (so ``<li>`` items stay one per line); other
    tags vanish; entities decode to their character, mapped to the entity's
    first offset.
    """
    out_chars: list[str] = []
    offs: list[int] = []
    # Pass 1: tags and entities, left to right, via a single combined scanner.
    pattern = re.compile(f"{_BLOCK_TAGS.pattern}|{_ANY_TAG.pattern}|{_ENTITY.pattern}", re.IGNORECASE)
    pos = 0
    for m in pattern.finditer(raw):
        for i in range(pos, m.start()):
            out_chars.append(raw[i])
            offs.append(i)
        tok = m.group(0)
        if tok.startswith("&"):
            decoded = html.unescape(tok)
            for ch in decoded:
                out_chars.append(ch)
                offs.append(m.start())
        elif _BLOCK_TAGS.fullmatch(tok):
            out_chars.append("\n")
            offs.append(m.start())
        # any other tag: dropped
        pos = m.end()
    for i in range(pos, len(raw)):
        out_chars.append(raw[i])
        offs.append(i)
    text = "".join(out_chars)
    # Pass 2: Markdown markers (same length bookkeeping: drop chars and their offsets).
    keep = [True] * len(text)
    for m in _MD_MARKERS.finditer(text):
        for i in range(m.start(), m.end()):
            keep[i] = False
    # Non-breaking and odd spaces become plain spaces (same length).
    chars = [(" " if c in "\u00a0\u2007\u202f\t\r" else c) for c, k in zip(text, keep, strict=True) if k]
    kept_offs = [o for o, k in zip(offs, keep, strict=True) if k]
    return CleanText("".join(chars), tuple(kept_offs), len(raw))


# --- sections -----------------------------------------------------------------

SECTION_KINDS = ("title", "intro", "requirements", "nice", "responsibilities", "about", "benefits", "other")

# Checked in this order: "preferred qualifications" is nice-to-have before it
# is a qualification; "about the role" is responsibilities, not company blurb.
_HEADING_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        # Posting metadata ("Experience level: Senior", "Job type: Full-time"): not requirements.
        "other",
        (
            "experience level",
            "seniority level",
            "job type",
            "employment type",
            "contract type",
            "industry",
            "company size",
            "company type",
            "date posted",
            "posted",
            "salary range",
            "start date",
            "job id",
            "reference",
            "location",
            "workplace type",
            "department",
            "reports to",
            "role",
            "function",
        ),
    ),
    (
        "requirements",
        ("technologies", "tech stack", "our stack", "stack", "tools", "tools and technologies"),
    ),
    (
        "nice",
        (
            "nice to have",
            "nice-to-have",
            "nice to haves",
            "bonus",
            "pluses",
            "plus points",
            "a plus",
            "preferred",
            "desirable",
            "desired",
            "good to have",
            "extra credit",
            "would be great",
            "would be nice",
            "ideally",
            "it's a plus",
            "its a plus",
            "optional",
            "advantageous",
            "additional qualifications",
            "even better",
            "great to have",
        ),
    ),
    (
        "benefits",
        (
            "what we offer",
            "we offer",
            "perks",
            "benefits",
            "compensation",
            "why join",
            "why us",
            "why you'll love",
            "what's in it for you",
            "whats in it for you",
            "our offer",
            "salary",
            "what you get",
            "what you'll get",
            "rewards",
            "package",
        ),
    ),
    (
        "responsibilities",
        (
            "responsibilities",
            "your tasks",
            "tasks",
            "what you'll do",
            "what you will do",
            "what you’ll do",
            "the role",
            "about the role",
            "duties",
            "day to day",
            "day-to-day",
            "your mission",
            "your role",
            "you will",
            "key accountabilities",
            "the job",
            "job description",
            "role overview",
            "your impact",
            "what you'll be doing",
            "in this role",
            "the opportunity",
            "mission",
            "scope",
        ),
    ),
    (
        "requirements",
        (
            "requirements",
            "must have",
            "must-have",
            "must haves",
            "you bring",
            "what you bring",
            "qualifications",
            "required",
            "what we're looking for",
            "what we are looking for",
            "who you are",
            "your profile",
            "you have",
            "what you'll need",
            "what you need",
            "essential",
            "skills",
            "experience",
            "about you",
            "your background",
            "what we need",
            "we're looking for",
            "we are looking for",
            "competencies",
            "knowledge",
            "profile",
            "candidate",
            "you are",
            "ideal candidate",
            "your skills",
            "minimum",
            "basic qualifications",
            "key skills",
            "technical skills",
            "requirement",
        ),
    ),
    (
        "about",
        (
            "about the company",
            "about us",
            "who we are",
            "our company",
            "the company",
            "company",
            "about the team",
            "our team",
            "the team",
            "our story",
            "our mission",
            "about",
            "culture",
            "our values",
            "equal opportunity",
        ),
    ),
)

_HEADING_WORDS = frozenset(
    w for _k, cues in _HEADING_RULES for c in cues for w in re.findall(r"[a-z']+", c)
) | {"and", "our", "your", "the", "we", "you", "what", "who", "why", "key", "main", "job", "role", "position"}

_BULLET = re.compile(r"^\s*(?:[-*•·▪◦‣–—>+]|\d{1,2}[.)]|[a-z][.)])\s+")


def classify_heading(line: str) -> str | None:
    """Section kind of a heading line, or None when the line is not a heading."""
    s = line.strip()
    if not s or len(s) > 70 or _BULLET.match(s):
        return None
    bare = s.rstrip(":").strip().lower()
    ends_colon = s.endswith(":")
    words = bare.split()
    if len(words) > 8:
        return None
    # A heading is short; prose lines that merely contain "experience" are not.
    if not ends_colon and not (s.isupper() and len(words) <= 6) and len(words) > 5:
        return None
    # Without a colon a heading must be made of heading words only
    # ("Nice to have", "What we offer"), so "Strong Python skills" stays content.
    if (
        not ends_colon
        and not s.isupper()
        and any(w not in _HEADING_WORDS for w in re.findall(r"[a-z']+", bare))
    ):
        return None
    for kind, cues in _HEADING_RULES:
        for cue in cues:
            # Metadata labels must match exactly ("About the role" is not "Role:").
            if kind == "other" and cue != bare:
                continue
            if cue == bare or (len(cue) > 3 and cue in bare):
                # "skills"/"experience" alone are weak cues: need a colon or a short line.
                if cue in (
                    "skills",
                    "experience",
                    "knowledge",
                    "profile",
                    "candidate",
                    "you are",
                    "about",
                    "mission",
                    "scope",
                    "package",
                    "salary",
                    "company",
                    "minimum",
                ) and not (ends_colon or len(words) <= 3):
                    continue
                return kind
    return None


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the clean text, with its section and bullet flag."""

    start: int  # offset in the clean text
    end: int
    text: str
    section: str
    bullet: bool
    index_in_section: int  # 0-based position among the section's content lines


def split_sections(clean: str, *, first_line_is_title: bool = True) -> list[Line]:
    """Label every non-empty line of *clean* with its section kind.

    Lines before any heading are ``intro`` (the first one ``title`` when it
    repeats a job title); heading lines themselves get the kind of the section
    they open and index -1.
    """
    lines: list[Line] = []
    section = "intro"
    counts: dict[str, int] = {}
    pos = 0
    seen_content = False
    for raw_line in clean.split("\n"):
        start = pos
        pos += len(raw_line) + 1
        if not raw_line.strip():
            continue
        lead = len(raw_line) - len(raw_line.lstrip())
        text = raw_line.strip()
        kind = classify_heading(text)
        if kind is not None:
            section = kind
            lines.append(Line(start + lead, start + lead + len(text), text, kind, False, -1))
            seen_content = True
            continue
        sec = section
        if not seen_content and first_line_is_title and len(text) <= 80 and not text.endswith("."):
            sec = "title"
        seen_content = True
        n = counts.get(sec, 0)
        counts[sec] = n + 1
        lines.append(Line(start + lead, start + lead + len(text), text, sec, bool(_BULLET.match(text)), n))
    return lines


# --- tokens -------------------------------------------------------------------

_RAW_TOKEN = re.compile(r"[A-Za-z0-9\u00c0-\u024f.][A-Za-z0-9\u00c0-\u024f+#./&'’-]*")


@dataclass(frozen=True, slots=True)
class Token:
    """A normalised word and the clean-text span of the raw token it came from."""

    word: str
    start: int
    end: int


def tokenize(text: str, base: int = 0) -> list[Token]:
    """Normalised words of *text* (lexicon key space), each with its source span.

    A raw token may normalise to several words ("front-end" -> "front", "end");
    they share the raw token's span. Trailing sentence punctuation is dropped.
    """
    out: list[Token] = []
    for m in _RAW_TOKEN.finditer(text):
        raw = m.group(0)
        # Trailing dots/hyphens are punctuation, not part of a name like ".net".
        raw_stripped = raw.rstrip(".-'’/")
        if not raw_stripped:
            continue
        norm = normalize(raw_stripped)
        if not norm:
            continue
        s = base + m.start()
        e = s + len(raw_stripped)
        for w in norm.split():
            out.append(Token(w, s, e))
    return out
