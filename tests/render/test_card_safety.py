"""RELIABILITY.md item 24: any string in any profile field yields a safe card.

For every input (Hypothesis text over all of Unicode, lone surrogates included, plus an
XSS corpus and mixtures of both) placed in every text field, every link and the email
address, the card parsed with `html.parser` has:

* only the template's tags (so no `script`, `img`, `style`, `iframe`, `svg` …), no
  comments or declarations, one root `<table>`;
* no `on*` attribute, and every attribute other than `href` exactly as the template
  writes it for benign data (so no user data in `style`, `dir` or anywhere else);
* every `href` with an `https`/`http`/`mailto` scheme, read the way a browser reads it;
* no text outside the `data-field` elements except the template's own labels;
* each field's text node equal to the input **after the documented sanitisation**
  `clean_text` (C0 controls except TAB/LF, DEL and C1 dropped; CR/CRLF → LF; lone
  surrogates → U+FFFD). Blank values are omitted (a blank name shows "Unnamed candidate").
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from talentscout.engine.profile import ProfileDoc
from talentscout.render.cards import UNNAMED, CardScore, VerifiedEmail, render_card
from talentscout.render.sanitize import clean_text, safe_url
from talentscout.render.themes import THEMES, ThemeName
from tests.render.corpus import XSS_CORPUS, hostile_profile
from tests.render.htmlcheck import ALLOWED_TAGS, browser_scheme, href_is_safe, parse, vocabulary

# What `clean_text` removes must be absent from the whole output, not just from the fields.
FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
ANY_CHAR = st.characters()  # every code point, surrogates and controls included
HOSTILE = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.sampled_from(XSS_CORPUS),
    st.lists(
        st.one_of(st.sampled_from(XSS_CORPUS), st.text(ANY_CHAR, max_size=8)), min_size=1, max_size=4
    ).map("".join),
)


def _unique(values: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for v in values:
        key = v.strip().casefold()
        if key and key not in seen:
            seen.add(key)
            out.append(v)
    return out[:limit]


def _present(text: str) -> list[str]:
    return [text] if text.strip() else []


def expected_fields(value: str) -> dict[str, list[str]]:
    """What `hostile_profile(value)` must show, field by field (see corpus.hostile_profile)."""
    c = clean_text
    return {
        "name": _present(c(value)) or [UNNAMED],
        "role": _present(c(value)),
        "company": [c(value + " Ltd")],
        "headline": [c(value + " (headline)")],
        "location": _present(c(value)),
        "score": ["73"],
        "rationale": _present(c(value)),
        "fit_point": _unique([c(value), c("fit " + value)], 5),
        "skill": _unique([c(value), "Python", c(value + "2")], 12),
        "email": _unique([c(value).strip(), "ok@example.com"], 3),
    }


def assert_safe_card(html: str, theme: ThemeName, expected: dict[str, list[str]]) -> None:
    assert not FORBIDDEN_CHARS.search(html), "control character or lone surrogate in the output"
    parsed = parse(html)
    vocab = vocabulary(theme)
    top = [c for c in parsed.root.children if not (isinstance(c, str) and not c.strip())]
    assert len(top) == 1 and not isinstance(top[0], str) and top[0].tag == "table", "one root <table>"
    assert not parsed.comments and not parsed.declarations
    tags = {el.tag for el in parsed.elements}
    assert tags <= ALLOWED_TAGS, f"unexpected tags {tags - ALLOWED_TAGS}"
    assert "script" not in tags
    for tag, name, value in parsed.attrs:
        assert not name.startswith("on"), f"event handler attribute {name}"
        if name == "href":
            assert tag == "a" and value is not None and href_is_safe(value), f"unsafe href {value!r}"
        else:
            # Equal to what the template writes for benign data: no user text in style/dir/…
            assert (tag, name, value) in vocab.attrs, (
                f"attribute not from the template: {tag} {name}={value!r}"
            )
    for text in parsed.chrome_texts():
        assert text.strip() in vocab.chrome, f"text outside data-field elements: {text!r}"
    for el in parsed.field_elements():
        assert all(isinstance(ch, str) for ch in el.children), "a field holds markup"
    for field, want in expected.items():
        assert parsed.fields(field) == want, field
    for el in parsed.elements:
        if el.attrs.get("data-field") == "email" and "href" in el.attrs:
            assert el.attrs["href"] == "mailto:" + el.text()


def _check(value: str, theme: ThemeName) -> str:
    doc, score, emails = hostile_profile(value)
    html = render_card(doc, theme=theme, score=score, emails=emails)
    assert_safe_card(html, theme, expected_fields(value))
    button = [
        v for t, k, v in parse(html).attrs if t == "a" and k == "href" and not (v or "").startswith("mailto:")
    ]
    assert button == ([] if safe_url(value) is None else [safe_url(value)])
    return html


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("value", XSS_CORPUS)
def test_xss_corpus_in_every_field(value: str, theme: ThemeName) -> None:
    html = _check(value, theme)
    # A literal template expression stays literal: the data is never compiled as a template.
    if "{{7*7}}" in value:
        assert "{{7*7}}" in parse(html).fields("name")[0] and "49" not in html


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=HOSTILE, theme=st.sampled_from(THEMES))
@example(value="\x00", theme="dark")
@example(value="\ud800", theme="light")
@example(value="a\r\nb", theme="dark")
def test_property_any_string_in_every_field(value: str, theme: ThemeName) -> None:
    _check(value, theme)


@settings(max_examples=300, deadline=None)
@given(
    title=HOSTILE,
    company=HOSTILE,
    headline=HOSTILE,
    skills=st.lists(HOSTILE, max_size=15),
    rationale=HOSTILE,
    points=st.lists(HOSTILE, max_size=7),
    score=st.integers(min_value=-50, max_value=150),
    theme=st.sampled_from(THEMES),
)
def test_property_independent_fields(
    title: str,
    company: str,
    headline: str,
    skills: list[str],
    rationale: str,
    points: list[str],
    score: int,
    theme: ThemeName,
) -> None:
    """Different hostile values per field: still only template vocabulary and safe links."""
    from talentscout.engine.profile import Position, SkillRef

    doc = ProfileDoc(
        profile_id="prof_x",
        external_id=None,
        name=title,
        headline=headline,
        positions=(Position(title=title, company=company),),
        skills=tuple(SkillRef(s) for s in skills),
    )
    html = render_card(doc, theme=theme, score=CardScore(score, rationale, tuple(points)), emails=[])
    parsed = parse(html)
    assert parsed.fields("score") == [str(max(0, min(100, score)))]
    assert parsed.fields("skill") == _unique([clean_text(s) for s in skills], 12)
    assert parsed.fields("fit_point") == _unique([clean_text(p) for p in points], 5)
    assert parsed.fields("rationale") == _present(clean_text(rationale))
    assert parsed.fields("company") == _present(clean_text(company))
    vocab = vocabulary(theme)
    for tag, name, value in parsed.attrs:
        assert name == "href" or (tag, name, value) in vocab.attrs


@settings(max_examples=500, deadline=None)
@given(
    url=st.one_of(
        st.text(ANY_CHAR, max_size=60),
        st.tuples(
            st.sampled_from(
                [
                    "javascript:",
                    "JaVaScRiPt:",
                    "java\tscript:",
                    "data:",
                    "vbscript:",
                    "https://",
                    "http://",
                    "mailto:",
                    "HTTPS://",
                    " https://",
                    "\x00https://",
                    "//",
                    "https:",
                    "https:/",
                    "file://",
                ]
            ),
            st.text(ANY_CHAR, max_size=30),
        ).map("".join),
    )
)
def test_property_safe_url_only_allows_http_https_mailto(url: str) -> None:
    out = safe_url(url)
    if out is None:
        return
    assert out.startswith(("https://", "http://", "mailto:"))
    assert browser_scheme(out) in ("https:", "http:", "mailto:")
    assert not any(ch.isspace() or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in out)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "javascript&colon;alert(1)",
        "&#106;avascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/x",
        "/relative/path",
        "https://www.linkedin.com@evil.example/",
        "https://user:pass@example.com/",
        'https://example.com/"onmouseover="alert(1)',
        "https://exa mple.com/",
        "https://example.com/\u202e",
        "https://example.com\\@evil.example",
        "https://localhost/",
        "https://example.com:99999/",
        "https://[::1/",
        "mailto:a@b.example?bcc=x@y.example",
        "mailto:a@b.example%0Abcc:x@y.example",
        "mailto:<a@b.example>",
        "https://" + "a" * 2100 + ".com",
        "",
        "   ",
    ],
)
def test_unsafe_urls_are_dropped(url: str) -> None:
    assert safe_url(url) is None


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("https://www.linkedin.com/in/ada", "https://www.linkedin.com/in/ada"),
        ("HTTPS://GitHub.com/ada", "https://GitHub.com/ada"),
        ("http://ada.dev/", "http://ada.dev/"),
        ("  https://ada.dev/cv?x=1#top  ", "https://ada.dev/cv?x=1#top"),
        ("linkedin.com/in/ada", "https://linkedin.com/in/ada"),
        ("https://bücher.example/zoë", "https://bücher.example/zoë"),
        ("mailto:ada@example.com", "mailto:ada@example.com"),
    ],
)
def test_safe_urls_are_kept(url: str, want: str) -> None:
    assert safe_url(url) == want


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x00b", "ab"),
        ("\x01\x02\x1b[31m", "[31m"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("cr\r\nlf\rx", "cr\nlf\nx"),
        ("del\x7f c1\x85\x9f", "del c1"),
        ("\ud800x", "\ufffdx"),
        ("\u202eRTL override\u202c \u2067isolate\u2069", "\u202eRTL override\u202c \u2067isolate\u2069"),
        ("مريم 👩🏽‍💻 Zoë e\u0301", "مريم 👩🏽‍💻 Zoë e\u0301"),
    ],
)
def test_clean_text_rule(raw: str, shown: str) -> None:
    assert clean_text(raw) == shown


def test_the_checker_catches_unsafe_output() -> None:
    """The assertions above must be able to fail: feed them deliberately broken cards."""
    value = "ada.example"  # also a bare host, so the card has a button (https://ada.example)
    doc, score, emails = hostile_profile(value)
    good = render_card(doc, theme="dark", score=score, emails=emails)
    assert_safe_card(good, "dark", expected_fields(value))
    broken = {
        "script": good.replace("</table>", "<script>x()</script></table>", 1),
        "handler": good.replace('data-field="name"', 'data-field="name" onmouseover="x()"', 1),
        "style": good.replace("font-size:22px", "font-size:22px;background:url(ada.example)", 1),
        "href": good.replace('href="https://', 'href="javascript:x()//https://', 1),
        "tab href": good.replace('href="https://', 'href="java&#9;script:x()//', 1),
        "text": good.replace(">ada.example<", ">ada&lt;example<", 1),
        "chrome": good.replace(">Why they match<", ">ada.example<", 1),
        "img": good.replace("</h2>", "</h2><img src=x>", 1),
        "dir": good.replace('dir="auto" data-field="name"', 'dir="ada.example" data-field="name"', 1),
    }
    for what, html in broken.items():
        assert html != good, what
        with pytest.raises(AssertionError):
            assert_safe_card(html, "dark", expected_fields(value))


def test_only_valid_emails_are_shown() -> None:
    doc, score, _ = hostile_profile("Ada")
    emails = [
        VerifiedEmail(f"{s}@example.com", s) for s in ("valid", "accept_all", "guessed", "invalid", "unknown")
    ]
    html = render_card(doc, theme="light", score=score, emails=emails)
    assert parse(html).fields("email") == ["valid@example.com"]
