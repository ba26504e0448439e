"""Small helpers shared by the feature benchmarks (webhooks, capture, render, enrich).

CPU pinning (the system under test on CPU 0, its peers / load generators on CPU 1, as in
`bench_http.py`), load-average reporting and waiting for a quiet machine, percentiles, plain
text tables, and throwaway PostgreSQL databases next to a given URL.
"""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pin(cpu: int) -> None:
    """Pin the calling process (and the threads it starts later) to one CPU, if there are several."""
    count = os.cpu_count() or 1
    if hasattr(os, "sched_setaffinity") and count > 1:
        os.sched_setaffinity(0, {cpu % count})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loadavg() -> str:
    """The 1/5/15-minute load averages as `1.23/1.10/0.98` ('n/a' where unavailable)."""
    try:
        return "/".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def load1() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0


def wait_quiet(max_wait: float, threshold: float = 1.5) -> str:
    """Wait up to `max_wait` s for the 1-minute load to drop below `threshold`; returns the load seen.

    The note goes to stderr so stdout stays the result table.
    """
    deadline = time.monotonic() + max_wait
    while load1() >= threshold and time.monotonic() < deadline:
        time.sleep(5)
    seen = loadavg()
    if load1() >= threshold and max_wait > 0:
        sys.stderr.write(f"machine never got quiet within {max_wait:.0f} s (load {seen}); measuring anyway\n")
    return seen


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (same rule as loadgen.Result.pct); NaN for no data."""
    if not values:
        return float("nan")
    data = sorted(values)
    return data[min(len(data) - 1, int(p / 100 * len(data)))]


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pastes straight into bench/README.md); floats keep their formatting."""
    cells = [[str(c) for c in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), sep, *(line(r) for r in cells[1:])])


def machine() -> str:
    return f"{os.cpu_count()} cores, load {loadavg()}"


# --------------------------------------------------------------------------- PostgreSQL


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def pg_reachable(url: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(_libpq(url), connect_timeout=3):
            return True
    except Exception:
        return False


def pg_scratch(base_url: str, prefix: str = "bench") -> tuple[str, str]:
    """Create a throwaway database next to `base_url`'s; returns (its URL, its name)."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(base_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url.rsplit('/', 1)[0]}/{name}", name


def pg_drop(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(base_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


__all__ = [
    "PG_DEFAULT",
    "REPO",
    "free_port",
    "load1",
    "loadavg",
    "machine",
    "pct",
    "pg_drop",
    "pg_reachable",
    "pg_scratch",
    "pin",
    "table",
    "wait_quiet",
]
