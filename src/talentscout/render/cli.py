"""`talentscout render`: print candidate cards as a standalone HTML page for operators.

    talentscout render --profile-id prof_… [--profile-id …] [--theme light] [--company ID] > card.html

Visibility is the API's: without `--company` only global profiles can be rendered and
the card carries no score or emails; with `--company` that company's private profiles
are visible too and its latest score and verified emails are shown.
The output is a UTF-8 document under a no-script CSP (`--fragment` prints only the
`<table>` fragments, one per line, as the API returns them). Unknown ids are reported
on stderr and make the exit status 1.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from enum import StrEnum
from typing import Annotated

import typer


class ThemeOption(StrEnum):
    dark = "dark"
    light = "light"


def render(
    profile_id: Annotated[list[str], typer.Option("--profile-id", help="profile id (prof_…); repeatable")],
    theme: Annotated[
        ThemeOption, typer.Option(case_sensitive=False, help="dark (#0f172a) or light (#ffffff)")
    ] = ThemeOption.dark,
    company: Annotated[
        str | None, typer.Option(help="render as this company (its private profiles, scores, emails)")
    ] = None,
    fragment: Annotated[bool, typer.Option("--fragment", help="print only the card fragments")] = False,
) -> None:
    """Render candidate cards to stdout (redirect to card.html and open it in a browser)."""
    from talentscout.config import get_settings
    from talentscout.db import Database
    from talentscout.render import router
    from talentscout.render.cards import render_page
    from talentscout.render.service import RenderedCard, render_cards

    company_id: uuid.UUID | None = None
    if company is not None:
        try:
            company_id = uuid.UUID(company)
        except ValueError as exc:
            raise typer.BadParameter("--company must be a company id (UUID)") from exc

    async def main() -> list[RenderedCard]:
        db = Database(get_settings().database_url)
        try:
            return await render_cards(
                db,
                profile_id,
                company_id=company_id,
                theme=theme.value,
                score_lookup=router.SCORE_LOOKUP,
                email_lookup=router.EMAIL_LOOKUP,
            )
        finally:
            await db.dispose()

    cards = asyncio.run(main())
    html = [c.html for c in cards if c.html is not None]
    for card in cards:
        if not card.found:
            typer.echo(f"PROFILE_NOT_FOUND: {card.profile_id}", err=True)
    if html:
        text = "\n".join(html) if fragment else render_page(html, theme=theme.value)
        # Bytes, not text: the page declares UTF-8 whatever the operator's locale is.
        sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
        sys.stdout.buffer.flush()
    if len(html) != len(cards):
        raise typer.Exit(1)
