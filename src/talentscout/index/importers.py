"""Profile importers: JSONL, JSON Resume and CSV files into the database and the search index.

Formats (picked by file extension):

* ``.jsonl`` / ``.ndjson`` — the import format of ENGINE.md §1: one JSON Resume
  object plus ``id`` per line.
* ``.json`` — JSON Resume files: one resume object or an array of them. The
  external id is ``id``, else ``meta.id``, else ``basics.email`` (lowercased),
  else the file name (single resume) or ``<file stem>#<n>`` (array item n,
  1-based). Line numbers in reports are where each array item starts.
* ``.csv`` — one profile per row, UTF-8, first row is the header. Column mapping
  (header names are case-insensitive; ``-``/space count as ``_``; unknown
  columns are ignored; empty cells are absent values):

  ===================================  ===========================================
  column                               import-format field
  ===================================  ===========================================
  ``id`` (required)                    ``id`` (externalId)
  ``name`` (required)                  ``basics.name``
  ``label`` | ``headline``             ``basics.label``
  ``email``, ``phone``, ``summary``    ``basics.email`` / ``.phone`` / ``.summary``
  ``url`` | ``website``                ``basics.url``
  ``city``, ``region``                 ``basics.location.city`` / ``.region``
  ``country_code`` | ``country``       ``basics.location.countryCode``
  ``linkedin``, ``github``,            ``basics.profiles[]`` (a URL, or a
  ``twitter``                          username for github/twitter)
  ``skills``                           ``skills[].name``; list cell
  ``languages``                        ``languages[].language``; list cell
  ``title``, ``company``,              the current/first position (``work[0]``)
  ``company_url``, ``start_date``,
  ``end_date``, ``work_summary``
  ``workN_title``, ``workN_company``,  position N (N = 1…60; ``work1_*`` is the
  ``workN_url``, ``workN_start``,      same as the unnumbered columns)
  ``workN_end``, ``workN_summary``
  ``eduN_institution``, ``eduN_area``, education N (``education_*`` = edu1)
  ``eduN_degree``, ``eduN_end``
  ===================================  ===========================================

  List cells are split on ``;`` or ``|`` when present, else on ``,``.

Behaviour: every row is validated (`index/schema.py`) and normalised
(`index/normalize.py`) - in worker processes for large files; a bad row is
reported with its line number and reason and skipped, never fatal. The same
externalId twice in one file: the later row is rejected. Import is idempotent by
(visibility scope, externalId): an existing profile keeps its profileId and is
updated only when its content changed. Each batch of rows is one database
transaction (a profile is never half-written), then goes to the search index;
the index records the highest change counter it holds so a crash between the two
is repaired on the next run (`index/sync.py`).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import os
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.db import Database
from talentscout.index import store
from talentscout.index.ids import new_profile_id_parts, split_profile_id
from talentscout.index.normalize import normalize_profile
from talentscout.index.schema import MAX_LINE_BYTES, error_reason, validate_profile, validate_profile_json
from talentscout.index.search import ProfileIndex, index_fields, scope_key
from talentscout.index.vocab import Vocabulary, load_vocabulary
from talentscout.kit.clock import utcnow

__all__ = [
    "ImportReport",
    "Importer",
    "Rejection",
    "detect_format",
    "iter_csv",
    "iter_json_resume",
    "iter_jsonl",
    "prepare_rows",
]

# The id written into documents before the real one is known (same length, so the
# importer can splice the real id in at a fixed offset of the serialised JSON).
PLACEHOLDER_ID = "prof_" + "0" * 22
_DOC_PREFIX = b'{"profile_id":"'
MAX_REPORTED_REJECTIONS = 10_000


@dataclass(frozen=True, slots=True)
class Rejection:
    file: str
    line: int
    reason: str
    external_id: str | None = None


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0
    bytes_read: int = 0

    @property
    def rows(self) -> int:
        return self.imported + self.updated + self.unchanged + self.rejected

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def reject(self, rej: Rejection) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REPORTED_REJECTIONS:
            self.rejections.append(rej)


# ---------------------------------------------------------------------------- readers
#
# A reader yields (line, payload, size): payload is JSON bytes, an already parsed
# dict, or a `_Bad` reason; size is the number of input bytes consumed (progress).


@dataclass(frozen=True, slots=True)
class _Bad:
    reason: str


RawItem = tuple[int, "bytes | dict[str, Any] | _Bad", int]


def detect_format(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".jsonl", ".ndjson", ".jsonlines")):
        return "jsonl"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".csv"):
        return "csv"
    raise ValueError(f"{path}: unknown format (use .jsonl, .json or .csv)")


def iter_jsonl(path: Path) -> Iterator[RawItem]:
    """One item per non-blank line; an over-long line is rejected without being parsed."""
    with path.open("rb") as f:
        for n, line in enumerate(f, start=1):
            size = len(line)
            if size > MAX_LINE_BYTES:
                yield n, _Bad(f"line is {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit"), size
                continue
            if not line.strip():
                yield n, b"", size  # counted for progress, skipped by the pipeline
                continue
            yield n, line, size


def _external_id_for_resume(obj: dict[str, Any], fallback: str) -> None:
    if isinstance(obj.get("id"), str | int) and not isinstance(obj.get("id"), bool):
        return
    meta = obj.get("meta")
    if isinstance(meta, dict) and isinstance(meta.get("id"), str) and meta["id"].strip():
        obj["id"] = meta["id"]
        return
    basics = obj.get("basics")
    email = basics.get("email") if isinstance(basics, dict) else None
    obj["id"] = email.strip().lower() if isinstance(email, str) and email.strip() else fallback


def iter_json_resume(path: Path) -> Iterator[RawItem]:
    """A JSON Resume object or an array of them; items are located to report line numbers."""
    size = path.stat().st_size
    if size > MAX_LINE_BYTES * 200:
        yield 1, _Bad(f"file is {size:,} bytes; split it or use JSONL"), size
        return
    text = path.read_text(encoding="utf-8", errors="replace")
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos < len(text) and text[pos] == "{":
        try:
            obj, _ = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            yield exc.lineno, _Bad(f"broken JSON: {exc.msg}"), size
            return
        if isinstance(obj, dict):
            _external_id_for_resume(obj, path.stem)
        yield _line_of(text, pos), obj if isinstance(obj, dict) else _Bad("not a JSON object"), size
        return
    if pos >= len(text) or text[pos] != "[":
        yield 1, _Bad("a JSON Resume file holds an object or an array of objects"), size
        return
    pos = _skip_ws(text, pos + 1)
    n = 0
    line, line_pos = 1, 0
    while pos < len(text) and text[pos] != "]":
        n += 1
        line += text.count("\n", line_pos, pos)
        line_pos = pos
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            # The rest of the array cannot be located reliably: report and stop this file.
            yield exc.lineno, _Bad(f"broken JSON: {exc.msg} (rest of the file skipped)"), len(text) - pos
            return
        consumed = end - pos
        if isinstance(obj, dict):
            _external_id_for_resume(obj, f"{path.stem}#{n}")
            yield line, obj, consumed
        else:
            yield line, _Bad("array item is not a JSON object"), consumed
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _col(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _split_list(cell: str) -> list[str]:
    sep = ";" if ";" in cell else "|" if "|" in cell else ","
    return [p.strip() for p in cell.split(sep) if p.strip()]


_MAX_CSV_WORK = 60


def csv_row_to_profile(row: dict[str, str]) -> dict[str, Any]:
    """One CSV row (normalised header -> cell) as an import-format dict (see module docstring)."""

    def get(*names: str) -> str | None:
        for n in names:
            v = row.get(n)
            if v is not None and v.strip():
                return v.strip()
        return None

    basics: dict[str, Any] = {"name": get("name", "full_name")}
    for key, names in (
        ("label", ("label", "headline")),
        ("email", ("email",)),
        ("phone", ("phone",)),
        ("summary", ("summary",)),
        ("url", ("url", "website")),
    ):
        v = get(*names)
        if v is not None:
            basics[key] = v
    loc = {k: v for k, v in (("city", get("city")), ("region", get("region")),
                             ("countryCode", get("country_code", "countrycode", "country"))) if v}
    if loc:
        basics["location"] = loc
    socials: list[dict[str, str]] = []
    for net in ("linkedin", "github", "twitter"):
        v = get(net)
        if v is None:
            continue
        if "/" in v or "." in v:
            socials.append({"network": net, "url": v if "//" in v else "https://" + v})
        else:
            socials.append({"network": net, "username": v})
    if socials:
        basics["profiles"] = socials

    work: list[dict[str, Any]] = []
    for n in range(1, _MAX_CSV_WORK + 1):
        p = f"work{n}_"
        alias = n == 1
        entry = {
            "position": get(p + "title", *(("title",) if alias else ())),
            "name": get(p + "company", *(("company",) if alias else ())),
            "url": get(p + "url", *(("company_url",) if alias else ())),
            "startDate": get(p + "start", *(("start_date",) if alias else ())),
            "endDate": get(p + "end", *(("end_date",) if alias else ())),
            "summary": get(p + "summary", *(("work_summary",) if alias else ())),
        }
        entry = {k: v for k, v in entry.items() if v is not None}
        if entry:
            work.append(entry)
        elif n > 1:
            break
    education: list[dict[str, Any]] = []
    for n in range(1, 11):
        p = f"edu{n}_"
        alias = n == 1
        entry = {
            "institution": get(p + "institution", *(("education_institution",) if alias else ())),
            "area": get(p + "area", *(("education_area",) if alias else ())),
            "studyType": get(p + "degree", *(("education_degree",) if alias else ())),
            "endDate": get(p + "end", *(("education_end",) if alias else ())),
        }
        entry = {k: v for k, v in entry.items() if v is not None}
        if entry:
            education.append(entry)
        elif n > 1:
            break
    out: dict[str, Any] = {"id": get("id", "external_id"), "basics": basics}
    if work:
        out["work"] = work
    if education:
        out["education"] = education
    skills = get("skills")
    if skills:
        out["skills"] = [{"name": s} for s in _split_list(skills)]
    langs = get("languages")
    if langs:
        out["languages"] = [{"language": s} for s in _split_list(langs)]
    return out


def iter_csv(path: Path) -> Iterator[RawItem]:
    """CSV rows with the column mapping of the module docstring; line = the row's first line."""
    csv.field_size_limit(MAX_LINE_BYTES * 20)
    with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
        counted = _CountingLines(f)
        reader = csv.reader(counted)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield 1, _Bad(f"unreadable CSV header: {exc}"), counted.take()
            return
        cols = [_col(h) for h in header]
        if "id" not in cols and "external_id" not in cols:
            yield 1, _Bad("CSV header has no `id` column"), counted.take()
            return
        counted.take()
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield start, _Bad(f"malformed CSV: {exc}"), counted.take()
                continue
            size = counted.take()
            if not any(c.strip() for c in cells):
                continue
            if size > MAX_LINE_BYTES:
                yield start, _Bad(f"row is {size:,} bytes, over the {MAX_LINE_BYTES:,}-byte limit"), size
                continue
            if len(cells) > len(cols):
                yield start, _Bad(f"row has {len(cells)} cells, the header has {len(cols)}"), size
                continue
            yield start, csv_row_to_profile(dict(zip(cols, cells, strict=False))), size


