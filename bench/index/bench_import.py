"""Import throughput and index size for generated talent pools (numbers in bench/README.md, "Index").

Two end-to-end paths, each a fresh self-contained pool (`--index-dir`), run as
the real CLI in a subprocess:

* ``jsonl`` — `talentscout index import FILE` of a JSONL file of generated
  profiles (parse + validate + normalise + database + index). The file is
  written first (not timed).
* ``demo`` — `talentscout index demo --profiles N` (generate + the same pipeline).

Reported per run: profiles, wall seconds, profiles/s, CPU seconds of the
process tree (user+sys, from getrusage of the children), the machine's load
average before/after (this machine is shared: compare wall with CPU), and the
sizes of the tantivy index and of the SQLite database.

    .venv/bin/python bench/index/bench_import.py --profiles 100000 --mode both
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import orjson

from talentscout.index.demo import generate

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "talentscout.cli"]


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def write_jsonl(path: Path, n: int, seed: int) -> float:
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as f:
            if sum(1 for _ in f) == n:
                return 0.0
    started = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        for p in generate(seed, 0, n):
            f.write(orjson.dumps(p) + b"\n")
    tmp.replace(path)
    return time.perf_counter() - started


def run_cli(args: list[str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "TALENTSCOUT_DATABASE_URL"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.run([*CLI, *args, "--json"], capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise SystemExit(f"CLI failed: {args}")
    summary: dict[str, object] = json.loads(proc.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary.update(
        {
            "wallSeconds": round(wall, 1),
            "cpuSeconds": round(cpu, 1),
            "loadBefore": round(load0, 2),
            "loadAfter": round(os.getloadavg()[0], 2),
        }
    )
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profiles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/talentscout-bench-index"))
    ap.add_argument("--mode", choices=("jsonl", "demo", "both"), default="both")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the pools (the query benchmark reuses the jsonl one)")
    args = ap.parse_args()
    n = args.profiles
    args.workdir.mkdir(parents=True, exist_ok=True)
    workers = [] if args.workers is None else ["--workers", str(args.workers)]
    results: list[dict[str, object]] = []

    if args.mode in ("jsonl", "both"):
        src = args.workdir / f"profiles-{n}-s{args.seed}.jsonl"
        gen = write_jsonl(src, n, args.seed)
        pool = args.workdir / f"jsonl-{n}"
        shutil.rmtree(pool, ignore_errors=True)
        s = run_cli(["index", "import", str(src), "--index-dir", str(pool), *workers])
        s.update({"mode": "jsonl import", "fileBytes": src.stat().st_size, "generateSeconds": round(gen, 1),
                  "dbBytes": dir_bytes(pool / "talentscout.db") + dir_bytes(pool) - dir_bytes(pool / "index")
                  - dir_bytes(pool / "talentscout.db")})
        s["dbBytes"] = sum(f.stat().st_size for f in pool.glob("talentscout.db*"))
        results.append(s)
        if not args.keep:
            shutil.rmtree(pool, ignore_errors=True)

    if args.mode in ("demo", "both"):
        pool = args.workdir / f"demo-{n}"
        shutil.rmtree(pool, ignore_errors=True)
        s = run_cli(["index", "demo", "--profiles", str(n), "--seed", str(args.seed), "--index-dir", str(pool), *workers])
        s.update({"mode": "demo generate+import"})
        s["dbBytes"] = sum(f.stat().st_size for f in pool.glob("talentscout.db*"))
        results.append(s)
        if not args.keep:
            shutil.rmtree(pool, ignore_errors=True)

    for r in results:
        r.pop("rejections", None)
        rows = int(r["rows"])  # type: ignore[call-overload]
        wall = float(r["wallSeconds"])  # type: ignore[arg-type]
        print(
            f"{r['mode']:>22}: {rows:>9,} profiles  wall {wall:8.1f} s  ({rows / wall:7,.0f}/s end to end, "
            f"{float(r['rowsPerSecond']):7,.0f}/s in the pipeline)  "  # type: ignore[arg-type]
            f"cpu {r['cpuSeconds']} s  index {int(r['indexBytes']) / 1e6:,.0f} MB  "  # type: ignore[call-overload]
            f"db {int(r['dbBytes']) / 1e6:,.0f} MB  rejected {r['rejected']}  load {r['loadBefore']}->{r['loadAfter']}"  # type: ignore[call-overload]
        )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
