"""Periodic housekeeping is registered with the scheduler and does its job."""

from __future__ import annotations

import uuid
from datetime import timedelta

from talentscout.db import Database
from talentscout.idempotency.models import IdempotencyRecord
from talentscout.idempotency.service import purge_expired
from talentscout.jobs.scheduler import PERIODICS
from talentscout.jobs.worker import import_task_modules
from talentscout.kit.clock import utcnow
from tests.conftest import make_settings


def test_housekeeping_periodics_registered(sqlite_url: str) -> None:
    import_task_modules(make_settings(sqlite_url))
    assert {"billing.close_cycles", "idempotency.purge_expired"} <= set(PERIODICS)


async def test_purge_expired_idempotency_records(sqlite_url: str) -> None:
    db = Database(sqlite_url)
    now = utcnow()
    try:
        async with db.write() as s:
            for key, expires in (("old", now - timedelta(seconds=1)), ("fresh", now + timedelta(hours=1))):
                s.add(
                    IdempotencyRecord(
                        company_id=uuid.uuid4(), idem_key=key, request_hash="x" * 64,
                        locked_until=now, expires_at=expires,
                    )
                )
        assert await purge_expired(db) == 1
        async with db.read() as s:
            from sqlalchemy import select

            left = list((await s.execute(select(IdempotencyRecord.idem_key))).scalars())
        assert left == ["fresh"]
    finally:
        await db.dispose()
