"""Enrichment operator commands, to mount under `talentscout admin` (`admin_app.add_typer(cli.app)`):

admin suppress add --kind email|email_sha256|domain|profile --value V [--reason R]
admin suppress list [--kind K] [--json]
admin suppress remove ID
admin enrichment learn        # rebuild the pattern model from the index now
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from talentscout.config import get_settings

app = typer.Typer(no_args_is_help=True)
suppress_app = typer.Typer(no_args_is_help=True, help="Suppression list (never enrich these).")
learn_app = typer.Typer(no_args_is_help=True, help="Enrichment maintenance.")
app.add_typer(suppress_app, name="suppress")
app.add_typer(learn_app, name="enrichment")
console = Console(stderr=True)
out = Console()
T = TypeVar("T")


def _run(fn: Callable[[Any], Awaitable[T]]) -> T:
    from talentscout.db import Database
    from talentscout.errors import AppError

    async def main() -> T:
        db = Database(get_settings().database_url)
        try:
            async with db.write() as session:
                return await fn(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc


@suppress_app.command("add")
def add(
    kind: Annotated[str, typer.Option(help="email | email_sha256 | domain | profile")],
    value: Annotated[str, typer.Option(help="the address, hash, domain or profile id")],
    reason: Annotated[str | None, typer.Option(help="why (kept for audits)")] = None,
) -> None:
    """Suppress an address (stored hashed), a domain or a profile."""
    from talentscout.enrichment import suppression

    if kind not in suppression.KINDS:
        raise typer.BadParameter(f"--kind must be one of {', '.join(suppression.KINDS)}")

    async def go(session: Any) -> dict[str, Any]:
        return suppression.out(await suppression.add(session, kind, value, reason))

    out.print_json(json.dumps(_run(go)))


@suppress_app.command("list")
def list_(
    kind: Annotated[str | None, typer.Option(help="only this kind")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show the suppression list (emails only as masked hints and hashes)."""
    from talentscout.enrichment import suppression

    async def go(session: Any) -> list[dict[str, Any]]:
        return [suppression.out(r) for r in await suppression.listing(session, kind, 10_000, 0)]

    rows = _run(go)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("id", "kind", "value", "reason", "created")
    for r in rows:
        table.add_row(
            r["id"],
            r["kind"],
            r["value"] or (r["valueHash"] or "")[:16] + "…",
            r["reason"] or "",
            r["createdAt"],
        )
    out.print(table)


@suppress_app.command("remove")
def remove(suppression_id: str) -> None:
    """Remove one entry by id."""
    from talentscout.enrichment import suppression

    try:
        ident = uuid.UUID(suppression_id)
    except ValueError as exc:
        raise typer.BadParameter("expected a suppression id (UUID)") from exc

    async def go(session: Any) -> None:
        await suppression.remove(session, ident)

    _run(go)
    console.print("removed")


@learn_app.command("learn")
def learn() -> None:
    """Rebuild the per-domain pattern model and company→domain map from the index."""
    from talentscout.enrichment import learn as learning

    async def go(session: Any) -> dict[str, int]:
        return await learning.rebuild_from_index(session, get_settings())

    out.print_json(json.dumps(_run(go)))
