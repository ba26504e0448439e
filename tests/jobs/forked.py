"""Worker entry for forkserver children: the crash soak restarts workers a dozen times.

A forkserver preloads this module (and with it talentscout, SQLAlchemy,
procrastinate and the test tasks) once; every restart is then a fork that
runs exactly what `python -m talentscout.jobs` runs, in a real separate
process, without paying the interpreter start-up and imports again.
"""

from __future__ import annotations

import os
import sys

import talentscout.jobs.pg  # noqa: F401  (preloaded for the children)
import tests.jobs.tasks  # noqa: F401
from talentscout.config import Settings
from talentscout.jobs.__main__ import main
from talentscout.jobs.worker import import_task_modules

import_task_modules(Settings())  # every feature's tasks module, as each child will


def run_worker(environ: dict[str, str], log_path: str, argv: list[str]) -> None:
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    for key in [k for k in os.environ if k.startswith("TALENTSCOUT_")]:
        del os.environ[key]
    os.environ.update(environ)
    sys.exit(main(argv))
