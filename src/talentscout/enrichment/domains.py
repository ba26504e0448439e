"""Mail-domain resolution and domain/address classification.

Registrable domains come from tldextract in **offline** mode: the suffix list
snapshot bundled with the package, no cache directory and no suffix-list URLs,
so nothing is ever fetched. Private suffixes are on, which makes `ada.github.io`
its own registrable domain with a *private* (hosting) suffix: not a company.

Company mail domain, in order of evidence (ENRICHMENT.md §2): the position's
explicit company domain → the company website's host → the company→mail-domain
map learned from the index → the profile's own links. Free-mail, disposable,
hosting and social domains are never company domains. At most two are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import tldextract

from talentscout.engine.profile import ProfileDoc

FREEMAIL = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
        "tuta.io",
        "qq.com",
        "163.com",
        "126.com",
        "seznam.cz",
        "wp.pl",
        "o2.pl",
        "interia.pl",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "t-online.de",
        "naver.com",
        "rediffmail.com",
        "mail.com",
        "inbox.com",
    ]
)
DISPOSABLE = frozenset(
    [
        "mailinator.com",
        "guerrillamail.com",
        "10minutemail.com",
        "tempmail.com",
        "temp-mail.org",
        "yopmail.com",
        "trashmail.com",
        "sharklasers.com",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
        "throwawaymail.com",
        "fakeinbox.com",
        "mailnesia.com",
    ]
)
SOCIAL_AND_HOSTING = frozenset(
    [
        "linkedin.com",
        "github.com",
        "gitlab.com",
        "bitbucket.org",
        "twitter.com",
        "x.com",
        "facebook.com",
        "instagram.com",
        "medium.com",
        "stackoverflow.com",
        "stackexchange.com",
        "dribbble.com",
        "behance.net",
        "youtube.com",
        "wordpress.com",
        "blogspot.com",
        "substack.com",
        "notion.site",
        "about.me",
        "linktr.ee",
        "wixsite.com",
        "squarespace.com",
        "carrd.co",
        "google.com",
        "sites.google.com",
        "angel.co",
        "wellfound.com",
        "kaggle.com",
        "dev.to",
        "hashnode.dev",
    ]
)
ROLE_LOCALS = frozenset(
    [
        "info",
        "contact",
        "hello",
        "hi",
        "admin",
        "administrator",
        "support",
        "help",
        "sales",
        "marketing",
        "office",
        "team",
        "jobs",
        "careers",
        "hr",
        "recruiting",
        "press",
        "media",
        "billing",
        "accounts",
        "finance",
        "legal",
        "privacy",
        "security",
        "abuse",
        "postmaster",
        "webmaster",
        "noreply",
        "no-reply",
        "mail",
        "enquiries",
        "inquiries",
        "service",
        "feedback",
    ]
)
# Consumer webmail MX hosts: probing them is pointless (they accept or tarpit) and impolite.
WEBMAIL_MX_SUFFIXES = (
    "google.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "yahoodns.net",
    "icloud.com",
)
MICROSOFT_MX_SUFFIXES = ("mail.protection.outlook.com",)
GOOGLE_MX_SUFFIXES = ("google.com", "googlemail.com")


@lru_cache(maxsize=8)
def extractor(extra_suffixes: tuple[str, ...] = ()) -> tldextract.TLDExtract:
    """The offline extractor (bundled snapshot; no URLs, no cache dir, private suffixes on)."""
    return tldextract.TLDExtract(
        suffix_list_urls=(),
        cache_dir=None,
        fallback_to_snapshot=True,
        include_psl_private_domains=True,
        extra_suffixes=list(extra_suffixes),
    )


_HOST_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//([^/?#:]+)", re.I)


def host_of(url_or_host: str) -> str | None:
    text = url_or_host.strip()
    match = _HOST_RE.match(text) or _HOST_RE.match("//" + text)
    if match is None:
        return None
    host = match.group(1).rsplit("@", 1)[-1].lower().rstrip(".")
    return host or None


@dataclass(frozen=True)
class Registrable:
    domain: str
    private_suffix: bool


def registrable(url_or_host: str, extra_suffixes: tuple[str, ...] = ()) -> Registrable | None:
    host = host_of(url_or_host)
    if host is None or host.replace(".", "").isdigit():
        return None
    parts = extractor(extra_suffixes)(host)
    if not parts.suffix or not parts.domain:
        return None
    return Registrable(f"{parts.domain}.{parts.suffix}", bool(parts.is_private))


def is_company_domain(reg: Registrable | None) -> bool:
    if reg is None or reg.private_suffix:
        return False
    d = reg.domain
    return d not in FREEMAIL and d not in DISPOSABLE and d not in SOCIAL_AND_HOSTING


def company_key(name: str | None) -> str | None:
    """A company name normalised for the learned company→domain map."""
    if not name:
        return None
    text = re.sub(r"[^a-z0-9 ]+", " ", name.lower())
    words = [
        w
        for w in text.split()
        if w not in {"inc", "ltd", "llc", "gmbh", "ag", "sa", "bv", "plc", "co", "corp", "the"}
    ]
    key = " ".join(words)[:200]
    return key or None


@dataclass(frozen=True)
class MailDomain:
    domain: str
    weight: float
    source: str  # position_domain | company_url | learned_map | profile_link | known_email


def resolve_mail_domains(
    doc: ProfileDoc,
    learned: Mapping[str, Mapping[str, float]],
    *,
    extra_suffixes: tuple[str, ...] = (),
    limit: int = 2,
) -> list[MailDomain]:
    """Up to `limit` company mail domains for the person, best evidence first.

    `learned` maps a `company_key` to {domain: weight} from the index.
    """
    found: dict[str, MailDomain] = {}

    def offer(raw: str | None, weight: float, source: str) -> None:
        if not raw:
            return
        reg = registrable(raw, extra_suffixes)
        if not is_company_domain(reg) or reg is None:
            return
        current = found.get(reg.domain)
        if current is None or current.weight < weight:
            found[reg.domain] = MailDomain(reg.domain, weight, source)

    current = doc.current
    positions = ([current] if current is not None else []) + [p for p in doc.positions if p is not current]
    for rank, position in enumerate(positions[:3]):
        decay = 1.0 if rank == 0 else 0.5 / rank
        offer(position.company_domain, 1.0 * decay, "position_domain")
        offer(position.company_url, 0.9 * decay, "company_url")
        key = company_key(position.company)
        if key and key in learned:
            total = sum(learned[key].values()) or 1.0
            for domain, weight in learned[key].items():
                offer(domain, 0.8 * decay * weight / total, "learned_map")
    for link in doc.links:
        if link.network in ("website", "blog", "portfolio", "homepage"):
            offer(link.url, 0.3, "profile_link")
    ranked = sorted(found.values(), key=lambda d: (-d.weight, d.domain))
    return ranked[:limit]


def split_address(address: str) -> tuple[str, str]:
    local, _, domain = address.strip().lower().rpartition("@")
    return local, domain


def is_role(address: str) -> bool:
    local, _ = split_address(address)
    return local.split("+", 1)[0] in ROLE_LOCALS


def is_disposable(domain: str) -> bool:
    return domain.lower() in DISPOSABLE


def is_webmail(domain: str) -> bool:
    return domain.lower() in FREEMAIL


def mx_provider(mx_hosts: Iterable[str]) -> str | None:
    """`google`, `microsoft`, `webmail` (other consumer) or None (self-hosted / unknown)."""
    for host in mx_hosts:
        if host.endswith(MICROSOFT_MX_SUFFIXES):
            return "microsoft"
        if host.endswith(GOOGLE_MX_SUFFIXES):
            return "google"
        if host.endswith(WEBMAIL_MX_SUFFIXES):
            return "webmail"
    return None
