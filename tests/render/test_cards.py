"""What a card shows and how it is built (API.md §7), plus golden snapshots of both themes.

Snapshots: `tests/render/golden/card-{dark,light}.html`. After an intended change to the
template or the palette, regenerate with `TALENTSCOUT_UPDATE_GOLDEN=1 pytest tests/render`
and review the diff (and the Chromium screenshots) before committing.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from talentscout.engine.profile import Link, Place, Position, ProfileDoc, SkillRef
from talentscout.render.cards import UNNAMED, CardScore, VerifiedEmail, render_card, render_page
from talentscout.render.themes import BY_NAME, FONT_STACK, THEMES, ThemeName
from tests.render.corpus import REALISTIC_EMAILS, REALISTIC_SCORE, realistic_profile
from tests.render.htmlcheck import parse

GOLDEN = Path(__file__).parent / "golden"


def _doc(**kw: object) -> ProfileDoc:
    return replace(realistic_profile(), **kw)  # type: ignore[arg-type,unused-ignore]


def _root_style(html: str) -> str:
    root = parse(html).elements[0]
    assert root.tag == "table"
    return root.attrs.get("style") or ""


@pytest.mark.parametrize("theme", THEMES)
def test_golden_snapshot(theme: ThemeName) -> None:
    html = render_card(realistic_profile(), theme=theme, score=REALISTIC_SCORE, emails=REALISTIC_EMAILS)
    path = GOLDEN / f"card-{theme}.html"
    if os.environ.get("TALENTSCOUT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(html + "\n", encoding="utf-8")
    assert path.exists(), f"missing snapshot {path}; run with TALENTSCOUT_UPDATE_GOLDEN=1"
    assert html + "\n" == path.read_text(encoding="utf-8"), f"{path.name} changed: review, then regenerate"


@pytest.mark.parametrize("theme", THEMES)
def test_card_is_a_self_contained_email_safe_fragment(theme: ThemeName) -> None:
    html = render_card(realistic_profile(), theme=theme, score=REALISTIC_SCORE, emails=REALISTIC_EMAILS)
    assert html.startswith("<table") and html.endswith("</table>")
    style = _root_style(html)
    assert "max-width:600px" in style and "width:100%" in style
    assert f"background-color:{BY_NAME[theme].background}" in style
    assert f"font-family:{FONT_STACK}" in style and FONT_STACK.startswith("Inter,")
    lowered = html.lower()
    for banned in (
        "<script",
        "<style",
        "<link",
        "<img",
        "<iframe",
        "@import",
        "url(",
        "@font-face",
        "<svg",
        "class=",
    ):
        assert banned not in lowered, banned
    # The only URLs are link targets: nothing is fetched when the card is displayed.
    hrefs = {v for _, k, v in parse(html).attrs if k == "href"}
    assert hrefs == {"https://www.linkedin.com/in/ada-example", "mailto:ada@examplepay.com"}
    assert len(re.findall(r"https?://", html)) == 1


@pytest.mark.parametrize("theme", THEMES)
def test_gradient_heading_has_a_solid_fallback(theme: ThemeName) -> None:
    html = render_card(realistic_profile(), theme=theme)
    t = BY_NAME[theme]
    header = parse(html).elements[2]  # table > tr > td
    assert header.tag == "td"
    assert header.attrs["bgcolor"] == t.header_solid
    style = header.attrs["style"] or ""
    assert f"background-color:{t.header_solid};background-image:linear-gradient(" in style
    assert parse(html).fields("name") == ["Ada Example"]


def test_card_contents() -> None:
    html = render_card(realistic_profile(), theme="dark", score=REALISTIC_SCORE, emails=REALISTIC_EMAILS)
    p = parse(html)
    assert p.fields("name") == ["Ada Example"]
    assert p.fields("role") == ["Staff Software Engineer"]
    assert p.fields("company") == ["ExamplePay"]
    assert p.fields("headline") == ["Staff engineer building payment infrastructure at scale"]
    assert p.fields("location") == ["Berlin, DE"]  # region equal to the city is dropped
    assert p.fields("score") == ["87"]
    assert p.fields("rationale") == [REALISTIC_SCORE.rationale]
    assert p.fields("fit_point") == list(REALISTIC_SCORE.ai_fit_points)
    assert p.fields("skill")[:3] == ["Python", "Kubernetes", "PostgreSQL"]
    assert p.fields("email") == ["ada@examplepay.com"]  # the `guessed` one is not shown
    texts = {t.strip() for t in p.chrome_texts()}
    assert {
        "Why they match",
        "Fit points",
        "Top skills",
        "Verified email",
        "View LinkedIn profile →",
    } <= texts
    assert "12 years experience" in texts
    for el in p.field_elements():
        if el.attrs["data-field"] != "score":
            assert el.attrs.get("dir") == "auto", el.attrs["data-field"]


@pytest.mark.parametrize(("score", "band"), [(100, 0), (80, 0), (79, 1), (60, 1), (59, 2), (0, 2)])
def test_badge_band_colours(score: int, band: int) -> None:
    badge = BY_NAME["dark"].badges[band]
    html = render_card(realistic_profile(), theme="dark", score=CardScore(score))
    assert f"background-color:{badge.background}" in html and f"color:{badge.text}" in html
    assert parse(html).fields("score") == [str(score)]


def test_score_is_clamped_and_optional() -> None:
    assert parse(render_card(realistic_profile(), score=CardScore(150))).fields("score") == ["100"]
    assert parse(render_card(realistic_profile(), score=CardScore(-3))).fields("score") == ["0"]
    bare = parse(render_card(realistic_profile()))
    assert bare.fields("score") == [] and bare.fields("rationale") == [] and bare.fields("fit_point") == []
    assert "Why they match" not in {t.strip() for t in bare.chrome_texts()}


def test_lists_are_deduplicated_and_capped() -> None:
    skills = tuple(SkillRef(s) for s in ["Go", "go", " GO ", *[f"s{i}" for i in range(20)]])
    score = CardScore(70, "r", (*(f"point {i}" for i in range(9)), "point 0"))
    emails = [VerifiedEmail(f"a{i}@example.com", "valid") for i in range(5)] + [
        VerifiedEmail("A0@example.com", "valid")
    ]
    p = parse(render_card(_doc(skills=skills), score=score, emails=emails))
    assert p.fields("skill") == ["Go", *[f"s{i}" for i in range(11)]]
    assert p.fields("fit_point") == [f"point {i}" for i in range(5)]
    assert p.fields("email") == ["a0@example.com", "a1@example.com", "a2@example.com"]


@pytest.mark.parametrize(
    ("links", "label", "href"),
    [
        (
            [
                Link("github", "https://github.com/a"),
                Link("website", "https://a.dev"),
                Link("linkedin", "https://linkedin.com/in/a"),
            ],
            "View LinkedIn profile →",
            "https://linkedin.com/in/a",
        ),
        (
            [
                Link("github", "https://github.com/a"),
                Link("linkedin", "javascript:alert(1)"),
                Link("website", "https://a.dev"),
            ],
            "Visit personal site →",
            "https://a.dev",
        ),
        ([Link("github", "github.com/a")], "View GitHub profile →", "https://github.com/a"),
        ([Link("twitter", "https://x.example/a")], "View profile →", "https://x.example/a"),
        ([Link("linkedin", "mailto:a@example.com")], None, None),
        ([Link("linkedin", "data:text/html,x"), Link("website", "//evil.example")], None, None),
        ([], None, None),
    ],
)
def test_button_prefers_linkedin_then_personal_site_then_github(
    links: list[Link], label: str | None, href: str | None
) -> None:
    p = parse(render_card(_doc(links=tuple(links))))
    anchors = [el for el in p.elements if el.tag == "a"]
    if label is None:
        assert anchors == []
    else:
        assert [(a.text(), a.attrs["href"]) for a in anchors] == [(label, href)]
        assert anchors[0].attrs["rel"] == "noopener noreferrer nofollow"


def test_unlinkable_verified_email_is_text_only() -> None:
    p = parse(render_card(realistic_profile(), emails=[VerifiedEmail("zoë@exämple.com", "valid")]))
    (el,) = [e for e in p.elements if e.attrs.get("data-field") == "email"]
    assert el.tag == "span" and el.text() == "zoë@exämple.com"


def test_blank_and_missing_values() -> None:
    doc = ProfileDoc(profile_id="prof_x", external_id=None, name=" \x00 ", headline="Data engineer")
    p = parse(render_card(doc))
    assert p.fields("name") == [UNNAMED]
    assert p.fields("role") == ["Data engineer"]  # no positions: the headline is the role line
    assert p.fields("headline") == [] and p.fields("company") == [] and p.fields("location") == []
    dup = _doc(headline="Staff Software Engineer at ExamplePay")
    assert parse(render_card(dup)).fields("headline") == []
    located = _doc(place=Place(raw="  ", city="Lyon", country_code="FR"))
    assert parse(render_card(located)).fields("location") == ["Lyon, FR"]


def test_rtl_role_line_is_ordered_for_the_reader() -> None:
    doc = _doc(name="مريم الحسيني", positions=(Position(title="مهندسة برمجيات", company="شركة المثال"),))
    p = parse(render_card(doc))
    (line,) = [el for el in p.elements if el.tag == "p" and "dir" in el.attrs and el.attrs["dir"] != "auto"]
    assert line.attrs["dir"] == "rtl"
    assert p.fields("role") == ["مهندسة برمجيات"] and p.fields("company") == ["شركة المثال"]
    ltr = parse(render_card(realistic_profile()))
    assert [
        el.attrs["dir"] for el in ltr.elements if el.tag == "p" and el.attrs.get("dir") in ("ltr", "rtl")
    ] == ["ltr"]


def test_page_wrapper_declares_utf8_and_forbids_scripts() -> None:
    cards = [render_card(realistic_profile(), theme="light")]
    page = render_page(cards, theme="light")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    assert """content="default-src 'none'; style-src 'unsafe-inline'">""" in page
    assert cards[0] in page  # inserted once, not escaped again
