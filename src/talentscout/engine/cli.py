"""`talentscout icp …` and `talentscout search …` (ENGINE.md §7).

This is the engine's only module that does I/O (reading the description file,
loading lexicons, the index or a profiles file, printing); the engine proper
stays pure. Registered on the main Typer app by :func:`register`.

``--json`` output is stable: ``icp`` prints the ICP document; ``search``
prints ``{"icp": …, "candidates": [{"externalId", "profileId", "matchScore",
"rationale", "scoreBreakdown", …}], "timings": {…}, "counts": {…}}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["register"]


def _jd(jd_file: Path | None, jd: str | None) -> str:
    if jd_file is not None and jd is not None:
        raise typer.BadParameter("give either --jd-file or --jd, not both")
    if jd_file is not None:
        return jd_file.read_text(encoding="utf-8")
    if jd is not None:
        return jd
    raise typer.BadParameter("one of --jd-file or --jd is required")


def _lexicon() -> Any:
    from talentscout.engine.lexicon import EngineLexicon
    from talentscout.lexicons.load import load_gazetteer, load_lexicons

    return EngineLexicon.from_lexicons(load_lexicons(), load_gazetteer())


def _out(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def icp_command(
    title: Annotated[str, typer.Option("--title", help="job title")],
    location: Annotated[str, typer.Option("--location", help="job location (free text)")] = "",
    jd_file: Annotated[Path | None, typer.Option("--jd-file", help="job description file")] = None,
    jd: Annotated[str | None, typer.Option("--jd", help="job description text")] = None,
    query: Annotated[
        str, typer.Option("--query", help="free-text query (must:, nice:, exclude:, -term …)")
    ] = "",
    patch: Annotated[
        list[str] | None, typer.Option("--patch", help="a refinement patch (repeatable, in order)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the ICP as JSON")] = False,
    llm: Annotated[
        bool, typer.Option("--llm/--no-llm", help="refine with the configured LLM (TALENTSCOUT_LLM_*)")
    ] = False,
) -> None:
    """Print the Ideal Candidate Profile derived from a job."""
    from talentscout.engine.derive import IcpInput, derive_icp

    inp = IcpInput(title, _jd(jd_file, jd), location, query, tuple(patch or ()))
    lex = _lexicon()
    icp = derive_icp(inp, lex)
    if llm:
        from talentscout.providers.llm import refine_icp_from_env

        icp = refine_icp_from_env(inp, icp)
    if as_json:
        _out(icp.to_json())
        return
    from rich.console import Console

    c = Console()
    c.print(f"[bold]{icp.title}[/bold]  ({', '.join(t.value for t in icp.targetTitles) or 'no family'})")
    if icp.seniority:
        c.print(f"seniority: {icp.seniority.value} ({icp.seniority.level})")
    ye = icp.yearsExperience
    if ye.min is not None or ye.max is not None:
        c.print(f"years: {ye.min}–{ye.max}{' (hard)' if ye.hard else ''}")
    c.print("must: " + ", ".join(f"{s.value}{'!' if s.hard else ''}" for s in icp.mustHaveSkills))
    c.print("nice: " + ", ".join(s.value for s in icp.niceToHaveSkills))
    if icp.locations:
        loc = icp.locations[0]
        c.print(f"location: {loc.name or loc.value} ({loc.kind}, {icp.workMode.mode})")
    if icp.negativeKeywords:
        c.print("negative: " + ", ".join(n.value for n in icp.negativeKeywords))
    if icp.excludedCompanies:
        c.print("excluded: " + ", ".join(x.value for x in icp.excludedCompanies))


def _load_profiles_file(path: Path, lex: Any) -> tuple[list[Any], list[str]]:
    """Profiles of a JSONL import file, normalised in memory (no database, no index)."""
    from talentscout.index.normalize import normalize_profile
    from talentscout.index.vocab import load_vocabulary

    vocab = load_vocabulary()
    docs = []
    texts = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            doc = normalize_profile(
                raw, lexicons=vocab, profile_id=str(raw.get("id") or f"line-{n}"), company_id=None
            )
        except Exception as exc:  # a bad row is reported and skipped, like the importer does
            typer.echo(f"{path}:{n}: skipped ({type(exc).__name__})", err=True)
            continue
        docs.append(doc)
        texts.append(_doc_text(doc))
    return docs, texts


def _doc_text(doc: Any) -> str:
    parts = [doc.headline or "", doc.summary or ""]
    for p in doc.positions:
        parts += [p.title, p.company or "", p.summary or "", *p.highlights]
    parts += [s.surface for s in doc.skills]
    parts += [doc.place.city or "", doc.place.country_code or ""]
    return " ".join(x for x in parts if x)


def _search_index(
    req: Any, lex: Any, index_dir: Path | None, n_candidates: int, timings: dict[str, float]
) -> Any:
    """Lexical retrieval on the tantivy index, documents from the profile table, then the engine."""
    import asyncio
    import os

    from talentscout.config import get_settings
    from talentscout.db import Database
    from talentscout.engine.embed import load_static_embedder
    from talentscout.engine.query import compile_query
    from talentscout.engine.run import EngineRequest, derive, run_engine
    from talentscout.index.search import ProfileIndex
    from talentscout.index.store import get_profiles

    if index_dir is None:
        settings = get_settings()
        db_url, idx_dir = settings.database_url, settings.data_dir / "index"
    else:
        db_url = (
            os.environ.get("TALENTSCOUT_DATABASE_URL")
            or f"sqlite+aiosqlite:///{index_dir.resolve()}/talentscout.db"
        )
        idx_dir = index_dir / "index"
    if not idx_dir.exists():
        raise typer.BadParameter(f"no index at {idx_dir}; import profiles first (talentscout index import …)")
    t0 = time.perf_counter()
    index = ProfileIndex.open(idx_dir)
    embedder = load_static_embedder()
    timings["open_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    t1 = time.perf_counter()
    icp = derive(req, lex)
    hits = index.search(compile_query(icp), n_candidates)
    timings["retrieval_ms"] = round((time.perf_counter() - t1) * 1000, 2)

    async def load() -> list[Any]:
        db = Database(db_url)
        try:
            return await get_profiles(db, [pid for pid, _ in hits], None)
        finally:
            await db.dispose()

    t2 = time.perf_counter()
    docs = asyncio.run(load())
    timings["load_profiles_ms"] = round((time.perf_counter() - t2) * 1000, 2)
    request = EngineRequest(req.title, req.job_description, req.location, req.query, limit=req.limit, icp=icp)
    return run_engine(request, docs, dict(hits), lex, embedder=embedder)


def search_command(
    title: Annotated[str, typer.Option("--title", help="job title")],
    location: Annotated[str, typer.Option("--location", help="job location (free text)")] = "",
    jd_file: Annotated[Path | None, typer.Option("--jd-file", help="job description file")] = None,
    jd: Annotated[str | None, typer.Option("--jd", help="job description text")] = None,
    query: Annotated[str, typer.Option("--query", help="free-text query")] = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=500)] = 20,
    index_dir: Annotated[
        Path | None, typer.Option("--index-dir", help="self-contained index directory")
    ] = None,
    profiles: Annotated[
        Path | None, typer.Option("--profiles", hidden=True, help="rank a JSONL file in memory (no index)")
    ] = None,
    candidates: Annotated[int, typer.Option("--candidates", hidden=True, help="candidate set size")] = 2000,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the engine directly (no server): ICP -> retrieval -> ranking -> explanations."""
    import numpy as np

    from talentscout.engine.lexical import BM25, icp_terms
    from talentscout.engine.run import EngineRequest, derive, run_engine

    t0 = time.perf_counter()
    lex = _lexicon()
    req = EngineRequest(title, _jd(jd_file, jd), location, query, limit=limit)
    timings: dict[str, float] = {"load_ms": round((time.perf_counter() - t0) * 1000, 2)}
    if profiles is None:
        result = _search_index(req, lex, index_dir, candidates, timings)
    else:
        t1 = time.perf_counter()
        docs, texts = _load_profiles_file(profiles, lex)
        bm = BM25(texts)
        timings["index_ms"] = round((time.perf_counter() - t1) * 1000, 2)
        t2 = time.perf_counter()
        icp = derive(req, lex)
        scores = bm.scores(icp_terms(icp))
        order = np.argsort(-scores, kind="stable")[:candidates]
        cands = [docs[i] for i in order]
        lexical = {docs[i].profile_id: float(scores[i]) for i in order}
        timings["retrieval_ms"] = round((time.perf_counter() - t2) * 1000, 2)
        result = run_engine(
            EngineRequest(title, req.job_description, location, query, limit=limit, icp=icp),
            cands,
            lexical,
            lex,
        )
    timings.update(result.timings)
    payload = {
        "icp": result.icp.to_json(),
        "candidates": result.candidates,
        "timings": timings,
        "counts": {"found": result.found, "filtered": result.filtered, "scored": result.scored},
    }
    if as_json:
        _out(payload)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{title} — {location}")
    for col in ("score", "name", "current role", "location", "rationale"):
        table.add_column(col)
    for c in result.candidates:
        table.add_row(
            str(c["matchScore"]), c["name"], c["currentRole"] or "", c["location"] or "", c["rationale"]
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add `icp` and `search` to the main CLI."""
    app.command("icp")(icp_command)
    app.command("search")(search_command)
