"""Webhook request/response shapes (API.md §8)."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from talentscout.kit.schema import OutModel, WireModel
from talentscout.webhooks.events import EventType, parse_events

MAX_HEADERS = 50
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Set by the service itself or meaningless per request: a custom header may not replace them.
RESERVED_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)
_MASKED_EXACT = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_MASKED_PARTS = ("token", "secret", "key")


def is_masked(name: str) -> bool:
    """Authorization, Cookie and names containing token/secret/key are flagged as sensitive."""
    lower = name.lower()
    return lower in _MASKED_EXACT or any(part in lower for part in _MASKED_PARTS)


def _events(value: Any) -> list[EventType]:
    if not isinstance(value, list):
        raise ValueError("events must be a list")
    return parse_events(value)


EVENT_SCHEMA: dict[str, Any] = {
    "type": "array",
    "minItems": 1,
    "items": {
        "anyOf": [
            {"type": "string", "enum": [e.value for e in EventType]},
            {"type": "string", "enum": [e.dotted for e in EventType]},
            {"type": "integer", "enum": [e.number for e in EventType]},
        ]
    },
    "description": "Enum, dotted or numeric notation; responses use the enum names.",
}
Events = Annotated[list[EventType], BeforeValidator(_events), WithJsonSchema(EVENT_SCHEMA)]


class HeaderIn(WireModel):
    name: str = Field(min_length=1, max_length=255)
    value: str = Field(min_length=1, max_length=4096)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _TOKEN.match(v):
            raise ValueError("header name must be an HTTP token")
        if v.lower() in RESERVED_HEADERS:
            raise ValueError(f"header {v!r} is set by the service and cannot be overridden")
        return v

    @field_validator("value")
    @classmethod
    def _value(cls, v: str) -> str:
        # Printable ASCII only: CR/LF would split headers, and non-ASCII has no portable encoding.
        if any(not (0x20 <= ord(c) < 0x7F or c == "\t") for c in v):
            raise ValueError("header value must be printable ASCII")
        return v


def _headers(value: Any) -> Any:
    if isinstance(value, dict):  # also accept {"Name": "value"}
        return [{"name": k, "value": v} for k, v in value.items()]
    return value


def _check_unique(headers: list[HeaderIn] | None) -> list[HeaderIn] | None:
    if headers is None:
        return None
    seen: set[str] = set()
    for h in headers:
        if h.name.lower() in seen:
            raise ValueError(f"duplicate header {h.name!r}")
        seen.add(h.name.lower())
    return headers


Headers = Annotated[list[HeaderIn], BeforeValidator(_headers), Field(max_length=MAX_HEADERS)]


class WebhookCreate(WireModel):
    url: str = Field(min_length=1, max_length=2048)
    events: Events = Field(min_length=1)
    name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=2000)
    company_id: uuid.UUID | None = None
    headers: Headers = Field(default_factory=list)
    max_retries: int = Field(default=3, ge=0, le=10)
    timeout_ms: int = Field(default=30_000, ge=1_000, le=30_000)
    is_active: bool = True

    _unique = field_validator("headers")(_check_unique)


class WebhookUpdate(WireModel):
    """Partial update: absent fields are unchanged; `headers` replaces the whole list."""

    url: str | None = Field(default=None, min_length=1, max_length=2048)
    events: Events | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=2000)
    headers: Headers | None = None
    max_retries: int | None = Field(default=None, ge=0, le=10)
    timeout_ms: int | None = Field(default=None, ge=1_000, le=30_000)
    is_active: bool | None = None

    _unique = field_validator("headers")(_check_unique)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> WebhookUpdate:
        for field in ("url", "events", "headers", "max_retries", "timeout_ms", "is_active"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self


class HeaderOut(OutModel):
    name: str
    is_masked: bool


class WebhookOut(OutModel):
    id: str
    api_key_id: str
    company_id: str | None
    url: str
    name: str | None
    description: str | None
    headers: list[HeaderOut]
    events: list[str]
    is_active: bool
    max_retries: int
    timeout_ms: int
    consecutive_failures: int
    circuit_opened_at: str | None
    created_at: str
    updated_at: str
    # (extension) why an inactive config is inactive: paused | gone | circuit_open
    disabled_reason: str | None = None
    # (extension) end of the rotation window during which the previous secret still signs
    previous_secret_expires_at: str | None = None


class WebhookWithSecretOut(WebhookOut):
    signing_secret: str


class WebhookEnvelope(OutModel):
    success: bool
    data: WebhookOut
    error: None = None
    timestamp: str


class WebhookSecretEnvelope(OutModel):
    success: bool
    data: WebhookWithSecretOut
    error: None = None
    timestamp: str


class WebhookList(OutModel):
    data: list[WebhookOut]
    total: int


class WebhookListEnvelope(OutModel):
    success: bool
    data: WebhookList
    error: None = None
    timestamp: str


class TestResultOut(OutModel):
    success: bool
    delivery_id: str | None = None
    http_status: int | None = None
    duration_ms: int | None = None
    message: str


class TestEnvelope(OutModel):
    success: bool
    data: TestResultOut
    error: None = None
    timestamp: str


class AttemptOut(OutModel):
    attempt: int
    started_at: str
    duration_ms: int
    http_status: int | None
    error: str | None
    response_excerpt: str | None
    next_attempt_at: str | None


class DeliveryOut(OutModel):
    id: str
    webhook_id: str
    event: str
    company_id: str
    status: str
    attempts: int
    max_attempts: int
    last_http_status: int | None
    last_error: str | None
    next_attempt_at: str | None
    delivered_at: str | None
    created_at: str
    updated_at: str


class DeliveryDetailOut(DeliveryOut):
    payload: str
    attempt_log: list[AttemptOut]


class DeliveryEnvelope(OutModel):
    success: bool
    data: DeliveryOut
    error: None = None
    timestamp: str


class DeliveryDetailEnvelope(OutModel):
    success: bool
    data: DeliveryDetailOut
    error: None = None
    timestamp: str


class DeliveryPage(OutModel):
    data: list[DeliveryOut]
    next_cursor: str | None


class DeliveryPageEnvelope(OutModel):
    success: bool
    data: DeliveryPage
    error: None = None
    timestamp: str
