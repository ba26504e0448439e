"""What profile data may reach a card: the text sanitiser and the URL allow-list.

Escaping is Jinja2's job (autoescape is on for every template). This module owns the
two things escaping cannot do:

* **Text** (`clean_text`): characters that HTML cannot carry faithfully are removed
  before rendering, so what a browser shows is exactly the stored value minus them:
  - NUL and the other C0 controls except TAB and LF (HTML parsers drop or replace
    them, and they are never legitimate in names, titles or skills);
  - DEL and the C1 controls U+0080–U+009F (parse errors in HTML, invisible);
  - CR and CRLF become LF (the HTML parser normalises them to LF anyway);
  - lone surrogates become U+FFFD (they cannot be encoded as UTF-8 at all).
  Everything else is kept verbatim: RTL scripts, emoji, combining marks, and bidi
  controls (the template isolates each value in its own `dir="auto"` element, and
  HTML isolates elements with a `dir` attribute, so a stray U+202E cannot reorder
  the rest of the card). The property tests check that every text node equals
  `clean_text(input)`.
* **URLs** (`safe_url`, `mailto_url`): only `https`, `http` and `mailto`. Anything
  a browser could read differently from `urllib.parse` is refused outright rather
  than repaired: control and format characters, any whitespace (browsers delete
  TAB/LF inside URLs, which turns `java\\tscript:` into `javascript:`), backslashes,
  quotes and angle brackets, user-info (`https://linkedin.com@evil.example`), and
  http(s) URLs without a dotted host.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit, urlunsplit

ALLOWED_SCHEMES = frozenset({"https", "http", "mailto"})
MAX_URL = 2048

# C0 controls except TAB (0x09) and LF (0x0A); CR is mapped to LF before this table applies.
_DROP = dict.fromkeys([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)])
_SURROGATE = re.compile("[\ud800-\udfff]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
# A bare `host.tld/…` (imports sometimes omit the scheme): upgraded to https.
_BARE_HOST = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+(?:[/?#]|$)"
)
_FORBIDDEN_IN_URL = frozenset("\\<>\"'`")
# Deliberately narrower than RFC 5322: an address outside it is still shown as text, just not linked.
_EMAIL = re.compile(
    r"^[A-Za-z0-9._+\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
)


def clean_text(value: str | None) -> str:
    """The value as a card shows it (see the module docstring for the exact rule)."""
    if not value:
        return ""
    text = value.replace("\r\n", "\n").replace("\r", "\n").translate(_DROP)
    return _SURROGATE.sub("\ufffd", text)


def _suspicious(ch: str) -> bool:
    # Cc/Cf/Cs/Co/Cn: controls, format (bidi, zero-width), surrogates, private use, unassigned.
    return ch.isspace() or ch in _FORBIDDEN_IN_URL or unicodedata.category(ch).startswith("C")


def safe_url(raw: str | None) -> str | None:
    """An `https`/`http`/`mailto` URL fit for an `href`, or None if the value is not one."""
    if not raw:
        return None
    url = raw.strip(" \t\n\r\f")
    if not url or len(url) > MAX_URL or any(_suspicious(ch) for ch in url):
        return None
    if not _SCHEME.match(url):
        if not _BARE_HOST.match(url):
            return None  # relative, protocol-relative (`//host`) or garbage
        url = "https://" + url
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "mailto":
            return mailto_url(parts.path) if not (parts.netloc or parts.query or parts.fragment) else None
        if scheme not in ALLOWED_SCHEMES or not url[len(scheme) + 1 :].startswith("//"):
            return None
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or "." not in host.strip("."):
        return None
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, parts.fragment))


def mailto_url(address: str | None) -> str | None:
    """`mailto:` + a plain address; None for anything that could smuggle headers (`?cc=`)."""
    if not address or len(address) > 254 or not _EMAIL.match(address):
        return None
    return "mailto:" + address