class _CountingLines:
    """Iterates lines of a text file and counts their UTF-8 bytes, for progress."""

    def __init__(self, f: io.TextIOBase) -> None:
        self._f = f
        self._n = 0

    def __iter__(self) -> _CountingLines:
        return self

    def __next__(self) -> str:
        line = self._f.readline()
        if not line:
            raise StopIteration
        self._n += len(line.encode("utf-8", errors="replace"))
        return str(line)

    def take(self) -> int:
        n, self._n = self._n, 0
        return n


def iter_file(path: Path) -> Iterator[RawItem]:
    fmt = detect_format(path)
    if fmt == "jsonl":
        return iter_jsonl(path)
    if fmt == "json":
        return iter_json_resume(path)
    return iter_csv(path)


# ---------------------------------------------------------------------------- preparation
#
# Runs in worker processes for large imports: validate, normalise, serialise.


class Prepared(NamedTuple):
    """A row that passed validation, ready for the database and the index.

    A NamedTuple (not a dataclass) because thousands cross the process boundary
    per second and tuples pickle several times faster.
    """

    line: int
    external_id: str
    name: str
    country_code: str | None
    seniority: int | None
    years: float
    doc_json: bytes  # with PLACEHOLDER_ID as profile_id
    content_hash: str
    index_json: bytes  # the index document without its identity fields (see `_index_doc`)


