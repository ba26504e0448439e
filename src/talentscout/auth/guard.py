"""The request guard: resolves the principal in the contract's check order (API.md §1).

key present and known → not revoked/suspended/expired → client IP allowed →
scope → tenant resolution → rate limit → handler. The first failing check
decides the answer. It runs in a custom APIRoute *before* FastAPI reads and
validates the body, so a malformed body never hides a 401/403.

Each route declares its security with `secured(...)` in `openapi_extra`
(`x-talentscout`), which also lets tests derive the scope and tenancy matrices
from `/openapi.json` instead of hand-listing routes.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import select, update

from talentscout.auth.keys import KEY_RE, PLANS, hash_key, ip_allowed
from talentscout.auth.models import ApiKey
from talentscout.auth.ratelimit import RateState
from talentscout.errors import (
    AppError,
    company_access_denied,
    insufficient_scope,
    invalid_api_key,
    validation_error,
)
from talentscout.idempotency.service import HEADER as IDEMPOTENCY_HEADER
from talentscout.idempotency.service import run_idempotent
from talentscout.kit.clock import utcnow
from talentscout.kit.tokens import constant_time_equal
from talentscout.tenancy.models import Company

Tenant = Literal["required", "optional", "none"]
EXTRA_KEY = "x-talentscout"
LAST_USED_GRANULARITY = timedelta(seconds=60)


def secured(scope: str | None, tenant: Tenant = "required", polling: bool = False) -> dict[str, Any]:
    """Route metadata for `openapi_extra`: required scope, tenancy mode, polling limit."""
    return {EXTRA_KEY: {"scope": scope, "tenant": tenant, "polling": polling}}


def admin_only() -> dict[str, Any]:
    """Route metadata for `/admin/*`: only the operator's admin token is accepted."""
    return {EXTRA_KEY: {"admin": True}}


