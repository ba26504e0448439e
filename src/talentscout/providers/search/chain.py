"""The ordered provider chain with failover, built from Settings.

`TALENTSCOUT_SEARCH_PROVIDERS=local,remote,pdl,github` (any order, any subset;
default `local`) is the deployment's order; `TALENTSCOUT_SEARCH_COMPANY_PROVIDERS`
(`{"<company uuid>": "remote,local"}`) overrides it per company. Providers are
asked in order and the first that answers wins: its hits are the run's, and
they carry its name as `source`. A provider that fails — retries exhausted,
breaker open, invalid answer, broken local index — is skipped at once; when
every one failed, `AllProvidersFailed` lists why (the pipeline turns it into
`INDEX_UNAVAILABLE`). An empty answer is an answer, unless
`TALENTSCOUT_SEARCH_FAILOVER_ON_EMPTY` says to try the next provider.

Test-mode runs (`sk_test_` keys) use `local` only: no outbound calls, ever.

A provider that is named but not configured (no URL or credential) or unknown is
left out with a warning, so a typo cannot take the whole search down. Breakers
and bulkheads live as long as the Settings object they were built from (one per
app process), so every run of a worker shares them — that is what stops a retry
storm when many runs hit the same dead provider.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import structlog

from talentscout.config import Settings
from talentscout.engine.icp import ICP
from talentscout.kit.breaker import BreakerConfig, CircuitBreaker
from talentscout.providers.search.base import ProviderError, ProviderHit, SearchProvider
from talentscout.providers.search.calls import CallPolicy, ResilientCaller
from talentscout.providers.search.github import GitHubProvider
from talentscout.providers.search.local import LocalProvider
from talentscout.providers.search.pdl import PdlProvider
from talentscout.providers.search.remote import RemoteProvider

__all__ = [
    "KNOWN_PROVIDERS",
    "AllProvidersFailed",
    "ProviderChain",
    "SearchOutcome",
    "build_chain",
    "provider_names",
]

log = structlog.get_logger("talentscout.providers.search")
KNOWN_PROVIDERS = ("local", "remote", "pdl", "github")


@dataclass(frozen=True)
class SearchOutcome:
    """The winning provider's hits (best first) and why earlier providers were skipped."""

    source: str
    hits: list[ProviderHit]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def scores(self) -> dict[str, float]:
        return {h.profile_id: h.score for h in self.hits}


class AllProvidersFailed(Exception):
    """No provider answered; `failures` maps provider name → reason."""

    def __init__(self, failures: dict[str, str]) -> None:
        detail = "; ".join(f"{k}: {v}" for k, v in failures.items()) or "no provider configured"
        super().__init__(f"every candidate index failed ({detail})")
        self.failures = failures


class ProviderChain:
    """Ask providers in order; the first answer wins (see module docstring)."""

    def __init__(self, providers: Sequence[SearchProvider], *, failover_on_empty: bool = False) -> None:
        self.providers = list(providers)
        self.failover_on_empty = failover_on_empty

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.providers]

    async def search(
        self, icp: ICP, *, company_id: str | None, exclude_ids: Sequence[str], limit: int
    ) -> SearchOutcome:
        excluded = frozenset(exclude_ids)
        failures: dict[str, str] = {}
        empty: SearchOutcome | None = None
        for provider in self.providers:
            try:
                hits = await provider.search(icp, company_id=company_id, exclude_ids=exclude_ids, limit=limit)
            except ProviderError as exc:
                failures[provider.name] = exc.reason
                log.warning("search.provider_failed", provider=provider.name, reason=exc.reason)
                continue
            except Exception as exc:  # a bug in one adapter must not take the run down: fail over
                failures[provider.name] = f"unexpected {type(exc).__name__}"
                log.exception("search.provider_crashed", provider=provider.name)
                continue
            # External ids are derived per provider, so only the chain can apply the session's
            # exclusions to them (the local index already did, as a MUST_NOT clause).
            hits = [h for h in hits if h.profile_id not in excluded][:limit]
            outcome = SearchOutcome(provider.name, hits, dict(failures))
            if hits or not self.failover_on_empty:
                if failures:
                    log.info("search.failed_over", source=provider.name, skipped=failures)
                return outcome
            empty = empty or outcome
        if empty is not None:
            return empty
        raise AllProvidersFailed(failures)


