"""The error family and the one envelope every error response uses (API.md §2)."""

from __future__ import annotations

from typing import Any

from talentscout.kit.clock import iso_ms, utcnow


class AppError(Exception):
    """An error with a contract code, HTTP status and structured details."""

    def __init__(
        self,
        code: str,
        status: int,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers or {}


def envelope(code: str, message: str, details: dict[str, Any] | None, correlation_id: str | None) -> dict[str, Any]:
    """`{"success": false, "data": null, "error": {...}, "timestamp": ...}`."""
    return {
        "success": False,
        "data": None,
        "error": {
            "code": code,
            "message": message,
            "details": details,
            "correlationId": correlation_id,
        },
        "timestamp": iso_ms(utcnow()),
    }


def ok(data: Any) -> dict[str, Any]:
    """The success envelope for webhook, company, billing and admin responses."""
    return {"success": True, "data": data, "error": None, "timestamp": iso_ms(utcnow())}


def validation_error(field: str, message: str) -> AppError:
    return AppError(
        "VALIDATION_ERROR",
        400,
        f"{field}: {message}",
        {"fields": [{"field": field, "message": message}]},
    )


def invalid_api_key(message: str = "Missing or invalid API key.") -> AppError:
    return AppError("INVALID_API_KEY", 401, message, None, {"WWW-Authenticate": "Bearer"})


def insufficient_scope(scope: str) -> AppError:
    return AppError(
        "INSUFFICIENT_SCOPE", 403, f"This API key lacks the '{scope}' scope.", {"requiredScope": scope}
    )


def resource_not_found(resource_type: str) -> AppError:
    return AppError(
        "RESOURCE_NOT_FOUND", 404, f"{resource_type} not found.", {"resourceType": resource_type}
    )


def request_not_found() -> AppError:
    return AppError("REQUEST_NOT_FOUND", 404, "No request with this id.", None)


def company_access_denied(message: str = "This API key cannot act for that company.") -> AppError:
    return AppError("COMPANY_ACCESS_DENIED", 403, message, None)
