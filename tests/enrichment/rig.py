"""The loopback rig of ENRICHMENT.md §6: DNS, SMTP and personal-site servers in one background thread.

- DNS: a dnslib-encoded UDP server on 127.0.0.1:ephemeral serving a mutable `.test`
  zone, with per-name behaviours (SERVFAIL, slow, no answer).
- SMTP: aiosmtpd servers on several loopback IPs (127.0.0.2, .3, …) sharing one
  ephemeral port, each with a `Policy` (known mailboxes, catch-all, greylist, slow
  RCPT, blocked, 452 after N recipients, full inbox, disabled mailbox, Microsoft-style
  5.4.1, STARTTLS required with a test CA) and a per-session transcript; raw asyncio
  servers on the same port for a slow banner, 421 at banner, immediate close,
  garbage banner and half-open (accept, never speak).
- HTTP: a raw asyncio server for personal sites routed by Host header, with scripted
  pages (status, headers, body, delay, trickle, huge streamed body), recording requests.

Everything stays on 127.0.0.0/8. Product-quality test code: the benchmarks use it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from dnslib import AAAA, MX, QTYPE, RCODE, RR, A, DNSRecord

SMTP_IPS = [f"127.0.0.{i}" for i in range(2, 14)]


# ----------------------------------------------------------------------------- DNS


@dataclass
class Zone:
    mx: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    a: dict[str, list[str]] = field(default_factory=dict)
    servfail: set[str] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)
    silent: set[str] = field(default_factory=set)
    queries: list[tuple[str, str]] = field(default_factory=list)
    ttl: int = 300


class _DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self.transport: asyncio.DatagramTransport | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, data: bytes, addr: tuple[str, int]) -> None:
        request = DNSRecord.parse(data)
        name = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        zone = self.zone
        zone.queries.append((name, qtype))
        if name in zone.silent:
            return
        if name in zone.slow:
            await asyncio.sleep(zone.slow[name])
        reply = request.reply()
        if name in zone.servfail:
            reply.header.rcode = RCODE.SERVFAIL
        elif name not in zone.mx and name not in zone.a:
            reply.header.rcode = RCODE.NXDOMAIN
        elif qtype == "MX":
            for pref, host in zone.mx.get(name, []):
                reply.add_answer(
                    RR(name, QTYPE.MX, rdata=MX(host if host != "." else ".", pref), ttl=zone.ttl)
                )
        elif qtype in ("A", "AAAA"):
            for ip in zone.a.get(name, []):
                is_v6 = ipaddress.ip_address(ip).version == 6
                if is_v6 and qtype == "AAAA":
                    reply.add_answer(RR(name, QTYPE.AAAA, rdata=AAAA(ip), ttl=zone.ttl))
                elif not is_v6 and qtype == "A":
                    reply.add_answer(RR(name, QTYPE.A, rdata=A(ip), ttl=zone.ttl))
        if self.transport is not None:
            self.transport.sendto(reply.pack(), addr)


# ----------------------------------------------------------------------------- SMTP


@dataclass
class Policy:
    mailboxes: set[str] = field(default_factory=set)
    catch_all: bool = False
    greylist: bool = False  # first RCPT of each address → 451, later ones as usual
    slow_rcpt: float = 0.0
    blocked: bool = False  # 554 5.7.1 RBL at RCPT
    too_many_after: int | None = None  # 452 4.5.3 once this many RCPTs were seen in a session
    full: set[str] = field(default_factory=set)
    disabled: set[str] = field(default_factory=set)
    microsoft: bool = False  # unknown users get 550 5.4.1 … Access denied
    require_tls: bool = False


@dataclass
class SmtpSession:
    server: str
    commands: list[str] = field(default_factory=list)
    tls: bool = False

    def verbs(self) -> list[str]:
        return [c.split(" ", 1)[0].upper() for c in self.commands]

    def rcpts(self) -> list[str]:
        return [
            c.split(":", 1)[1].strip().strip("<>").lower()
            for c in self.commands
            if c.upper().startswith("RCPT")
        ]


class _Handler:
    def __init__(self, rig: Rig, ip: str) -> None:
        self.rig = rig
        self.ip = ip
        # Greylisting remembers (ip, recipient) across connections, like a real greylist daemon.
        self.greylisted = rig.greylisted.setdefault(ip, set())

    @property
    def policy(self) -> Policy:
        return self.rig.policies[self.ip]

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        p = self.policy
        addr = address.lower()
        if p.slow_rcpt:
            await asyncio.sleep(p.slow_rcpt)
        if p.too_many_after is not None and len(envelope.rcpt_tos) + server._rcpt_seen >= p.too_many_after:  # type: ignore[attr-defined]
            return "452 4.5.3 Too many recipients"
        server._rcpt_seen += 1  # type: ignore[attr-defined]
        if p.blocked:
            return "554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org"
        if p.greylist and addr not in self.greylisted:
            self.greylisted.add(addr)
            return "451 4.7.1 Greylisted, please try again later"
        if addr in p.full:
            return "552 5.2.2 Mailbox full"
        if addr in p.disabled:
            return "550 5.2.1 Mailbox disabled"
        if addr in p.mailboxes or p.catch_all:
            envelope.rcpt_tos.append(address)
            return "250 2.1.5 OK"
        if p.microsoft:
            return "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"
        return "550 5.1.1 User unknown"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "554 5.5.1 This rig never accepts data"


class _RecordingSMTP(SMTP):
    """aiosmtpd's server, recording each command of each session."""

    def __init__(self, rig: Rig, ip: str, **kw: Any) -> None:
        super().__init__(_Handler(rig, ip), **kw)  # type: ignore[arg-type]
        self.rig = rig
        self.ip = ip
        self.record = SmtpSession(ip)
        self._rcpt_seen = 0
        rig.sessions.append(self.record)

    async def _log(self, verb: str, arg: str | None) -> None:
        self.record.commands.append(f"{verb} {arg or ''}".strip())
        if verb == "STARTTLS":
            self.record.tls = True

    async def smtp_EHLO(self, hostname: str) -> None:
        await self._log("EHLO", hostname)
        await super().smtp_EHLO(hostname)

    async def smtp_HELO(self, hostname: str) -> None:
        await self._log("HELO", hostname)
        await super().smtp_HELO(hostname)

    async def smtp_STARTTLS(self, arg: str) -> None:
        await self._log("STARTTLS", arg)
        await super().smtp_STARTTLS(arg)

    async def smtp_MAIL(self, arg: str | None) -> None:
        await self._log("MAIL", arg)
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str | None) -> None:
        await self._log("RCPT", arg)
        await super().smtp_RCPT(arg)

    async def smtp_RSET(self, arg: str) -> None:
        self._rcpt_seen = 0
        await self._log("RSET", arg)
        await super().smtp_RSET(arg)

    async def smtp_DATA(self, arg: str) -> None:
        await self._log("DATA", arg)
        await super().smtp_DATA(arg)

    async def smtp_QUIT(self, arg: str) -> None:
        await self._log("QUIT", arg)
        await super().smtp_QUIT(arg)


