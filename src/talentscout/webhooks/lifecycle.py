"""Startup hook: the shared webhook sender, and the dispatcher when this process runs workers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI

from talentscout.kit.ssrf import Resolver
from talentscout.webhooks.dispatcher import run_dispatcher
from talentscout.webhooks.sender import WebhookSender


async def webhooks_startup(app: FastAPI) -> Callable[[], Awaitable[None]]:
    """Create `app.state.webhook_sender`; start the dispatcher if `app.state.run_worker`."""
    settings = app.state.settings
    resolver: Resolver | None = getattr(app.state, "ssrf_resolver", None)
    sender = WebhookSender.from_settings(settings, resolver)
    app.state.webhook_sender = sender
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    if app.state.run_worker:
        task = asyncio.create_task(
            run_dispatcher(app.state.db, settings, stop, sender=sender), name="webhook-dispatcher"
        )

    async def shutdown() -> None:
        stop.set()
        if task is not None:
            await task
        await sender.aclose()

    return shutdown
