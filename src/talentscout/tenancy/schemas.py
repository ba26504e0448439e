"""Company request/response shapes (API.md §9)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, field_validator

from talentscout.kit.schema import OutModel, WireModel

MAX_METADATA_BYTES = 10 * 1024
MAX_METADATA_DEPTH = 5
MAX_METADATA_KEYS = 50


def _depth_and_keys(value: Any, depth: int = 1) -> tuple[int, int]:
    if isinstance(value, dict):
        keys = len(value)
        deepest = depth
        for v in value.values():
            d, k = _depth_and_keys(v, depth + 1)
            deepest = max(deepest, d)
            keys += k
        return deepest, keys
    if isinstance(value, list):
        deepest, keys = depth, 0
        for v in value:
            d, k = _depth_and_keys(v, depth + 1)
            deepest, keys = max(deepest, d), keys + k
        return deepest, keys
    return depth - 1, 0


def check_metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_METADATA_BYTES:
        raise ValueError("metadata must be at most 10 KB")
    depth, keys = _depth_and_keys(value)
    if depth > MAX_METADATA_DEPTH:
        raise ValueError("metadata may nest at most 5 levels")
    if keys > MAX_METADATA_KEYS:
        raise ValueError("metadata may have at most 50 keys")
    return value


class CompanyCreate(WireModel):
    name: str = Field(min_length=2, max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    metadata: dict[str, Any] | None = None

    _meta = field_validator("metadata")(check_metadata)


class CompanyUpdate(WireModel):
    name: str | None = Field(default=None, min_length=2, max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    metadata: dict[str, Any] | None = None

    _meta = field_validator("metadata")(check_metadata)


class AdminCompanyCreate(CompanyCreate):
    name: str = Field(min_length=2, max_length=200)
    billing_mode: Literal["prepaid", "postpaid"] = "prepaid"
    plan: Literal["trial", "starter", "business", "scale", "enterprise"] | None = None
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=10_000_000)
    rate_limit_per_hour: int | None = Field(default=None, ge=1, le=1_000_000_000)


class AdminCompanyUpdate(CompanyUpdate):
    name: str | None = Field(default=None, min_length=2, max_length=200)
    billing_mode: Literal["prepaid", "postpaid"] | None = None
    plan: Literal["trial", "starter", "business", "scale", "enterprise"] | None = None
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=10_000_000)
    rate_limit_per_hour: int | None = Field(default=None, ge=1, le=1_000_000_000)


class CompanyOut(OutModel):
    id: str
    name: str
    description: str | None
    metadata: dict[str, Any]
    billing_mode: str
    plan: str | None
    rate_limit_per_minute: int | None
    rate_limit_per_hour: int | None
    parent_company_id: str | None
    created_at: str
    updated_at: str


class CompanyEnvelope(OutModel):
    success: bool
    data: CompanyOut
    error: None = None
    timestamp: str


class CompanyPage(OutModel):
    data: list[CompanyOut]
    total: int
    page: int
    limit: int


class CompanyListEnvelope(OutModel):
    success: bool
    data: CompanyPage
    error: None = None
    timestamp: str
