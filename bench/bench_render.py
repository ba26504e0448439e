"""Card rendering benchmark: cards/s over HTTP for 10-profile `POST /sourcing/render-html` requests.

A demo pool (`talentscout index demo --profiles N --index-dir DIR`) in a temp directory;
`talentscout serve --no-worker` on it (TALENTSCOUT_DATABASE_URL=sqlite+aiosqlite:///DIR/talentscout.db,
TALENTSCOUT_DATA_DIR=DIR) and a bare FastAPI app are pinned to CPU 0, the keep-alive load
generator (`loadgen.py`) to CPU 1; a company and an `enrich:write` key come from the admin
API, profile ids from the `profiles` table. Each connection cycles through distinct
10-profile requests (ids spread over the whole pool; dark theme, plus a light and a
1-profile row).

Baselines, same run: the bare FastAPI `GET /ping` of `bench_http.py` (same uvicorn, same core),
and the same number of `render_card` calls in-process (this process, pinned to CPU 0 after
the servers stopped), in groups of 10 like the requests. For scale, `GET /me` on the same
server shows what any authenticated request costs before rendering anything.

Run: `.venv/bin/python bench/bench_render.py [--seconds 5] [--connections 8] [--profiles 500]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import free_port, loadavg, pct, pin, table, wait_quiet
from loadgen import Result, run

from talentscout.db import Database
from talentscout.engine.profile import ProfileDoc
from talentscout.index.store import get_profiles
from talentscout.render.cards import render_card

ADMIN = "bench-admin-token-0123456789abcdef012345"
PER_REQUEST = 10
BARE_APP = """
from fastapi import FastAPI
app = FastAPI()
@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}
"""


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        cmd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, preexec_fn=lambda: pin(0)
    )


def wait_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not come up")


def profile_ids(db_file: Path) -> list[str]:
    with sqlite3.connect(db_file) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM profiles WHERE company_id IS NULL ORDER BY id")]


def bodies(ids: list[str], per: int, theme: str, count: int = 64) -> list[bytes]:
    """`count` requests of `per` distinct ids each, strided so they cover the whole pool."""
    out = []
    for r in range(count):
        chosen = [ids[(r + k * len(ids) // per) % len(ids)] for k in range(per)]
        out.append(orjson.dumps({"profileIds": chosen, "theme": theme}))
    return out


def in_process(url: str, ids: list[str], cards: int) -> tuple[float, list[float]]:
    """`cards` render_card calls in groups of 10 (docs loaded beforehand); (cards/s, ms per group)."""

    async def load() -> list[ProfileDoc]:
        db = Database(url)
        try:
            return await get_profiles(db, ids, None)
        finally:
            await db.dispose()

    docs = asyncio.run(load())
    groups: list[float] = []
    for doc in docs[:20]:
        render_card(doc, theme="dark")  # warm-up (templates, palettes)
    done, i = 0, 0
    started = time.perf_counter()
    while done < cards:
        t0 = time.perf_counter()
        for _ in range(PER_REQUEST):
            render_card(docs[i % len(docs)], theme="dark")
            i += 1
        done += PER_REQUEST
        groups.append((time.perf_counter() - t0) * 1000)
    return done / (time.perf_counter() - started), groups


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="measured seconds per HTTP row")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--profiles", type=int, default=500, help="demo pool size")
    ap.add_argument("--wait-quiet", type=float, default=0.0, help="wait up to N s for load1 < 1.5 first")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ts-bench-render-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("TALENTSCOUT_")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "talentscout.cli",
            "index",
            "demo",
            "--profiles",
            str(args.profiles),
            "--index-dir",
            str(tmp),
            "--json",
        ],
        env=base_env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db_url = f"sqlite+aiosqlite:///{tmp}/talentscout.db"
    ids = profile_ids(tmp / "talentscout.db")
    env = {
        **base_env,
        "TALENTSCOUT_DATABASE_URL": db_url,
        "TALENTSCOUT_DATA_DIR": str(tmp),
        "TALENTSCOUT_ADMIN_TOKEN": ADMIN,
        "TALENTSCOUT_ENV": "test",
        "TALENTSCOUT_DEMO_PROFILES": "0",
        "TALENTSCOUT_LOG_LEVEL": "WARNING",
    }
    ts_port, bare_port = free_port(), free_port()
    (tmp / "bare_app.py").write_text(BARE_APP)
    logs = (tmp / "ts.log", tmp / "bare.log")
    procs = [
        start(
            [sys.executable, "-m", "talentscout.cli", "serve", "--no-worker", "--port", str(ts_port)],
            env,
            logs[0],
        ),
        start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bare_app:app",
                "--port",
                str(bare_port),
                "--log-level",
                "warning",
                "--no-access-log",
                "--app-dir",
                str(tmp),
            ],
            env,
            logs[1],
        ),
    ]
    pin(1)
    rows: list[list[object]] = []
    try:
        ts = f"http://127.0.0.1:{ts_port}"
        wait_up(ts + "/livez", procs[0], logs[0])
        wait_up(f"http://127.0.0.1:{bare_port}/ping", procs[1], logs[1])
        admin = {"Authorization": f"Bearer {ADMIN}"}
        cid = httpx.post(ts + "/admin/companies", json={"name": "Bench Co"}, headers=admin).json()["data"][
            "id"
        ]
        key = httpx.post(
            ts + "/admin/api-keys",
            json={
                "companyId": cid,
                "name": "bench",
                "scopes": ["enrich:write"],
                "rateLimitPerMinute": 10_000_000,
                "rateLimitPerHour": 1_000_000_000,
            },
            headers=admin,
        ).json()["data"]["key"]
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        dark = bodies(ids, PER_REQUEST, "dark")
        check = httpx.post(ts + "/sourcing/render-html", content=dark[0], headers=auth, timeout=30).json()
        if check.get("renderedCount") != PER_REQUEST:
            raise SystemExit(f"render check failed: {str(check)[:500]}")
        load_start = wait_quiet(args.wait_quiet)
        c, s = args.connections, args.seconds

        async def go() -> list[tuple[Result, int, str]]:
            out = [
                (
                    await run(
                        "bare FastAPI GET /ping (baseline)", "127.0.0.1", bare_port, "/ping", None, c, s
                    ),
                    0,
                    loadavg(),
                )
            ]
            load = loadavg()
            me = await run(
                "talentscout GET /me (authenticated floor)", "127.0.0.1", ts_port, "/me", auth, c, s
            )
            out.append((me, 0, load))
            for label, per, theme in (
                ("10 profiles, dark", 10, "dark"),
                ("10 profiles, light", 10, "light"),
                ("1 profile, dark", 1, "dark"),
            ):
                load = loadavg()
                res = await run(
                    f"POST /sourcing/render-html, {label}",
                    "127.0.0.1",
                    ts_port,
                    "/sourcing/render-html",
                    auth,
                    c,
                    s,
                    method="POST",
                    bodies=bodies(ids, per, theme),
                )
                out.append((res, per, load))
            return out

        http_rows = asyncio.run(go())
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)
    for res, per, load in http_rows:
        ok = res.statuses.get(200, 0)
        rows.append(
            [
                res.name,
                f"{res.rps:,.0f}",
                f"{res.rps * per:,.0f}" if per else "–",
                f"{res.pct(50):.1f}",
                f"{res.pct(95):.1f}",
                dict(sorted(res.statuses.items())),
                load,
            ]
        )
        if ok != res.requests:
            rows[-1][5] = f"{rows[-1][5]} (non-200!)"
    main_http = http_rows[2][0]  # 10 profiles, dark
    cards = max(PER_REQUEST, int(main_http.requests * PER_REQUEST))
    pin(0)
    load = loadavg()
    rate, groups = in_process(db_url, ids, cards)
    rows.append(
        [
            f"in-process render_card x{cards} (baseline, groups of 10)",
            f"{rate / PER_REQUEST:,.0f}",
            f"{rate:,.0f}",
            f"{pct(groups, 50):.1f}",
            f"{pct(groups, 95):.1f}",
            "–",
            load,
        ]
    )
    shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"pool={len(ids)} profiles; connections={c} seconds={s}; server=CPU0 client=CPU1 "
        f"(in-process row: CPU0); load at start {load_start}, at end {loadavg()}"
    )
    print(table(["what", "req/s", "cards/s", "p50 ms/req", "p95 ms/req", "statuses", "load 1/5/15"], rows))


if __name__ == "__main__":
    main()
