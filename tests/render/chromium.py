"""A minimal headless-Chromium driver over the DevTools protocol (loopback websocket).

Product-quality test code: no browser download, no Playwright. It starts the Debian
`chromium` binary with a throw-away profile and `--remote-debugging-port=0`, reads the
chosen port from `DevToolsActivePort`, and speaks CDP with the `websockets` client the
app already depends on (through uvicorn[standard]). Every wait is bounded.

Install (CI / a dev box, as root): `apt-get update && apt-get install -y chromium`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
INSTALL_HINT = "apt-get update && apt-get install -y chromium"


def find_chromium() -> str | None:
    explicit = os.environ.get("TALENTSCOUT_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CdpError(RuntimeError):
    pass


class Chromium:
    """One headless browser process; `page()` opens a tab and returns its CDP session."""

    def __init__(self, binary: str, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="ts-chromium-"))
        self.log = (self.profile / "chromium.log").open("wb")
        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self._stack = ExitStack()
        try:
            # proxy=None: the DevTools socket is on loopback, never through an HTTP(S)_PROXY.
            self.ws: ClientConnection = self._stack.enter_context(
                connect(self._endpoint(), max_size=None, open_timeout=timeout, proxy=None)
            )
        except BaseException:
            self.close()
            raise

    def _endpoint(self) -> str:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CdpError(
                    f"chromium exited with {self.proc.returncode}; log: {self.profile / 'chromium.log'}"
                )
            if marker.exists():
                lines = marker.read_text().split()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise CdpError("chromium did not open its DevTools port in time")

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        msg_id = self._next_id
        message: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._recv(deadline)
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise CdpError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            if "method" in reply:
                self.events.append(reply)

    def _recv(self, deadline: float) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CdpError("timed out waiting for the browser")
        try:
            raw = self.ws.recv(timeout=remaining)
        except TimeoutError as exc:
            raise CdpError("timed out waiting for the browser") from exc
        data: dict[str, Any] = json.loads(raw)
        return data

    def wait_event(self, method: str, session: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        for i, event in enumerate(self.events):
            if event["method"] == method and event.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            event = self._recv(deadline)
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            if "method" in event:
                self.events.append(event)

    def drain(self, seconds: float) -> None:
        """Collect events for a while (lets late handlers such as img onerror fire)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                event = self._recv(deadline)
            except CdpError:
                return
            if "method" in event:
                self.events.append(event)

    def page(self, width: int = 640, height: int = 900, scale: float = 1.0, mobile: bool = False) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session: str = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Audits", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile},
            session=session,
        )
        return session

    def load(self, session: str, url: str) -> None:
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)

    def evaluate(self, session: str, expression: str) -> Any:
        # CDP evaluation is not subject to the page's CSP: it is the test's own eye on the page.
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session
        )
        if "exceptionDetails" in result:
            raise CdpError(f"evaluate failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path, selector: str | None = None, margin: int = 16) -> Path:
        """PNG of the whole page, or of the first `selector` match plus `margin` px around it."""
        if selector is None:
            box = self.evaluate(
                session,
                "({x: 0, y: 0, width: document.documentElement.scrollWidth,"
                " height: document.documentElement.scrollHeight})",
            )
        else:
            box = self.evaluate(
                session,
                f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
                f" const m = {margin}; return {{x: Math.max(0, r.left - m), y: Math.max(0, r.top - m),"
                " width: r.width + 2 * m, height: r.height + 2 * m}; })()",
            )
        clip = {k: float(box[k]) for k in ("x", "y", "width", "height")}
        shot = self.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": {**clip, "scale": 1}},
            session=session,
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def events_for(self, session: str, *methods: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("sessionId") == session and e["method"] in methods]

    def close(self) -> None:
        try:
            if getattr(self, "ws", None) is not None:
                with suppress(Exception):  # the browser may already be gone
                    self.send("Browser.close")
            self._stack.close()
        finally:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)
