"""OpenAPI descriptions of the error envelope, attached to every route's responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from talentscout.kit.schema import OutModel


class ErrorBody(OutModel):
    code: str
    message: str
    details: dict[str, Any] | None = None
    correlation_id: str | None = None


class ErrorEnvelope(OutModel):
    success: bool = False
    data: None = None
    error: ErrorBody
    timestamp: str


def _resp(description: str, model: type[BaseModel] = ErrorEnvelope) -> dict[str, Any]:
    return {"model": model, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _resp("VALIDATION_ERROR"),
    401: _resp("INVALID_API_KEY"),
    403: _resp("INSUFFICIENT_SCOPE, IP_NOT_ALLOWED or COMPANY_ACCESS_DENIED"),
    404: _resp("REQUEST_NOT_FOUND or RESOURCE_NOT_FOUND"),
    413: _resp("PAYLOAD_TOO_LARGE"),
    422: _resp("Business-rule rejection (idempotency, webhooks)"),
    429: _resp("RATE_LIMIT_EXCEEDED"),
    500: _resp("INTERNAL_ERROR"),
}
