"""The optional LLM step against a fake OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from talentscout.engine.derive import IcpInput, derive_icp
from talentscout.engine.icp import ICP
from talentscout.engine.lexicon import EngineLexicon
from talentscout.providers.llm import LLMConfig, LLMRefiner, config_from_env

INP = IcpInput(
    title="Backend Engineer",
    job_description="Requirements:\n- Python\n- PostgreSQL\n",
    location="Berlin, Germany",
    query="must: Kubernetes",
)


class FakeLLM:
    """Scripted answers: each entry is ("json", obj) | ("text", str) | ("status", code) | ("sleep", seconds)."""

    def __init__(self) -> None:
        self.script: list[tuple[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
                )
                kind, val = fake.script.pop(0) if fake.script else ("status", 500)
                if kind == "sleep":
                    time.sleep(val)
                    kind, val = "text", "{}"
                if kind == "status":
                    self.send_response(val)
                    self.end_headers()
                    return
                content = json.dumps(val) if kind == "json" else val
                payload = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": content}}]}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def fake() -> Iterator[FakeLLM]:
    f = FakeLLM()
    yield f
    f.close()


@pytest.fixture()
def base_icp(lex: EngineLexicon) -> ICP:
    return derive_icp(INP, lex)


def _refiner(fake: FakeLLM, timeout: float = 2.0) -> LLMRefiner:
    return LLMRefiner(
        LLMConfig(
            base_url=fake.url, model="fake", api_key="k", timeout_s=timeout, max_attempts=3, backoff_s=0.01
        )
    )


def _with_additions(icp: ICP) -> dict[str, Any]:
    data = icp.to_json()
    data["niceToHaveSkills"] = [
        *data["niceToHaveSkills"],
        {  # type: ignore[list-item]
            "value": "Docker",
            "weight": 0.9,
            "source": "jd_required",
            "evidence": [],
            "id": "docker",
            "label": "Docker",
            "surfaces": ["docker"],
        },
    ]
    data["mustHaveSkills"] = [
        *data["mustHaveSkills"],
        {  # type: ignore[list-item]
            "value": "Go",
            "weight": 1.0,
            "source": "jd_required",
            "evidence": [],
            "id": "go",
            "label": "Go",
            "surfaces": ["go"],
            "hard": True,
        },
    ]
    data["excludedCompanies"] = [{"value": "Initech", "weight": 1.0, "source": "query", "evidence": []}]
    data["industries"] = [{"value": "Fintech", "weight": 0.8, "source": "jd_required", "evidence": []}]
    return data


def test_valid_output_adds_soft_criteria_only(fake: FakeLLM, base_icp: ICP) -> None:
    fake.script = [("json", _with_additions(base_icp))]
    icp, rep = _refiner(fake).refine(INP, base_icp)
    assert rep.used_llm and not rep.fallback and rep.attempts == 1
    added = {s.value: s for s in icp.niceToHaveSkills if s.source == "llm"}
    assert set(added) == {"Docker", "Go"} and all(s.weight <= 0.5 and not s.hard for s in added.values())
    # No new must-haves, exclusions or hard constraints from the model.
    assert [s.value for s in icp.mustHaveSkills] == [s.value for s in base_icp.mustHaveSkills]
    assert icp.excludedCompanies == base_icp.excludedCompanies
    assert [i.value for i in icp.industries] == ["Fintech"] and icp.industries[0].source == "llm"
    req = fake.requests[0]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer k"
    assert req["body"]["response_format"]["type"] == "json_schema"


def test_invalid_json_is_retried_then_accepted(fake: FakeLLM, base_icp: ICP) -> None:
    fake.script = [("text", "Sure! here is the ICP: {not json"), ("json", base_icp.to_json())]
    icp, rep = _refiner(fake).refine(INP, base_icp)
    assert rep.used_llm and rep.attempts == 2 and "invalid JSON" in rep.errors[0]
    assert "rejected" in fake.requests[1]["body"]["messages"][-1]["content"]
    assert icp.mustHaveSkills == base_icp.mustHaveSkills


def test_schema_violations_fall_back(fake: FakeLLM, base_icp: ICP) -> None:
    bad = base_icp.to_json()
    bad["mustHaveSkills"] = [{"value": "Go", "weight": 7}]  # missing fields, weight out of range
    fake.script = [("json", bad), ("json", {"unexpected": True}), ("json", bad)]
    icp, rep = _refiner(fake).refine(INP, base_icp)
    assert rep.fallback and rep.attempts == 3 and all("schema violation" in e for e in rep.errors)
    assert icp == base_icp


def test_timeout_falls_back(fake: FakeLLM, base_icp: ICP) -> None:
    fake.script = [("sleep", 1.0), ("sleep", 1.0), ("sleep", 1.0)]
    t = time.perf_counter()
    icp, rep = _refiner(fake, timeout=0.2).refine(INP, base_icp)
    assert rep.fallback and icp == base_icp
    assert any("Timeout" in e for e in rep.errors)
    assert time.perf_counter() - t < 5


def test_server_error_then_success_and_cache(fake: FakeLLM, base_icp: ICP) -> None:
    fake.script = [("status", 500), ("status", 503), ("json", _with_additions(base_icp))]
    r = _refiner(fake)
    icp, rep = r.refine(INP, base_icp)
    assert rep.used_llm and rep.attempts == 3
    n = len(fake.requests)
    icp2, rep2 = r.refine(INP, base_icp)
    assert rep2.cached and len(fake.requests) == n and icp2 == icp


def test_persistent_500_falls_back(fake: FakeLLM, base_icp: ICP) -> None:
    fake.script = [("status", 500)] * 3
    icp, rep = _refiner(fake).refine(INP, base_icp)
    assert rep.fallback and icp == base_icp and rep.attempts == 3


def test_config_from_env() -> None:
    assert config_from_env({}) is None
    cfg = config_from_env(
        {"TALENTSCOUT_LLM_BASE_URL": "http://127.0.0.1:9/v1/", "TALENTSCOUT_LLM_MODEL": "m"}
    )
    assert (
        cfg is not None
        and cfg.base_url == "http://127.0.0.1:9/v1"
        and cfg.model == "m"
        and cfg.api_key is None
    )
