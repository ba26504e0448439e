"""The `talentscout` command line: serve, worker, scheduler, migrate, admin, data, index …

Every long job shows a rich progress bar; `--json` output is stable for scripts.
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

from talentscout.billing import cli as billing_cli
from talentscout.config import get_settings
from talentscout.engine import cli as engine_cli
from talentscout.enrichment import cli as enrichment_cli
from talentscout.index.cli import index_app
from talentscout.lexicons.cli import data_app
from talentscout.render import cli as render_cli
from talentscout.sourcing.cli import source_app

app = typer.Typer(no_args_is_help=True, help="talentscout: candidate sourcing & enrichment service.")
admin_app = typer.Typer(no_args_is_help=True, help="Operator commands (companies, keys, credits).")
company_app = typer.Typer(no_args_is_help=True, help="Companies.")
key_app = typer.Typer(no_args_is_help=True, help="API keys.")
admin_app.add_typer(company_app, name="company")
admin_app.add_typer(key_app, name="key")
admin_app.add_typer(billing_cli.app)  # admin credits …, admin billing …
admin_app.add_typer(enrichment_cli.app)  # admin suppress …, admin enrichment learn
app.add_typer(admin_app, name="admin")
app.add_typer(data_app, name="data")  # talentscout data build|verify
app.add_typer(source_app, name="source")  # talentscout source …, source refine ID
app.add_typer(index_app, name="index")  # talentscout index import|demo|rebuild
app.command("render")(render_cli.render)  # talentscout render --profile-id … > card.html
engine_cli.register(app)  # talentscout icp …, talentscout search …
console = Console(stderr=True)
out = Console()
T = TypeVar("T")


def run_db(fn: Callable[[Any], Awaitable[T]], *, write: bool = True) -> T:
    """Run `fn(session)` in one transaction against the configured database."""
    from talentscout.db import Database

    async def main() -> T:
        db = Database(get_settings().database_url)
        try:
            async with db.write() if write else db.read() as session:
                return await fn(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "heads") -> None:
    """Upgrade the database schema (Alembic) to REVISION (default: every head)."""
    from talentscout.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    console.print(f"[green]database at {revision}[/green]")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="API only; run `talentscout worker` separately.")] = False,
) -> None:
    """Run the API (with an in-process worker and scheduler unless --no-worker)."""
    import uvicorn

    from talentscout.app import create_app
    from talentscout.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    application = create_app(settings, run_worker=not no_worker)
    application.state.public_base_url = f"http://{host}:{port}"
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="jobs run at once (default TALENTSCOUT_WORKER_CONCURRENCY)")] = None,
    with_scheduler: Annotated[bool, typer.Option("--with-scheduler", help="also fire periodic tasks")] = False,
    metrics_port: Annotated[int | None, typer.Option(help="serve Prometheus metrics on this port")] = None,
) -> None:
    """Run background jobs (embedded or procrastinate backend, by TALENTSCOUT_JOB_BACKEND / database)."""
    from talentscout.jobs.worker import run_worker_process

    raise typer.Exit(
        run_worker_process(
            get_settings(), concurrency=concurrency, with_scheduler=with_scheduler, metrics_port=metrics_port
        )
    )


@app.command()
def scheduler() -> None:
    """Fire periodic tasks and the reconciler (safe to run more than one)."""
    from talentscout.jobs.scheduler import run_scheduler_process

    raise typer.Exit(run_scheduler_process(get_settings()))


# ---------------------------------------------------------------- admin company


@company_app.command("create")
def company_create(
    name: Annotated[str, typer.Option()],
    billing_mode: Annotated[str, typer.Option("--billing-mode")] = "prepaid",
    description: Annotated[str | None, typer.Option()] = None,
    plan: Annotated[str | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a company."""
    from talentscout.tenancy import service

    if billing_mode not in ("prepaid", "postpaid"):
        raise typer.BadParameter("--billing-mode must be prepaid or postpaid")

    async def go(session: Any) -> dict[str, Any]:
        c = await service.create_company(
            session, name=name, description=description, billing_mode=billing_mode, plan=plan
        )
        return service.company_out(c)

    result = run_db(go)
    if as_json:
        out.print_json(json.dumps(result))
    else:
        out.print(f"company {result['id']}  {result['name']}  ({result['billingMode']})")


