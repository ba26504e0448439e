"""`talentscout index import|demo|rebuild` end to end, and the first-run demo pool of `serve`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from talentscout.cli import app
from talentscout.index.search import IndexQuery, ProfileIndex, Term

runner = CliRunner()


def run(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["index", *args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


@pytest.fixture(autouse=True)
def _own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TALENTSCOUT_DATABASE_URL", raising=False)


def test_demo_import_rebuild_with_index_dir(tmp_path: Path) -> None:
    d = tmp_path / "pool"
    first = run("demo", "--profiles", "150", "--seed", "4", "--index-dir", str(d), "--workers", "0")
    assert first["imported"] == 150 and first["rejected"] == 0
    assert (d / "talentscout.db").exists() and (d / "index").is_dir()
    again = run("demo", "--profiles", "150", "--seed", "4", "--index-dir", str(d), "--workers", "0")
    assert again["unchanged"] == 150 and again["imported"] == 0  # same seed: same pool

    f = tmp_path / "x.jsonl"
    f.write_text(
        json.dumps({"id": "x1", "basics": {"name": "Zed Q"}, "work": [{"position": "Sommelier", "startDate": "2020"}]})
        + "\n{not json\n"
    )
    imp = run("import", str(f), "--index-dir", str(d), "--workers", "0")
    assert imp["imported"] == 1 and imp["rejected"] == 1
    rej = imp["rejections"]
    assert isinstance(rej, list) and rej[0]["line"] == 2 and "broken JSON" in rej[0]["reason"]

    reb = run("rebuild", "--index-dir", str(d))
    assert reb["documents"] == 151
    index = ProfileIndex.open(d / "index")
    assert index.num_docs == 151
    assert len(index.search(IndexQuery(should=(Term("title", "sommelier"),)), 5)) == 1


def test_import_rejects_unknown_format_and_company(tmp_path: Path) -> None:
    f = tmp_path / "p.xml"
    f.write_text("<x/>")
    result = runner.invoke(app, ["index", "import", str(f), "--index-dir", str(tmp_path)])
    assert result.exit_code != 0 and "unknown format" in result.output
    g = tmp_path / "p.jsonl"
    g.write_text("")
    result = runner.invoke(app, ["index", "import", str(g), "--company", "nope", "--index-dir", str(tmp_path)])
    assert result.exit_code != 0


def test_serve_on_an_empty_database_builds_the_demo_pool(tmp_path: Path) -> None:
    import httpx

    from talentscout import app as app_module
    from talentscout.app import create_app
    from talentscout.index import lifecycle
    from talentscout.migrate import upgrade
    from tests.conftest import make_settings
    from tests.harness import running

    url = f"sqlite+aiosqlite:///{tmp_path}/talentscout.db"
    upgrade(url)
    settings = make_settings(url, env="development", demo_profiles=300, data_dir=tmp_path / "data")
    hooks = list(app_module.STARTUP_HOOKS)
    if lifecycle.index_lifespan not in app_module.STARTUP_HOOKS:
        app_module.STARTUP_HOOKS.append(lifecycle.index_lifespan)
    try:
        application = create_app(settings)
        with running(application) as base:
            assert httpx.get(f"{base}/livez").status_code == 200
            index = application.state.profile_index
            assert index.num_docs == 300
            hits = index.search(IndexQuery(should=(Term("title", "engineer"), Term("title", "nurse"))), 10)
            assert hits
    finally:
        app_module.STARTUP_HOOKS[:] = hooks
