"""Public portfolio pages: fetch ≤ 2 linked pages through the SSRF guard and read addresses off them.

Every fetch (robots.txt included) resolves the host once through the guard and
connects to the checked address (Host/SNI keep the name), so a page cannot point
us at an internal service, and redirects (≤ 3) are re-checked hop by hop. Each
page is capped in bytes and the whole stage in time (`asyncio.timeout_at`): httpx
timeouts are per read, so a server trickling bytes would otherwise hold us.
robots.txt is honoured per RFC 9309 (4xx: no rules; 5xx or unreachable: stay out).
Without `enrichment_fetch_allow_private`, `http://` links are fetched as `https://`.

Addresses come from `mailto:` links, plain text and common obfuscations
(`jane [at] jane [dot] dev`, `jane (at) …`, `jane AT jane DOT dev`, HTML
entities), and are kept only when the local part carries one of the person's
name tokens or the domain is the page's own (their personal domain) or their
company's. Pages on github.com give links only: GitHub's terms forbid using
harvested emails for unsolicited recruiting.
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import ssl
import urllib.parse
import urllib.robotparser
from collections.abc import Iterable
from dataclasses import dataclass, field

import httpx

from talentscout.engine.profile import Link
from talentscout.enrichment.domains import host_of, registrable
from talentscout.kit.ssrf import CheckedTarget, Resolver, SsrfError, resolve_and_check

ROBOTS_AGENT = "talentscout-enrichment"
_MAX_REDIRECTS = 3
_EMAIL = re.compile(r"(?<![\w.+-])([a-z0-9][a-z0-9._%+-]{0,63})@([a-z0-9-]+(?:\.[a-z0-9-]+)+)(?![\w-])", re.I)
_MAILTO = re.compile(r"""mailto:([^"'<>\s?]+)""", re.I)
_BRACKET_AT = re.compile(r"\s*[\[\(\{<]\s*(?:at|@)\s*[\]\)\}>]\s*", re.I)
_BRACKET_DOT = re.compile(r"\s*[\[\(\{<]\s*(?:dot|\.)\s*[\]\)\}>]\s*", re.I)
# Upper-case only: "meet at noon" must not become an address.
_WORD_AT = re.compile(r"(?<=[A-Za-z0-9])\s+AT\s+(?=[A-Za-z0-9])")
_WORD_DOT = re.compile(r"(?<=[A-Za-z0-9])\s+DOT\s+(?=[A-Za-z0-9])")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.I | re.S)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


@dataclass(frozen=True)
class FoundEmail:
    address: str
    how: str  # mailto | text | obfuscated
    url: str


@dataclass
class PageResult:
    url: str
    status: str  # ok | robots_disallowed | blocked | error | timeout | skipped
    detail: str | None = None
    final_url: str | None = None
    title: str | None = None
    bytes_read: int = 0
    truncated: bool = False
    emails: list[FoundEmail] = field(default_factory=list)


@dataclass
class Portfolio:
    urls: list[str] = field(default_factory=list)
    pages: list[PageResult] = field(default_factory=list)

    @property
    def emails(self) -> list[FoundEmail]:
        return [e for page in self.pages for e in page.emails]


def pick_pages(links: Iterable[Link], limit: int) -> list[str]:
    """Personal sites first, then GitHub pages / profiles; at most `limit` URLs."""
    personal: list[str] = []
    github: list[str] = []
    for link in links:
        url = (link.url or "").strip()
        if not url.lower().startswith(("http://", "https://")):
            continue
        host = host_of(url) or ""
        if link.network == "github" or host == "github.com" or host.endswith(".github.io"):
            github.append(url)
        elif link.network in ("website", "blog", "portfolio", "homepage", "personal"):
            personal.append(url)
    out: list[str] = []
    for url in personal + github:
        if url not in out:
            out.append(url)
    return out[:limit]


def extract_emails(text: str, url: str) -> list[FoundEmail]:
    """Addresses on a page: mailto links, plain text, then de-obfuscated text."""
    found: dict[str, FoundEmail] = {}
    for raw in _MAILTO.findall(text):
        address = urllib.parse.unquote(raw).strip().lower()
        if _EMAIL.fullmatch(address):
            found.setdefault(address, FoundEmail(address, "mailto", url))
    plain = html.unescape(_TAGS.sub(" ", text))
    for local, domain in _EMAIL.findall(plain):
        address = f"{local}@{domain}".lower()
        found.setdefault(address, FoundEmail(address, "text", url))
    deobfuscated = _BRACKET_DOT.sub(".", _BRACKET_AT.sub("@", plain))
    deobfuscated = _WORD_DOT.sub(".", _WORD_AT.sub("@", deobfuscated))
    for local, domain in _EMAIL.findall(deobfuscated):
        address = f"{local}@{domain}".lower()
        found.setdefault(address, FoundEmail(address, "obfuscated", url))
    return list(found.values())


def belongs_to_person(
    address: str, name_tokens: set[str], page_domain: str | None, company_domains: Iterable[str]
) -> bool:
    local, _, domain = address.partition("@")
    pieces = {p for p in re.split(r"[._+-]", local) if p}
    if any(token in local for token in name_tokens if len(token) >= 3) or pieces & name_tokens:
        return True
    return domain == page_domain or domain in set(company_domains)


