"""Pattern learning against the database: rebuild from the index, load smoothed models, feedback."""

from __future__ import annotations

import asyncio
from pathlib import Path

from talentscout.db import Database
from talentscout.enrichment import learn
from talentscout.migrate import upgrade_async
from tests.conftest import make_settings
from tests.enrichment.conftest import person
from tests.enrichment.test_api import seed


async def test_rebuild_load_and_feedback(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/learn.db"
    await upgrade_async(url)
    people = [
        ("Ada Lovelace", "alovelace"),
        ("Alan Turing", "aturing"),
        ("Grace Hopper", "ghopper"),
        ("Joan Clarke", "jclarke"),
    ]
    docs = [
        person(f"prof_{i}", n, company="Initech", emails=[(f"{local}@initech.com", "import")])
        for i, (n, local) in enumerate(people)
    ]
    docs.append(
        person("prof_x", "Ken Thompson", company="Globex", emails=[("ken.thompson@globex.com", "import")])
    )
    # A private profile must not shape the shared model.
    await asyncio.to_thread(seed, url, docs)
    await asyncio.to_thread(
        seed,
        url,
        [person("prof_p", "Ada Lovelace", emails=[("ada@private-co.com", "import")])],
        "11111111-1111-1111-1111-111111111111",
    )
    settings = make_settings(url)
    db = Database(url)
    try:
        async with db.write() as session:
            stats = await learn.rebuild_from_index(session, settings)
        assert stats == {"profiles": 5, "domains": 2, "companies": 2}
        async with db.read() as session:
            models = await learn.load_models(
                session, ["initech.com", "globex.com", "private-co.com", "new.com"], settings
            )
            cmap = await learn.load_company_map(session, ["initech"])
        assert models["initech.com"].top == "{f}{last}" and models["initech.com"].strength == "strong"
        assert models["globex.com"].top == "{first}.{last}"
        assert models["private-co.com"].observations == 0
        # An unseen domain follows the index-wide prior, which now leans to {f}{last}.
        assert models["new.com"].top == "{f}{last}"
        assert set(cmap["initech"]) == {"initech.com"}
        async with db.write() as session:
            for _ in range(6):
                await learn.record_feedback(session, "new.com", "{first}_{last}", positive=1.0)
            await learn.record_feedback(session, "initech.com", "{f}{last}", negative=20.0)
        async with db.read() as session:
            models = await learn.load_models(session, ["new.com", "initech.com"], settings)
        assert models["new.com"].top == "{first}_{last}"
        assert models["initech.com"].top != "{f}{last}"
    finally:
        await db.dispose()
