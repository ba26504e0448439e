"""HTTP edge: request ids, body cap, rate-limit headers, metrics, and the error envelope
for every failure, framework errors included (API.md §2)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talentscout.errors import AppError, envelope
from talentscout.observability import HTTP_LATENCY

log = structlog.get_logger("talentscout.http")
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class PayloadTooLarge(Exception):
    """Raised from `receive` when a streamed body passes the cap."""


def error_response(err: AppError, request_id: str | None) -> JSONResponse:
    return JSONResponse(
        envelope(err.code, err.message, err.details, request_id), status_code=err.status, headers=err.headers
    )


def _request_id(request: Request) -> str | None:
    rid = request.scope.get("state", {}).get("request_id")
    return str(rid) if rid is not None else None


class EdgeMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer and break streaming)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID_RE.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = {"status": 500, "sent": False}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["sent"] = True
                extra: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode())]
                rate = scope["state"].get("rate")
                if rate is not None:
                    existing = {k.lower() for k, _ in message.get("headers", [])}
                    extra += [
                        (k.lower().encode(), v.encode())
                        for k, v in rate.headers().items()
                        if k.lower().encode() not in existing
                    ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            length = headers.get("content-length")
            if length is not None and length.isdigit() and int(length) > self.max_body:
                await self._send_error(send_wrapper, request_id, _too_large(self.max_body))
                return
            received = 0

            async def capped_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body:
                        raise PayloadTooLarge()
                return message

            await self.app(scope, capped_receive, send_wrapper)
        except Exception as exc:  # the last line of defence: never leak internals
            if isinstance(exc, PayloadTooLarge):
                err = _too_large(self.max_body)
            else:
                log.exception("unhandled_error", path=scope.get("path"))
                err = AppError("INTERNAL_ERROR", 500, "Internal server error.", None)
            if not status_holder["sent"]:
                await self._send_error(send_wrapper, request_id, err)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_LATENCY.labels(scope["method"], template, str(status_holder["status"])).observe(
                time.perf_counter() - started
            )

    @staticmethod
    async def _send_error(send: Send, request_id: str, err: AppError) -> None:
        body = orjson.dumps(envelope(err.code, err.message, err.details, request_id))
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
        await send({"type": "http.response.start", "status": err.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _too_large(limit: int) -> AppError:
    return AppError(
        "PAYLOAD_TOO_LARGE", 413, f"Request body exceeds {limit} bytes.", {"maxBytes": limit}
    )


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if len(parts) > 1 else parts
    return ".".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(exc, _request_id(request))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            msg = str(err.get("msg", "Invalid value."))
            if err.get("type") == "json_invalid":
                msg = "Request body is not valid JSON."
            fields.append({"field": _field_name(tuple(err.get("loc", ()))) or "body", "message": msg})
        first = fields[0] if fields else {"field": "body", "message": "Invalid request."}
        err = AppError(
            "VALIDATION_ERROR", 400, f"{first['field']}: {first['message']}", {"fields": fields}
        )
        return error_response(err, _request_id(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.__cause__, PayloadTooLarge):
            return error_response(_too_large(request.app.state.settings.max_body_bytes), _request_id(request))
        mapping = {
            404: ("RESOURCE_NOT_FOUND", "No such route.", {"resourceType": "route"}),
            405: ("METHOD_NOT_ALLOWED", "Method not allowed on this route.", None),
            400: ("VALIDATION_ERROR", "Malformed request body.", {"fields": [{"field": "body", "message": "Malformed request body."}]}),
        }
        code, message, details = mapping.get(
            exc.status_code, ("HTTP_ERROR", str(exc.detail), None)
        )
        return error_response(
            AppError(code, exc.status_code, message, details, dict(exc.headers or {})), _request_id(request)
        )
