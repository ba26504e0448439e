"""Mail DNS: MX lookup with null-MX / NXDOMAIN / implicit-MX / SERVFAIL handling, and host addresses.

dnspython's async resolver is pointed at the configured nameservers and port
(`TALENTSCOUT_ENRICHMENT_DNS_NAMESERVERS`, `…_DNS_PORT`; empty = resolv.conf),
so tests run against a loopback dnslib server. Its own cache is off: callers
cache MX answers by TTL (`enrichment.verify`), and a resolver-level cache would
hide the TTL from them.

Outcomes (RFC 5321 §5.1, RFC 7505):
- `ok`: MX hosts in preference order (ties keep answer order);
- `null_mx`: a single `0 .` record — the domain accepts no mail;
- `nxdomain`: the domain does not exist;
- `implicit`: no MX but the domain has A/AAAA — it is its own mail host;
- `no_mail`: neither MX nor address records;
- `error`: SERVFAIL, refused or timeout — nothing can be concluded.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

MxStatus = Literal["ok", "null_mx", "nxdomain", "implicit", "no_mail", "error"]


@dataclass(frozen=True)
class MxHost:
    preference: int
    host: str  # lowercase, no trailing dot


@dataclass(frozen=True)
class MxResult:
    """What DNS says about a mail domain; `ttl` is how long the answer may be cached (seconds)."""

    domain: str
    status: MxStatus
    hosts: tuple[MxHost, ...] = ()
    ttl: float = 0.0
    error: str | None = None
    detail: list[str] = field(default_factory=list)

    @property
    def accepts_mail(self) -> bool:
        return self.status in ("ok", "implicit")


class MailDns:
    """Async MX and address lookups through one configured resolver."""

    def __init__(self, nameservers: list[str], port: int, timeout: float) -> None:
        self.resolver = dns.asyncresolver.Resolver(configure=not nameservers)
        if nameservers:
            self.resolver.nameservers = list(nameservers)
        self.resolver.port = port
        # `lifetime` bounds the whole query including retries to other servers.
        self.resolver.timeout = timeout
        self.resolver.lifetime = timeout
        self.resolver.cache = None

    async def mx(self, domain: str) -> MxResult:
        """Look up `domain`'s mail hosts (see module docstring for the outcomes)."""
        domain = domain.lower().rstrip(".")
        try:
            answer = await self.resolver.resolve(domain, "MX", raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return MxResult(domain, "nxdomain", ttl=300.0)
        except (dns.resolver.NoNameservers, dns.exception.Timeout, dns.resolver.YXDOMAIN) as exc:
            return MxResult(domain, "error", error=_describe(exc))
        except dns.exception.DNSException as exc:
            return MxResult(domain, "error", error=_describe(exc))
        rrset = answer.rrset
        if rrset is None or len(rrset) == 0:
            return await self._implicit(domain)
        hosts: list[MxHost] = []
        for rdata in rrset:
            target = rdata.exchange.to_text(omit_final_dot=True).lower()
            hosts.append(MxHost(int(rdata.preference), target or "."))
        if len(hosts) == 1 and hosts[0].host in (".", "") and hosts[0].preference == 0:
            return MxResult(domain, "null_mx", ttl=float(rrset.ttl))
        # A null MX mixed with real ones is a misconfiguration: ignore the null entry.
        usable = sorted((h for h in hosts if h.host not in (".", "")), key=lambda h: h.preference)
        if not usable:
            return MxResult(domain, "null_mx", ttl=float(rrset.ttl))
        return MxResult(domain, "ok", tuple(usable), ttl=float(rrset.ttl))

    async def _implicit(self, domain: str) -> MxResult:
        addresses, ttl, error = await self._addresses(domain)
        if addresses:
            return MxResult(domain, "implicit", (MxHost(0, domain),), ttl=ttl)
        if error is not None:
            return MxResult(domain, "error", error=error)
        return MxResult(domain, "no_mail", ttl=ttl or 300.0)

    async def addresses(self, host: str) -> list[str]:
        """A then AAAA addresses of `host` (empty when it has none or DNS fails)."""
        found, _ttl, _error = await self._addresses(host)
        return found

    async def _addresses(self, host: str) -> tuple[list[str], float, str | None]:
        host = host.lower().rstrip(".")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return [str(literal)], 0.0, None
        found: list[str] = []
        ttl = 0.0
        error: str | None = None
        for rdtype in ("A", "AAAA"):
            try:
                answer = await self.resolver.resolve(host, rdtype, raise_on_no_answer=False)
            except dns.resolver.NXDOMAIN:
                return [], 300.0, None
            except dns.exception.DNSException as exc:
                error = _describe(exc)
                continue
            if answer.rrset is not None:
                ttl = float(answer.rrset.ttl)
                found.extend(r.address for r in answer.rrset)
        return found, ttl, (error if not found else None)

    async def resolve_for_fetch(self, host: str, port: int) -> list[str]:
        """`kit.ssrf.Resolver` signature: portfolio fetches resolve through the same DNS."""
        found = await self.addresses(host)
        if not found:
            raise OSError(f"{host} does not resolve")
        return found


def _describe(exc: BaseException) -> str:
    if isinstance(exc, dns.exception.Timeout):
        return "timeout"
    if isinstance(exc, dns.resolver.NoNameservers):
        return "servfail"
    return type(exc).__name__
