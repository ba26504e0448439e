"""The delivery dispatcher: claims due deliveries from the outbox under leases and sends them.

Claiming: candidates are read per config (at most
`webhooks_max_in_flight_per_config` in flight per config, configs visited
round-robin, so one config's backlog cannot crowd out the others), then leased
with one conditional UPDATE in a short write transaction. On PostgreSQL the
rows are locked with `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers never
wait on each other; on SQLite `BEGIN IMMEDIATE` already serialises claimers.
Emitting sessions wake the dispatchers of their process after commit, so
delivery does not wait for the poll interval.

A lease lasts the config's `timeoutMs` plus a margin: the attempt cannot take
longer, so an unexpired lease always belongs to a live attempt. A dispatcher
killed mid-attempt leaves its leases to expire and another dispatcher re-sends
them (same `webhook-id`): at-least-once.

Isolation: each config has its own in-flight cap in this process, so a config
whose receiver hangs occupies at most that many slots while healthy configs
keep flowing; its breaker then stops it altogether.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import ColumnElement, Select, and_, or_, select, union_all, update

from talentscout.config import Settings
from talentscout.db import Database
from talentscout.kit.clock import utcnow
from talentscout.kit.ssrf import Resolver
from talentscout.webhooks import outbox
from talentscout.webhooks.delivery import Job, attempt, job_from, record
from talentscout.webhooks.models import WebhookConfig, WebhookDelivery
from talentscout.webhooks.sender import WebhookSender

log = structlog.get_logger("talentscout.webhooks")

D = WebhookDelivery
C = WebhookConfig
_MIN_WAIT = 0.005


def _due_rows(now: datetime) -> ColumnElement[bool]:
    """Pending, due and not leased (or the lease expired)."""
    return and_(
        D.status == "pending",
        D.next_attempt_at <= now,
        or_(D.lease_until.is_(None), D.lease_until < now),
    )


def _open_configs() -> ColumnElement[bool]:
    return and_(C.is_active.is_(True), C.deleted_at.is_(None))


class Dispatcher:
    """Claims and sends deliveries until `stop` is set; see the module docstring."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        sender: WebhookSender | None = None,
        resolver: Resolver | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self._own_sender = sender is None
        self.sender = sender or WebhookSender.from_settings(settings, resolver)
        self.rng = rng or random.Random()
        self._kick = asyncio.Event()
        self._tasks: dict[asyncio.Task[None], Job] = {}
        self._in_flight: defaultdict[str, int] = defaultdict(int)
        self._rr = 0  # round-robin offset over configs with due work

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def claim(self) -> tuple[list[Job], bool]:
        """Lease due deliveries within the free capacity; also report whether capacity limited us.

        Two cheap, index-driven reads pick the candidates: the active configs that
        have due work (one EXISTS probe each, rotated round-robin so every config
        gets its turn), then, per chosen config, its oldest due rows up to the
        config's free slots. Cost grows with the number of configs with due work,
        not with the backlog. The lease is then taken with a conditional UPDATE
        that re-checks everything, so a stale candidate is simply not claimed.
        """
        settings = self.settings
        free = min(settings.webhooks_max_in_flight - len(self._tasks), settings.webhooks_claim_batch)
        if free <= 0:
            return [], True
        per_config = settings.webhooks_max_in_flight_per_config
        # Configs at their in-flight cap in this process are skipped, so a hanging
        # receiver's backlog can never crowd out the others.
        saturated = {k for k, n in self._in_flight.items() if n >= per_config}
        now = utcnow()
        has_due = select(D.id).where(D.config_id == C.id, _due_rows(now)).exists()
        async with self.db.read() as session:
            configs = [
                (str(cid), timeout_ms)
                for cid, timeout_ms in (
                    await session.execute(
                        select(C.id, C.timeout_ms).where(_open_configs(), has_due).order_by(C.id)
                    )
                ).all()
                if str(cid) not in saturated
            ]
            if not configs:
                return [], bool(saturated)
            self._rr = (self._rr + 1) % len(configs)
            configs = configs[self._rr :] + configs[: self._rr]
            picks: list[Select[Any]] = []
            budget = free
            timeouts: dict[str, int] = {}
            for key, timeout_ms in configs:
                room = min(per_config - self._in_flight.get(key, 0), budget)
                if room <= 0:
                    break
                budget -= room
                timeouts[key] = timeout_ms
                picks.append(
                    select(D.id)
                    .where(D.config_id == uuid.UUID(key), _due_rows(now))
                    .order_by(D.next_attempt_at, D.id)
                    .limit(room)
                )
            chosen = list(
                (await session.execute(union_all(*[p.subquery().select() for p in picks]))).scalars()
            )
        limited = bool(saturated) or len(configs) > len(picks) or budget == 0
        if not chosen:
            return [], limited
        token = uuid.uuid4().hex
        async with self.db.write() as session:
            now = utcnow()
            longest = max(timeouts.values()) / 1000
            lease_until = now + timedelta(seconds=longest + settings.webhooks_lease_margin_seconds)
            active = select(C.id).where(_open_configs())
            lockable = (
                select(D.id)
                .where(D.id.in_(chosen), _due_rows(now), D.config_id.in_(active.scalar_subquery()))
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE serialises
            )
            claimed = set(
                (
                    await session.execute(
                        update(D)
                        .where(D.id.in_(lockable.scalar_subquery()))
                        .values(lease_until=lease_until, lease_token=token)
                        .returning(D.id)
                    )
                ).scalars()
            )
            if not claimed:
                return [], limited
            rows = (
                await session.execute(
                    select(D, C)
                    .join(C, C.id == D.config_id)
                    .where(D.id.in_(claimed))
                    .order_by(D.next_attempt_at, D.id)
                )
            ).all()
            return [job_from(d, c, token) for d, c in rows], limited

    async def next_due_in(self) -> float:
        """Seconds until the earliest unleased pending delivery of an active config is due.

        Leases held by other dispatchers are not waited for precisely: if one
        expires (its holder died), the next poll picks the delivery up.
        """
        async with self.db.read() as session:
            soonest = (
                await session.execute(
                    select(D.next_attempt_at)
                    .join(C, C.id == D.config_id)
                    .where(D.status == "pending", D.lease_until.is_(None), _open_configs())
                    .order_by(D.next_attempt_at)
                    .limit(1)
                )
            ).scalar_one_or_none()
        poll = self.settings.webhooks_poll_seconds
        if soonest is None:
            return poll
        return min(max((soonest - utcnow()).total_seconds(), _MIN_WAIT), poll)

    def _start(self, job: Job) -> None:
        self._in_flight[job.config_id] += 1
        task = asyncio.create_task(self._run_job(job), name=f"webhook-{job.delivery_id}")
        self._tasks[task] = job
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        job = self._tasks.pop(task, None)
        if job is not None:
            self._in_flight[job.config_id] -= 1
            if self._in_flight[job.config_id] <= 0:
                del self._in_flight[job.config_id]
        self._kick.set()  # capacity freed: claim again without waiting for the poll

    async def _run_job(self, job: Job) -> None:
        try:
            result = await attempt(job, self.sender)
            await record(self.db, self.settings, job, result, self.rng)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The lease stays; the delivery is retried after it expires.
            log.exception("webhook_delivery_crashed", delivery_id=job.delivery_id)

    async def run(self, stop: asyncio.Event) -> None:
        """The loop: claim, start, sleep until woken, due, or the poll interval passes."""
        unregister = outbox.register_waker(self._kick)
        stopper = asyncio.create_task(self._relay_stop(stop))
        failures = 0
        try:
            while not stop.is_set():
                self._kick.clear()
                try:
                    jobs, limited = await self.claim()
                    failures = 0
                except Exception:
                    failures += 1
                    log.exception("webhook_claim_failed")
                    jobs, limited = [], False
                    await self._sleep(min(self.settings.webhooks_poll_seconds * failures, 30.0))
                    continue
                for job in jobs:
                    self._start(job)
                if jobs and not limited and len(jobs) >= self.settings.webhooks_claim_batch:
                    continue  # a full batch: there is probably more right now
                if limited:
                    # Finishing tasks kick the loop; the poll only bounds the wait.
                    wait = self.settings.webhooks_poll_seconds
                else:
                    try:
                        wait = await self.next_due_in()
                    except Exception:
                        log.exception("webhook_next_due_failed")
                        wait = self.settings.webhooks_poll_seconds
                await self._sleep(wait)
        finally:
            stopper.cancel()
            unregister()
            await self._drain()
            if self._own_sender:
                await self.sender.aclose()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._kick.wait()

    async def _relay_stop(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._kick.set()

    async def _drain(self) -> None:
        """Let in-flight attempts finish within the grace period, then cancel and release them."""
        if not self._tasks:
            return
        pending = set(self._tasks)
        _done, still = await asyncio.wait(pending, timeout=self.settings.webhooks_shutdown_grace_seconds)
        if not still:
            return
        jobs = [self._tasks[t] for t in still if t in self._tasks]
        for task in still:
            task.cancel()
        await asyncio.gather(*still, return_exceptions=True)
        try:
            async with self.db.write() as session:
                for job in jobs:
                    # Released leases are claimable at once instead of after expiry.
                    await session.execute(
                        update(D)
                        .where(D.id == job.delivery_id, D.lease_token == job.token)
                        .values(lease_until=None, lease_token=None)
                    )
        except Exception:
            # Not fatal: the leases simply expire and the deliveries are retried then.
            log.exception("webhook_release_failed", deliveries=len(jobs))


async def run_dispatcher(
    db: Database,
    settings: Settings,
    stop: asyncio.Event,
    *,
    resolver: Resolver | None = None,
    sender: WebhookSender | None = None,
) -> None:
    """Run one dispatcher until `stop` is set (used by the app's startup hook and `talentscout worker`)."""
    await Dispatcher(db, settings, resolver=resolver, sender=sender).run(stop)
