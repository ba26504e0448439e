"""SMTP mailbox probing with aiosmtplib: one polite conversation per call, never DATA.

A probe walks the MX hosts in preference order (falling back to the next host
or address when a connection fails: "nolisting" setups leave the first MX
closed), then: banner → EHLO with the configured FQDN (HELO if EHLO is refused)
→ opportunistic STARTTLS when offered → `MAIL FROM` the configured mailbox →
`RCPT TO` each recipient → one random catch-all probe address **only if some
recipient was accepted** and the caller does not already know the answer →
`QUIT`. DATA is never sent, so no message can ever be delivered.

Politeness inside one session: at most `max_rcpt` RCPT commands (the probe
included) and at most `max_rejections` rejected recipients; a `452 too many
recipients`, a policy block or a `421` ends the RCPT loop. Everything not asked
is reported as `not_attempted` so the caller can decide.

Replies are classified here (`classify`) by code, then enhanced status code
(RFC 3463), then text, because the protocol knowledge is the same for every
caller: e.g. a 5.7.x or RBL text is a block (never proof the mailbox is
missing), Microsoft's `550 5.4.1 … Access denied` means the user does not
exist, `552 5.2.2` means it exists but is full, `450/451` is greylisting.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import re
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiosmtplib
from aiosmtplib import SMTP, SMTPResponse


class Reply(enum.StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"  # the mailbox does not exist (or is disabled)
    FULL = "full"  # exists, over quota
    GREYLISTED = "greylisted"
    TEMPFAIL = "tempfail"
    BLOCKED = "blocked"  # policy / reputation block on us, says nothing about the mailbox
    TOO_MANY = "too_many"  # 452 / 4.5.3: this recipient was not checked
    CLOSING = "closing"  # 421: the server is closing the session


@dataclass(frozen=True)
class SmtpReply:
    code: int
    text: str
    enhanced: str | None = None

    @property
    def line(self) -> str:
        return f"{self.code} {self.text}".strip()


_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_BLOCK_TEXT = re.compile(
    r"spamhaus|block ?list|black ?list|\brbl\b|dnsbl|blocked|reputation|\bpolicy\b|banned|"
    r"listed (?:at|in|on)|not permitted|poor reputation|relay (?:access )?denied|too many connections",
    re.I,
)
_UNKNOWN_USER_TEXT = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient)|does ?n[o']t exist|not exist|"
    r"mailbox (?:unavailable|not found)|recipient not found|invalid (?:recipient|mailbox)|"
    r"unknown recipient|no mailbox|address rejected|undeliverable|disabled|inactive",
    re.I,
)
_GREY_TEXT = re.compile(r"gr[ae]y ?list|try again later|please retry|temporarily deferred", re.I)
_FULL_TEXT = re.compile(r"mailbox (?:is )?full|over ?quota|quota exceeded|insufficient storage", re.I)
_ACCESS_DENIED = re.compile(r"access denied|recipient address rejected", re.I)


def make_reply(response: SMTPResponse) -> SmtpReply:
    text = " ".join(response.message.split())
    match = _ENHANCED.match(text)
    enhanced = ".".join(match.groups()) if match else None
    return SmtpReply(int(response.code), text, enhanced)


def classify(reply: SmtpReply) -> Reply:
    """Code first, then enhanced code, then text (module docstring)."""
    code, enh, text = reply.code, reply.enhanced or "", reply.text
    if code in (250, 251):
        return Reply.ACCEPTED
    if code == 421:
        return Reply.CLOSING
    if code == 452 or enh in ("4.5.3", "5.5.3"):
        return Reply.TOO_MANY
    if code in (450, 451):
        if _GREY_TEXT.search(text):
            return Reply.GREYLISTED
        if _BLOCK_TEXT.search(text):
            return Reply.BLOCKED
        return Reply.GREYLISTED
    if 400 <= code < 500:
        return Reply.TEMPFAIL
    if code == 552 or enh == "5.2.2" or _FULL_TEXT.search(text):
        return Reply.FULL
    if 500 <= code < 600:
        if enh == "5.4.1":
            # Microsoft (Exchange Online) answers unknown users this way; elsewhere 5.4.1 is routing.
            return Reply.REJECTED if _ACCESS_DENIED.search(text) else Reply.BLOCKED
        if enh.startswith("5.7"):
            return Reply.BLOCKED
        if enh in ("5.1.1", "5.1.0", "5.1.10", "5.1.6", "5.2.1", "5.1.2"):
            return Reply.REJECTED
        if _BLOCK_TEXT.search(text):
            return Reply.BLOCKED
        if _UNKNOWN_USER_TEXT.search(text) or code in (550, 551, 553):
            return Reply.REJECTED
        return Reply.BLOCKED
    return Reply.TEMPFAIL


@dataclass
class ProbeResult:
    """The outcome of one session. `error` is set when the session could not run to the RCPT loop."""

    replies: dict[str, SmtpReply] = field(default_factory=dict)
    not_attempted: list[str] = field(default_factory=list)
    probe_address: str | None = None
    probe_reply: SmtpReply | None = None
    mx_host: str | None = None
    address: str | None = None
    tls: bool = False
    error: str | None = None  # connect_failed | timeout | banner | closed | protocol | tls | mail_from
    session_reply: SmtpReply | None = None  # the reply that ended the session early, if any
    connect_failures: int = 0
    transcript: list[str] = field(default_factory=list)

    def klass(self, recipient: str) -> Reply | None:
        reply = self.replies.get(recipient)
        return classify(reply) if reply is not None else None


@dataclass(frozen=True)
class SmtpConfig:
    port: int
    helo_fqdn: str
    mail_from: str
    connect_timeout: float
    command_timeout: float
    max_rcpt: int
    max_rejections: int
    starttls: bool
    tls_verify: bool
    ca_file: str | None


class SmtpProber:
    """Runs probe sessions. Stateless apart from its TLS context; safe to share."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._tls: ssl.SSLContext | None = None

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            if self.config.tls_verify:
                ctx = ssl.create_default_context(cafile=self.config.ca_file)
            else:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._tls = ctx
        return self._tls

    async def probe(
        self,
        targets: list[tuple[str, list[str]]],
        recipients: list[str],
        *,
        probe_address: str | None,
        deadline: float,
    ) -> ProbeResult:
        """One session against the first reachable `(mx_host, addresses)`; `deadline` is loop time.

        Never raises for network or protocol trouble: the result says what happened.
        `probe_address` (or None) is sent as the catch-all probe after an accept.
        """
        result = ProbeResult()
        loop = asyncio.get_running_loop()

        def budget(limit: float) -> float:
            # Keep a sliver for QUIT so a slow server still gets a clean goodbye.
            return max(0.05, min(limit, deadline - loop.time() - 0.05))

        client: SMTP | None = None
        for mx_host, addresses in targets:
            for address in addresses:
                if deadline - loop.time() <= 0.05:
                    result.error = result.error or "timeout"
                    break
                candidate = SMTP(
                    hostname=address,
                    port=self.config.port,
                    local_hostname=self.config.helo_fqdn,
                    timeout=self.config.command_timeout,
                    start_tls=False,
                    use_tls=False,
                )
                try:
                    response = await candidate.connect(timeout=budget(self.config.connect_timeout))
                except aiosmtplib.SMTPConnectResponseError as exc:
                    # Connected, but the banner was not 220 (e.g. 421): a real answer, stop here.
                    result.mx_host, result.address = mx_host, address
                    result.session_reply = SmtpReply(exc.code, " ".join(exc.message.split()))
                    result.transcript.append(f"<- {result.session_reply.line}")
                    result.error = "banner"
                    candidate.close()
                    result.not_attempted = list(recipients)
                    return result
                except aiosmtplib.SMTPTimeoutError:
                    result.connect_failures += 1
                    result.error = "timeout"
                    candidate.close()
                    continue
                except (aiosmtplib.SMTPException, OSError) as exc:
                    result.connect_failures += 1
                    result.error = (
                        "closed" if isinstance(exc, aiosmtplib.SMTPServerDisconnected) else "connect_failed"
                    )
                    candidate.close()
                    continue
                result.transcript.append(f"<- {make_reply(response).line}")
                result.mx_host, result.address, result.error = mx_host, address, None
                client = candidate
                break
            if client is not None:
                break
        if client is None:
            result.error = result.error or "connect_failed"
            result.not_attempted = list(recipients)
            return result
        try:
            await self._converse(client, result, recipients, probe_address, budget)
        finally:
            client.close()
        return result

    async def _converse(
        self,
        client: SMTP,
        result: ProbeResult,
        recipients: list[str],
        probe_address: str | None,
        budget: Callable[[float], float],
    ) -> None:
        cmd_timeout = self.config.command_timeout
        pending = list(recipients)
        in_sync = True
        try:
            if not await self._greet(client, result, budget):
                return
            mail = await self._command(
                client, result, budget(cmd_timeout), b"MAIL", f"FROM:<{self.config.mail_from}>".encode()
            )
            if mail.code != 250:
                result.error, result.session_reply = "mail_from", mail
                in_sync = mail.code != 421
                return
            rcpts = 0
            rejections = 0
            while pending:
                if rcpts >= self.config.max_rcpt or rejections >= self.config.max_rejections:
                    break
                recipient = pending.pop(0)
                rcpts += 1
                answer = await self._command(
                    client, result, budget(cmd_timeout), b"RCPT", f"TO:<{recipient}>".encode()
                )
                kind = classify(answer)
                if kind is Reply.TOO_MANY:
                    result.session_reply = answer
                    break
                result.replies[recipient] = answer
                if kind is Reply.REJECTED:
                    rejections += 1
                elif kind is Reply.CLOSING:
                    result.session_reply = answer
                    in_sync = False
                    break
                elif kind is Reply.BLOCKED:
                    result.session_reply = answer
                    break
            accepted = any(classify(r) is Reply.ACCEPTED for r in result.replies.values())
            if (
                probe_address is not None
                and accepted
                and rcpts < self.config.max_rcpt
                and result.session_reply is None
            ):
                result.probe_address = probe_address
                result.probe_reply = await self._command(
                    client, result, budget(cmd_timeout), b"RCPT", f"TO:<{probe_address}>".encode()
                )
        except aiosmtplib.SMTPTimeoutError:
            result.error = "timeout"
            in_sync = False
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as exc:
            result.error = result.error or "closed"
            result.transcript.append(f"!! {type(exc).__name__}")
            in_sync = False
        finally:
            result.not_attempted = [r for r in recipients if r not in result.replies]
            if in_sync and client.is_connected:
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await self._command(client, result, budget(cmd_timeout), b"QUIT")

    async def _greet(self, client: SMTP, result: ProbeResult, budget: Callable[[float], float]) -> bool:
        """EHLO (HELO if refused), then opportunistic STARTTLS and a fresh EHLO; False if the session is over."""
        timeout = self.config.command_timeout
        fqdn = self.config.helo_fqdn
        result.transcript.append(f"-> EHLO {fqdn}")
        try:
            ehlo = await client.ehlo(hostname=fqdn, timeout=budget(timeout))
            result.transcript.append(f"<- {make_reply(ehlo).code} (EHLO)")
        except aiosmtplib.SMTPHeloError as exc:
            result.transcript.append(f"<- {exc.code} {exc.message}")
            if exc.code == 421:
                result.error, result.session_reply = "protocol", SmtpReply(exc.code, exc.message)
                return False
            result.transcript.append(f"-> HELO {fqdn}")
            try:
                await client.helo(hostname=fqdn, timeout=budget(timeout))
            except aiosmtplib.SMTPHeloError as helo_exc:
                result.error = "protocol"
                result.session_reply = SmtpReply(helo_exc.code, helo_exc.message)
                return False
            return True
        if self.config.starttls and client.supports_extension("starttls"):
            result.transcript.append("-> STARTTLS")
            try:
                await client.starttls(
                    server_hostname=result.mx_host,
                    tls_context=self._tls_context(),
                    timeout=budget(timeout),
                )
            except aiosmtplib.SMTPResponseException as exc:
                # Refused STARTTLS: carry on in plaintext (opportunistic).
                result.transcript.append(f"<- {exc.code} {exc.message}")
                return True
            result.tls = True
            result.transcript.append("<- 220 (TLS established)")
            result.transcript.append(f"-> EHLO {fqdn}")
            await client.ehlo(hostname=fqdn, timeout=budget(timeout))
        return True

    @staticmethod
    async def _command(client: SMTP, result: ProbeResult, limit: float, *args: bytes) -> SmtpReply:
        result.transcript.append("-> " + b" ".join(args).decode(errors="replace"))
        started = time.monotonic()
        # aiosmtplib's per-command timeout (not asyncio.timeout): it also closes the desynced socket.
        response = await client.execute_command(*args, timeout=limit)
        reply = make_reply(response)
        result.transcript.append(f"<- {reply.line} ({(time.monotonic() - started) * 1000:.0f} ms)")
        return reply