RAW_BEHAVIOURS = ("slow_banner", "banner_421", "close", "garbage", "half_open")


# ----------------------------------------------------------------------------- HTTP


@dataclass
class Page:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float | None = None  # seconds between bytes of the body
    size: int | None = None  # stream this many bytes (body is repeated)


@dataclass
class HttpHit:
    host: str
    path: str


# ----------------------------------------------------------------------------- the rig


class Rig:
    """Start with `with Rig(tmp_path) as rig:`; mutate `zone`, `policies`, `raw`, `pages` freely."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.zone = Zone()
        self.policies: dict[str, Policy] = {ip: Policy() for ip in SMTP_IPS}
        self.raw: dict[str, str] = {}  # ip → raw behaviour (instead of aiosmtpd)
        self.sessions: list[SmtpSession] = []
        self.raw_connections: dict[str, int] = {}
        self.greylisted: dict[str, set[str]] = {}
        self.pages: dict[tuple[str, str], Page] = {}
        self.http_hits: list[HttpHit] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.dns_port = 0
        self.smtp_port = 0
        self.http_port = 0
        self.ca_file = tmp / "rig-ca.pem"
        self._servers: list[Any] = []
        self._tls = self._make_tls()
        self._writers: set[asyncio.StreamWriter] = set()

    # lifecycle --------------------------------------------------------------
    def __enter__(self) -> Rig:
        self.thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        self._call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def _call(self, coro: Coroutine[Any, Any, Any], timeout: float = 20) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _DnsProtocol(self.zone), local_addr=("127.0.0.1", 0)
        )
        self._servers.append(transport)
        self.dns_port = transport.get_extra_info("sockname")[1]
        port = 0
        for ip in SMTP_IPS:
            for _attempt in range(50):
                try:
                    server = await loop.create_server(self._protocol_factory(ip), ip, port)
                    break
                except OSError:
                    if ip != SMTP_IPS[0]:
                        raise
                    await asyncio.sleep(0.01)
            port = server.sockets[0].getsockname()[1]
            self._servers.append(server)
        self.smtp_port = port
        http = await asyncio.start_server(self._http, "127.0.0.1", 0)
        self._servers.append(http)
        self.http_port = http.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        for writer in list(self._writers):
            writer.close()
        for server in self._servers:
            server.close()
        for task in [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]:
            task.cancel()
        await asyncio.sleep(0)

    def _protocol_factory(self, ip: str) -> Callable[[], asyncio.Protocol]:
        def factory() -> asyncio.Protocol:
            behaviour = self.raw.get(ip)
            if behaviour is not None:
                return _RawSmtp(self, ip, behaviour)
            policy = self.policies[ip]
            return _RecordingSMTP(
                self,
                ip,
                hostname=f"mx-{ip}.rig.test",
                ident="rig",
                tls_context=self._tls if policy.require_tls else None,
                require_starttls=policy.require_tls,
                timeout=30,
            )

        return factory

    # TLS -----------------------------------------------------------------------
    def _make_tls(self) -> ssl.SSLContext:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        now = dt.datetime.now(dt.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rig test CA")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mx.tls.test")]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("mx.tls.test")]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        cert_file, key_file = self.tmp / "rig-cert.pem", self.tmp / "rig-key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(cert_file, key_file)
        return ctx

    # HTTP ---------------------------------------------------------------------
    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _method, path, _version = lines[0].split(" ", 2)
            headers = {
                k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)
            }
            host = headers.get("host", "").split(":")[0].lower()
            self.http_hits.append(HttpHit(host, path))
            page = self.pages.get((host, path)) or Page(status=404, body=b"not found")
            if page.delay:
                await asyncio.sleep(page.delay)
            length = page.size if page.size is not None else len(page.body)
            extra = "".join(f"{k}: {v}\r\n" for k, v in page.headers.items())
            writer.write(
                f"HTTP/1.1 {page.status} X\r\ncontent-type: text/html\r\ncontent-length: {length}\r\n{extra}"
                "connection: close\r\n\r\n".encode()
            )
            if page.trickle is not None:
                for i in range(length):
                    writer.write(page.body[i % len(page.body) : i % len(page.body) + 1])
                    await writer.drain()
                    await asyncio.sleep(page.trickle)
            elif page.size is not None:
                sent = 0
                chunk = (page.body * (65536 // max(1, len(page.body)) + 1))[:65536]
                while sent < page.size:
                    piece = chunk[: page.size - sent]
                    writer.write(piece)
                    await writer.drain()
                    sent += len(piece)
            else:
                writer.write(page.body)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    # helpers for tests -----------------------------------------------------------
    def add_mx(self, domain: str, *hosts: tuple[int, str, str]) -> None:
        """`add_mx("acme.test", (10, "mx1.acme.test", "127.0.0.2"))`: MX + A records."""
        self.zone.mx[domain] = [(pref, host) for pref, host, _ip in hosts]
        for _pref, host, ip in hosts:
            self.zone.a.setdefault(host, [])
            if ip not in self.zone.a[host]:
                self.zone.a[host].append(ip)

    def site(self, host: str, path: str, page: Page) -> str:
        self.zone.a.setdefault(host, ["127.0.0.1"])
        self.pages[(host, path)] = page
        return f"http://{host}:{self.http_port}{path}"

    def sessions_at(self, ip: str) -> list[SmtpSession]:
        return [s for s in self.sessions if s.server == ip]

    def reset_records(self) -> None:
        self.sessions.clear()
        self.http_hits.clear()
        self.zone.queries.clear()
        self.raw_connections.clear()

    def settings_overrides(self, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "enrichment_profile_timeout_seconds": 2.0,
            "enrichment_dns_nameservers": ["127.0.0.1"],
            "enrichment_dns_port": self.dns_port,
            "enrichment_dns_timeout_seconds": 0.4,
            "enrichment_smtp_port": self.smtp_port,
            "enrichment_smtp_helo_fqdn": "verifier.talentscout.test",
            "enrichment_smtp_mail_from": "verify@talentscout.test",
            "enrichment_smtp_connect_timeout_seconds": 0.5,
            "enrichment_smtp_command_timeout_seconds": 0.5,
            "enrichment_smtp_domain_interval_seconds": 0.0,
            "enrichment_fetch_allow_private": True,
            "enrichment_extra_suffixes": ["test"],
            "enrichment_portfolio_timeout_seconds": 0.4,
            "enrichment_portfolio_max_bytes": 64 * 1024,
            "enrichment_smtp_ca_file": self.ca_file,
        }
        base.update(extra)
        return base


class _RawSmtp(asyncio.Protocol):
    """Misbehaving servers: slow banner, 421 at banner, immediate close, garbage, half-open."""

    def __init__(self, rig: Rig, ip: str, behaviour: str) -> None:
        self.rig = rig
        self.ip = ip
        self.behaviour = behaviour
        self.transport: asyncio.Transport | None = None
        self.handle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.rig.raw_connections[self.ip] = self.rig.raw_connections.get(self.ip, 0) + 1
        assert self.transport is not None
        if self.behaviour == "close":
            self.transport.close()
        elif self.behaviour == "banner_421":
            self.transport.write(b"421 4.7.0 Too many connections from your IP, try later\r\n")
            self.transport.close()
        elif self.behaviour == "garbage":
            self.transport.write(b"\x00\xffHELLO? this is not smtp\r\n")
        elif self.behaviour == "slow_banner":
            self.handle = asyncio.get_running_loop().call_later(30, self._banner)
        # half_open: accept and never speak

    def _banner(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"220 slow.rig.test ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        pass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.handle is not None:
            self.handle.cancel()


def closed_port_ip() -> str:
    """A loopback IP with nothing listening on the rig's SMTP port (connection refused)."""
    return "127.0.0.99"


def wait_for(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
