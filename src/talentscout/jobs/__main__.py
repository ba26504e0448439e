"""`python -m talentscout.jobs`: a worker without the full CLI's imports (fast restarts in crash tests).

Same behaviour as `talentscout worker`; options: `--concurrency N`, `--with-scheduler`.
"""

from __future__ import annotations

import argparse

from talentscout.config import Settings
from talentscout.jobs.worker import run_worker_process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m talentscout.jobs", description=__doc__)
    parser.add_argument("--concurrency", type=int, default=None)
    parser.add_argument("--with-scheduler", action="store_true")
    opts = parser.parse_args(argv)
    return run_worker_process(Settings(), concurrency=opts.concurrency, with_scheduler=opts.with_scheduler)


if __name__ == "__main__":
    raise SystemExit(main())