@company_app.command("list")
def company_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List companies."""
    from talentscout.tenancy import service

    async def go(session: Any) -> list[dict[str, Any]]:
        rows, _ = await service.list_companies(session, True, 1, 10_000)
        return [service.company_out(c) for c in rows]

    rows = run_db(go, write=False)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("id", "name", "billing", "parent")
    for r in rows:
        table.add_row(r["id"], r["name"], r["billingMode"], r["parentCompanyId"] or "")
    out.print(table)


# ---------------------------------------------------------------- admin key


@key_app.command("create")
def key_create(
    company: Annotated[str, typer.Option(help="company id")],
    name: Annotated[str, typer.Option()],
    scopes: Annotated[str, typer.Option(help="comma-separated scopes, or 'all'")] = "all",
    kind: Annotated[str, typer.Option()] = "standard",
    test: Annotated[bool, typer.Option("--test", help="create an sk_test_ key")] = False,
    allowed_ips: Annotated[str, typer.Option("--allowed-ips", help="comma-separated IPs/CIDRs")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an API key and print it once (it is stored only as a keyed hash)."""
    from talentscout.auth import service
    from talentscout.auth.keys import SCOPES

    scope_list = list(SCOPES) if scopes == "all" else [s.strip() for s in scopes.split(",") if s.strip()]
    if kind not in ("standard", "ats"):
        raise typer.BadParameter("--kind must be standard or ats")
    pepper = get_settings().secret_key.get_secret_value()

    async def go(session: Any) -> dict[str, Any]:
        key, plaintext = await service.create_key(
            session,
            pepper,
            company_id=uuid.UUID(company),
            name=name,
            scopes=scope_list,
            kind=kind,
            mode="test" if test else "live",
            allowed_ips=[i.strip() for i in allowed_ips.split(",") if i.strip()],
        )
        return {**service.key_out(key), "key": plaintext}

    result = _run_app_errors(lambda: run_db(go))
    if as_json:
        out.print_json(json.dumps(result))
    else:
        out.print(f"key id {result['id']}\n{result['key']}\n(shown once: store it now)")


@key_app.command("list")
def key_list(
    company: Annotated[str | None, typer.Option(help="company id")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List API keys (never their secrets)."""
    from talentscout.auth import service

    async def go(session: Any) -> list[dict[str, Any]]:
        return [service.key_out(k) for k in await service.list_keys(session, uuid.UUID(company) if company else None)]

    rows = run_db(go, write=False)
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("id", "company", "name", "kind", "mode", "prefix", "status")
    for r in rows:
        table.add_row(r["id"], r["companyId"], r["name"], r["kind"], r["mode"], r["prefix"], r["status"])
    out.print(table)


def _key_action(key_id: str, action: str) -> None:
    from talentscout.auth import service

    async def go(session: Any) -> dict[str, Any]:
        return service.key_out(await service.change_status(session, uuid.UUID(key_id), action))

    result = _run_app_errors(lambda: run_db(go))
    out.print(f"key {result['id']} is {result['status']}")


@key_app.command("suspend")
def key_suspend(key_id: str) -> None:
    """Suspend a key (reversible with unsuspend)."""
    _key_action(key_id, "suspend")


@key_app.command("unsuspend")
def key_unsuspend(key_id: str) -> None:
    """Re-activate a suspended key."""
    _key_action(key_id, "unsuspend")


@key_app.command("revoke")
def key_revoke(key_id: str) -> None:
    """Revoke a key for good."""
    _key_action(key_id, "revoke")


def _run_app_errors(fn: Callable[[], T]) -> T:
    from talentscout.errors import AppError

    try:
        return fn()
    except AppError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc


if __name__ == "__main__":  # pragma: no cover
    app()
