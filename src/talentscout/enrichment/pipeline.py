"""The per-profile enrichment pipeline and the isolated batch runner (ENRICHMENT.md).

Each profile runs as its own task under a hard deadline
(`enrichment_profile_timeout_seconds`, 10 s) with nested stage deadlines taken as
fractions of it:

    0 … gather (25 %)   portfolio pages (≤ 2, size and time capped); mail domains and
                        name variants are ready at once; MX lookups start here
    … verify (85 %)     candidate addresses (published → known → pattern guesses),
                        suppression filter, SMTP verification of the top 1–3
    … assemble (90 %)   scoring and assembly: always runs on whatever evidence exists

A stage that runs out of time returns what it has, so partial evidence still
yields a result. The batch is `asyncio.wait` over per-profile tasks, each wrapped
so that a timeout or exception becomes *that* profile's failure (`TIMEOUT`,
`ENRICHMENT_ERROR`); nothing cancels siblings (no TaskGroup). Shared work (MX
lookups, SMTP sessions per domain) belongs to the batch's `VerificationHub`,
and everything the batch started is cancelled and awaited before it returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from email_validator import EmailNotValidError, validate_email

from talentscout.config import Settings
from talentscout.engine.profile import ProfileDoc
from talentscout.enrichment.assemble import AddressEvidence, EmailDetail, assemble
from talentscout.enrichment.candidate import candidate_from_profile
from talentscout.enrichment.domains import MailDomain, split_address
from talentscout.enrichment.learn import QUALITY
from talentscout.enrichment.names import NameVariant, name_tokens, variants
from talentscout.enrichment.patterns import PatternModel, guesses, match_local
from talentscout.enrichment.portfolio import (
    PageResult,
    Portfolio,
    PortfolioFetcher,
    belongs_to_person,
    page_domain,
    pick_pages,
)
from talentscout.enrichment.suppression import SuppressionSet
from talentscout.enrichment.verify import Outcome, SmtpVerdict, VerificationHub
from talentscout.kit.clock import iso_ms, utcnow

log = structlog.get_logger("talentscout.enrichment")

FaultHook = Callable[[ProfileDoc], Awaitable[None]]
# Test seam (product code, like the loopback fakes): profile id → coroutine awaited at the start of
# that profile's pipeline, inside its deadline. Lets tests make a profile hang or raise.
TEST_HOOKS: dict[str, FaultHook] = {}
GUESS_LIMIT = 5


@dataclass(frozen=True)
class Feedback:
    domain: str
    pattern: str
    positive: float = 0.0
    negative: float = 0.0


@dataclass
class ProfileOutcome:
    profile_id: str
    success: bool
    candidate: dict[str, Any] | None = None
    evidence: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    reason: str | None = None
    duration_ms: int = 0
    feedback: list[Feedback] = field(default_factory=list)
    greylisted: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class BatchContext:
    """Everything a batch needs that comes from the database, loaded before the clocks start."""

    settings: Settings
    network: bool  # False for test keys: no outbound calls at all
    domains: Mapping[str, list[MailDomain]]  # profile id → company mail domains
    models: Mapping[str, PatternModel]
    suppressions: SuppressionSet
    previous: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # profile id → sourcing candidate
    blocked: Callable[[list[str]], Awaitable[set[str]]] | None = None  # suppressed addresses by hash


def _valid_address(address: str, *, allow_test: bool = False) -> bool:
    """Syntax only. `allow_test` admits the reserved `.test` TLD (when configured as a suffix)."""
    try:
        validate_email(address, check_deliverability=False, test_environment=allow_test)
    except EmailNotValidError:
        return False
    return True


class _Runner:
    def __init__(self, ctx: BatchContext, hub: VerificationHub, fetcher: PortfolioFetcher | None) -> None:
        self.ctx = ctx
        self.s = ctx.settings
        self.hub = hub
        self.fetcher = fetcher
        allow_test = "test" in ctx.settings.enrichment_extra_suffixes
        self.valid: Callable[[str], bool] = lambda address: _valid_address(address, allow_test=allow_test)

    async def guarded(self, doc: ProfileDoc) -> ProfileOutcome:
        """Run one profile; its timeout or exception becomes its own failed outcome."""
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        limit = self.s.enrichment_profile_timeout_seconds
        try:
            async with asyncio.timeout_at(loop.time() + limit):
                outcome = await self._one(doc, loop.time())
        except TimeoutError:
            outcome = ProfileOutcome(
                doc.profile_id, False, error_code="TIMEOUT", error_message=f"Enrichment exceeded {limit:g} s."
            )
        except Exception as exc:
            log.warning("enrichment.profile_failed", profile_id=doc.profile_id, error=type(exc).__name__)
            outcome = ProfileOutcome(
                doc.profile_id,
                False,
                error_code="ENRICHMENT_ERROR",
                error_message="Enrichment failed for this profile.",
            )
        finally:
            self.hub.withdraw(doc.profile_id)
        outcome.duration_ms = int((time.perf_counter() - started) * 1000)
        return outcome

    async def _one(self, doc: ProfileDoc, start: float) -> ProfileOutcome:
        limit = self.s.enrichment_profile_timeout_seconds
        gather_at = start + limit * self.s.enrichment_gather_fraction
        verify_at = start + limit * self.s.enrichment_verify_fraction
        hook = TEST_HOOKS.get(doc.profile_id)
        if hook is not None:
            await hook(doc)
        pid = doc.profile_id
        names = variants(doc.name)
        domains = [
            d for d in self.ctx.domains.get(pid, []) if not self.ctx.suppressions.domain_blocked(d.domain)
        ]
        for d in domains:
            self.hub.expect(d.domain, pid)
            self.hub.prefetch(d.domain)
        portfolio = await self._portfolio(doc, gather_at)
        evidence = self._candidates(doc, names, domains, portfolio)
        evidence = await self._drop_suppressed(evidence, verify_at)
        await self._verify(pid, evidence, domains, verify_at)
        now = utcnow()
        emails, details = assemble(list(evidence.values()), now)
        candidate = candidate_from_profile(doc, self.ctx.previous.get(pid))
        candidate["emails"] = emails
        candidate["emailDetails"] = [d.as_json() for d in details]
        candidate["portfolio"] = {
            "urls": [p.final_url or p.url for p in portfolio.pages if p.status == "ok"],
            "checkedAt": iso_ms(now) if portfolio.pages else None,
            "pages": [{"url": p.url, "status": p.status} for p in portfolio.pages],  # extension
        }
        candidate["enrichedAt"] = iso_ms(now)
        outcome = ProfileOutcome(
            pid, True, candidate=candidate, evidence={a: ev.snapshot() for a, ev in evidence.items()}
        )
        outcome.feedback = self._feedback(evidence, details, names)
        for detail in details:
            if detail.reason == "greylisted":
                outcome.greylisted.setdefault(split_address(detail.email)[1], []).append(detail.email)
        return outcome

    async def _portfolio(self, doc: ProfileDoc, until: float) -> Portfolio:
        portfolio = Portfolio()
        if self.fetcher is None:
            return portfolio
        urls = pick_pages(doc.links, self.s.enrichment_portfolio_max_pages)
        if not urls:
            return portfolio
        loop = asyncio.get_running_loop()
        deadline = min(until, loop.time() + self.s.enrichment_portfolio_timeout_seconds)
        tasks = [asyncio.create_task(self.fetcher.fetch_page(u), name=f"enrich-page:{u[:60]}") for u in urls]
        try:
            await asyncio.wait(tasks, timeout=max(0.0, deadline - loop.time()))
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for url, task in zip(urls, tasks, strict=True):
            if task.cancelled() or task.exception() is not None:
                portfolio.pages.append(PageResult(url=url, status="timeout" if task.cancelled() else "error"))
            else:
                portfolio.pages.append(task.result())
        portfolio.urls = [p.url for p in portfolio.pages]
        return portfolio

    def _candidates(
        self, doc: ProfileDoc, names: list[NameVariant], domains: list[MailDomain], portfolio: Portfolio
    ) -> dict[str, AddressEvidence]:
        evidence: dict[str, AddressEvidence] = {}
        extra = tuple(self.s.enrichment_extra_suffixes)
        tokens = name_tokens(doc.name)
        company = [d.domain for d in domains]
        for found in portfolio.emails:
            if not self.valid(found.address):
                continue
            if belongs_to_person(found.address, tokens, page_domain(found.url, extra), company):
                evidence.setdefault(found.address, AddressEvidence(found.address)).published.append(
                    (found.how, found.url)
                )
        for email in doc.emails:
            if "github" in email.source and not self.s.enrichment_use_github_emails:
                continue  # GitHub's terms: not for unsolicited recruiting email
            address = email.address.strip().lower()
            if self.valid(address):
                evidence.setdefault(address, AddressEvidence(address)).known_sources.append(email.source)
        weighted = [(d.domain, d.weight) for d in domains if d.domain in self.ctx.models]
        for guess in guesses(names, weighted, self.ctx.models, valid=self.valid, limit=GUESS_LIMIT):
            ev = evidence.setdefault(guess.address, AddressEvidence(guess.address))
            ev.guess_score = guess.score
        # Every address at a modelled domain gets its pattern (guesses and confirmations alike).
        for address, ev in evidence.items():
            local, domain = split_address(address)
            model = self.ctx.models.get(domain)
            if model is None:
                continue
            match = match_local(local, names)
            if match is not None:
                best = max(match.patterns, key=lambda p: model.probs.get(p, 0.0))
                ev.pattern, ev.pattern_prob = best, model.probs.get(best, 0.0)
                ev.pattern_strength, ev.pattern_observations = model.strength, model.observations
        return evidence

    async def _drop_suppressed(
        self, evidence: dict[str, AddressEvidence], until: float
    ) -> dict[str, AddressEvidence]:
        kept = {a: ev for a, ev in evidence.items() if not self.ctx.suppressions.address_blocked(a)}
        if self.ctx.blocked is not None and kept:
            try:
                async with asyncio.timeout_at(until):
                    blocked = await self.ctx.blocked(list(kept))
            except TimeoutError:
                # Cannot prove they are not suppressed: fail closed.
                return {}
            kept = {a: ev for a, ev in kept.items() if a not in blocked}
        return kept

    async def _verify(
        self, pid: str, evidence: dict[str, AddressEvidence], domains: list[MailDomain], until: float
    ) -> None:
        ranked = sorted(
            evidence.values(),
            key=lambda ev: (not ev.published, not ev.known_sources, -ev.guess_score, ev.address),
        )
        chosen = ranked[: self.s.enrichment_smtp_verify_top]
        by_domain: dict[str, list[str]] = {}
        for ev in chosen:
            by_domain.setdefault(split_address(ev.address)[1], []).append(ev.address)
        for d in domains:
            if d.domain not in by_domain:
                self.hub.withdraw(pid, d.domain)
        if by_domain:
            results = await asyncio.gather(
                *(self.hub.verify(pid, domain, emails, until) for domain, emails in by_domain.items())
            )
            for verdicts in results:
                for address, verdict in verdicts.items():
                    evidence[address].verdict = verdict
        for ev in evidence.values():
            domain = split_address(ev.address)[1]
            info = self.hub.done_domain(domain)
            ev.domain_info = info
            if ev.verdict is None:
                ev.verdict = self.hub.dns_verdict(domain) or SmtpVerdict(
                    Outcome.NOT_ATTEMPTED if self.hub.network else Outcome.DISABLED,
                    "not verified" if self.hub.network else "no outbound calls for test keys",
                    utcnow(),
                )

    def _feedback(
        self, evidence: dict[str, AddressEvidence], details: Sequence[EmailDetail], names: list[NameVariant]
    ) -> list[Feedback]:
        out: list[Feedback] = []
        for detail in details:
            ev = evidence[detail.email]
            local, domain = split_address(detail.email)
            match = match_local(local, names)
            if match is None:
                continue
            share = 1.0 / len(match.patterns)
            if detail.status == "valid":
                weight = QUALITY["page"] if ev.published else QUALITY["valid"]
                out += [Feedback(domain, p, positive=weight * share) for p in match.patterns]
            elif ev.published and detail.status != "invalid":
                out += [Feedback(domain, p, positive=QUALITY["page"] * share) for p in match.patterns]
            elif detail.status == "invalid" and detail.reason == "mailbox_not_found" and ev.pattern:
                out.append(Feedback(domain, ev.pattern, negative=1.0))
        return out


def _resolver(hub: VerificationHub) -> Any:
    # Portfolio hosts resolve through the configured DNS when one is set (tests, split-horizon setups).
    if hub.dns is not None and hub.settings.enrichment_dns_nameservers:
        return hub.dns.resolve_for_fetch
    return None


async def enrich_batch(
    docs: Sequence[ProfileDoc], ctx: BatchContext, *, hub: VerificationHub | None = None
) -> list[ProfileOutcome]:
    """Enrich `docs` concurrently and in isolation; one outcome per doc, in order."""
    s = ctx.settings
    hub = hub or VerificationHub(s, network=ctx.network)
    fetcher = (
        PortfolioFetcher(
            allow_private=s.enrichment_fetch_allow_private,
            max_bytes=s.enrichment_portfolio_max_bytes,
            robots_max_bytes=s.enrichment_robots_max_bytes,
            user_agent=s.enrichment_user_agent,
            resolver=_resolver(hub),
            extra_suffixes=tuple(s.enrichment_extra_suffixes),
            use_github_emails=s.enrichment_use_github_emails,
        )
        if ctx.network
        else None
    )
    runner = _Runner(ctx, hub, fetcher)
    tasks = [asyncio.create_task(runner.guarded(doc), name=f"enrich:{doc.profile_id}") for doc in docs]
    try:
        if tasks:
            await asyncio.wait(tasks)
        return [t.result() for t in tasks]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await hub.aclose()
        if fetcher is not None:
            await fetcher.aclose()
