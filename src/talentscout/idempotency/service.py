"""Idempotency-Key execution (API.md §4): first request runs and its response is stored;
a repeat with the same body replays it (`Idempotent-Replayed: true`); a repeat while the
first is running → 409 IDEMPOTENCY_KEY_IN_USE; same key with another body → 422
IDEMPOTENCY_KEY_REUSED. Keys are scoped per company and kept 24 h.

The claim row is committed before the handler runs, so concurrent duplicates see it
at once (the unique (company, key) constraint decides races). The response is stored
in a second transaction after the handler commits: if the process dies in between,
the claim stays `in_flight` until `locked_until` and a retry then re-executes. The
features that start billable work (sourcing, enrichment) additionally bind the key to
the run they create, so even that narrow window cannot start or bill twice.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from talentscout.db import Database
from talentscout.errors import AppError, validation_error
from talentscout.idempotency.models import IdempotencyRecord
from talentscout.kit.clock import utcnow

HEADER = "idempotency-key"
REPLAY_HEADER = "Idempotent-Replayed"
_KEEP_HEADERS = ("location", "retry-after", "content-type")


def request_fingerprint(request: Request, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), str(request.url.query).encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _claim(request: Request, company_id: uuid.UUID, key: str, fingerprint: str) -> IdempotencyRecord | None:
    """Insert the in-flight claim, or return the finished record to replay."""
    settings = request.app.state.settings
    db = request.app.state.db
    now = utcnow()
    for _ in range(2):
        try:
            async with db.write() as session:
                existing = (
                    await session.execute(
                        select(IdempotencyRecord).where(
                            IdempotencyRecord.company_id == company_id, IdempotencyRecord.idem_key == key
                        )
                    )
                ).scalar_one_or_none()
                if existing is not None and existing.expires_at <= now:
                    await session.delete(existing)
                    await session.flush()
                    existing = None
                if existing is None:
                    session.add(
                        IdempotencyRecord(
                            company_id=company_id,
                            idem_key=key,
                            request_hash=fingerprint,
                            state="in_flight",
                            locked_until=now + timedelta(seconds=settings.idempotency_in_flight_seconds),
                            expires_at=now + timedelta(seconds=settings.idempotency_ttl_seconds),
                        )
                    )
                    return None
                if existing.request_hash != fingerprint:
                    raise AppError(
                        "IDEMPOTENCY_KEY_REUSED",
                        422,
                        "This Idempotency-Key was used with a different request.",
                        None,
                    )
                if existing.state == "done":
                    done: IdempotencyRecord = existing
                    return done
                if existing.locked_until > now:
                    raise AppError(
                        "IDEMPOTENCY_KEY_IN_USE",
                        409,
                        "A request with this Idempotency-Key is still executing.",
                        None,
                        {"Retry-After": "1"},
                    )
                # The first attempt died mid-flight: take the claim over.
                existing.locked_until = now + timedelta(seconds=settings.idempotency_in_flight_seconds)
                return None
        except IntegrityError:
            continue  # lost the insert race; the next round sees the winner's row
    raise AppError("IDEMPOTENCY_KEY_IN_USE", 409, "A request with this Idempotency-Key is still executing.", None)


async def _render_error(request: Request, exc: Exception) -> Response | None:
    for kind in (AppError, RequestValidationError, StarletteHTTPException):
        if isinstance(exc, kind):
            handler = request.app.exception_handlers.get(kind)
            if handler is not None:
                response: Response = await handler(request, exc)
                return response
    return None


async def run_idempotent(
    request: Request, company_id: uuid.UUID, call: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Run `call` under the request's Idempotency-Key (caller checked the header exists)."""
    key = request.headers[HEADER]
    if not key or len(key) > 255:
        raise validation_error("Idempotency-Key", "Must be 1–255 characters.")
    body = await request.body()
    fingerprint = request_fingerprint(request, body)
    record = await _claim(request, company_id, key, fingerprint)
    if record is not None:
        headers = dict(record.response_headers or {})
        headers[REPLAY_HEADER] = "true"
        return Response(
            content=record.response_body or b"",
            status_code=record.response_status or 200,
            headers=headers,
        )
    try:
        response = await call(request)
    except Exception as exc:
        rendered = await _render_error(request, exc)
        if rendered is None:
            await _release(request, company_id, key)
            raise
        response = rendered
    if response.status_code >= 500:
        await _release(request, company_id, key)
        return response
    await _store(request, company_id, key, response)
    return response


async def _release(request: Request, company_id: uuid.UUID, key: str) -> None:
    """A 5xx is not a stored outcome: free the key so the client's retry can run."""
    async with request.app.state.db.write() as session:
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.company_id == company_id,
                IdempotencyRecord.idem_key == key,
                IdempotencyRecord.state == "in_flight",
            )
        )


async def _store(request: Request, company_id: uuid.UUID, key: str, response: Response) -> None:
    body = bytes(response.body) if hasattr(response, "body") else b""
    headers = {k: v for k, v in response.headers.items() if k.lower() in _KEEP_HEADERS}
    async with request.app.state.db.write() as session:
        record = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.company_id == company_id, IdempotencyRecord.idem_key == key
                )
            )
        ).scalar_one_or_none()
        if record is None:
            return
        record.state = "done"
        record.response_status = response.status_code
        record.response_body = body.decode("utf-8", errors="replace")
        record.response_headers = headers


async def purge_expired(db: Database) -> int:
    """Delete expired records (registered as a periodic task)."""
    async with db.write() as session:
        result = await session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)
