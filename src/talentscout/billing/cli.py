"""Billing operator commands, mounted under `talentscout admin`:

    admin credits topup|balance|adjust
    admin billing mode|invoices|verify|close-cycles

`verify` exits 1 when the ledger does not reconcile, so cron or CI can alert on it.
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
credits_app = typer.Typer(no_args_is_help=True, help="Prepaid credits.")
billing_app = typer.Typer(no_args_is_help=True, help="Billing mode, invoices, ledger reconciliation.")
app.add_typer(credits_app, name="credits")
app.add_typer(billing_app, name="billing")
console = Console(stderr=True)
out = Console()
T = TypeVar("T")


def _run(fn: Callable[[Any], Awaitable[T]], *, write: bool = True) -> T:
    """Run `fn(session)` in one transaction; an AppError becomes a message and exit code 2."""
    from talentscout.db import Database
    from talentscout.errors import AppError

    async def main() -> T:
        db = Database(get_settings().database_url)
        try:
            async with db.write() if write else db.read() as session:
                return await fn(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message}")
        raise typer.Exit(2) from exc


def _company(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise typer.BadParameter("--company must be a company id (UUID)") from exc


def _print_balance(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(result))
    else:
        out.print(
            f"{result['billingMode']}: balance {result['balance']}, held {result['held']}, "
            f"available {result['available']}"
        )


CompanyOpt = Annotated[str, typer.Option("--company", help="company id")]
JsonOpt = Annotated[bool, typer.Option("--json")]


@credits_app.command("topup")
def credits_topup(
    company: CompanyOpt,
    amount: Annotated[int, typer.Option(min=1)],
    reason: Annotated[str | None, typer.Option()] = None,
    idempotency_key: Annotated[str | None, typer.Option("--idempotency-key", help="repeat-safe key")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add credits to a company."""
    from talentscout.billing import ledger

    cid = _company(company)
    _print_balance(
        _run(lambda s: ledger.top_up(s, cid, amount, reason=reason, idempotency_key=idempotency_key)), as_json
    )


@credits_app.command("balance")
def credits_balance(company: CompanyOpt, as_json: JsonOpt = False) -> None:
    """Show a company's balance, held and available credits."""
    from talentscout.billing import ledger

    cid = _company(company)
    _print_balance(_run(lambda s: ledger.balance(s, cid), write=False), as_json)


@credits_app.command("adjust")
def credits_adjust(
    company: CompanyOpt,
    amount: Annotated[int, typer.Option(help="signed correction")],
    reason: Annotated[str, typer.Option()],
    as_json: JsonOpt = False,
) -> None:
    """Correct available credits by ±amount (never below zero)."""
    from talentscout.billing import ledger

    cid = _company(company)
    _print_balance(_run(lambda s: ledger.adjust(s, cid, amount, reason=reason)), as_json)


@billing_app.command("mode")
def billing_mode(
    company: CompanyOpt,
    mode: Annotated[str | None, typer.Option("--mode", help="prepaid or postpaid; omit to show")] = None,
    anchor_day: Annotated[int | None, typer.Option("--anchor-day", min=1, max=31)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show or set a company's billing mode and cycle anchor day."""
    from talentscout.billing import invoices

    if mode is not None and mode not in ("prepaid", "postpaid"):
        raise typer.BadParameter("--mode must be prepaid or postpaid")
    cid = _company(company)
    changes: dict[str, Any] = {}
    if mode is not None:
        changes["billing_mode"] = mode
    if anchor_day is not None:
        changes["anchor_day"] = anchor_day
    if changes:
        result = _run(lambda s: invoices.set_profile(s, cid, changes))
    else:
        result = _run(lambda s: invoices.get_profile(s, cid), write=False)
    if as_json:
        out.print_json(json.dumps(result))
    else:
        anchor = result["anchorDay"] or "default"
        out.print(f"company {result['companyId']}: {result['billingMode']}, anchor day {anchor}")


def _print_invoices(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("id", "company", "period start", "period end", "lines", "total")
    for r in rows:
        lines = ", ".join(f"{line['costKey']}={line['quantity']}" for line in r["lines"])
        table.add_row(
            r["id"], r["companyId"], r["periodStart"], r["periodEnd"], lines, str(r["totalCredits"])
        )
    out.print(table)


@billing_app.command("invoices")
def billing_invoices(
    company: Annotated[str | None, typer.Option("--company", help="company id (default: all)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List issued invoices, newest period first."""
    from talentscout.billing import invoices

    cid = _company(company) if company else None

    async def go(session: Any) -> list[dict[str, Any]]:
        rows, _ = await invoices.list_invoices(session, cid, limit=limit, cursor=None)
        return rows

    _print_invoices(_run(go, write=False), as_json)


@billing_app.command("close-cycles")
def billing_close_cycles(as_json: JsonOpt = False) -> None:
    """Issue invoices for every elapsed postpaid billing period (idempotent)."""
    from talentscout.billing import invoices
    from talentscout.db import Database

    async def main() -> list[dict[str, Any]]:
        db = Database(get_settings().database_url)
        try:
            return await invoices.close_cycles(db)
        finally:
            await db.dispose()

    issued = asyncio.run(main())
    if as_json:
        out.print_json(json.dumps(issued))
    else:
        _print_invoices(issued, False)
        console.print(f"{len(issued)} invoice(s) issued")


@billing_app.command("verify")
def billing_verify(as_json: JsonOpt = False) -> None:
    """Reconcile cached balances and holds against the ledger entries; exit 1 on any mismatch."""
    from talentscout.billing import ledger

    report = _run(ledger.verify, write=False)
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif report.ok:
        out.print(f"ledger ok: {report.accounts} accounts, {report.transactions} transactions")
    else:
        for problem in report.problems:
            console.print(f"[red]MISMATCH[/red] {problem}")
    if not report.ok:
        raise typer.Exit(1)
