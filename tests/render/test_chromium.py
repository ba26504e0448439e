"""RELIABILITY.md item 25: cards in a real headless Chromium (Debian `chromium`).

* Cards built from the XSS corpus (every value in every field, both themes) are loaded in
  a page under `default-src 'none'; style-src 'unsafe-inline'` with a page-level sentinel
  that any injected script would flip. The sentinel stays clean, and beyond that the
  browser reports **no** CSP violation (nothing even tried to run or load), fetches nothing
  but the page, finds no script/handler/foreign element, resolves every link to
  http/https/mailto, and shows each field exactly as `clean_text` of the input.
* The same cards without any CSP: still inert (escaping alone is enough).
* Positive controls prove the detectors work: a deliberately unescaped payload flips the
  sentinel without CSP and raises a CSP violation with it.
* Screenshots of a realistic profile in both themes, desktop (640 px) and phone (375 px)
  widths, are written to `TALENTSCOUT_CARD_SCREENSHOTS` (default: a pytest tmp dir).

Chromium is mandatory in CI (`CI=true`); elsewhere the tests skip when it is missing.
Install: `apt-get update && apt-get install -y chromium` (optional, for emoji in
screenshots: `fonts-noto-color-emoji`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from talentscout.render.cards import render_card
from talentscout.render.themes import THEMES, ThemeName
from tests.render.chromium import INSTALL_HINT, Chromium, find_chromium
from tests.render.corpus import (
    PWN,
    REALISTIC_EMAILS,
    REALISTIC_SCORE,
    XSS_CORPUS,
    hostile_profile,
    realistic_profile,
)
from tests.render.test_card_safety import expected_fields

IN_CI = os.environ.get("CI") == "true"
CSP = "default-src 'none'; style-src 'unsafe-inline'"
TITLE = "cards under test"

# Everything the page must look like after load, evaluated by the browser itself.
INSPECT = """(() => {
  const all = [...document.querySelectorAll('*')];
  const cards = [...document.querySelectorAll('table[data-card-theme]')];
  return {
    sentinel: document.getElementById('sentinel').dataset.state,
    title: document.title,
    scripts: document.scripts.length,
    handlers: all.flatMap(e => [...e.attributes].filter(a => a.name.toLowerCase().startsWith('on')).map(a => e.tagName + ' ' + a.name)),
    tags: [...new Set(all.map(e => e.tagName.toLowerCase()))],
    protocols: [...new Set([...document.querySelectorAll('[href],[src],[action]')].map(e => e.protocol ?? (e.getAttribute('src') || e.getAttribute('action'))))],
    widest: Math.max(...cards.map(c => c.getBoundingClientRect().width)),
    cards: cards.map(c => {
      const f = {};
      for (const el of c.querySelectorAll('[data-field]')) (f[el.dataset.field] ??= []).push(el.textContent);
      return f;
    }),
  };
})()"""
PAGE_TAGS = {"html", "head", "meta", "title", "body", "div"}
CARD_TAGS = {"table", "tbody", "tr", "td", "h2", "p", "span", "a", "div"}  # the parser adds tbody


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        message = f"headless Chromium not found (install: {INSTALL_HINT})"
        if IN_CI:
            pytest.fail(message + "; it is mandatory in CI")
        pytest.skip(message)
    b = Chromium(binary)
    try:
        yield b
    finally:
        b.close()


def page(cards: list[str], *, csp: bool, background: str = "#e2e8f0", extra: str = "") -> str:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' if csp else ""
    body = "".join(f'<div style="max-width:600px;margin:0 auto 16px auto;">{c}</div>' for c in cards)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{meta}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{TITLE}</title></head>"
        f'<body style="margin:0;padding:16px;background-color:{background};">'
        f'<div id="sentinel" data-state="clean" style="display:none">sentinel</div>{extra}{body}</body></html>'
    )


def load(
    browser: Chromium, tmp_path: Path, name: str, html: str, width: int = 640
) -> tuple[str, dict[str, Any]]:
    path = tmp_path / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    session = browser.page(width=width)
    browser.load(session, path.as_uri())
    browser.drain(0.75)  # late handlers (img onerror, svg onload) get their chance to fire
    state: dict[str, Any] = browser.evaluate(session, INSPECT)
    return session, state


def violations(browser: Chromium, session: str) -> list[str]:
    found = [
        e["params"]["entry"]["text"]
        for e in browser.events_for(session, "Log.entryAdded")
        if e["params"]["entry"].get("source") == "security"
    ]
    found += [
        json.dumps(e["params"]["issue"])
        for e in browser.events_for(session, "Audits.issueAdded")
        if e["params"]["issue"].get("code") == "ContentSecurityPolicyIssue"
    ]
    return found


def requests(browser: Chromium, session: str) -> list[str]:
    return [e["params"]["request"]["url"] for e in browser.events_for(session, "Network.requestWillBeSent")]


def corpus_cards() -> tuple[list[str], list[dict[str, list[str]]]]:
    cards, expected = [], []
    for theme in THEMES:
        for value in XSS_CORPUS:
            doc, score, emails = hostile_profile(value)
            cards.append(render_card(doc, theme=theme, score=score, emails=emails))
            # The browser reports fields that exist; absent (blank) fields are simply missing.
            expected.append({k: v for k, v in expected_fields(value).items() if v})
    return cards, expected


def assert_inert(state: dict[str, Any], expected: list[dict[str, list[str]]]) -> None:
    assert state["sentinel"] == "clean", "an injected script ran"
    assert state["title"] == TITLE, "an injected script ran"
    assert state["scripts"] == 0
    assert state["handlers"] == []
    assert set(state["tags"]) <= PAGE_TAGS | CARD_TAGS, set(state["tags"]) - PAGE_TAGS - CARD_TAGS
    assert set(state["protocols"]) <= {"https:", "http:", "mailto:"}, state["protocols"]
    assert 0 < state["widest"] <= 600
    # The browser's own parse shows every field exactly as clean_text(input).
    assert state["cards"] == expected


def test_xss_corpus_is_inert_under_a_no_script_csp(browser: Chromium, tmp_path: Path) -> None:
    cards, expected = corpus_cards()
    session, state = load(browser, tmp_path, "corpus-csp", page(cards, csp=True))
    assert_inert(state, expected)
    assert violations(browser, session) == [], "something in a card tried to run or load"
    assert requests(browser, session) == [(tmp_path / "corpus-csp.html").as_uri()]


def test_escaping_alone_keeps_the_corpus_inert(browser: Chromium, tmp_path: Path) -> None:
    cards, expected = corpus_cards()
    session, state = load(browser, tmp_path, "corpus-open", page(cards, csp=False))
    assert_inert(state, expected)
    assert requests(browser, session) == [(tmp_path / "corpus-open.html").as_uri()]


def test_positive_controls_prove_the_detectors_work(browser: Chromium, tmp_path: Path) -> None:
    raw = f'<img src="x" onerror="{PWN}"><svg onload="{PWN}"></svg>'  # what an unescaped card would contain
    card = render_card(realistic_profile(), theme="dark")
    _, open_state = load(browser, tmp_path, "control-open", page([card], csp=False, extra=raw))
    assert open_state["sentinel"] == "pwned"
    session, csp_state = load(browser, tmp_path, "control-csp", page([card], csp=True, extra=raw))
    assert csp_state["sentinel"] == "clean"
    assert violations(browser, session), "the CSP violation detector saw nothing"


def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("TALENTSCOUT_CARD_SCREENSHOTS")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("card-screenshots")


@pytest.mark.parametrize("theme", THEMES)
def test_screenshots_of_both_themes(
    browser: Chromium, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, theme: ThemeName
) -> None:
    out = screenshot_dir(tmp_path_factory)
    card = render_card(realistic_profile(), theme=theme, score=REALISTIC_SCORE, emails=REALISTIC_EMAILS)
    background = "#020617" if theme == "dark" else "#f1f5f9"
    html = page([card], csp=True, background=background)
    for width, suffix in ((640, ""), (375, "-phone")):
        session, state = load(browser, tmp_path, f"{theme}{suffix}", html, width=width)
        assert state["sentinel"] == "clean" and violations(browser, session) == []
        assert browser.evaluate(session, "document.documentElement.scrollWidth") <= width, "horizontal scroll"
        card_bg = browser.evaluate(
            session, "getComputedStyle(document.querySelector('table[data-card-theme]')).backgroundColor"
        )
        assert card_bg == ("rgb(15, 23, 42)" if theme == "dark" else "rgb(255, 255, 255)")
        shot = browser.screenshot(session, out / f"card-{theme}{suffix}.png", "table[data-card-theme]")
        data = shot.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
        assert int.from_bytes(data[16:20], "big") == min(width, 600 + 32)  # the card plus its margin
