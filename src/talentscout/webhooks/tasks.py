"""Registers the webhook dispatcher as a worker sidecar, so `talentscout worker` delivers webhooks."""

from __future__ import annotations

from talentscout.jobs.worker import SIDECARS
from talentscout.webhooks.dispatcher import run_dispatcher

if run_dispatcher not in SIDECARS:
    SIDECARS.append(run_dispatcher)
