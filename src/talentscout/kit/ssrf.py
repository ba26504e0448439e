"""SSRF guard for customer-supplied URLs (webhook targets today, portfolio fetches later).

The guard parses a URL once, resolves its host once through the event loop's
`getaddrinfo`, classifies *every* answer with its own table of special ranges
and hands back the checked addresses. Callers must connect to one of those
addresses (keeping the original host name for `Host` and TLS SNI): resolving
again at connect time would reopen the DNS-rebinding hole the check closes.

Why our own classifier: `ipaddress.is_global` on Python 3.11 treats multicast,
NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) addresses as global, and knows
nothing about cloud metadata endpoints. Addresses that embed an IPv4 address
(IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) are judged by the address
they embed, so `::ffff:127.0.0.1` is loopback and `2002:a9fe:a9fe::` is metadata.

Host spellings that resolvers accept but URL parsers disagree on (`127.1`,
`2130706433`, `0x7f000001`, `0177.0.0.1`) are decoded the way `inet_aton` does
and then refused outright: only canonical dotted quads are accepted as IPv4
literals, so no two components can ever disagree about the destination.
"""

from __future__ import annotations

import asyncio
import enum
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# `resolver(host, port)` → the addresses a name resolves to (tests inject one; DNS by default).
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

MAX_URL_LENGTH = 2048


class Category(enum.StrEnum):
    """Why an address is (not) acceptable as a destination."""

    PUBLIC = "public"
    LOOPBACK = "loopback"
    PRIVATE = "private"
    CGNAT = "cgnat"
    LINK_LOCAL = "link-local"
    METADATA = "metadata"
    MULTICAST = "multicast"
    UNSPECIFIED = "unspecified"
    BROADCAST = "broadcast"
    RESERVED = "reserved"
    DOCUMENTATION = "documentation"


# Reachable in development only (TALENTSCOUT_WEBHOOKS_ALLOW_PRIVATE): a local receiver, a LAN, a VPN.
DEV_ALLOWED = frozenset({Category.PUBLIC, Category.LOOPBACK, Category.PRIVATE, Category.CGNAT})


@dataclass(frozen=True)
class Verdict:
    """The classification of one address; `via` names the embedding form that was unwrapped."""

    address: IPAddress
    category: Category
    via: str | None = None

    @property
    def description(self) -> str:
        suffix = f" (via {self.via} {self.address})" if self.via else f" ({self.address})"
        return f"{self.category.value}{suffix}"


class SsrfError(ValueError):
    """The URL is malformed, not allowed, or resolves to a forbidden address."""

    def __init__(self, reason: str, verdict: Verdict | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.verdict = verdict


@dataclass(frozen=True)
class CheckedTarget:
    """A URL whose every resolved address passed the guard.

    `host` is the ASCII (IDNA) host name for `Host`/SNI, `host_header` adds a
    non-default port; `addresses` are the checked addresses, in resolver order.
    """

    url: str
    scheme: str
    host: str
    port: int
    host_header: str
    addresses: tuple[IPAddress, ...]

    def url_for(self, address: IPAddress) -> httpx.URL:
        """The URL with the host replaced by `address`, so no further DNS lookup can happen."""
        return httpx.URL(self.url).copy_with(host=str(address))


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Cloud metadata and platform endpoints: never reachable, not even in development.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean …
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "168.63.129.16",  # Azure WireServer (a public-looking address)
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",  # AWS VPC DNS over IPv6
    )
)

_V4_TABLE: tuple[tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], Category], ...] = (
    (_nets("255.255.255.255/32"), Category.BROADCAST),
    (_nets("0.0.0.0/8"), Category.UNSPECIFIED),
    (_nets("127.0.0.0/8"), Category.LOOPBACK),
    (_nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"), Category.PRIVATE),
    (_nets("100.64.0.0/10"), Category.CGNAT),
    (_nets("169.254.0.0/16"), Category.LINK_LOCAL),
    (_nets("224.0.0.0/4"), Category.MULTICAST),
    (_nets("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"), Category.DOCUMENTATION),
    (
        # IETF protocol assignments, 6to4 relay anycast, benchmarking, class E.
        _nets("192.0.0.0/24", "192.88.99.0/24", "198.18.0.0/15", "240.0.0.0/4"),
        Category.RESERVED,
    ),
)

_V6_TABLE: tuple[tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], Category], ...] = (
    (_nets("::/128"), Category.UNSPECIFIED),
    (_nets("::1/128"), Category.LOOPBACK),
    (_nets("fc00::/7"), Category.PRIVATE),
    (_nets("fe80::/10", "fec0::/10"), Category.LINK_LOCAL),
    (_nets("ff00::/8"), Category.MULTICAST),
    (_nets("2001:db8::/32", "3fff::/20"), Category.DOCUMENTATION),
    (
        # Local-use NAT64, discard-only, IETF protocol assignments (incl. ORCHID, benchmarking), SRv6.
        _nets("64:ff9b:1::/48", "100::/64", "2001::/23", "5f00::/16"),
        Category.RESERVED,
    ),
)
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


