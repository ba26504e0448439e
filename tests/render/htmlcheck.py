"""Parse a rendered card with `html.parser` and expose what the safety properties inspect.

The card template's own vocabulary (tags, attribute values, style strings, label texts)
is learned by rendering benign reference profiles in every layout variant; a card built
from hostile data may use only that vocabulary, plus profile text inside `data-field`
elements and vetted `href`s. So user data cannot hide in a `style`, a `dir`, an
unexpected attribute or a label, whatever the input.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

from talentscout.engine.profile import Link, Place, Position, ProfileDoc, SkillRef
from talentscout.render.cards import CardScore, VerifiedEmail, render_card
from talentscout.render.themes import THEMES, ThemeName

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
ALLOWED_TAGS = {"table", "tr", "td", "h2", "p", "span", "a", "div"}
ALLOWED_SCHEMES = ("https:", "http:", "mailto:")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    parent: Element | None
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self) -> list[Element]:
        out = [self]
        for c in self.children:
            if isinstance(c, Element):
                out += c.iter()
        return out


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {}, None)
        self.cur = self.root
        self.all_attrs: list[tuple[str, str, str | None]] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), self.cur)
        self.all_attrs += [(tag, k, v) for k, v in attrs]
        self.cur.children.append(el)
        if tag not in VOID:
            self.cur = el

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, dict(attrs), self.cur)
        self.all_attrs += [(tag, k, v) for k, v in attrs]
        self.cur.children.append(el)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data: str) -> None:
        self.cur.children.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def unknown_decl(self, data: str) -> None:
        self.declarations.append(data)

    def handle_pi(self, data: str) -> None:
        self.declarations.append(data)


@dataclass
class Parsed:
    root: Element
    attrs: list[tuple[str, str, str | None]]
    comments: list[str]
    declarations: list[str]

    @property
    def elements(self) -> list[Element]:
        return self.root.iter()[1:]

    def fields(self, name: str) -> list[str]:
        return [el.text() for el in self.elements if el.attrs.get("data-field") == name]

    def field_elements(self) -> list[Element]:
        return [el for el in self.elements if "data-field" in el.attrs]

    def chrome_texts(self) -> list[str]:
        """Text nodes outside every `data-field` element (the template's own words)."""
        out: list[str] = []

        def walk(el: Element) -> None:
            if "data-field" in el.attrs:
                return
            for c in el.children:
                if isinstance(c, str):
                    out.append(c)
                else:
                    walk(c)

        walk(self.root)
        return out

    def hrefs(self) -> list[str]:
        return [
            v or "" for _, k, v in self.attrs if k in ("href", "src", "action", "formaction", "xlink:href")
        ]


def parse(html: str) -> Parsed:
    b = _Builder()
    b.feed(html)
    b.close()
    return Parsed(b.root, b.all_attrs, b.comments, b.declarations)


def browser_scheme(url: str) -> str:
    """The scheme as a browser's URL parser sees it (WHATWG: strip C0/space, drop TAB/LF/CR)."""
    u = url.strip("".join(chr(i) for i in range(0x21)))
    u = re.sub(r"[\t\n\r]", "", u)
    m = re.match(r"^([A-Za-z][A-Za-z0-9+.\-]*):", u)
    return (m.group(1).lower() + ":") if m else ""


def href_is_safe(url: str) -> bool:
    scheme = browser_scheme(url)
    return scheme in ALLOWED_SCHEMES and (urlsplit(url).scheme.lower() + ":") == scheme


# ------------------------------------------------------------------ the template's vocabulary


@dataclass(frozen=True)
class Vocabulary:
    attrs: frozenset[tuple[str, str, str | None]]  # (tag, name, value) other than href
    chrome: frozenset[str]  # text nodes outside data-field elements, stripped


def _reference_cards(theme: ThemeName) -> list[str]:
    """Every layout variant once. Body options interact with each other (margins depend on
    what precedes them); header options only with each other, so they are cycled alongside."""
    body = list(
        itertools.product(
            (None, 95, 70, 10), (False, True), (False, True), (False, True), ("none", "linked", "plain")
        )
    )
    header = [
        h
        for h in itertools.product(
            (False, True), (False, True), (False, True), ("none", "linkedin", "website", "github", "other")
        )
        if h[0] or not h[2]
    ]
    assert len(body) >= len(header)
    cards: list[str] = []
    for i, (score, headline, skills, location, emails) in enumerate(body):
        role, company, rtl_role, link = header[i % len(header)]
        doc = ProfileDoc(
            profile_id="prof_ref",
            external_id=None,
            name="Reference Name",
            headline="A headline" if headline else None,
            place=Place(city="Paris") if location else Place(),
            positions=(
                Position(
                    title=("مهندسة" if rtl_role else "Engineer") if role else "",
                    company="Co" if company else None,
                ),
            ),
            skills=(SkillRef("Python"),) if skills else (),
            links=() if link == "none" else (Link(link, "https://example.com/x"),),
            years_experience=7.0 if location else 0.0,
        )
        mails = {
            "none": [],
            "linked": [VerifiedEmail("a@example.com", "valid")],
            "plain": [VerifiedEmail("ä@example.com", "valid")],
        }[emails]
        sc = None if score is None else CardScore(score, "Because.", ("Point",))
        cards.append(render_card(doc, theme=theme, score=sc, emails=mails))
    return cards


@lru_cache(maxsize=2)
def vocabulary(theme: ThemeName) -> Vocabulary:
    attrs: set[tuple[str, str, str | None]] = set()
    chrome: set[str] = set()
    for html in _reference_cards(theme):
        p = parse(html)
        attrs |= {(t, k, v) for t, k, v in p.attrs if k != "href"}
        chrome |= {t.strip() for t in p.chrome_texts()}
    return Vocabulary(frozenset(attrs), frozenset(chrome))


def all_vocabularies() -> dict[ThemeName, Vocabulary]:
    return {t: vocabulary(t) for t in THEMES}