class Failed(NamedTuple):
    line: int
    reason: str
    external_id: str | None = None


_worker_vocab: Vocabulary | None = None


def _init_worker(vocab: Vocabulary | None) -> None:
    global _worker_vocab
    _worker_vocab = vocab or load_vocabulary()
    freeze_static_heap()


def freeze_static_heap() -> None:
    """Move everything alive now (the lexicons: millions of objects) out of the GC's sight.

    Otherwise every full collection walks the whole vocabulary, which costs more
    than the import itself. For batch processes (CLI, workers) only.
    """
    gc.collect()
    gc.freeze()


def prepare_rows(
    items: Sequence[tuple[int, bytes | dict[str, Any] | _Bad]],
    company_id: str | None,
    vocab: Vocabulary | None = None,
) -> list[Prepared | Failed]:
    """Validate and normalise raw rows (pure; safe to run in another process)."""
    lex = vocab or _worker_vocab or load_vocabulary()
    out: list[Prepared | Failed] = []
    for line, payload, *_ in items:
        if isinstance(payload, _Bad):
            out.append(Failed(line, payload.reason))
            continue
        try:
            model = validate_profile_json(payload) if isinstance(payload, bytes) else validate_profile(payload)
        except Exception as exc:  # pydantic errors, and anything odd in a hostile row
            out.append(Failed(line, error_reason(exc), _guess_id(payload)))
            continue
        try:
            doc = normalize_profile(
                model, lexicons=lex, profile_id=PLACEHOLDER_ID, company_id=company_id, validated=True
            )
            raw = orjson.dumps(doc)
        except Exception as exc:  # a normaliser bug must not kill the import; report the row
            out.append(Failed(line, f"could not normalise: {exc!r}", model["id"]))
            continue
        fields = index_fields(doc, with_identity=False)
        for key in _IDENTITY_FIELDS:
            del fields[key]
        out.append(
            Prepared(
                line,
                model["id"],
                doc.name,
                doc.place.country_code or None,
                doc.seniority,
                doc.years_experience,
                raw,
                hashlib.blake2b(raw, digest_size=16).hexdigest(),
                orjson.dumps(fields),
            )
        )
    return out


