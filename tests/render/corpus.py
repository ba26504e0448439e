"""Shared test data for cards: the XSS corpus, a realistic profile, and a profile builder
that puts one string into every text field and every link."""

from __future__ import annotations

import secrets
import string
from dataclasses import replace

from talentscout.engine.profile import Link, Place, Position, ProfileDoc, SkillRef, YearMonth
from talentscout.render.cards import CardScore, VerifiedEmail

# Script payloads flip this page-level sentinel if they ever run (the browser tests check it).
PWN = "document.getElementById('sentinel').dataset.state='pwned';document.title='pwned'"

XSS_CORPUS: tuple[str, ...] = (
    f"<script>{PWN}</script>",
    f"<SCRIPT SRC=//evil.example/x.js></SCRIPT><script>{PWN}</script>",
    f'"><img src=x onerror="{PWN}">',
    f"'><img src=x onerror='{PWN}'>",
    f'<svg onload="{PWN}"></svg>',
    f'<body onload="{PWN}">',
    f'<a href="javascript:{PWN}">click</a>',
    f'<iframe srcdoc="<script>{PWN}</script>"></iframe>',
    f"javascript:{PWN}",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "java\x00script:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    f"</style><script>{PWN}</script>",
    "</td></tr></table><p>broken out</p>",
    "<style>*{display:none}</style>",
    "expression(alert(1))",
    "url(javascript:alert(1))",
    "red;background:url(https://evil.example/x)",
    "<!--",
    "-->",
    "<![CDATA[x]]>",
    "{{7*7}}",
    "{{ config.items() }}",
    "{% raw %}",
    "{% endraw %}{{7*7}}",
    "${7*7}",
    "\u202eevil.exe\u202c",
    "\u2066\u2067\u2068\u2069\u200e\u200f\u061c",
    "a\x00b",
    "\x00",
    "\x1b[31mred\x1b[0m",
    "line\r\nX-Injected: 1\rend",
    "\x7f\x85\x9f",
    "&lt;script&gt;",
    "&amp;&#0;&#x0;&#xD800;",
    "<",
    ">",
    '"',
    "'",
    "`",
    "مرحبا بالعالم",
    "שלום עולם",
    "👩🏽‍💻🏳️‍🌈",
    "Zoë Ŝ̷̢ḁ̶",
    "e\u0301\u0301\u0301",
    "\ud800 lone surrogate",
    "\ufeffBOM",
    "   ",
    "",
    'https://evil.example/"onmouseover="alert(1)',
    "https://www.linkedin.com@evil.example/",
    "//evil.example/x",
    "mailto:a@b.example?bcc=x@y.example",
    "https://ok.example/path?q=<script>",
)


def new_profile_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "prof_" + "".join(secrets.choice(alphabet) for _ in range(22))


def realistic_profile(profile_id: str | None = None) -> ProfileDoc:
    return ProfileDoc(
        profile_id=profile_id or "prof_AdaExample0000000000001",
        external_id="ada-example",
        name="Ada Example",
        headline="Staff engineer building payment infrastructure at scale",
        place=Place(city="Berlin", region="Berlin", country_code="DE"),
        positions=(
            Position(title="Staff Software Engineer", company="ExamplePay", start=YearMonth(2019, 3)),
            Position(
                title="Senior Engineer", company="Ledgerly", start=YearMonth(2014, 6), end=YearMonth(2019, 2)
            ),
        ),
        skills=tuple(
            SkillRef(s)
            for s in (
                "Python",
                "Kubernetes",
                "PostgreSQL",
                "Go",
                "Distributed systems",
                "gRPC",
                "Kafka",
                "Terraform",
                "AWS",
                "Observability",
            )
        ),
        links=(
            Link("github", "https://github.com/ada-example", "ada-example"),
            Link("linkedin", "https://www.linkedin.com/in/ada-example", "ada-example"),
        ),
        years_experience=11.5,
    )


REALISTIC_SCORE = CardScore(
    match_score=87,
    rationale="Seven years of Python in payments; led the Kubernetes migration at ExamplePay "
    "and owns its PostgreSQL sharding layer.",
    ai_fit_points=(
        "7 years of Python (2018–present)",
        "Led a 6-person platform team at ExamplePay",
        "Kubernetes in production since 2020",
    ),
)
REALISTIC_EMAILS = (
    VerifiedEmail("ada@examplepay.com", "valid"),
    VerifiedEmail("ada.example@examplepay.com", "guessed"),  # never shown: not verified
)


def hostile_profile(
    value: str, profile_id: str | None = None
) -> tuple[ProfileDoc, CardScore, list[VerifiedEmail]]:
    """`value` in every text field, every link URL and the email address."""
    doc = ProfileDoc(
        profile_id=profile_id or new_profile_id(),
        external_id=value,
        name=value,
        headline=value + " (headline)",
        place=Place(raw=value),
        positions=(Position(title=value, company=value + " Ltd"),),
        skills=(SkillRef(value), SkillRef("Python"), SkillRef(value + "2")),
        links=(Link("linkedin", value), Link("website", value), Link("github", value)),
        years_experience=7.0,
    )
    score = CardScore(match_score=73, rationale=value, ai_fit_points=(value, "fit " + value))
    return doc, score, [VerifiedEmail(value, "valid"), VerifiedEmail("ok@example.com", "valid")]


def private_copy(doc: ProfileDoc, company_id: str) -> ProfileDoc:
    return replace(doc, company_id=company_id)
