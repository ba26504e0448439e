"""One Settings object: every `TALENTSCOUT_*` variable, with a production guard.

Every duration and threshold lives here so tests can scale time down.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_PEPPER = "dev-insecure-pepper-change-me"


class Settings(BaseSettings):
    """Runtime configuration read from the environment (or `.env`)."""

    model_config = SettingsConfigDict(env_prefix="TALENTSCOUT_", env_file=".env", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite+aiosqlite:///./talentscout.db"
    data_dir: Path = Path("./.talentscout")
    redis_url: str | None = None
    admin_token: SecretStr | None = None
    # Pepper for the keyed hash of API keys (HMAC-SHA256). Read from a file with
    # TALENTSCOUT_SECRET_KEY_FILE so it never sits in the process environment.
    secret_key: SecretStr = SecretStr(_DEV_PEPPER)
    secret_key_file: Path | None = None
    demo_profiles: int = 2000
    log_level: str = "INFO"
    log_json: bool = True

    # HTTP
    max_body_bytes: int = 256 * 1024
    trusted_proxies: list[str] = Field(default_factory=list)

    # Rate limits (API.md §3): per key, two windows, plus a polling limit.
    rate_limit_per_minute: int = 60
    rate_limit_per_hour: int = 2000
    rate_limit_polling_per_minute: int = 120
    rate_limit_anonymous_per_minute: int = 60

    # Idempotency (API.md §4)
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_in_flight_seconds: int = 120

    # Jobs
    worker_enabled: bool = True
    job_lease_seconds: float = 30.0
    job_heartbeat_seconds: float = 10.0
    job_poll_seconds: float = 0.2
    job_max_attempts: int = 5
    job_retry_base_seconds: float = 2.0
    job_reap_interval_seconds: float = 5.0
    worker_concurrency: int = 4
    worker_heartbeat_stale_seconds: float = 60.0
    scheduler_tick_seconds: float = 1.0
    reconcile_interval_seconds: float = 30.0

    # Webhooks (used by the webhooks feature; declared here so production can refuse them)
    webhooks_allow_private: bool = False

    @model_validator(mode="after")
    def _load_secret_file_and_guard(self) -> Settings:
        if self.secret_key_file is not None:
            self.secret_key = SecretStr(self.secret_key_file.read_text().strip())
        if self.env == "production":
            problems: list[str] = []
            if self.secret_key.get_secret_value() == _DEV_PEPPER:
                problems.append("TALENTSCOUT_SECRET_KEY is the development default")
            token = self.admin_token.get_secret_value() if self.admin_token else ""
            if token and len(token) < 32:
                problems.append("TALENTSCOUT_ADMIN_TOKEN is shorter than 32 characters")
            if self.webhooks_allow_private:
                problems.append("TALENTSCOUT_WEBHOOKS_ALLOW_PRIVATE must be false in production")
            if problems:
                raise ValueError("unsafe production settings: " + "; ".join(problems))
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def is_dev(self) -> bool:
        return self.env != "production"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings instead)."""
    return Settings()


def new_admin_token() -> str:
    """A fresh admin token suitable for production (≥ 32 chars)."""
    return secrets.token_urlsafe(32)
