"""A stand-in run worker for the crash test: captures items one committed transaction at a
time (as a sourcing/enrichment worker does after each delivered item), then releases.

`python -m tests.billing.crash_worker DB_URL REF N_ITEMS` processes every item from the
start, so a restart after SIGKILL replays the items committed before the kill.
"""

from __future__ import annotations

import asyncio
import random
import sys

from talentscout.billing import capture, release
from talentscout.db import Database


async def main(url: str, ref: str, n_items: int) -> None:
    db = Database(url)
    try:
        for i in range(n_items):
            async with db.write() as session:
                await capture(session, ref, f"prof_{i}", "sourcing_candidate")
                # the item's result would be written here, in the same transaction
                await asyncio.sleep(random.uniform(0, 0.01))
        async with db.write() as session:
            await release(session, ref)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
