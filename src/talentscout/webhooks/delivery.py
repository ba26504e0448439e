"""One leased delivery: sign, send, and record the attempt with its consequences.

Shared by the dispatcher and the synchronous `POST /webhooks/{id}/test`.
Recording is fenced by the lease token: if the lease expired and another worker
took the delivery over, this worker's late result is dropped (the receiver may
see the message twice, with the same `webhook-id`, which is the at-least-once
contract).
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from talentscout.config import Settings
from talentscout.db import Database
from talentscout.kit.clock import utcnow
from talentscout.webhooks.models import WebhookAttempt, WebhookConfig, WebhookDelivery
from talentscout.webhooks.sender import AttemptResult, WebhookSender
from talentscout.webhooks.signing import standard_headers

log = structlog.get_logger("talentscout.webhooks")

# API.md §8: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then 1 h for every further retry.
BASE_SCHEDULE_SECONDS: tuple[float, ...] = (5, 30, 120, 600, 1800, 3600)

ATTEMPTS = Counter("talentscout_webhook_attempts_total", "Webhook delivery attempts by outcome.", ["outcome"])
ATTEMPT_LATENCY = Histogram(
    "talentscout_webhook_attempt_seconds",
    "Duration of webhook delivery attempts.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def backoff_seconds(
    retry: int, *, scale: float = 1.0, jitter: float = 0.2, rng: random.Random | None = None
) -> float:
    """Delay before retry number `retry` (1 = first retry), scaled, with ±`jitter` spread."""
    base = BASE_SCHEDULE_SECONDS[min(max(retry, 1), len(BASE_SCHEDULE_SECONDS)) - 1] * scale
    spread = (rng or random).uniform(-jitter, jitter)
    return base * (1 + spread)


@dataclass(frozen=True)
class Job:
    """A claimed delivery with a snapshot of its config taken at claim time."""

    delivery_id: str
    token: str
    config_id: str
    url: str
    headers: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...]
    timeout_ms: int
    body: str


def live_secrets(config: WebhookConfig) -> tuple[str, ...]:
    """Current secret first, then the previous one while its rotation window lasts."""
    now = utcnow()
    if (
        config.previous_secret
        and config.previous_secret_expires_at is not None
        and config.previous_secret_expires_at > now
    ):
        return (config.secret, config.previous_secret)
    return (config.secret,)


def job_from(delivery: WebhookDelivery, config: WebhookConfig, token: str) -> Job:
    return Job(
        delivery_id=delivery.id,
        token=token,
        config_id=str(config.id),
        url=config.url,
        headers=tuple((h["name"], h["value"]) for h in (config.headers or [])),
        secrets=live_secrets(config),
        timeout_ms=config.timeout_ms,
        body=delivery.body,
    )


async def attempt(job: Job, sender: WebhookSender) -> AttemptResult:
    """Sign with a fresh timestamp (the id stays the delivery's) and send once."""
    body = job.body.encode()
    signed = standard_headers(job.secrets, job.delivery_id, int(time.time()), body)
    headers = dict(job.headers)
    headers.update(signed)
    result = await sender.send(job.url, body, headers, job.timeout_ms)
    ATTEMPTS.labels("success" if result.ok else "failure").inc()
    ATTEMPT_LATENCY.observe(result.duration_ms / 1000)
    return result


@dataclass(frozen=True)
class Recorded:
    """The recorded attempt number and the delivery's resulting status."""

    attempt: int
    status: str
    next_attempt_at: datetime | None


def _retry_delay(
    settings: Settings, result: AttemptResult, attempt_no: int, rng: random.Random | None
) -> float:
    if result.status in (429, 503) and result.retry_after is not None:
        # The receiver said when: honour it (capped), unscaled, since it is its own clock.
        return min(max(result.retry_after, 0.0), settings.webhooks_retry_after_cap_seconds)
    return backoff_seconds(
        attempt_no, scale=settings.webhooks_retry_scale, jitter=settings.webhooks_retry_jitter, rng=rng
    )


async def record(
    db: Database, settings: Settings, job: Job, result: AttemptResult, rng: random.Random | None = None
) -> Recorded | None:
    """Write the attempt, schedule the retry or finish, update breaker state; fenced by the lease."""
    async with db.write() as session:
        delivery = (
            await session.execute(
                select(WebhookDelivery).where(WebhookDelivery.id == job.delivery_id).with_for_update()
            )
        ).scalar_one_or_none()
        if delivery is None or delivery.lease_token != job.token:
            log.warning("webhook_lease_lost", delivery_id=job.delivery_id)
            return None
        now = utcnow()
        attempt_no = delivery.attempts + 1
        config_id = delivery.config_id
        gone = result.status == 410
        final = result.ok or gone or attempt_no >= delivery.max_attempts
        next_at = None if final else now + timedelta(seconds=_retry_delay(settings, result, attempt_no, rng))
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                attempt=attempt_no,
                started_at=result.started_at,
                duration_ms=result.duration_ms,
                http_status=result.status,
                error=result.error,
                response_excerpt=result.excerpt,
                next_attempt_at=next_at,
                created_at=now,
            )
        )
        delivery.attempts = attempt_no
        delivery.last_http_status = result.status
        delivery.last_error = result.error
        delivery.lease_until = None
        delivery.lease_token = None
        if delivery.status == "pending":
            if result.ok:
                delivery.status = "succeeded"
                delivery.delivered_at = now
                delivery.next_attempt_at = None
            elif final:
                delivery.status = "failed"
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = next_at
        await _update_breaker(session, settings, config_id, result, now)
        return Recorded(attempt_no, delivery.status, next_at)


async def _update_breaker(
    session: AsyncSession, settings: Settings, config_id: uuid.UUID, result: AttemptResult, now: datetime
) -> None:
    """Successes reset the failure count; failures count up and open the breaker at the threshold."""
    if result.ok:
        await session.execute(
            update(WebhookConfig)
            .where(WebhookConfig.id == config_id, WebhookConfig.consecutive_failures != 0)
            .values(consecutive_failures=0)
            .execution_options(synchronize_session=False)
        )
        return
    failures = (
        await session.execute(
            update(WebhookConfig)
            .where(WebhookConfig.id == config_id)
            .values(consecutive_failures=WebhookConfig.consecutive_failures + 1)
            .returning(WebhookConfig.consecutive_failures)
        )
    ).scalar_one()
    if result.status == 410:
        # The receiver says the endpoint is gone for good: stop, but do not pretend it is a breaker.
        await session.execute(
            update(WebhookConfig)
            .where(WebhookConfig.id == config_id, WebhookConfig.is_active.is_(True))
            .values(is_active=False, disabled_reason="gone")
        )
        log.warning("webhook_disabled_gone", config_id=str(config_id))
    elif failures >= settings.webhooks_breaker_threshold:
        opened = await session.execute(
            update(WebhookConfig)
            .where(
                WebhookConfig.id == config_id,
                WebhookConfig.is_active.is_(True),
                WebhookConfig.circuit_opened_at.is_(None),
            )
            .values(is_active=False, circuit_opened_at=now, disabled_reason="circuit_open")
        )
        if isinstance(opened, CursorResult) and opened.rowcount:
            log.warning("webhook_circuit_opened", config_id=str(config_id), failures=failures)
