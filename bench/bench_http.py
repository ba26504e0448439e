"""HTTP benchmark: GET /me and an authenticated 404 on talentscout, next to a bare FastAPI
endpoint measured in the same run, same uvicorn settings, same core.

The server under test is pinned to CPU 0 and this load generator to CPU 1 (2-core machine),
so the client does not steal the server's core. Run: `make bench` or
`.venv/bin/python bench/bench_http.py [--seconds 8] [--connections 16]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import Result, run, summary

ADMIN = "bench-admin-token-0123456789abcdef012345"
BARE_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        os.sched_setaffinity(0, {cpu})


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=lambda: pin(0))


def wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not come up")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--connections", type=int, default=16)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ts-bench-"))
    env = {
        **os.environ,
        "TALENTSCOUT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.db",
        "TALENTSCOUT_ADMIN_TOKEN": ADMIN,
        "TALENTSCOUT_ENV": "test",
        "TALENTSCOUT_DEMO_PROFILES": "0",
        "TALENTSCOUT_LOG_LEVEL": "WARNING",
    }
    ts_port, bare_port = free_port(), free_port()
    (tmp / "bare_app.py").write_text(BARE_APP)
    procs = [
        start([sys.executable, "-m", "talentscout.cli", "serve", "--no-worker", "--port", str(ts_port)], env, tmp / "ts.log"),
        start(
            [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(bare_port), "--log-level", "warning",
             "--no-access-log", "--app-dir", str(tmp)],
            env,
            tmp / "bare.log",
        ),
    ]
    pin(1)
    try:
        ts = f"http://127.0.0.1:{ts_port}"
        wait_up(ts + "/livez")
        wait_up(f"http://127.0.0.1:{bare_port}/ping")
        admin = {"Authorization": f"Bearer {ADMIN}"}
        cid = httpx.post(ts + "/admin/companies", json={"name": "Bench Co"}, headers=admin).json()["data"]["id"]
        key = httpx.post(
            ts + "/admin/api-keys",
            json={"companyId": cid, "name": "bench", "scopes": ["read:companies"],
                  "rateLimitPerMinute": 10_000_000, "rateLimitPerHour": 1_000_000_000},
            headers=admin,
        ).json()["data"]["key"]
        auth = {"Authorization": f"Bearer {key}"}

        async def go() -> list[Result]:
            c, s = args.connections, args.seconds
            return [
                await run("bare FastAPI GET /ping (baseline)", "127.0.0.1", bare_port, "/ping", None, c, s),
                await run("talentscout GET /livez (no auth)", "127.0.0.1", ts_port, "/livez", None, c, s),
                await run("talentscout GET /me", "127.0.0.1", ts_port, "/me", auth, c, s),
                await run("talentscout GET /companies/{random} (404)", "127.0.0.1", ts_port,
                          f"/companies/{uuid.uuid4()}", auth, c, s),
            ]

        results = asyncio.run(go())
        sys.stdout.write(f"connections={args.connections} seconds={args.seconds} server=CPU0 client=CPU1\n")
        sys.stdout.write(summary(results) + "\n")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)


if __name__ == "__main__":
    main()
