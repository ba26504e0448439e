"""`talentscout source …`: start a sourcing run through a running server's HTTP API, show live
progress, print the ranked shortlist (table or `--json`); `source refine ID --query …` adds a pass."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

source_app = typer.Typer(help="Source candidates through a running talentscout server.")
console = Console(stderr=True)
out = Console()

ServerOpt = Annotated[str, typer.Option("--server", envvar="TALENTSCOUT_SERVER", help="base URL")]
KeyOpt = Annotated[
    str, typer.Option("--key", envvar="TALENTSCOUT_API_KEY", help="API key (sk_live_/sk_test_)")
]


def _client(server: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=server.rstrip("/"), headers={"Authorization": f"Bearer {key}"}, timeout=30)


def _fail(r: httpx.Response) -> None:
    try:
        err = r.json()["error"]
        console.print(f"[red]{r.status_code} {err['code']}[/red]: {err['message']}")
    except (ValueError, KeyError, TypeError):
        console.print(f"[red]HTTP {r.status_code}[/red]: {r.text[:300]}")
    raise typer.Exit(1)


def _poll(client: httpx.Client, location: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("queued", total=None)
        while time.monotonic() < deadline:
            r = client.get(location)
            if r.status_code == 200:
                body: dict[str, Any] = r.json()
                return body
            if r.status_code != 202:
                _fail(r)
            body = r.json()
            bar.update(
                task, description=f"{body.get('message', '')} ({body.get('candidatesSourcedCount', 0)} found)"
            )
            time.sleep(float(r.headers.get("retry-after", "1")) / 2)
    console.print("[red]timed out waiting for the run[/red]")
    raise typer.Exit(1)


def _show(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(result))
        return
    if result.get("status") != "completed":
        console.print(
            f"[red]run {result.get('status')}: {result.get('errorCode')} {result.get('errorMessage')}[/red]"
        )
        raise typer.Exit(1)
    table = Table(title=f"{result['requestId']} — {len(result.get('candidates', []))} candidates")
    for col in ("score", "pass", "name", "current role", "location", "why"):
        table.add_column(col)
    for c in result.get("candidates", []):
        table.add_row(
            str(c["matchScore"]),
            str(c.get("pass", 1)),
            c["name"],
            " at ".join(x for x in (c.get("currentRole"), c.get("currentCompany")) if x),
            c.get("location") or "",
            c.get("rationale") or "",
        )
    out.print(table)
    console.print(f"credits consumed: {result.get('creditsConsumed')}")


@source_app.callback(invoke_without_command=True)
def source(
    ctx: typer.Context,
    title: Annotated[str | None, typer.Option(help="job title")] = None,
    location: Annotated[str | None, typer.Option(help="e.g. 'Berlin, Germany' or 'Remote (EU)'")] = None,
    jd_file: Annotated[Path | None, typer.Option("--jd-file", exists=True, dir_okay=False)] = None,
    jd: Annotated[str | None, typer.Option(help="job description text")] = None,
    query: Annotated[str | None, typer.Option(help="steering: must: X, -term, years>=5 …")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    server: ServerOpt = "http://127.0.0.1:8000",
    key: KeyOpt = "",
    timeout: Annotated[float, typer.Option(help="seconds to wait for the result")] = 300.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start a sourcing run and print the ranked shortlist."""
    if ctx.invoked_subcommand is not None:
        return
    if not (title and location and (jd_file or jd)):
        raise typer.BadParameter("--title, --location and --jd-file or --jd are required")
    if not key:
        raise typer.BadParameter("--key (or TALENTSCOUT_API_KEY) is required")
    description = jd_file.read_text() if jd_file else str(jd)
    body: dict[str, Any] = {
        "title": title,
        "jobDescription": description,
        "location": location,
        "limit": limit,
    }
    if query:
        body["query"] = query
    with _client(server, key) as client:
        r = client.post("/sourcing", json=body)
        if r.status_code != 202:
            _fail(r)
        console.print(f"run {r.json()['requestId']} accepted")
        _show(_poll(client, r.headers["location"], timeout), as_json)


@source_app.command("refine")
def refine(
    request_id: Annotated[str, typer.Argument(help="req_… of a finished run")],
    query: Annotated[str | None, typer.Option(help="context patch")] = None,
    limit: Annotated[int, typer.Option(min=1, max=50)] = 10,
    server: ServerOpt = "http://127.0.0.1:8000",
    key: KeyOpt = "",
    timeout: Annotated[float, typer.Option()] = 300.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Add a refinement pass to a finished run and print the updated shortlist."""
    body: dict[str, Any] = {"limit": limit}
    if query:
        body["query"] = query
    with _client(server, key) as client:
        r = client.patch(f"/sourcing/{request_id}", json=body)
        if r.status_code != 202:
            _fail(r)
        _show(_poll(client, r.headers["location"], timeout), as_json)
