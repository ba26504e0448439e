"""Card colour themes (dark `#0f172a`, light `#ffffff`) and the WCAG contrast maths.

Every colour a card uses lives here, never in profile data: templates only ever
interpolate these constants into `style` attributes. `TEXT_PAIRS` lists each
text/background pair a theme draws, so tests (and anyone changing a colour) can
check WCAG 2.x AA (4.5:1 for body text) in one place; the tests also derive the
pairs from rendered cards, so a colour used in a template but missing here fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ThemeName = Literal["dark", "light"]
THEMES: tuple[ThemeName, ...] = ("dark", "light")
AA_NORMAL = 4.5
AA_LARGE = 3.0  # >= 24 px, or >= 18.66 px bold

# Inter first when the reader has it installed; no web font is ever loaded.
# Unquoted family names are valid CSS and keep quotes out of the attribute entirely.
FONT_STACK = "Inter,-apple-system,BlinkMacSystemFont,Segoe UI,Roboto,Helvetica,Arial,sans-serif"


@dataclass(frozen=True, slots=True)
class Badge:
    """Match-score badge colours for one score band."""

    label: str
    background: str
    text: str


@dataclass(frozen=True, slots=True)
class Theme:
    name: ThemeName
    background: str
    border: str
    text: str
    text_secondary: str
    muted: str
    link: str
    check: str
    divider: str
    chip_background: str
    chip_border: str
    chip_text: str
    # The name heading: a gradient band; `header_solid` is what clients without
    # CSS gradients (Outlook desktop, some webmails) paint instead.
    header_solid: str
    header_from: str
    header_to: str
    header_text: str
    header_subtext: str
    button_background: str
    button_text: str
    badges: tuple[Badge, Badge, Badge]  # strong (>= 80), good (>= 60), partial

    def badge_for(self, score: int) -> Badge:
        if score >= 80:
            return self.badges[0]
        if score >= 60:
            return self.badges[1]
        return self.badges[2]

    @property
    def header_gradient(self) -> str:
        return f"linear-gradient(135deg,{self.header_from} 0%,{self.header_to} 100%)"


# The badge sits on the header band in both themes, so both share one set.
_BADGES = (
    Badge("Strong match", "#dcfce7", "#14532d"),
    Badge("Good match", "#dbeafe", "#1e3a8a"),
    Badge("Partial match", "#f1f5f9", "#334155"),
)

DARK = Theme(
    name="dark",
    background="#0f172a",
    border="#1e293b",
    text="#f8fafc",
    text_secondary="#cbd5e1",
    muted="#94a3b8",
    link="#a5b4fc",
    check="#4ade80",
    divider="#1e293b",
    chip_background="#1e293b",
    chip_border="#334155",
    chip_text="#e2e8f0",
    header_solid="#4338ca",
    header_from="#4338ca",
    header_to="#6d28d9",
    header_text="#ffffff",
    header_subtext="#e0e7ff",
    button_background="#4f46e5",
    button_text="#ffffff",
    badges=_BADGES,
)

LIGHT = Theme(
    name="light",
    background="#ffffff",
    border="#e2e8f0",
    text="#0f172a",
    text_secondary="#334155",
    muted="#475569",
    link="#4338ca",
    check="#15803d",
    divider="#e2e8f0",
    chip_background="#eef2ff",
    chip_border="#c7d2fe",
    chip_text="#3730a3",
    header_solid="#4338ca",
    header_from="#4338ca",
    header_to="#6d28d9",
    header_text="#ffffff",
    header_subtext="#e0e7ff",
    button_background="#4f46e5",
    button_text="#ffffff",
    badges=_BADGES,
)

BY_NAME: dict[ThemeName, Theme] = {"dark": DARK, "light": LIGHT}


def header_backgrounds(theme: Theme, samples: int = 8) -> list[str]:
    """Every colour the header band can show: the solid fallback and points along the gradient."""
    colours = [theme.header_solid]
    for i in range(samples + 1):
        colours.append(mix(theme.header_from, theme.header_to, i / samples))
    return colours


def text_pairs(theme: Theme) -> list[tuple[str, str, str]]:
    """(what, foreground, background) for every text the card draws in this theme."""
    body = [
        ("primary text", theme.text, theme.background),
        ("secondary text", theme.text_secondary, theme.background),
        ("muted text / labels", theme.muted, theme.background),
        ("links", theme.link, theme.background),
        ("fit-point check", theme.check, theme.background),
        ("skill chips", theme.chip_text, theme.chip_background),
        ("button", theme.button_text, theme.button_background),
    ]
    body += [(f"badge {b.label}", b.text, b.background) for b in theme.badges]
    for bg in header_backgrounds(theme):
        body += [("name heading", theme.header_text, bg), ("role line", theme.header_subtext, bg)]
    return body


def _channel(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(ch * 2 for ch in h)
    if len(h) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB `#rrggbb` colour."""
    r, g, b = (_channel(v / 255) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2.x contrast ratio, 1.0 … 21.0."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(a: str, b: str, t: float) -> str:
    """Linear sRGB interpolation (what a CSS gradient paints by default), as `#rrggbb`."""
    ra, rb = _rgb(a), _rgb(b)
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ra, rb, strict=True))
