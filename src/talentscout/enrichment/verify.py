"""Domain intelligence and SMTP verification, shared by the profiles of a batch.

Two layers:

- `MailIntel` — per process (and event loop), per DNS/SMTP configuration: MX cache
  (by TTL), catch-all cache (7 days), verdict cache (30 days; unknown 1 hour),
  cool-downs after 421s and blocks (exponential per domain and MX host), the
  port-25 circuit breaker (many connect failures across domains → answer
  `smtp_unavailable` without connecting for a while), and the politeness locks:
  at most one session per mail domain and per MX host at a time, with a minimum
  interval between sessions to one domain.
- `VerificationHub` — per batch: one MX lookup per domain, and one domain worker
  per domain that gathers the addresses of every profile at that domain and
  verifies them in as few sessions as politeness allows (≤ `max_rcpt` RCPT per
  session with one slot kept for the catch-all probe while that is unknown).

Isolation: lookups and domain workers are tasks owned by the hub, never by a
profile, and profiles wait on them with `asyncio.wait`/`shield`, so a profile
that times out or fails never cancels work another profile is waiting for.
`aclose()` cancels and awaits whatever is left, so a batch leaks no task.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import secrets
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from talentscout.config import Settings
from talentscout.enrichment.domains import mx_provider
from talentscout.kit.clock import utcnow
from talentscout.providers.email.dns import MailDns, MxResult
from talentscout.providers.email.smtp import ProbeResult, Reply, SmtpConfig, SmtpProber, classify

log = structlog.get_logger("talentscout.enrichment")


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    CATCH_ALL = "catch_all"  # domain known to accept anything: no RCPT needed
    REJECTED = "rejected"
    FULL = "full"
    GREYLISTED = "greylisted"
    BLOCKED = "blocked"
    TEMPFAIL = "tempfail"
    TIMEOUT = "timeout"
    UNAVAILABLE = "smtp_unavailable"
    UNVERIFIABLE = "provider_unverifiable"
    DNS_ERROR = "dns_error"
    NO_DOMAIN = "no_domain"
    NULL_MX = "null_mx"
    NOT_ATTEMPTED = "not_attempted"
    DISABLED = "disabled"


DEFINITIVE = frozenset({Outcome.ACCEPTED, Outcome.REJECTED, Outcome.FULL})
UNCACHED = frozenset({Outcome.TIMEOUT, Outcome.NOT_ATTEMPTED, Outcome.DISABLED, Outcome.CATCH_ALL})


@dataclass(frozen=True)
class SmtpVerdict:
    outcome: Outcome
    detail: str
    at: datetime
    catch_all: bool | None = None
    cached: bool = False


@dataclass(frozen=True)
class DomainInfo:
    domain: str
    mx: MxResult
    targets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    provider: str | None = None
    unverifiable: bool = False

    @property
    def mx_hosts(self) -> list[str]:
        return [h.host for h in self.mx.hosts]


# --------------------------------------------------------------------------- process-level state


@dataclass
class _Cooldown:
    until: float
    level: int
    outcome: Outcome
    detail: str


class MailIntel:
    """Caches, cool-downs, breaker and politeness locks for one process/loop/configuration."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.mx: dict[str, tuple[DomainInfo, float]] = {}
        self.catch_all: dict[str, tuple[bool, float]] = {}
        self.verdicts: dict[str, tuple[SmtpVerdict, float]] = {}
        self.cooldowns: dict[str, _Cooldown] = {}
        self.failures: deque[tuple[float, str]] = deque()
        self.breaker_open_until = 0.0
        self.locks: dict[str, asyncio.Lock] = {}
        self.last_session: dict[str, float] = {}
        self.sessions = 0  # observability and tests

    # caches ---------------------------------------------------------------
    def cached_domain(self, domain: str) -> DomainInfo | None:
        entry = self.mx.get(domain)
        return entry[0] if entry is not None and entry[1] > time.monotonic() else None

    def store_domain(self, info: DomainInfo) -> None:
        if info.mx.status == "error":
            return  # SERVFAIL/timeouts are not facts about the domain
        ttl = min(max(info.mx.ttl, 30.0), self.settings.enrichment_mx_cache_max_seconds)
        self.mx[info.domain] = (info, time.monotonic() + ttl)

    def known_catch_all(self, domain: str) -> bool | None:
        entry = self.catch_all.get(domain)
        return entry[0] if entry is not None and entry[1] > time.monotonic() else None

    def store_catch_all(self, domain: str, value: bool) -> None:
        self.catch_all[domain] = (value, time.monotonic() + self.settings.enrichment_catch_all_ttl_seconds)

    def cached_verdict(self, email: str) -> SmtpVerdict | None:
        entry = self.verdicts.get(email)
        if entry is None or entry[1] <= time.monotonic():
            return None
        v = entry[0]
        return SmtpVerdict(v.outcome, v.detail, v.at, v.catch_all, cached=True)

    def store_verdict(self, email: str, verdict: SmtpVerdict) -> None:
        if verdict.outcome in UNCACHED:
            return
        ttl = (
            self.settings.enrichment_verdict_ttl_seconds
            if verdict.outcome in DEFINITIVE
            else self.settings.enrichment_unknown_verdict_ttl_seconds
        )
        self.verdicts[email] = (verdict, time.monotonic() + ttl)

    def forget(self, emails: list[str]) -> None:
        for email in emails:
            self.verdicts.pop(email, None)

    # cool-downs and breaker ------------------------------------------------
    def cooldown(self, keys: list[str]) -> _Cooldown | None:
        now = time.monotonic()
        for key in keys:
            entry = self.cooldowns.get(key)
            if entry is not None and entry.until > now:
                return entry
        return None

    def start_cooldown(self, keys: list[str], outcome: Outcome, detail: str) -> None:
        now = time.monotonic()
        for key in keys:
            previous = self.cooldowns.get(key)
            level = previous.level + 1 if previous is not None else 0
            seconds = min(
                self.settings.enrichment_smtp_cooldown_max_seconds,
                self.settings.enrichment_smtp_cooldown_base_seconds * (2**level),
            )
            self.cooldowns[key] = _Cooldown(now + seconds, level, outcome, detail)

    def breaker_open(self) -> bool:
        return self.breaker_open_until > time.monotonic()

    def connect_failed(self, domain: str) -> None:
        now = time.monotonic()
        window = self.settings.enrichment_smtp_breaker_window_seconds
        self.failures.append((now, domain))
        while self.failures and self.failures[0][0] < now - window:
            self.failures.popleft()
        domains = {d for _, d in self.failures}
        # One dead mail server must not switch SMTP off for everyone: require several domains.
        if len(self.failures) >= self.settings.enrichment_smtp_breaker_threshold and len(domains) >= 2:
            self.breaker_open_until = now + self.settings.enrichment_smtp_breaker_open_seconds
            self.failures.clear()
            log.warning(
                "enrichment.smtp_breaker_open", seconds=self.settings.enrichment_smtp_breaker_open_seconds
            )

    def connect_succeeded(self) -> None:
        self.failures.clear()

    # politeness -------------------------------------------------------------
    def _lock(self, key: str) -> asyncio.Lock:
        lock = self.locks.get(key)
        if lock is None:
            lock = self.locks[key] = asyncio.Lock()
        return lock

    @contextlib.asynccontextmanager
    async def session_slot(self, domain: str, mx_host: str | None, deadline: float) -> AsyncIterator[None]:
        """≤ 1 session per domain and per MX host at a time, spaced by the per-domain interval."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout_at(deadline):
            async with self._lock(f"domain:{domain}"):
                mx_lock = self._lock(f"mx:{mx_host}") if mx_host else None
                if mx_lock is not None:
                    await mx_lock.acquire()
                try:
                    wait = (
                        self.last_session.get(domain, -1e9)
                        + self.settings.enrichment_smtp_domain_interval_seconds
                    )
                    delay = wait - loop.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    self.sessions += 1
                    try:
                        yield
                    finally:
                        self.last_session[domain] = loop.time()
                finally:
                    if mx_lock is not None:
                        mx_lock.release()


_INTEL: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[object, ...], MailIntel]] = (
    weakref.WeakKeyDictionary()
)


def intel_for(settings: Settings) -> MailIntel:
    """The process's `MailIntel` for this loop and DNS/SMTP configuration.

    Keyed by configuration so differently configured apps in one process (tests)
    never share cool-downs or caches; keyed by loop because asyncio locks are.
    """
    loop = asyncio.get_running_loop()
    key = (
        tuple(settings.enrichment_dns_nameservers),
        settings.enrichment_dns_port,
        settings.enrichment_smtp_port,
        settings.enrichment_smtp_helo_fqdn,
    )
    per_loop = _INTEL.setdefault(loop, {})
    intel = per_loop.get(key)
    if intel is None:
        intel = per_loop[key] = MailIntel(settings)
    return intel


def smtp_config(settings: Settings) -> SmtpConfig:
    return SmtpConfig(
        port=settings.enrichment_smtp_port,
        helo_fqdn=settings.enrichment_smtp_helo_fqdn,
        mail_from=settings.enrichment_smtp_mail_from,
        connect_timeout=settings.enrichment_smtp_connect_timeout_seconds,
        command_timeout=settings.enrichment_smtp_command_timeout_seconds,
        max_rcpt=settings.enrichment_smtp_max_rcpt_per_session,
        max_rejections=settings.enrichment_smtp_max_rejections_per_session,
        starttls=settings.enrichment_smtp_starttls,
        tls_verify=settings.enrichment_smtp_tls_verify,
        ca_file=str(settings.enrichment_smtp_ca_file) if settings.enrichment_smtp_ca_file else None,
    )


def make_dns(settings: Settings) -> MailDns:
    return MailDns(
        settings.enrichment_dns_nameservers,
        settings.enrichment_dns_port,
        settings.enrichment_dns_timeout_seconds,
    )


# --------------------------------------------------------------------------- batch hub


@dataclass
class _DomainJob:
    pending: list[tuple[str, asyncio.Future[SmtpVerdict]]] = field(default_factory=list)
    expected: set[str] = field(default_factory=set)
    submitted: set[str] = field(default_factory=set)
    all_in: asyncio.Event = field(default_factory=asyncio.Event)
    deadline: float = 0.0
    task: asyncio.Task[None] | None = None

    def update(self) -> None:
        if self.expected <= self.submitted:
            self.all_in.set()


class VerificationHub:
    """Shared MX lookups and SMTP sessions for one batch (module docstring)."""

    def __init__(
        self,
        settings: Settings,
        *,
        network: bool,
        dns: MailDns | None = None,
        intel: MailIntel | None = None,
        coalesce_seconds: float | None = None,
    ) -> None:
        self.settings = settings
        self.network = network
        self.smtp_enabled = network and settings.smtp_verify
        self.dns = dns if dns is not None else (make_dns(settings) if network else None)
        self.intel = intel or intel_for(settings)
        self.prober = SmtpProber(smtp_config(settings)) if self.smtp_enabled else None
        self.coalesce = (
            coalesce_seconds
            if coalesce_seconds is not None
            else settings.enrichment_profile_timeout_seconds * 0.05
        )
        self._lookups: dict[str, asyncio.Task[DomainInfo]] = {}
        self._jobs: dict[str, _DomainJob] = {}
        self._closed = False
        self.sessions_opened = 0

    # lookups ------------------------------------------------------------------
    def prefetch(self, domain: str) -> asyncio.Task[DomainInfo] | None:
        if self.dns is None:
            return None
        task = self._lookups.get(domain)
        if task is None:
            task = self._lookups[domain] = asyncio.create_task(
                self._lookup(domain), name=f"enrich-mx:{domain}"
            )
        return task

    async def domain(self, domain: str) -> DomainInfo | None:
        """The domain's MX facts (one lookup per batch, cached per process by TTL)."""
        task = self.prefetch(domain)
        if task is None:
            return None
        return await asyncio.shield(task)

    async def _lookup(self, domain: str) -> DomainInfo:
        cached = self.intel.cached_domain(domain)
        if cached is not None:
            return cached
        assert self.dns is not None
        mx = await self.dns.mx(domain)
        targets: list[tuple[str, tuple[str, ...]]] = []
        if mx.accepts_mail:
            hosts = [h.host for h in mx.hosts][:3]
            found = await asyncio.gather(*(self.dns.addresses(h) for h in hosts))
            targets = [(h, tuple(a)) for h, a in zip(hosts, found, strict=True) if a]
        provider = mx_provider(h.host for h in mx.hosts)
        unverifiable = provider == "webmail" or any(
            h.host.endswith(tuple(self.settings.enrichment_unverifiable_mx_suffixes)) for h in mx.hosts
        )
        info = DomainInfo(domain, mx, tuple(targets), provider, unverifiable)
        self.intel.store_domain(info)
        return info

    def done_domain(self, domain: str) -> DomainInfo | None:
        """The domain's facts if its lookup has finished (never waits)."""
        task = self._lookups.get(domain)
        if task is None or not task.done() or task.cancelled() or task.exception() is not None:
            return None
        return task.result()

    def dns_verdict(self, domain: str) -> SmtpVerdict | None:
        """What DNS alone says about every address at `domain` (no such domain, null MX, DNS failure)."""
        info = self.done_domain(domain)
        early = self._early(info, domain) if info is not None else None
        dns_only = (Outcome.NO_DOMAIN, Outcome.NULL_MX, Outcome.DNS_ERROR)
        return early if early is not None and early.outcome in dns_only else None

    # coalescing ---------------------------------------------------------------
    def expect(self, domain: str, profile_id: str) -> None:
        """`profile_id` will (probably) submit addresses at `domain`: the worker waits for it briefly."""
        job = self._jobs.setdefault(domain, _DomainJob())
        job.expected.add(profile_id)
        job.all_in.clear()
        job.update()

    def withdraw(self, profile_id: str, domain: str | None = None) -> None:
        """The profile is done with `domain` (or all domains): no worker should wait for it any longer."""
        for name, job in self._jobs.items():
            if (domain is None or name == domain) and profile_id in job.expected:
                job.submitted.add(profile_id)
                job.update()

    # verification -------------------------------------------------------------
    async def verify(
        self, profile_id: str, domain: str, emails: list[str], deadline: float
    ) -> dict[str, SmtpVerdict]:
        """Verdicts for `emails` at `domain`; anything unresolved at `deadline` is TIMEOUT."""
        now = utcnow()
        out: dict[str, SmtpVerdict] = {}
        try:
            if not self.network:
                return {
                    e: SmtpVerdict(Outcome.DISABLED, "no outbound calls for test keys", now) for e in emails
                }
            async with asyncio.timeout_at(deadline):
                info = await self.domain(domain)
            assert info is not None
            early = self._early(info, domain)
            if early is not None:
                return dict.fromkeys(emails, early)
            todo: list[str] = []
            for email in emails:
                cached = self.intel.cached_verdict(email)
                if cached is not None:
                    out[email] = cached
                else:
                    todo.append(email)
            if not todo:
                return out
            futures = self._submit(profile_id, domain, info, todo, deadline)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining > 0:
                # `wait` (not gather/wait_for): our cancellation must not cancel shared futures.
                await asyncio.wait(futures.values(), timeout=remaining)
            for email, future in futures.items():
                if future.done() and not future.cancelled():
                    out[email] = future.result()
            return out
        except TimeoutError:
            return out
        finally:
            self.withdraw(profile_id, domain)
            for email in emails:
                out.setdefault(
                    email, SmtpVerdict(Outcome.TIMEOUT, "verification did not finish in time", now)
                )

    def _early(self, info: DomainInfo, domain: str) -> SmtpVerdict | None:
        """An answer for every address at the domain without any SMTP conversation, if there is one."""
        now = utcnow()
        status = info.mx.status
        if status in ("nxdomain", "no_mail"):
            return SmtpVerdict(Outcome.NO_DOMAIN, f"DNS: {domain} has no mail server ({status})", now)
        if status == "null_mx":
            return SmtpVerdict(Outcome.NULL_MX, f"DNS: {domain} publishes a null MX (accepts no mail)", now)
        if status == "error":
            return SmtpVerdict(Outcome.DNS_ERROR, f"DNS lookup failed ({info.mx.error})", now)
        if not self.smtp_enabled:
            return SmtpVerdict(Outcome.DISABLED, "SMTP verification is switched off", now)
        if info.unverifiable:
            return SmtpVerdict(
                Outcome.UNVERIFIABLE, f"mail provider cannot be verified ({info.provider or 'mx'})", now
            )
        if self.intel.known_catch_all(domain):
            return SmtpVerdict(
                Outcome.CATCH_ALL, "domain accepts any address (cached catch-all result)", now, True
            )
        cool = self.intel.cooldown([f"domain:{domain}", *(f"mx:{h}" for h in info.mx_hosts)])
        if cool is not None:
            return SmtpVerdict(cool.outcome, f"cooling down after: {cool.detail}", now)
        if self.intel.breaker_open():
            return SmtpVerdict(Outcome.UNAVAILABLE, "SMTP circuit breaker open (port 25 unreachable)", now)
        if not info.targets:
            return SmtpVerdict(Outcome.DNS_ERROR, "no address for any MX host", now)
        return None

    def _submit(
        self, profile_id: str, domain: str, info: DomainInfo, emails: list[str], deadline: float
    ) -> dict[str, asyncio.Future[SmtpVerdict]]:
        loop = asyncio.get_running_loop()
        job = self._jobs.setdefault(domain, _DomainJob())
        futures: dict[str, asyncio.Future[SmtpVerdict]] = {}
        for email in emails:
            existing = next((f for e, f in job.pending if e == email), None)
            future = existing or loop.create_future()
            if existing is None:
                job.pending.append((email, future))
            futures[email] = future
        job.deadline = max(job.deadline, deadline)
        job.expected.add(profile_id)
        job.submitted.add(profile_id)
        job.update()
        if job.task is None or job.task.done():
            job.task = asyncio.create_task(self._work(domain, info, job), name=f"enrich-smtp:{domain}")
        return futures

    async def _work(self, domain: str, info: DomainInfo, job: _DomainJob) -> None:
        loop = asyncio.get_running_loop()
        sessions = 0
        try:
            # Give the other profiles at this domain a moment to join this session.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(min(job.deadline, loop.time() + self.coalesce)):
                    await job.all_in.wait()
            while job.pending:
                early = self._early(info, domain)
                if early is not None:
                    self._resolve_all(job, early)
                    break
                if sessions >= self.settings.enrichment_smtp_max_sessions_per_domain:
                    self._resolve_all(
                        job,
                        SmtpVerdict(Outcome.NOT_ATTEMPTED, "session budget for this domain used", utcnow()),
                    )
                    break
                catch_all = self.intel.known_catch_all(domain)
                room = self.settings.enrichment_smtp_max_rcpt_per_session - (1 if catch_all is None else 0)
                chunk, job.pending = job.pending[: max(1, room)], job.pending[max(1, room) :]
                sessions += 1
                requeue = await self._session(domain, info, chunk, catch_all, job.deadline)
                job.pending = requeue + job.pending
        except TimeoutError:
            pass
        finally:
            self._resolve_all(
                job, SmtpVerdict(Outcome.TIMEOUT, "verification did not finish in time", utcnow())
            )

    @staticmethod
    def _resolve_all(job: _DomainJob, verdict: SmtpVerdict) -> None:
        for _email, future in job.pending:
            if not future.done():
                future.set_result(verdict)
        job.pending = []

    async def _session(
        self,
        domain: str,
        info: DomainInfo,
        chunk: list[tuple[str, asyncio.Future[SmtpVerdict]]],
        catch_all: bool | None,
        deadline: float,
    ) -> list[tuple[str, asyncio.Future[SmtpVerdict]]]:
        """One SMTP session for `chunk`; returns the entries to try again in a next session."""
        assert self.prober is not None
        emails = [e for e, _ in chunk]
        probe = f"{secrets.token_hex(8)}@{domain}" if catch_all is None else None
        targets = [(host, list(addresses)) for host, addresses in info.targets]
        async with self.intel.session_slot(domain, info.targets[0][0] if info.targets else None, deadline):
            self.sessions_opened += 1
            result = await self.prober.probe(targets, emails, probe_address=probe, deadline=deadline)
        log.debug("enrichment.smtp_session", domain=domain, transcript=result.transcript)
        verdicts, requeue = self._interpret(domain, info, result, emails)
        retry = [(e, f) for e, f in chunk if e in requeue]
        for email, future in chunk:
            if email in verdicts and not future.done():
                future.set_result(verdicts[email])
                self.intel.store_verdict(email, verdicts[email])
        return retry

    def _interpret(
        self, domain: str, info: DomainInfo, result: ProbeResult, emails: list[str]
    ) -> tuple[dict[str, SmtpVerdict], set[str]]:
        now = utcnow()
        cooldown_keys = [f"domain:{domain}"] + ([f"mx:{result.mx_host}"] if result.mx_host else [])
        if result.mx_host is None:
            # Never connected anywhere.
            for _ in range(result.connect_failures or 1):
                self.intel.connect_failed(domain)
            outcome = Outcome.TIMEOUT if result.error == "timeout" else Outcome.UNAVAILABLE
            detail = f"no MX host answered on port {self.settings.enrichment_smtp_port}"
            return dict.fromkeys(emails, SmtpVerdict(outcome, detail, now)), set()
        self.intel.connect_succeeded()
        if result.error in ("banner", "mail_from", "protocol") and result.session_reply is not None:
            reply = result.session_reply
            kind = classify(reply)
            outcome = Outcome.BLOCKED if kind is Reply.BLOCKED else Outcome.TEMPFAIL
            if kind in (Reply.BLOCKED, Reply.CLOSING) or reply.code == 421:
                self.intel.start_cooldown(cooldown_keys, outcome, reply.line)
            return dict.fromkeys(emails, SmtpVerdict(outcome, reply.line, now)), set()
        catch_all: bool | None = self.intel.known_catch_all(domain)
        if result.probe_reply is not None:
            probe_kind = classify(result.probe_reply)
            if probe_kind is Reply.ACCEPTED:
                catch_all = True
            elif probe_kind is Reply.REJECTED:
                catch_all = False
            if catch_all is not None:
                self.intel.store_catch_all(domain, catch_all)
        verdicts: dict[str, SmtpVerdict] = {}
        for email in emails:
            answer = result.replies.get(email)
            if answer is None:
                continue
            kind = classify(answer)
            outcome = {
                Reply.ACCEPTED: Outcome.ACCEPTED,
                Reply.REJECTED: Outcome.REJECTED,
                Reply.FULL: Outcome.FULL,
                Reply.GREYLISTED: Outcome.GREYLISTED,
                Reply.TEMPFAIL: Outcome.TEMPFAIL,
                Reply.BLOCKED: Outcome.BLOCKED,
                Reply.CLOSING: Outcome.TEMPFAIL,
                Reply.TOO_MANY: Outcome.TEMPFAIL,
            }[kind]
            if kind in (Reply.BLOCKED, Reply.CLOSING):
                self.intel.start_cooldown(cooldown_keys, outcome, answer.line)
            detail = answer.line
            if outcome is Outcome.ACCEPTED:
                detail += (
                    "; domain is catch-all"
                    if catch_all
                    else ("; domain is not catch-all" if catch_all is False else "")
                )
            verdicts[email] = SmtpVerdict(
                outcome, detail, now, catch_all if outcome is Outcome.ACCEPTED else None
            )
        requeue: set[str] = set()
        ended = result.session_reply
        for email in result.not_attempted:
            if email in verdicts:
                continue
            if ended is not None and classify(ended) is Reply.TOO_MANY:
                requeue.add(email)  # 452: ask again in a fresh session
            elif result.error == "timeout":
                verdicts[email] = SmtpVerdict(Outcome.TIMEOUT, "SMTP server too slow", now)
            elif ended is not None and classify(ended) is Reply.BLOCKED:
                verdicts[email] = SmtpVerdict(Outcome.BLOCKED, ended.line, now)
            elif result.error is not None:
                verdicts[email] = SmtpVerdict(Outcome.TEMPFAIL, f"session ended early ({result.error})", now)
            else:
                verdicts[email] = SmtpVerdict(
                    Outcome.NOT_ATTEMPTED, "not asked: rejection limit for one session", now
                )
        return verdicts, requeue

    async def aclose(self) -> None:
        """Cancel and await every lookup and domain worker still running (no leaked tasks)."""
        self._closed = True
        tasks: list[asyncio.Task[Any]] = [t for t in self._lookups.values() if not t.done()]
        tasks += [j.task for j in self._jobs.values() if j.task is not None and not j.task.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in self._lookups.values():
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: no "exception was never retrieved" noise
        for job in self._jobs.values():
            for _email, future in job.pending:
                if not future.done():
                    future.cancel()
