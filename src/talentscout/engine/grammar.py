"""The free-text query grammar (ENGINE.md §2).

    must: X[, Y]        hard requirement(s)            nice: X[, Y]   soft extras
    exclude: Company    excluded current employer       -term / -"a b"  soft negative keyword
    "a phrase"          a phrase that should appear     years>=N       strict minimum years
    location: Place     hard location                   remote         remote work is fine/wanted
    anything else       free keywords (soft, like a nice-to-have)

Clause values run until the next clause keyword, so
``must: Python years>=7 -agency`` yields must=[Python], years=7, negative=[agency].
Parsing never fails: unknown text becomes keywords. Spans are offsets into the
query string, so the ICP can cite them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["ParsedQuery", "QueryItem", "parse_query"]


@dataclass(frozen=True, slots=True)
class QueryItem:
    value: str
    start: int
    end: int


@dataclass
class ParsedQuery:
    must: list[QueryItem] = field(default_factory=list)
    nice: list[QueryItem] = field(default_factory=list)
    exclude: list[QueryItem] = field(default_factory=list)
    negative: list[QueryItem] = field(default_factory=list)
    phrases: list[QueryItem] = field(default_factory=list)
    keywords: list[QueryItem] = field(default_factory=list)
    locations: list[QueryItem] = field(default_factory=list)
    min_years: QueryItem | None = None
    max_years: QueryItem | None = None
    remote: QueryItem | None = None
    onsite: QueryItem | None = None
    hybrid: QueryItem | None = None


_CLAUSE = re.compile(
    r"(?P<key>must(?:[ _-]?have)?|nice(?:[ _-]?to[ _-]?have)?|exclude|location|loc|skills?|title)\s*:\s*",
    re.IGNORECASE,
)
_YEARS = re.compile(
    r"\b(?:years?|yrs?|yoe|experience)\s*(?P<op>>=|=>|>|<=|=<|<|=)\s*(?P<n>\d{1,2}(?:\.\d)?)\b", re.IGNORECASE
)
_YEARS_PLUS = re.compile(r"\b(?P<n>\d{1,2})\+\s*(?:years?|yrs?)\b", re.IGNORECASE)
_MODE = re.compile(r"(?<![\w-])(?P<mode>remote|hybrid|on-?site|in[- ]office)(?![\w-])", re.IGNORECASE)
_QUOTED = re.compile(r"(?P<neg>-?)\"(?P<q>[^\"]{1,120})\"|(?P<neg2>-?)“(?P<q2>[^”]{1,120})”")
_NEG_WORD = re.compile(r"(?<![\w-])-(?P<t>[A-Za-z0-9][\w+#.&/-]*)")
_NOT = re.compile(
    r"\b(?:not|no|without|exclude)\s+(?P<t>agenc(?:y|ies)|recruiters?|consultanc(?:y|ies)|contractors?|freelancers?|interns?)\b",
    re.IGNORECASE,
)


def _split_items(text: str, start: int) -> list[QueryItem]:
    """Comma/semicolon/"|"-separated items of a clause value, with spans."""
    out: list[QueryItem] = []
    pos = 0
    for part in re.split(r"[,;|]", text):
        s = start + pos + (len(part) - len(part.lstrip()))
        v = part.strip().strip('"“”')
        pos += len(part) + 1
        if v:
            s_adj = s + (1 if part.strip().startswith(('"', "“")) else 0)
            out.append(QueryItem(v, s_adj, s_adj + len(v)))
    return out


def parse_query(query: str) -> ParsedQuery:
    """Parse *query* (see module docstring); spans index into *query*."""
    pq = ParsedQuery()
    if not query or not query.strip():
        return pq
    consumed = [False] * len(query)

    def take(s: int, e: int) -> None:
        for i in range(s, min(e, len(query))):
            consumed[i] = True

    # 1. years constraints (before clauses so "must: X years>=5" ends X at "years").
    for m in _YEARS.finditer(query):
        n = QueryItem(m.group("n"), m.start(), m.end())
        op = m.group("op")
        if op in (">=", "=>", ">", "="):
            pq.min_years = n
        if op in ("<=", "=<", "<", "="):
            pq.max_years = n
        take(m.start(), m.end())
    # 2. clauses: value runs to the next clause / years / negative term / end.
    stops = sorted(
        [m.start() for m in _CLAUSE.finditer(query)]
        + [m.start() for m in _YEARS.finditer(query)]
        + [m.start() for m in _NEG_WORD.finditer(query)]
        + [m.start() for m in _MODE.finditer(query)]
    )
    for m in _CLAUSE.finditer(query):
        key = m.group("key").lower()
        vstart = m.end()
        vend = next((s for s in stops if s >= vstart), len(query))
        value = query[vstart:vend]
        items = _split_items(value, vstart)
        take(m.start(), vend)
        if key.startswith("must") or key.startswith("skill"):
            pq.must.extend(items)
        elif key.startswith("nice"):
            pq.nice.extend(items)
        elif key == "exclude":
            pq.exclude.extend(items)
        elif key in ("location", "loc"):
            pq.locations.extend(items)
        elif key == "title":
            pq.keywords.extend(items)
    # 3. quoted phrases (possibly negated)
    for m in _QUOTED.finditer(query):
        if consumed[m.start()]:
            continue
        q = m.group("q") if m.group("q") is not None else m.group("q2")
        neg = (m.group("neg") or m.group("neg2") or "") == "-"
        qs = m.start() + (2 if neg else 1)
        item = QueryItem(q.strip(), qs, qs + len(q.strip()))
        (pq.negative if neg else pq.phrases).append(item)
        take(m.start(), m.end())
    # 4. negative terms and "no agencies"-style phrases
    for m in _NEG_WORD.finditer(query):
        if consumed[m.start()]:
            continue
        t = m.group("t").rstrip(".,;")
        pq.negative.append(QueryItem(t, m.start("t"), m.start("t") + len(t)))
        take(m.start(), m.end())
    for m in _NOT.finditer(query):
        if consumed[m.start()]:
            continue
        pq.negative.append(QueryItem(m.group("t"), m.start("t"), m.end("t")))
        take(m.start(), m.end())
    # 5. work mode words
    for m in _MODE.finditer(query):
        if consumed[m.start()]:
            continue
        mode = m.group("mode").lower().replace("-", "").replace(" ", "")
        item = QueryItem(m.group("mode"), m.start(), m.end())
        if mode == "remote":
            pq.remote = item
        elif mode == "hybrid":
            pq.hybrid = item
        else:
            pq.onsite = item
        take(m.start(), m.end())
    # 6. what is left: free keywords, split on commas; runs of words stay together.
    i = 0
    while i < len(query):
        if consumed[i] or not query[i].strip():
            i += 1
            continue
        j = i
        while j < len(query) and not consumed[j] and query[j] not in ",;|":
            j += 1
        chunk = query[i:j]
        stripped = chunk.strip()
        if stripped and any(c.isalnum() for c in stripped):
            s = i + (len(chunk) - len(chunk.lstrip()))
            pq.keywords.append(QueryItem(stripped, s, s + len(stripped)))
        i = j + 1
    return pq


def years_plus(text: str) -> int | None:
    """ "5+ years" anywhere in *text* (used for free keywords like "5+ yrs")."""
    m = _YEARS_PLUS.search(text)
    return int(m.group("n")) if m else None