def check_admin(request: Request) -> None:
    """Admin API off (404) without a configured token; else constant-time bearer check."""
    token = request.app.state.settings.admin_token
    if token is None:
        raise AppError("RESOURCE_NOT_FOUND", 404, "Not found.", {"resourceType": "route"})
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_equal(given.strip(), token.get_secret_value()):
        raise AppError("INVALID_API_KEY", 401, "Invalid admin token.", None, {"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Principal:
    """Who is calling and for which company."""

    key_id: uuid.UUID
    key_name: str
    key_company_id: uuid.UUID
    kind: str
    scopes: frozenset[str]
    livemode: bool
    company_id: uuid.UUID | None  # the acting tenant (None: ats key without companyId)
    company: Company  # detached snapshot of the acting company (the key's own when company_id is None)
    key_prefix: str
    rate: RateState | None

    @property
    def is_ats(self) -> bool:
        return self.kind == "ats"


def client_ip(request: Request, trusted_proxies: list[str]) -> str | None:
    """The peer address, or the first untrusted hop of X-Forwarded-For behind trusted proxies."""
    peer = request.client.host if request.client else None
    if peer and trusted_proxies and ip_allowed(peer, trusted_proxies):
        forwarded = request.headers.get("x-forwarded-for", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            if not ip_allowed(hop, trusted_proxies):
                return hop
    return peer


def _parse_company_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise validation_error("companyId", "Must be a UUID.") from exc


async def authenticate(request: Request, spec: dict[str, Any]) -> Principal:
    """Run the check chain; raise the first failing check's AppError."""
    state = request.app.state
    settings = state.settings
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not KEY_RE.match(token):
        await _anonymous_hit(request)
        raise invalid_api_key()
    digest = hash_key(settings.secret_key.get_secret_value(), token)
    async with state.db.read() as session:
        # One round trip for the key and its company: every authenticated request pays for it.
        row = (
            await session.execute(
                select(ApiKey, Company).join(Company, Company.id == ApiKey.company_id).where(ApiKey.key_hash == digest)
            )
        ).one_or_none()
        if row is None:
            await _anonymous_hit(request)
            raise invalid_api_key()
        key, own = row
        now = utcnow()
        if key.status != "active":
            raise invalid_api_key(f"API key is {key.status}.")
        if key.expires_at is not None and key.expires_at <= now:
            raise invalid_api_key("API key has expired.")
        if not ip_allowed(client_ip(request, settings.trusted_proxies), list(key.allowed_ips or [])):
            raise AppError("IP_NOT_ALLOWED", 403, "Client IP is not in this key's allowlist.", None)
        scope = spec.get("scope")
        if scope is not None and scope not in (key.scopes or []):
            raise insufficient_scope(scope)
        company_id, acting = await _resolve_tenant(session, request, key, own, spec.get("tenant", "required"))
        structlog.contextvars.bind_contextvars(company_id=str(company_id) if company_id else None)
        per_minute, per_hour = _limits_for(settings, key, acting)
    rate = await state.rate_limiter.hit(
        str(key.id),
        per_minute,
        per_hour,
        settings.rate_limit_polling_per_minute if spec.get("polling") else None,
    )
    request.state.rate = rate
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_GRANULARITY:
        # Throttled so a hot key does not turn every read into a write.
        async with state.db.write() as session:
            await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
    principal = Principal(
        key_id=key.id,
        key_name=key.name,
        key_company_id=key.company_id,
        kind=key.kind,
        scopes=frozenset(key.scopes or []),
        livemode=key.mode == "live",
        company_id=company_id,
        company=acting,
        key_prefix=key.prefix,
        rate=rate,
    )
    request.state.principal = principal
    return principal


async def _resolve_tenant(
    session: Any, request: Request, key: ApiKey, own: Company, mode: str
) -> tuple[uuid.UUID | None, Company]:
    raw = request.query_params.get("companyId")
    if mode == "none":
        return key.company_id, own
    if key.kind != "ats":
        if raw is not None and _parse_company_id(raw) != key.company_id:
            raise company_access_denied()
        return key.company_id, own
    if raw is None:
        if mode == "required":
            raise validation_error("companyId", "Required for ats keys on tenant resources.")
        return None, own
    target_id = _parse_company_id(raw)
    if target_id == key.company_id:
        return target_id, own
    target = await session.get(Company, target_id)
    if target is None or target.parent_company_id != key.company_id:
        raise company_access_denied()
    return target_id, target


def _limits_for(settings: Any, key: ApiKey, company: Company) -> tuple[int, int]:
    per_minute: int = settings.rate_limit_per_minute
    per_hour: int = settings.rate_limit_per_hour
    if company.plan in PLANS:
        per_minute, per_hour = PLANS[company.plan]
    per_minute = company.rate_limit_per_minute or per_minute
    per_hour = company.rate_limit_per_hour or per_hour
    return key.rate_limit_per_minute or per_minute, key.rate_limit_per_hour or per_hour


async def _anonymous_hit(request: Request) -> None:
    """Unknown keys count against the client IP, which slows key guessing."""
    settings = request.app.state.settings
    ip = client_ip(request, settings.trusted_proxies) or "unknown"
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        ip = "unknown"
    per_minute = settings.rate_limit_anonymous_per_minute
    request.state.rate = await request.app.state.rate_limiter.hit(f"ip:{ip}", per_minute, per_minute * 30)


def require_principal(request: Request) -> Principal:
    """Dependency for handlers: the principal the guard resolved."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a route without `secured(...)` asked for a principal
        raise invalid_api_key()
    return principal


def tenant_id(principal: Principal) -> uuid.UUID:
    """The acting company; only routes with tenant='required' or standard keys guarantee it."""
    if principal.company_id is None:
        raise validation_error("companyId", "Required for ats keys on tenant resources.")
    return principal.company_id


class SecuredRoute(APIRoute):
    """APIRoute that runs the guard before FastAPI parses the request body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()
        spec = (self.openapi_extra or {}).get(EXTRA_KEY)
        if spec is None:
            return original

        async def handler(request: Request) -> Response:
            if spec.get("admin"):
                check_admin(request)
                return await original(request)
            principal = await authenticate(request, spec)
            if request.method in ("POST", "PATCH") and IDEMPOTENCY_HEADER in request.headers:
                scope_id = principal.company_id or principal.key_company_id
                return await run_idempotent(request, scope_id, original)
            return await original(request)

        return handler
