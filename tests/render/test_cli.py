"""`talentscout render` as an operator runs it: a real subprocess against a SQLite database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from talentscout.db import Database
from talentscout.migrate import upgrade
from talentscout.tenancy.service import create_company
from tests.render.conftest import Seed, _seeder
from tests.render.corpus import new_profile_id, realistic_profile
from tests.render.htmlcheck import parse


@pytest.fixture
def cli_db(tmp_path: Path) -> tuple[Path, Seed, str]:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    upgrade(url)
    return tmp_path, _seeder(url), url


def _company(url: str, name: str) -> str:
    async def go() -> str:
        db = Database(url)
        try:
            async with db.write() as session:
                return str((await create_company(session, name=name)).id)
        finally:
            await db.dispose()

    return asyncio.run(go())


def run(
    cwd: Path, url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = {
        **os.environ,
        "TALENTSCOUT_DATABASE_URL": url,
        "TALENTSCOUT_ENV": "test",
        "TALENTSCOUT_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "talentscout.cli", "render", *args],
        cwd=cwd,  # away from any .env in the repository
        env=full_env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_render_prints_a_standalone_page(cli_db: tuple[Path, Seed, str]) -> None:
    cwd, seed, url = cli_db
    (pid,) = seed([realistic_profile(new_profile_id())])
    r = run(cwd, url, "--profile-id", pid, env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"})
    assert r.returncode == 0, r.stderr.decode()
    page = r.stdout.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "default-src 'none'; style-src 'unsafe-inline'" in page
    assert 'data-card-theme="dark"' in page
    assert parse(page).fields("name") == ["Ada Example"]


def in_process(url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    """The same command in this process (a subprocess costs seconds of imports per call)."""
    from talentscout.cli import app
    from talentscout.config import get_settings

    monkeypatch.setenv("TALENTSCOUT_DATABASE_URL", url)
    monkeypatch.setenv("TALENTSCOUT_ENV", "test")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["render", *args])
    finally:
        get_settings.cache_clear()


def test_theme_fragment_unicode_and_missing_ids(
    cli_db: tuple[Path, Seed, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, seed, url = cli_db
    (pid,) = seed([replace(realistic_profile(new_profile_id()), name="Zoë مريم 👩🏽‍💻")])
    missing = new_profile_id()
    r = in_process(
        url, monkeypatch, "--profile-id", pid, "--profile-id", missing, "--theme", "light", "--fragment"
    )
    assert r.exit_code == 1  # one id was not found
    assert f"PROFILE_NOT_FOUND: {missing}" in r.stderr
    out = r.stdout_bytes.decode("utf-8")
    assert out.startswith("<table") and 'data-card-theme="light"' in out
    assert parse(out).fields("name") == ["Zoë مريم 👩🏽‍💻"]
    bad = in_process(url, monkeypatch, "--profile-id", pid, "--theme", "blue")
    assert bad.exit_code == 2 and bad.stdout_bytes == b""


def test_company_option_applies_tenancy(
    cli_db: tuple[Path, Seed, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, seed, url = cli_db
    owner, other = _company(url, "Owner"), _company(url, "Other")
    (private,) = seed([realistic_profile(new_profile_id())], company_id=owner)
    assert in_process(url, monkeypatch, "--profile-id", private, "--company", owner).exit_code == 0
    foreign = in_process(url, monkeypatch, "--profile-id", private, "--company", other)
    assert foreign.exit_code == 1 and foreign.stdout_bytes == b""
    # Without --company only global profiles are visible (the API's rule).
    assert in_process(url, monkeypatch, "--profile-id", private).exit_code == 1
    assert in_process(url, monkeypatch, "--profile-id", private, "--company", "nope").exit_code == 2
