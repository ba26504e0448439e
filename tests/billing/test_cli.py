"""`talentscout admin credits …` and `admin billing …` against a real database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from talentscout.billing.config import get_billing_settings
from talentscout.cli import app
from talentscout.config import get_settings


@pytest.fixture
def cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("TALENTSCOUT_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("TALENTSCOUT_BILLING_CYCLE_SECONDS", "3600")
    monkeypatch.setenv("TALENTSCOUT_BILLING_CLOSE_GRACE_SECONDS", "0")
    get_settings.cache_clear()
    get_billing_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
    get_billing_settings.cache_clear()


def invoke(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


def test_credits_and_billing_commands(cli: CliRunner) -> None:
    company = json.loads(invoke(cli, "admin", "company", "create", "--name", "Cli Co", "--json"))["id"]
    out = json.loads(
        invoke(cli, "admin", "credits", "topup", "--company", company, "--amount", "12", "--json")
    )
    assert out == {"billingMode": "prepaid", "balance": 12, "held": 0, "available": 12}
    assert "available 12" in invoke(cli, "admin", "credits", "balance", "--company", company)
    invoke(cli, "admin", "credits", "adjust", "--company", company, "--amount", "-2", "--reason", "fix")
    assert "available 10" in invoke(cli, "admin", "credits", "balance", "--company", company)
    invoke(
        cli, "admin", "credits", "adjust", "--company", company, "--amount", "-20", "--reason", "x", code=2
    )
    invoke(cli, "admin", "credits", "topup", "--company", company, "--amount", "0", code=2)

    mode = json.loads(
        invoke(
            cli,
            "admin",
            "billing",
            "mode",
            "--company",
            company,
            "--mode",
            "postpaid",
            "--anchor-day",
            "5",
            "--json",
        )
    )
    assert mode == {"companyId": company, "billingMode": "postpaid", "anchorDay": 5}
    assert "postpaid, anchor day 5" in invoke(cli, "admin", "billing", "mode", "--company", company)
    invoke(cli, "admin", "billing", "mode", "--company", company, "--mode", "free", code=2)

    assert json.loads(invoke(cli, "admin", "billing", "close-cycles", "--json")) == []
    assert json.loads(invoke(cli, "admin", "billing", "invoices", "--json")) == []
    assert "ledger ok" in invoke(cli, "admin", "billing", "verify")


def test_verify_exits_non_zero_on_a_tampered_balance(cli: CliRunner, sqlite_url: str) -> None:
    import sqlite3

    company = json.loads(invoke(cli, "admin", "company", "create", "--name", "Cli Co", "--json"))["id"]
    invoke(cli, "admin", "credits", "topup", "--company", company, "--amount", "3")
    invoke(cli, "admin", "billing", "verify")
    with sqlite3.connect(sqlite_url.split("///", 1)[1]) as conn:
        conn.execute("UPDATE billing_accounts SET balance = balance + 1 WHERE kind = 'available'")
    report = json.loads(invoke(cli, "admin", "billing", "verify", "--json", code=1))
    assert report["ok"] is False
    assert any("cached 4 != entries 3" in p for p in report["problems"])
