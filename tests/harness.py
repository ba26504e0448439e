"""Test harness: a real uvicorn server on a loopback ephemeral port, and API helpers.

Product-quality test code: used by every integration test and by benchmarks.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789"
PG_URL = os.environ.get("TALENTSCOUT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TALENTSCOUT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class ServerThread:
    """Runs an ASGI app with uvicorn in a background thread (its own event loop)."""

    def __init__(self, app: FastAPI) -> None:
        self.config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        asyncio.run(self.server.serve())

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    server = ServerThread(app)
    base = server.start()
    try:
        yield base
    finally:
        server.stop()


@dataclass
class Tenant:
    company_id: str
    key: str
    key_id: str


class Api:
    """A thin client over real HTTP with admin helpers for seeding."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def admin(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {})
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
        return self.http.request(method, path, headers=headers, **kw)

    def call(self, method: str, path: str, key: str | None, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {})
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        return self.http.request(method, path, headers=headers, **kw)

    def create_company(self, name: str = "Acme Corp", **fields: Any) -> str:
        r = self.admin("POST", "/admin/companies", json={"name": name, **fields})
        assert r.status_code == 201, r.text
        return str(r.json()["data"]["id"])

    def create_key(self, company_id: str, scopes: list[str] | None = None, **fields: Any) -> tuple[str, str]:
        from talentscout.auth.keys import SCOPES

        body = {"companyId": company_id, "name": "test key", "scopes": list(scopes or SCOPES), **fields}
        r = self.admin("POST", "/admin/api-keys", json=body)
        assert r.status_code == 201, r.text
        data = r.json()["data"]
        return str(data["key"]), str(data["id"])

    def tenant(self, name: str = "Acme Corp", scopes: list[str] | None = None, **key_fields: Any) -> Tenant:
        cid = self.create_company(name)
        key, key_id = self.create_key(cid, scopes, **key_fields)
        return Tenant(cid, key, key_id)

    def close(self) -> None:
        self.http.close()
