"""Scoring and assembly: evidence per address → status, reason, confidence, flags, sources (§5).

Confidence adds evidence in log-odds — the pattern probability (for guesses),
self-publication, the index, the DNS and SMTP results — and is then capped by
status: valid ≤ 99, accept_all ≤ 70, guessed ≤ 40, unknown ≤ 75 (≤ 40 when the
only evidence is a pattern guess), invalid = 0. `emails` lists the non-invalid
addresses best first; role and disposable addresses are never first.
Pure; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from talentscout.enrichment.domains import is_disposable, is_role, is_webmail, split_address
from talentscout.enrichment.verify import DomainInfo, Outcome, SmtpVerdict
from talentscout.kit.clock import iso_ms

CAPS = {"valid": 99, "accept_all": 70, "guessed": 40, "unknown": 75, "invalid": 0}
GUESS_UNKNOWN_CAP = 40
_UNKNOWN_REASONS = {
    Outcome.GREYLISTED: "greylisted",
    Outcome.BLOCKED: "blocked",
    Outcome.TEMPFAIL: "tempfail",
    Outcome.TIMEOUT: "timeout",
    Outcome.UNAVAILABLE: "smtp_unavailable",
    Outcome.UNVERIFIABLE: "provider_unverifiable",
    Outcome.DNS_ERROR: "dns_error",
    Outcome.FULL: "full_inbox",
}


@dataclass
class AddressEvidence:
    """Everything known about one candidate address of one person."""

    address: str
    published: list[tuple[str, str]] = field(default_factory=list)  # (how, url)
    known_sources: list[str] = field(default_factory=list)  # index email sources ("import", …)
    pattern: str | None = None
    pattern_prob: float = 0.0
    pattern_strength: str | None = None
    pattern_observations: int = 0
    guess_score: float = 0.0
    verdict: SmtpVerdict | None = None
    domain_info: DomainInfo | None = None

    @property
    def guess_only(self) -> bool:
        return not self.published and not self.known_sources

    def snapshot(self) -> dict[str, Any]:
        """The evidence without the verdict (JSON), to re-score after a re-check."""
        return {
            "published": [list(p) for p in self.published],
            "knownSources": list(self.known_sources),
            "pattern": self.pattern,
            "patternProb": self.pattern_prob,
            "patternStrength": self.pattern_strength,
            "patternObservations": self.pattern_observations,
            "guessScore": self.guess_score,
        }

    @staticmethod
    def restore(address: str, data: dict[str, Any]) -> AddressEvidence:
        return AddressEvidence(
            address=address,
            published=[(str(h), str(u)) for h, u in data.get("published") or []],
            known_sources=list(data.get("knownSources") or []),
            pattern=data.get("pattern"),
            pattern_prob=float(data.get("patternProb") or 0.0),
            pattern_strength=data.get("patternStrength"),
            pattern_observations=int(data.get("patternObservations") or 0),
            guess_score=float(data.get("guessScore") or 0.0),
        )


@dataclass(frozen=True)
class EmailDetail:
    email: str
    status: str
    reason: str | None
    confidence: int
    flags: dict[str, bool | None]
    sources: list[dict[str, Any]]
    verified_at: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "status": self.status,
            "reason": self.reason,
            "confidence": self.confidence,
            "flags": self.flags,
            "sources": self.sources,
            "verifiedAt": self.verified_at,
        }


def _logit(p: float) -> float:
    p = min(0.98, max(0.02, p))
    return math.log(p / (1 - p))


def status_of(ev: AddressEvidence) -> tuple[str, str | None]:
    v = ev.verdict.outcome if ev.verdict is not None else None
    if v is Outcome.NO_DOMAIN:
        return "invalid", "domain_not_found"
    if v is Outcome.NULL_MX:
        return "invalid", "null_mx"
    if v is Outcome.REJECTED:
        return "invalid", "mailbox_not_found"
    catch_all = ev.verdict.catch_all if ev.verdict is not None else None
    if v is Outcome.ACCEPTED:
        if catch_all is False or ev.published:
            return "valid", None
        return "accept_all", None
    if v is Outcome.CATCH_ALL:
        return ("valid", None) if ev.published else ("accept_all", None)
    if v is not None and v in _UNKNOWN_REASONS:
        return "unknown", _UNKNOWN_REASONS[v]
    # Not verified (not attempted, SMTP off, test key).
    if ev.guess_only:
        return "guessed", None
    return "unknown", "smtp_unavailable"


def confidence_of(ev: AddressEvidence, status: str) -> int:
    if status == "invalid":
        return 0
    score = _logit(ev.pattern_prob) if ev.guess_only else -1.0
    if ev.published:
        score += 3.0
    if ev.known_sources:
        score += 2.0 if "import" in ev.known_sources else 1.0
    if ev.pattern and not ev.guess_only:
        score += 0.5  # the address also fits the domain's scheme
    info = ev.domain_info
    if info is not None:
        score += 0.3 if info.mx.status == "ok" else (-0.3 if info.mx.status == "implicit" else 0.0)
    v = ev.verdict.outcome if ev.verdict is not None else None
    if v is Outcome.ACCEPTED:
        score += 4.5 if ev.verdict is not None and ev.verdict.catch_all is False else 0.7
    elif v is Outcome.CATCH_ALL:
        score += 0.7
    elif v is Outcome.FULL:
        score += 1.0  # the mailbox exists
    cap = CAPS[status]
    if status == "unknown" and ev.guess_only:
        cap = GUESS_UNKNOWN_CAP
    value = round(100 / (1 + math.exp(-score)))
    return max(1, min(cap, value))


def _sources(ev: AddressEvidence, at: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for how, url in ev.published:
        label = {
            "mailto": "mailto link",
            "text": "address in page text",
            "obfuscated": "obfuscated address",
        }.get(how, how)
        out.append(
            {"kind": "page", "detail": f"{label} on a page the profile links to", "uri": url, "at": at}
        )
    for source in ev.known_sources:
        out.append({"kind": "index", "detail": f"known in the candidate index (source: {source})", "at": at})
    if ev.pattern:
        _local, domain = split_address(ev.address)
        detail = (
            f"{ev.pattern}@{domain}: P={ev.pattern_prob:.2f} ({ev.pattern_strength or 'weak'} pattern, "
            f"{ev.pattern_observations} known addresses)"
        )
        out.append({"kind": "pattern", "detail": detail, "at": at})
    info = ev.domain_info
    if info is not None and info.mx.status != "ok":
        out.append({"kind": "dns", "detail": f"MX lookup: {info.mx.status}", "at": at})
    if ev.verdict is not None and ev.verdict.outcome not in (Outcome.NOT_ATTEMPTED,):
        kind = (
            "dns" if ev.verdict.outcome in (Outcome.NO_DOMAIN, Outcome.NULL_MX, Outcome.DNS_ERROR) else "smtp"
        )
        detail = ev.verdict.detail + (" (cached)" if ev.verdict.cached else "")
        out.append({"kind": kind, "detail": detail, "at": iso_ms(ev.verdict.at)})
    return out


def assemble(evidence: list[AddressEvidence], now: datetime) -> tuple[list[str], list[EmailDetail]]:
    """(`emails`, `emailDetails`) for one person, best first."""
    at = iso_ms(now) or ""
    details: list[EmailDetail] = []
    for ev in evidence:
        status, reason = status_of(ev)
        _local, domain = split_address(ev.address)
        catch_all = None
        if ev.verdict is not None and ev.verdict.outcome in (Outcome.ACCEPTED, Outcome.CATCH_ALL):
            catch_all = ev.verdict.catch_all
        verified = ev.verdict is not None and ev.verdict.outcome not in (
            Outcome.NOT_ATTEMPTED,
            Outcome.DISABLED,
        )
        details.append(
            EmailDetail(
                email=ev.address,
                status=status,
                reason=reason,
                confidence=confidence_of(ev, status),
                flags={
                    "role": is_role(ev.address),
                    "disposable": is_disposable(domain),
                    "webmail": is_webmail(domain),
                    "catchAll": catch_all,
                },
                sources=_sources(ev, at),
                verified_at=iso_ms(ev.verdict.at) if verified and ev.verdict is not None else None,
            )
        )
    details.sort(
        key=lambda d: (
            d.status == "invalid",
            bool(d.flags["role"] or d.flags["disposable"]),
            -d.confidence,
            d.email,
        )
    )
    emails = [d.email for d in details if d.status != "invalid"]
    return emails, details


def rescore(
    candidate: dict[str, Any], evidence: dict[str, Any], verdicts: dict[str, SmtpVerdict], now: datetime
) -> dict[str, Any]:
    """`candidate` with the addresses in `verdicts` re-scored (greylist re-check); others kept."""
    details: list[dict[str, Any]] = [dict(d) for d in candidate.get("emailDetails") or []]
    at = iso_ms(now) or ""
    for i, detail in enumerate(details):
        verdict = verdicts.get(detail["email"])
        if verdict is None or detail["email"] not in evidence:
            continue
        ev = AddressEvidence.restore(detail["email"], evidence[detail["email"]])
        ev.verdict = verdict
        status, reason = status_of(ev)
        flags = dict(detail.get("flags") or {})
        if verdict.outcome in (Outcome.ACCEPTED, Outcome.CATCH_ALL):
            flags["catchAll"] = verdict.catch_all
        details[i] = {
            **detail,
            "status": status,
            "reason": reason,
            "confidence": confidence_of(ev, status),
            "flags": flags,
            "sources": [s for s in detail.get("sources") or [] if s.get("kind") != "smtp"]
            + [s for s in _sources(ev, at) if s.get("kind") == "smtp"],
            "verifiedAt": iso_ms(verdict.at),
        }
    details.sort(
        key=lambda d: (
            d["status"] == "invalid",
            bool(d["flags"].get("role") or d["flags"].get("disposable")),
            -int(d["confidence"]),
            d["email"],
        )
    )
    return {
        **candidate,
        "emailDetails": details,
        "emails": [d["email"] for d in details if d["status"] != "invalid"],
    }