def provider_names(settings: Settings, *, livemode: bool, company_id: str | None) -> list[str]:
    """The configured order for this run (test-mode runs: `local` only)."""
    if not livemode:
        return ["local"]
    raw = settings.search_providers
    if company_id is not None and company_id in settings.search_company_providers:
        raw = settings.search_company_providers[company_id]
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    return list(dict.fromkeys(names))


class _Runtime:
    """Per-Settings provider state that must outlive a run: breakers and callers."""

    def __init__(self) -> None:
        # No reference to the Settings: the registry below must not keep it alive.
        self._callers: dict[str, ResilientCaller] = {}
        self._lock = threading.Lock()

    def caller(self, name: str, s: Settings) -> ResilientCaller:
        with self._lock:
            caller = self._callers.get(name)
            if caller is None:
                breaker = CircuitBreaker(
                    f"search:{name}",
                    BreakerConfig(
                        failure_rate=s.search_breaker_failure_rate,
                        window_seconds=s.search_breaker_window_seconds,
                        min_calls=s.search_breaker_min_calls,
                        open_seconds=s.search_breaker_open_seconds,
                        half_open_calls=s.search_breaker_half_open_calls,
                    ),
                )
                policy = CallPolicy(
                    attempt_timeout=s.search_attempt_timeout_seconds,
                    attempts=s.search_attempts,
                    backoff_initial=s.search_backoff_initial_seconds,
                    backoff_max=s.search_backoff_max_seconds,
                    backoff_jitter=s.search_backoff_jitter_seconds,
                    max_response_bytes=s.search_response_cap_bytes,
                    max_concurrency=s.search_max_concurrency,
                )
                caller = self._callers[name] = ResilientCaller(name, policy, breaker)
            return caller


_runtimes: dict[int, tuple[weakref.ref[Settings], _Runtime]] = {}
_runtimes_lock = threading.Lock()


def runtime_for(settings: Settings) -> _Runtime:
    """The provider runtime of this Settings object (created on first use)."""
    key = id(settings)
    with _runtimes_lock:
        entry = _runtimes.get(key)
        if entry is not None and entry[0]() is settings:
            return entry[1]
        runtime = _Runtime()
        # Keyed by identity (Settings is not hashable); the finalizer drops the entry with it.
        _runtimes[key] = (weakref.ref(settings), runtime)
        weakref.finalize(settings, _runtimes.pop, key, None)
        return runtime


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    text = getter() if callable(getter) else None
    return text if isinstance(text, str) and text else None


def _provider(name: str, settings: Settings, runtime: _Runtime) -> SearchProvider | None:
    s = settings
    if name == "local":
        return LocalProvider(s.data_dir)
    if name == "remote":
        token = _secret(s.search_remote_token)
        if not s.search_remote_url or not token:
            return None
        return RemoteProvider(
            s.search_remote_url, token, runtime.caller(name, s), max_results=s.search_remote_max_results
        )
    if name == "pdl":
        key = _secret(s.search_pdl_api_key)
        if not s.search_pdl_url or not key:
            return None
        return PdlProvider(
            s.search_pdl_url, key, runtime.caller(name, s), max_results=s.search_pdl_max_results
        )
    if name == "github":
        token = _secret(s.search_github_token)
        if not s.search_github_url or not token:
            return None
        return GitHubProvider(
            s.search_github_url,
            token,
            runtime.caller(name, s),
            max_users=s.search_github_max_users,
            fetch_concurrency=s.search_github_fetch_concurrency,
        )
    return None


def build_chain(settings: Settings, *, livemode: bool, company_id: str | None) -> ProviderChain:
    """The provider chain for one run (see module docstring)."""
    runtime = runtime_for(settings)
    providers: list[SearchProvider] = []
    for name in provider_names(settings, livemode=livemode, company_id=company_id):
        provider = _provider(name, settings, runtime)
        if provider is None:
            why = "unknown provider" if name not in KNOWN_PROVIDERS else "missing URL or credential"
            log.warning("search.provider_not_configured", provider=name, reason=why)
            continue
        providers.append(provider)
    return ProviderChain(providers, failover_on_empty=settings.search_failover_on_empty)