# Filled in by the writer once the profile id and the write time are known.
_IDENTITY_FIELDS = ("profile_id", "pid_hi", "pid_lo", "updated")


def _index_doc(index_json: bytes, profile_id: str, hi: int, lo: int, epoch: int) -> str:
    """The full index document as JSON: the prepared fields plus the identity fields."""
    tail = f',"profile_id":"{profile_id}","pid_hi":{hi},"pid_lo":{lo},"updated":{epoch}}}'
    return index_json[:-1].decode() + tail


def prepare_demo(seed: int, start: int, count: int, company_id: str | None) -> list[Prepared | Failed]:
    """Generate demo profiles `start`… and prepare them (runs in worker processes)."""
    from talentscout.index.demo import generate

    items = [(start + k + 1, p) for k, p in enumerate(generate(seed, start, count))]
    return prepare_rows(items, company_id)


def _guess_id(payload: bytes | dict[str, Any]) -> str | None:
    try:
        obj = orjson.loads(payload) if isinstance(payload, bytes) else payload
    except orjson.JSONDecodeError:
        return None
    v = obj.get("id") if isinstance(obj, dict) else None
    return str(v)[:200] if isinstance(v, str | int) else None


# ---------------------------------------------------------------------------- the pipeline

ProgressFn = Callable[[int], None]


