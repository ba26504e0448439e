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

    # Sourcing
    max_concurrent_runs: int = 10  # per company; more → 429 (RELIABILITY.md item 23)

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
    # `embedded` (job table in the app database) or `procrastinate` (PostgreSQL only);
    # unset picks embedded on SQLite and procrastinate on PostgreSQL.
    job_backend: Literal["embedded", "procrastinate"] | None = None
    job_retry_max_seconds: float = 3600.0
    job_metrics_interval_seconds: float = 5.0
    # How long a stopping worker waits for in-flight jobs before releasing them.
    worker_shutdown_grace_seconds: float = 20.0
    # Extra modules whose import registers tasks (feature `tasks` modules are found automatically).
    job_import_paths: list[str] = Field(default_factory=list)

    # Webhooks (used by the webhooks feature; declared here so production can refuse them)
    webhooks_allow_private: bool = False
    # Delivery (API.md §8). The base retry schedule (5 s, 30 s, 2 min, 10 min, 30 min, 1 h)
    # is multiplied by `webhooks_retry_scale`, so tests run it in milliseconds.
    webhooks_retry_scale: float = 1.0
    webhooks_retry_jitter: float = 0.2
    webhooks_retry_after_cap_seconds: float = 3600.0
    webhooks_breaker_threshold: int = 10
    webhooks_poll_seconds: float = 1.0
    webhooks_claim_batch: int = 64
    webhooks_max_in_flight: int = 64
    webhooks_max_in_flight_per_config: int = 4
    # Lease = the config's timeoutMs plus this margin; an expired lease is re-delivered.
    webhooks_lease_margin_seconds: float = 30.0
    webhooks_response_cap_bytes: int = 64 * 1024
    webhooks_secret_overlap_seconds: float = 24 * 3600.0
    webhooks_shutdown_grace_seconds: float = 10.0

    # Enrichment (ENRICHMENT.md). Stage budgets are fractions of the per-profile deadline so
    # tests scale one number: gather by 25 % (2.5 s), verify by 85 % (8.5 s), assemble by 90 %.
    enrichment_profile_timeout_seconds: float = 10.0
    enrichment_gather_fraction: float = 0.25
    enrichment_verify_fraction: float = 0.85
    enrichment_assemble_fraction: float = 0.9
    enrichment_portfolio_max_pages: int = 2
    enrichment_portfolio_max_bytes: int = 512 * 1024
    enrichment_portfolio_timeout_seconds: float = 2.0
    enrichment_robots_max_bytes: int = 64 * 1024
    enrichment_user_agent: str = "talentscout-enrichment/0.1 (portfolio fetch; respects robots.txt)"
    # Portfolio fetches to loopback/private hosts (dev/test only, like webhooks_allow_private).
    enrichment_fetch_allow_private: bool = False
    # GitHub's terms forbid using harvested emails for unsolicited recruiting mail.
    enrichment_use_github_emails: bool = False
    # Extra public suffixes for the offline suffix list (tests add "test" for the `.test` zone).
    enrichment_extra_suffixes: list[str] = Field(default_factory=list)
    # DNS: empty nameservers = the system's resolv.conf.
    enrichment_dns_nameservers: list[str] = Field(default_factory=list)
    enrichment_dns_port: int = 53
    enrichment_dns_timeout_seconds: float = 2.0
    enrichment_mx_cache_max_seconds: float = 3600.0
    # SMTP verification; TALENTSCOUT_SMTP_VERIFY=false turns probing off (the rest still works).
    smtp_verify: bool = True
    enrichment_smtp_port: int = 25
    enrichment_smtp_helo_fqdn: str = "verifier.talentscout.invalid"
    enrichment_smtp_mail_from: str = "verify@talentscout.invalid"
    enrichment_smtp_connect_timeout_seconds: float = 3.0
    enrichment_smtp_command_timeout_seconds: float = 3.0
    enrichment_smtp_verify_top: int = 3
    enrichment_smtp_max_rcpt_per_session: int = 4
    enrichment_smtp_max_rejections_per_session: int = 2
    enrichment_smtp_max_sessions_per_domain: int = 3  # per batch
    enrichment_smtp_starttls: bool = True
    enrichment_smtp_tls_verify: bool = False  # opportunistic TLS between MTAs does not validate (RFC 7435)
    enrichment_smtp_ca_file: Path | None = None
    enrichment_smtp_domain_interval_seconds: float = 1.0
    enrichment_smtp_cooldown_base_seconds: float = 300.0
    enrichment_smtp_cooldown_max_seconds: float = 6 * 3600.0
    enrichment_smtp_breaker_threshold: int = 8
    enrichment_smtp_breaker_window_seconds: float = 300.0
    enrichment_smtp_breaker_open_seconds: float = 600.0
    enrichment_catch_all_ttl_seconds: float = 7 * 86400.0
    enrichment_verdict_ttl_seconds: float = 30 * 86400.0
    enrichment_unknown_verdict_ttl_seconds: float = 3600.0
    enrichment_greylist_recheck_seconds: float = 300.0
    enrichment_unverifiable_mx_suffixes: list[str] = Field(
        default_factory=lambda: ["yahoodns.net", "pphosted.com", "mimecast.com", "icloud.com", "me.com"]
    )
    # Pattern model: Dirichlet concentration over the global prior; evidence half-life.
    enrichment_pattern_alpha: float = 2.0
    enrichment_pattern_half_life_days: float = 730.0
    enrichment_learn_interval_seconds: float = 6 * 3600.0

    # Candidate-index providers (ENGINE.md §4; providers/search). Ordered, comma-separated
    # names out of local, remote, pdl, github: the first provider that answers wins.
    search_providers: str = "local"
    # Per-company order: {"<company uuid>": "remote,local"} (JSON in the environment).
    search_company_providers: dict[str, str] = Field(default_factory=dict)
    # An empty answer moves on to the next provider (the last empty answer still counts).
    search_failover_on_empty: bool = False
    # Every external call: TOTAL deadline per attempt, attempts (first + retries), jittered backoff.
    search_attempt_timeout_seconds: float = 15.0
    search_attempts: int = 3
    search_backoff_initial_seconds: float = 0.5
    search_backoff_max_seconds: float = 4.0
    search_backoff_jitter_seconds: float = 0.5
    search_response_cap_bytes: int = 2 * 1024 * 1024
    # Concurrent calls per provider (a bulkhead: a dead provider ties up at most this many).
    search_max_concurrency: int = 8
    # Circuit breaker per provider (kit/breaker.py).
    search_breaker_failure_rate: float = 0.5
    search_breaker_window_seconds: float = 60.0
    search_breaker_min_calls: int = 10
    search_breaker_open_seconds: float = 30.0
    search_breaker_half_open_calls: int = 2
    # remote: another talentscout's POST /index/search (providers/search/remote_server.py).
    search_remote_url: str | None = None
    search_remote_token: SecretStr | None = None
    search_remote_max_results: int = 200
    # This instance's POST /index/search: bearer tokens it accepts (none = endpoint off, 404).
    search_server_tokens: list[SecretStr] = Field(default_factory=list)
    search_server_max_results: int = 200
    # pdl: a People Data Labs-style Elasticsearch-DSL person search (X-Api-Key).
    search_pdl_url: str = "https://api.peopledatalabs.com/v5/person/search"
    search_pdl_api_key: SecretStr | None = None
    search_pdl_max_results: int = 100
    # github: REST user search plus one /users/{login} fetch per hit (token header).
    search_github_url: str = "https://api.github.com"
    search_github_token: SecretStr | None = None
    search_github_max_users: int = 20
    search_github_fetch_concurrency: int = 4

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
            if self.enrichment_fetch_allow_private:
                problems.append("TALENTSCOUT_ENRICHMENT_FETCH_ALLOW_PRIVATE must be false in production")
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
