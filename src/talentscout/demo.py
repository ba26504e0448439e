"""First-run bootstrap (development mode only): on an empty database create a demo company
with a prepaid balance of DEMO_CREDITS, a live and a test API key, and print them once with a ready-to-paste
`curl`, so a newcomer goes from clone to a ranked shortlist in minutes.

Features extend it through `DEMO_HOOKS` (billing tops up credits, the index builds the demo
talent pool), so this module stays free of their imports.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.auth.keys import SCOPES
from talentscout.auth.service import create_key
from talentscout.billing.ledger import top_up
from talentscout.tenancy.models import Company
from talentscout.tenancy.service import create_company

DemoHook = Callable[[FastAPI, AsyncSession, uuid.UUID], Awaitable[None]]
DEMO_HOOKS: list[DemoHook] = []
DEMO_CREDITS = 10_000


async def bootstrap(app: FastAPI) -> Callable[[], Awaitable[None]] | None:
    """Create the demo tenant when the database has no company yet (development only)."""
    settings = app.state.settings
    if settings.env != "development":
        return None
    db = app.state.db
    async with db.write() as session:
        if (await session.execute(select(func.count()).select_from(Company))).scalar_one() > 0:
            return None
        company = await create_company(session, name="Demo Company", billing_mode="prepaid")
        pepper = settings.secret_key.get_secret_value()
        _, live = await create_key(session, pepper, company_id=company.id, name="demo live", scopes=list(SCOPES))
        _, test = await create_key(
            session, pepper, company_id=company.id, name="demo test", scopes=list(SCOPES), mode="test"
        )
        await top_up(session, company.id, DEMO_CREDITS, reason="demo tenant", idempotency_key="demo-bootstrap")
        for hook in DEMO_HOOKS:
            await hook(app, session, company.id)
    _announce(app, str(company.id), live, test)
    return None


def _announce(app: FastAPI, company_id: str, live: str, test: str) -> None:
    host: Any = getattr(app.state, "public_base_url", None) or "http://127.0.0.1:8000"
    body = (
        '{"title": "Senior Backend Engineer", "jobDescription": "Requirements: 5+ years of Python, '
        'PostgreSQL, Kubernetes. Nice to have: Kafka.", "location": "Berlin, Germany", "limit": 10}'
    )
    banner = f"""
==================================================================
 talentscout demo tenant created (shown once, store the keys now)
   company : {company_id}
   live key: {live}
   test key: {test}

 Start a sourcing run:
   curl -s -X POST {host}/sourcing \\
     -H "Authorization: Bearer {live}" -H "Content-Type: application/json" \\
     -d '{body}'
 Then poll the Location it returns:
   curl -s {host}/sourcing/<requestId>/results -H "Authorization: Bearer {live}"
 Who am I:
   curl -s {host}/me -H "Authorization: Bearer {live}"
==================================================================
"""
    # The one-time credentials banner is user-facing output, not a log line.
    sys.stderr.write(banner)
    sys.stderr.flush()