@functools.lru_cache(maxsize=1)
def shared_tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process: loading the CA bundle takes ~100 ms of CPU and would
    otherwise stall the event loop (and every other profile's clock) for each new batch."""
    return httpx.create_ssl_context()


class PortfolioFetcher:
    """Fetches pages for one batch; owns one httpx client (no pooling, no redirects, no env proxies)."""

    def __init__(
        self,
        *,
        allow_private: bool,
        max_bytes: int,
        robots_max_bytes: int,
        user_agent: str,
        resolver: Resolver | None,
        extra_suffixes: tuple[str, ...] = (),
        use_github_emails: bool = False,
    ) -> None:
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self.robots_max_bytes = robots_max_bytes
        self.user_agent = user_agent
        self.resolver = resolver
        self.extra_suffixes = extra_suffixes
        self.use_github_emails = use_github_emails
        self._robots: dict[str, asyncio.Future[urllib.robotparser.RobotFileParser | None]] = {}
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            verify=shared_tls_context(),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=0),
        )

    async def aclose(self) -> None:
        for future in self._robots.values():
            if not future.done():
                future.cancel()
        await self._client.aclose()

    def _url(self, url: str) -> str:
        if not self.allow_private and url.lower().startswith("http://"):
            return "https://" + url[len("http://") :]
        return url

    async def fetch_page(self, url: str) -> PageResult:
        """Fetch one page (robots first); the caller bounds the time."""
        url = self._url(url)
        result = PageResult(url=url, status="error")
        try:
            if not await self._allowed(url):
                result.status = "robots_disallowed"
                return result
            fetched = await self._get(url, self.max_bytes, result)
        except SsrfError as exc:
            result.status, result.detail = "blocked", exc.reason
            return result
        except TimeoutError:
            result.status = "timeout"
            return result
        except (httpx.HTTPError, OSError) as exc:
            result.status, result.detail = "error", type(exc).__name__
            return result
        if fetched.body is None:
            return result
        final_url = fetched.url
        result.status, result.final_url, result.truncated = "ok", final_url, fetched.truncated
        text = fetched.body.decode("utf-8", "replace")
        title = _TITLE.search(text)
        result.title = " ".join(html.unescape(title.group(1)).split())[:200] if title else None
        host = host_of(final_url) or ""
        if host == "github.com" and not self.use_github_emails:
            return result
        result.emails = extract_emails(text, final_url)
        return result

    async def _allowed(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        future = self._robots.get(origin)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._robots[origin] = future
            try:
                future.set_result(await self._load_robots(origin))
            except BaseException as exc:
                # Another page waiting on the same origin must not hang on our failure.
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else TimeoutError())
                    future.exception()  # mark retrieved
                raise
        parser = await asyncio.shield(future)
        return True if parser is None else parser.can_fetch(ROBOTS_AGENT, url)

    async def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        probe = PageResult(url=origin + "/robots.txt", status="error")
        try:
            fetched = await self._get(origin + "/robots.txt", self.robots_max_bytes, probe)
        except (httpx.HTTPError, OSError):
            return _deny_all()
        if fetched.body is None:
            return None if 400 <= fetched.status < 500 else _deny_all()
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(fetched.body.decode("utf-8", "replace").splitlines())
        return parser

    async def _get(self, url: str, cap: int, result: PageResult) -> _Fetched:
        """GET with re-checked manual redirects; `body` is None when the final status is not 2xx."""
        current = url
        status = 0
        for _hop in range(_MAX_REDIRECTS + 1):
            target = await resolve_and_check(
                current, allow_private=self.allow_private, resolver=self.resolver
            )
            status, location, body, truncated = await self._exchange(target, cap)
            result.bytes_read += len(body)
            if status in (301, 302, 303, 307, 308) and location:
                current = urllib.parse.urljoin(current, location)
                continue
            if 200 <= status < 300:
                return _Fetched(status, body, current, truncated)
            result.detail = f"HTTP {status}"
            return _Fetched(status, None, current, False)
        result.detail = "too many redirects"
        return _Fetched(status, None, current, False)

    async def _exchange(self, target: CheckedTarget, cap: int) -> tuple[int, str | None, bytes, bool]:
        headers = {
            "host": target.host_header,
            "user-agent": self.user_agent,
            "accept": "text/html, text/plain;q=0.9",
            "accept-encoding": "identity",
        }
        extensions: dict[str, object] = {}
        if target.scheme == "https" and target.host != str(target.addresses[0]):
            extensions["sni_hostname"] = target.host
        last: httpx.ConnectError | None = None
        for address in target.addresses:
            request = self._client.build_request(
                "GET", target.url_for(address), headers=headers, extensions=extensions
            )
            try:
                response = await self._client.send(request, stream=True)
            except httpx.ConnectError as exc:
                last = exc
                continue
            chunks: list[bytes] = []
            size = 0
            truncated = False
            try:
                if 200 <= response.status_code < 300:
                    async for chunk in response.aiter_raw():
                        chunks.append(chunk[: cap - size])
                        size += len(chunk)
                        if size >= cap:
                            truncated = True
                            break
            finally:
                await response.aclose()
            return response.status_code, response.headers.get("location"), b"".join(chunks), truncated
        assert last is not None
        raise last


@dataclass(frozen=True)
class _Fetched:
    status: int
    body: bytes | None
    url: str
    truncated: bool


def _deny_all() -> urllib.robotparser.RobotFileParser:
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(["User-agent: *", "Disallow: /"])
    return parser


def page_domain(url: str, extra_suffixes: tuple[str, ...]) -> str | None:
    reg = registrable(url, extra_suffixes)
    return reg.domain if reg else None
