"""Request bodies for enrichment and the suppression admin API, with the contract's limits."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field, field_validator

from talentscout.kit.schema import WireModel


class EnrichCreate(WireModel):
    profile_ids: list[str] = Field(min_length=1, max_length=10)
    webhook_id: uuid.UUID | None = None

    @field_validator("profile_ids")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value]
        if any(not 1 <= len(v) <= 64 for v in cleaned):
            raise ValueError("each profile id must be 1-64 characters")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("profile ids must be distinct")
        return cleaned


class SuppressionCreate(WireModel):
    kind: Literal["email", "email_sha256", "domain", "profile"]
    value: str = Field(min_length=1, max_length=320)
    reason: str | None = Field(default=None, max_length=500)
