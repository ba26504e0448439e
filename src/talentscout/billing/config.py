"""Billing settings (`TALENTSCOUT_BILLING_*`): the invoice cycle and its anchor day."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class BillingSettings(BaseSettings):
    """Cycle configuration for postpaid invoices."""

    model_config = SettingsConfigDict(env_prefix="TALENTSCOUT_BILLING_", env_file=".env", extra="ignore")

    # Monthly cycles start on this day of the month (clamped to short months); a company's
    # billing profile may override it.
    cycle_anchor_day: int = Field(default=1, ge=1, le=31)
    # When set, cycles are fixed periods of this many seconds from the Unix epoch instead of
    # calendar months, so tests and demos can close cycles in seconds.
    cycle_seconds: int | None = Field(default=None, ge=1)
    # A period is closed only this long after it ends, so a capture stamped just before the
    # boundary whose transaction commits a moment later is still on the right invoice.
    close_grace_seconds: float = Field(default=300.0, ge=0)
    # How many missed periods one close run may invoice per company (catch-up after downtime).
    max_catchup_cycles: int = Field(default=36, ge=1, le=1000)


@lru_cache(maxsize=1)
def get_billing_settings() -> BillingSettings:
    return BillingSettings()
