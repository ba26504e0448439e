"""SIGKILL a worker between an item's success and its capture commit, or after the last
capture and before the run completes; after a restart every delivered item is captured
exactly once and the hold is released (issue 7, RELIABILITY.md 12 at ledger level)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from talentscout.billing import captured_count, hold
from talentscout.db import Database
from tests.billing.conftest import assert_reconciles, balances, new_company

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 20


def _worker(url: str, ref: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.billing.crash_worker", url, ref, str(ITEMS)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


async def _wait_for_captures(db: Database, ref: str, target: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = asyncio.get_running_loop().time() + 60
    while asyncio.get_running_loop().time() < deadline:
        async with db.read() as s:
            if await captured_count(s, ref) >= target:
                return  # (the worker may already have released and exited: killing it is then a no-op)
        assert proc.poll() is None, "the worker exited before reaching the kill point"
        await asyncio.sleep(0.005)
    raise AssertionError(f"fewer than {target} captures within 60 s")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
async def test_kill_and_restart_captures_each_item_once(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    cid = await new_company(db, credits=ITEMS + 5)
    ref = f"req_crash_{seed}"
    async with db.write() as s:
        await hold(s, cid, ITEMS, ref=ref, cost_key="sourcing_candidate", livemode=True)
    url = db.url
    # First kill mid-run (after a random number of committed captures, possibly inside the
    # next item's transaction), second kill after the last capture, before or during release.
    for target in (rng.randint(1, ITEMS - 1), ITEMS):
        proc = _worker(url, ref)
        await _wait_for_captures(db, ref, target, proc)
        await asyncio.sleep(rng.uniform(0, 0.01))
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 30)
    proc = _worker(url, ref)
    assert await asyncio.to_thread(proc.wait, 120) == 0
    async with db.read() as s:
        assert await captured_count(s, ref) == ITEMS
    assert await balances(db, cid) == {"available": 5, "held": 0, "consumed": ITEMS, "external": -(ITEMS + 5)}
    await assert_reconciles(db)
