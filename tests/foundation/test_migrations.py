"""Migrations: upgrade → downgrade → upgrade on SQLite and PostgreSQL, and no model drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from talentscout.db import normalize_url
from talentscout.migrate import downgrade, upgrade
from talentscout.models import Base


def _sync_url(url: str) -> str:
    url = normalize_url(url)
    return url.replace("sqlite+aiosqlite", "sqlite")


def _op_name(op: object) -> str:
    if isinstance(op, tuple) and len(op) > 1:
        obj = op[1]
        names = [getattr(obj, "name", "") or "", getattr(getattr(obj, "table", None), "name", "") or ""]
        return " ".join(names)
    return ""


def _roundtrip_and_drift(url: str) -> None:
    upgrade(url)
    downgrade(url, "base")
    engine = create_engine(_sync_url(url))
    with engine.connect() as conn:
        leftover = set(inspect(conn).get_table_names()) - {"alembic_version"}
    assert not leftover, f"downgrade left tables behind: {leftover}"
    upgrade(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    # procrastinate's own schema (tables, indexes) is applied from its package, not our models.
    diff = [d for d in diff if "procrastinate" not in _op_name(d)]
    assert diff == [], f"models and migrations drifted: {diff}"


def test_sqlite_roundtrip_and_no_drift(tmp_path: Path) -> None:
    _roundtrip_and_drift(f"sqlite+aiosqlite:///{tmp_path}/m.db")


@pytest.mark.pg
def test_postgres_roundtrip_and_no_drift(pg_url: str) -> None:
    _roundtrip_and_drift(pg_url)
