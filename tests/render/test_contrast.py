"""WCAG AA text contrast (4.5:1) for both themes: from the palette and from rendered cards.

The rendered check resolves, for every text node of a full card, the inherited `color`
and the nearest painted background (`background-color`/`bgcolor`; for the gradient
heading, the solid fallback and points along the gradient) and computes the ratio. It
also requires every pair it finds to be declared in `themes.text_pairs`, so a colour
added to a template without review fails here.
"""

from __future__ import annotations

import pytest

from talentscout.engine.profile import ProfileDoc
from talentscout.render.cards import CardScore, render_card
from talentscout.render.themes import (
    AA_NORMAL,
    BY_NAME,
    THEMES,
    ThemeName,
    contrast_ratio,
    header_backgrounds,
    mix,
    relative_luminance,
    text_pairs,
)
from tests.render.corpus import REALISTIC_EMAILS, realistic_profile
from tests.render.htmlcheck import Element, parse


def test_contrast_maths_matches_known_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic AA near-miss
    assert contrast_ratio("#0f172a", "#f8fafc") == contrast_ratio("#f8fafc", "#0f172a")
    assert relative_luminance("#fff") == pytest.approx(1.0)
    assert mix("#000000", "#ffffff", 0.5) == "#808080"


@pytest.mark.parametrize("theme", THEMES)
def test_every_declared_text_pair_meets_aa(theme: ThemeName) -> None:
    failures = [
        f"{what}: {fg} on {bg} = {contrast_ratio(fg, bg):.2f}"
        for what, fg, bg in text_pairs(BY_NAME[theme])
        if contrast_ratio(fg, bg) < AA_NORMAL
    ]
    assert not failures, failures


def test_theme_backgrounds_are_the_contract_colours() -> None:
    assert BY_NAME["dark"].background == "#0f172a"
    assert BY_NAME["light"].background == "#ffffff"


def _style(el: Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for decl in (el.attrs.get("style") or "").split(";"):
        prop, _, value = decl.partition(":")
        if prop.strip():
            out[prop.strip().lower()] = value.strip().lower()
    return out


def _colour(el: Element | None) -> str | None:
    while el is not None:
        c = _style(el).get("color")
        if c:
            return c
        el = el.parent
    return None


def _backgrounds(el: Element | None, theme: ThemeName) -> list[str]:
    while el is not None:
        style = _style(el)
        bg = style.get("background-color") or el.attrs.get("bgcolor")
        if bg:
            if "linear-gradient" in style.get("background-image", ""):
                return header_backgrounds(BY_NAME[theme])
            return [bg.lower()]
        el = el.parent
    return []


def rendered_pairs(html: str, theme: ThemeName) -> list[tuple[str, str, str]]:
    """(text, foreground, background) for every visible text node of a card."""
    out: list[tuple[str, str, str]] = []

    def walk(el: Element) -> None:
        for child in el.children:
            if isinstance(child, str):
                if child.strip():
                    fg = _colour(el)
                    bgs = _backgrounds(el, theme)
                    assert fg is not None and bgs, f"text without explicit colours: {child!r}"
                    out.extend((child.strip(), fg, bg) for bg in bgs)
            else:
                walk(child)

    walk(parse(html).root)
    return out


def _full_cards(theme: ThemeName) -> list[str]:
    doc: ProfileDoc = realistic_profile()
    return [
        render_card(doc, theme=theme, score=CardScore(s, "Rationale.", ("Point",)), emails=REALISTIC_EMAILS)
        for s in (95, 70, 10)
    ]


def assert_rendered_contrast(html: str, theme: ThemeName) -> None:
    declared = {(fg, bg) for _, fg, bg in text_pairs(BY_NAME[theme])}
    for text, fg, bg in rendered_pairs(html, theme):
        ratio = contrast_ratio(fg, bg)
        assert ratio >= AA_NORMAL, f"{text!r}: {fg} on {bg} = {ratio:.2f} below AA"
        assert (fg, bg) in declared, f"undeclared colour pair {fg} on {bg} for {text!r}"


@pytest.mark.parametrize("theme", THEMES)
def test_rendered_cards_meet_aa(theme: ThemeName) -> None:
    for html in _full_cards(theme):
        pairs = rendered_pairs(html, theme)
        assert len({t for t, _, _ in pairs}) > 20  # labels, fields, chips, badge, button: all checked
        assert_rendered_contrast(html, theme)


def test_the_contrast_check_can_fail() -> None:
    html = _full_cards("light")[0]
    low = html.replace("color:#475569", "color:#cbd5e1")  # muted labels, far too pale on white
    assert low != html
    with pytest.raises(AssertionError, match="below AA"):
        assert_rendered_contrast(low, "light")
    dark = _full_cards("dark")[0]
    assert_rendered_contrast(dark, "dark")
    invisible = dark.replace("color:#f8fafc", "color:#1e293b")  # primary text almost on its background
    assert invisible != dark
    with pytest.raises(AssertionError, match="below AA"):
        assert_rendered_contrast(invisible, "dark")
    with pytest.raises(AssertionError, match="undeclared"):
        assert_rendered_contrast(dark.replace("color:#f8fafc", "color:#ffffff"), "dark")
