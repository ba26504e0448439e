"""Sourcing request bodies with the contract's limits (API.md §5)."""

from __future__ import annotations

import uuid

from pydantic import Field, field_validator, model_validator

from talentscout.kit.schema import WireModel


class SourcingCreate(WireModel):
    title: str = Field(min_length=1, max_length=200)
    job_description: str = Field(min_length=1, max_length=10_000)
    location: str = Field(min_length=1, max_length=200)
    query: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=20, ge=1, le=100)
    webhook_id: uuid.UUID | None = None

    @field_validator("title", "job_description", "location")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class SourcingPatch(WireModel):
    query: str | None = Field(default=None, max_length=500)
    limit: int | None = Field(default=None, ge=1, le=50)

    @model_validator(mode="after")
    def _one_field(self) -> SourcingPatch:
        if self.query is None and self.limit is None:
            raise ValueError("at least one of query or limit is required")
        return self
