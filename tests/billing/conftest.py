"""Billing test fixtures: a migrated database (SQLite, or PostgreSQL for `pg` tests) and helpers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from talentscout.billing import ledger
from talentscout.db import Database
from talentscout.migrate import upgrade_async
from talentscout.tenancy import service as companies


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def pg_db(pg_url: str) -> AsyncIterator[Database]:
    await upgrade_async(pg_url)
    database = Database(pg_url)
    try:
        yield database
    finally:
        await database.dispose()


async def new_company(
    db: Database, *, mode: str = "prepaid", credits: int = 0, name: str = "Acme Corp"
) -> uuid.UUID:
    """A company with `credits` topped up (prepaid or postpaid)."""
    async with db.write() as session:
        company = await companies.create_company(session, name=name, billing_mode=mode)
        if credits:
            await ledger.top_up(session, company.id, credits, reason="test")
        return company.id


async def balances(db: Database, company_id: uuid.UUID) -> dict[str, int]:
    """Cached balances plus the balances derived from entries (they must agree)."""
    async with db.read() as session:
        cached = await ledger.balance(session, company_id)
        derived = await ledger.derived_balances(session, company_id)
    assert cached["available"] == derived.get("available", 0)
    assert cached["held"] == derived.get("held", 0)
    return {
        "available": cached["available"],
        "held": cached["held"],
        "consumed": derived.get("consumed", 0),
        "external": derived.get("external", 0),
    }


async def assert_reconciles(db: Database) -> None:
    async with db.read() as session:
        report = await ledger.verify(session)
    assert report.ok, report.problems