def _lookup(
    address: IPAddress,
    table: tuple[tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...], Category], ...],
) -> Category | None:
    for networks, category in table:
        if any(address in net for net in networks):
            return category
    return None


def _classify_v4(address: ipaddress.IPv4Address) -> Category:
    if address in METADATA_ADDRESSES:
        return Category.METADATA
    return _lookup(address, _V4_TABLE) or Category.PUBLIC


def _worst(verdicts: Sequence[Verdict]) -> Verdict:
    """The first non-public verdict, else the first one."""
    return next((v for v in verdicts if v.category is not Category.PUBLIC), verdicts[0])


def classify(address: IPAddress | str) -> Verdict:
    """Classify one address; embedded IPv4 forms are judged by what they embed."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    if isinstance(address, ipaddress.IPv4Address):
        return Verdict(address, _classify_v4(address))
    if address.scope_id:
        # A zone index pins the address to a local interface.
        return Verdict(address, Category.LINK_LOCAL)
    if address in METADATA_ADDRESSES:
        return Verdict(address, Category.METADATA)
    embedded: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.ipv4_mapped is not None:
        embedded.append(("IPv4-mapped", address.ipv4_mapped))
    elif address in _NAT64:
        embedded.append(("NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    elif address.sixtofour is not None:
        embedded.append(("6to4", address.sixtofour))
    elif address.teredo is not None:
        server, client = address.teredo
        embedded += [("Teredo server", server), ("Teredo client", client)]
    elif address in _V4_COMPATIBLE and int(address) > 1:
        embedded.append(("IPv4-compatible", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
    if embedded:
        inner = [Verdict(v4, _classify_v4(v4), via) for via, v4 in embedded]
        worst = _worst(inner)
        if worst.category is not Category.PUBLIC:
            return worst
        if worst.via == "IPv4-compatible":  # deprecated form, never routed
            return Verdict(address, Category.RESERVED)
        return Verdict(address, Category.PUBLIC)
    category = _lookup(address, _V6_TABLE)
    if category is not None:
        return Verdict(address, category)
    if address not in _V6_GLOBAL_UNICAST:
        # Everything outside 2000::/3 is unassigned or special: refuse by default.
        return Verdict(address, Category.RESERVED)
    return Verdict(address, Category.PUBLIC)


def is_allowed(verdict: Verdict, *, allow_private: bool) -> bool:
    if verdict.category is Category.PUBLIC:
        return True
    return allow_private and verdict.category in DEV_ALLOWED


_NUMERIC_LABEL = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")


def _parse_inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """Decode the legacy `inet_aton` spellings (1–4 parts; decimal, octal `0…`, hex `0x…`).

    Returns None when `host` is not numeric at all; raises SsrfError when it is
    numeric but not a valid address (WHATWG treats such hosts as IPv4 too).
    """
    labels = host.split(".")
    if not labels or not _NUMERIC_LABEL.match(labels[-1]):
        return None
    if len(labels) > 4 or not all(_NUMERIC_LABEL.match(label) for label in labels):
        raise SsrfError(f"host {host!r} is not a valid IPv4 address")
    values: list[int] = []
    for label in labels:
        if label[:2].lower() == "0x":
            values.append(int(label[2:] or "0", 16))
        elif len(label) > 1 and label.startswith("0"):
            if not all(c in "01234567" for c in label):
                raise SsrfError(f"host {host!r} is not a valid IPv4 address")
            values.append(int(label, 8))
        else:
            values.append(int(label))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        raise SsrfError(f"host {host!r} is not a valid IPv4 address")
    number = last
    for i, v in enumerate(head):
        number |= v << (24 - 8 * i)
    return ipaddress.IPv4Address(number)


@dataclass(frozen=True)
class ParsedTarget:
    url: str
    scheme: str
    host: str  # ASCII host, no trailing dot, no brackets
    port: int
    host_header: str
    literal: IPAddress | None


def parse_url(url: str, *, allow_private: bool = False) -> ParsedTarget:
    """Syntax and policy checks that need no DNS: scheme, credentials, port, IP literals."""
    if len(url) > MAX_URL_LENGTH:
        raise SsrfError(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 or c == "\\" for c in url):
        raise SsrfError("URL contains whitespace, control characters or backslashes")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise SsrfError(f"URL is not valid: {exc}") from exc
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in allowed_schemes:
        raise SsrfError("URL must use https" if not allow_private else "URL must use http or https")
    if parsed.userinfo:
        raise SsrfError("credentials in the URL are not allowed; send them as a custom header")
    host = parsed.raw_host.decode("ascii").lower()
    if host.endswith("."):
        host = host[:-1]  # `example.com.` is the same name; the check must see it too
    if not host:
        raise SsrfError("URL has no host")
    port = parsed.port if parsed.port is not None else (443 if parsed.scheme == "https" else 80)
    if not 0 < port < 65536:
        raise SsrfError("URL port is out of range")
    literal: IPAddress | None = None
    if ":" in host or host.startswith("["):
        if "%" in host:
            raise SsrfError("IPv6 zone identifiers are not allowed")
        try:
            literal = ipaddress.IPv6Address(host.strip("[]"))
        except ValueError as exc:
            raise SsrfError(f"host {host!r} is not a valid IPv6 address") from exc
    else:
        decoded = _parse_inet_aton(host)
        if decoded is not None:
            if host != str(decoded):
                # Refuse every non-canonical spelling, but say what it would have reached.
                verdict = classify(decoded)
                raise SsrfError(
                    f"host {host!r} is a non-canonical IPv4 spelling of {decoded} ({verdict.category.value})",
                    verdict,
                )
            literal = decoded
        elif (host == "localhost" or host.endswith(".localhost")) and not allow_private:
            # RFC 6761: always loopback, whatever a resolver might claim.
            raise SsrfError(
                f"host {host!r} is loopback",
                Verdict(ipaddress.ip_address("127.0.0.1"), Category.LOOPBACK),
            )
        if any(not label for label in host.split(".")):
            raise SsrfError(f"host {host!r} has an empty label")
    default_port = 443 if parsed.scheme == "https" else 80
    bracketed = f"[{host}]" if isinstance(literal, ipaddress.IPv6Address) else host
    host_header = bracketed if port == default_port else f"{bracketed}:{port}"
    return ParsedTarget(url, parsed.scheme, host, port, host_header, literal)


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve through the running loop's `getaddrinfo` (threaded, does not block the loop)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in seen:
            seen.append(addr)
    return seen


def check_address(address: IPAddress, *, allow_private: bool) -> Verdict:
    verdict = classify(address)
    if not is_allowed(verdict, allow_private=allow_private):
        raise SsrfError(f"address is not public: {verdict.description}", verdict)
    return verdict


async def resolve_and_check(
    url: str, *, allow_private: bool = False, resolver: Resolver | None = None
) -> CheckedTarget:
    """Parse, resolve once and classify every answer; raise SsrfError if any is forbidden.

    One forbidden answer rejects the whole name: otherwise a name answering both a
    public and a private address would let the caller's choice decide.
    """
    target = parse_url(url, allow_private=allow_private)
    if target.literal is not None:
        check_address(target.literal, allow_private=allow_private)
        addresses: tuple[IPAddress, ...] = (target.literal,)
    else:
        try:
            raw = await (resolver or system_resolver)(target.host, target.port)
        except (OSError, UnicodeError) as exc:
            raise SsrfError(f"host {target.host!r} does not resolve: {exc}") from exc
        parsed_addresses: list[IPAddress] = []
        for item in raw:
            try:
                parsed_addresses.append(ipaddress.ip_address(item))
            except ValueError as exc:
                raise SsrfError(f"resolver returned an invalid address {item!r}") from exc
        if not parsed_addresses:
            raise SsrfError(f"host {target.host!r} does not resolve")
        for address in parsed_addresses:
            try:
                check_address(address, allow_private=allow_private)
            except SsrfError as exc:
                raise SsrfError(
                    f"host {target.host!r} resolves to a forbidden address: {exc.reason}", exc.verdict
                ) from exc
        addresses = tuple(parsed_addresses)
    return CheckedTarget(
        url=url,
        scheme=target.scheme,
        host=target.host,
        port=target.port,
        host_header=target.host_header,
        addresses=addresses,
    )