class Importer:
    """Imports files into one visibility scope (global, or private to `company_id`).

    `workers` > 0 validates and normalises in that many processes (fork), which
    is what makes large imports fast on a multi-core machine; 0 does everything
    in-process (tests, the first-run demo pool).
    """

    def __init__(
        self,
        db: Database,
        index: ProfileIndex,
        *,
        company_id: str | None = None,
        vocab: Vocabulary | None = None,
        workers: int = 0,
        batch_rows: int = 2_000,
        chunk_rows: int = 250,
        index_threads: int = 1,
        index_heap_bytes: int = 256_000_000,
        commit_every: int = 250_000,
        source: str = "import",
        session: AsyncSession | None = None,
    ) -> None:
        self.db = db
        self.index = index
        self.company_id = company_id
        self.scope = scope_key(company_id)
        self.vocab = vocab or load_vocabulary()
        self.workers = workers
        self.batch_rows = batch_rows
        self.chunk_rows = chunk_rows
        self.index_threads = index_threads
        self.index_heap_bytes = index_heap_bytes
        self.commit_every = commit_every
        self.source = source
        # With a caller's session every batch is a SAVEPOINT inside the caller's
        # transaction (the first-run demo pool is written in the bootstrap transaction).
        self.session = session

    async def import_files(self, paths: Sequence[Path], progress: ProgressFn | None = None) -> ImportReport:
        """Import files (format by extension); `progress` receives bytes read."""
        return await self.import_items(((p.name, iter_file(p)) for p in paths), progress)

    async def import_items(
        self,
        sources: Iterable[tuple[str, Iterable[RawItem]]],
        progress: ProgressFn | None = None,
    ) -> ImportReport:
        """Import every (file name, items) source; returns the summary (never raises on bad rows)."""
        report = ImportReport()
        return await self._run(((name, self._file_tasks(items, report)) for name, items in sources), report, progress)

    async def import_demo(
        self, profiles: int, *, seed: int = 1, progress: ProgressFn | None = None
    ) -> ImportReport:
        """Generate and import the demo pool `seed` (`profiles` of them); `progress` receives profiles."""
        step = self.chunk_rows

        def tasks() -> Iterator[_Task]:
            for start in range(0, profiles, step):
                n = min(step, profiles - start)
                yield _Task(prepare_demo, (seed, start, n, self.company_id), n)

        return await self._run([(f"demo:{seed}", tasks())], ImportReport(), progress)

    @asynccontextmanager
    async def _batch_session(self) -> AsyncIterator[AsyncSession]:
        if self.session is None:
            async with self.db.write() as session:
                yield session
        else:
            async with self.session.begin_nested():
                yield self.session

    def _file_tasks(self, items: Iterable[RawItem], report: ImportReport) -> Iterator[_Task]:
        chunk: list[tuple[int, bytes | dict[str, Any] | _Bad]] = []
        size = 0
        for line, payload, n in items:
            report.bytes_read += n
            size += n
            if payload == b"":
                continue
            chunk.append((line, payload))
            if len(chunk) >= self.chunk_rows:
                yield _Task(prepare_rows, (chunk, self.company_id), size)
                chunk, size = [], 0
        if chunk or size:
            yield _Task(prepare_rows, (chunk, self.company_id), size)

    async def _run(
        self,
        sources: Iterable[tuple[str, Iterable[_Task]]],
        report: ImportReport,
        progress: ProgressFn | None,
    ) -> ImportReport:
        from talentscout.index.sync import catch_up

        started = time.perf_counter()
        pool = (
            ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=get_context("fork"),
                initializer=_init_worker,
                initargs=(self.vocab,),
            )
            if self.workers > 0
            else None
        )
        if pool is not None:
            # Fork every worker now, before this process opens more database connections.
            pool.submit(int).result()
        try:
            with self.index.writer(threads=self.index_threads, heap_bytes=self.index_heap_bytes) as writer:
                await catch_up(self.db, self.index, writer)
                if self.session is not None:
                    seq = await store.max_seq(self.session)
                else:
                    async with self.db.read() as session:
                        seq = await store.max_seq(session)
                state = _RunState(seq=seq)
                for name, tasks in sources:
                    seen: dict[str, int] = {}
                    pending: list[Prepared] = []
                    for results, units in self._results(tasks, pool):
                        for r in results:
                            if isinstance(r, Failed):
                                report.reject(Rejection(name, r.line, r.reason, r.external_id))
                                continue
                            first = seen.get(r.external_id)
                            if first is not None:
                                report.reject(
                                    Rejection(
                                        name,
                                        r.line,
                                        f"duplicate externalId {r.external_id!r} (first on line {first})",
                                        r.external_id,
                                    )
                                )
                                continue
                            seen[r.external_id] = r.line
                            pending.append(r)
                        if len(pending) >= self.batch_rows:
                            await self._write(name, pending, writer, state, report)
                            pending = []
                        if progress is not None:
                            progress(units)
                    if pending:
                        await self._write(name, pending, writer, state, report)
                writer.commit(state.seq)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        self.index.reload()
        report.seconds = time.perf_counter() - started
        return report

    def _results(
        self, tasks: Iterable[_Task], pool: ProcessPoolExecutor | None
    ) -> Iterator[tuple[list[Prepared | Failed], int]]:
        """Task results in order; with a pool, a bounded window of tasks runs ahead of the writer."""
        if pool is None:
            for t in tasks:
                yield t.fn(*t.args), t.units
            return
        window: deque[tuple[Future[list[Prepared | Failed]], int]] = deque()
        max_window = max(4, self.workers * 4)
        for t in tasks:
            window.append((pool.submit(t.fn, *t.args), t.units))
            while len(window) >= max_window:
                fut, units = window.popleft()
                yield fut.result(), units
        while window:
            fut, units = window.popleft()
            yield fut.result(), units

    async def _write(
        self,
        name: str,
        rows: list[Prepared],
        writer: Any,
        state: _RunState,
        report: ImportReport,
    ) -> None:
        now = utcnow()
        epoch = int(now.timestamp())
        inserts: list[store.ProfileRow] = []
        updates: list[store.ProfileRow] = []
        new_docs: list[str] = []
        upd_docs: list[tuple[str, str]] = []
        seq = state.seq
        try:
            async with self._batch_session() as session:
                existing = await store.existing_ids(session, self.scope, [r.external_id for r in rows])
                for r in rows:
                    old = existing.get(r.external_id)
                    if old is not None and old[1] == r.content_hash:
                        report.unchanged += 1
                        continue
                    if old is not None:
                        pid = old[0]
                        hi, lo = split_profile_id(pid) or (0, 0)
                    else:
                        pid, hi, lo = new_profile_id_parts()
                    seq += 1
                    row = store.ProfileRow(
                        id=pid,
                        external_id=r.external_id,
                        scope_key=self.scope,
                        company_id=self.company_id,
                        name=r.name,
                        country_code=r.country_code,
                        seniority=r.seniority,
                        years_experience=r.years,
                        doc_json=_with_id(r.doc_json, pid),
                        source=self.source,
                        content_hash=r.content_hash,
                        seq=seq,
                    )
                    doc = _index_doc(r.index_json, pid, hi, lo, epoch)
                    if old is None:
                        inserts.append(row)
                        new_docs.append(doc)
                    else:
                        updates.append(row)
                        upd_docs.append((pid, doc))
                await store.write_rows(session, inserts, updates)
        except Exception as exc:  # the batch rolled back as a whole; report its rows and go on
            for r in rows:
                report.reject(Rejection(name, r.line, f"database error: {type(exc).__name__}: {exc}", r.external_id))
            return
        state.seq = seq
        report.imported += len(inserts)
        report.updated += len(updates)
        writer.add_json(new_docs)
        writer.replace_json(upd_docs)
        state.since_commit += len(inserts) + len(updates)
        if state.since_commit >= self.commit_every:
            writer.commit(state.seq)
            state.since_commit = 0


@dataclass(frozen=True, slots=True)
class _Task:
    fn: Callable[..., list[Prepared | Failed]]
    args: tuple[Any, ...]
    units: int  # progress units (bytes or profiles) this task covers


@dataclass(slots=True)
class _RunState:
    seq: int
    since_commit: int = 0


def _with_id(doc_json: bytes, profile_id: str) -> str:
    """Splice the real profile id over the placeholder (it is the first key, at a fixed offset)."""
    head = len(_DOC_PREFIX) + len(PLACEHOLDER_ID)
    if not doc_json.startswith(_DOC_PREFIX) or doc_json[len(_DOC_PREFIX) : head] != PLACEHOLDER_ID.encode():
        raise ValueError("document JSON does not start with the placeholder id")
    return (_DOC_PREFIX + profile_id.encode() + doc_json[head:]).decode()


def default_workers() -> int:
    """Worker processes for a large import: one per core.

    The writer (this process) needs a fraction of a core (its per-row work is a
    few microseconds of Python plus tantivy's own threads), so giving every core
    a worker keeps the machine busy; on 2 cores "cores - 1" left half of it idle.
    """
    return max(1, os.cpu_count() or 1)
