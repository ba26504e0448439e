"""The OpenAI-compatible client, validation, retries, merge and cache (see package docstring)."""

from __future__ import annotations

import json
import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import httpx
from pydantic import ValidationError

from talentscout.engine.derive import IcpInput
from talentscout.engine.icp import ICP, SkillCriterion, TextCriterion, TitleCriterion
from talentscout.lexicons.normalize import normalize

__all__ = [
    "LLMConfig",
    "LLMRefiner",
    "RefineReport",
    "config_from_env",
    "merge_llm_icp",
    "refine_icp_from_env",
]

# Soft ceiling for anything the model adds: it can suggest, never dominate.
LLM_MAX_WEIGHT = 0.5
MAX_ADDITIONS = 8

_SYSTEM = (
    "You refine an Ideal Candidate Profile (ICP) for recruiting. You receive the job input and a "
    "deterministic ICP as JSON. Answer with ONE JSON object that follows the given JSON schema exactly: "
    "the same ICP, optionally with additional nice-to-have skills, title synonyms, languages, industries, "
    "education or keywords that the job input clearly implies. Do not invent hard requirements, "
    "locations or exclusions. Evidence spans may be empty lists. No prose, JSON only."
)


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 20.0
    max_attempts: int = 3  # bounded: first try + 2 retries
    backoff_s: float = 0.5


def config_from_env(env: dict[str, str] | None = None) -> LLMConfig | None:
    """The configuration from ``TALENTSCOUT_LLM_*`` (None when no base URL is set)."""
    e = env if env is not None else dict(os.environ)
    base = (e.get("TALENTSCOUT_LLM_BASE_URL") or "").strip()
    if not base:
        return None
    return LLMConfig(
        base_url=base.rstrip("/"),
        model=(e.get("TALENTSCOUT_LLM_MODEL") or "default").strip(),
        api_key=(e.get("TALENTSCOUT_LLM_API_KEY") or None),
        timeout_s=float(e.get("TALENTSCOUT_LLM_TIMEOUT", "20") or 20),
    )


@dataclass
class RefineReport:
    """What happened: used the model, fell back (and why), cache hit, attempts."""

    used_llm: bool = False
    fallback: bool = False
    cached: bool = False
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    added: int = 0


class _Retryable(Exception):
    pass


class _Invalid(Exception):
    pass


class LLMRefiner:
    """Refines ICPs through one OpenAI-compatible endpoint (thread-safe enough for one worker)."""

    def __init__(
        self, config: LLMConfig, *, client: httpx.Client | None = None, cache_size: int = 512
    ) -> None:
        self.config = config
        self._client = client or httpx.Client(timeout=httpx.Timeout(config.timeout_s))
        self._cache: OrderedDict[str, ICP] = OrderedDict()
        self._cache_size = cache_size

    def close(self) -> None:
        self._client.close()

    def _cache_key(self, icp: ICP) -> str:
        return f"{self.config.model}:{icp.inputHash}"

    def refine(self, inp: IcpInput, icp: ICP) -> tuple[ICP, RefineReport]:
        """The refined ICP (or *icp* itself on any failure) and a report."""
        report = RefineReport()
        key = self._cache_key(icp)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            report.cached = True
            report.used_llm = True
            return hit.model_copy(deep=True), report
        messages: list[dict[str, str]] = [
            {"role": "system", "content": _SYSTEM},
            {
                "role": "user",
                "content": json.dumps(
                    {
                        "input": {
                            "title": inp.title,
                            "jobDescription": inp.job_description,
                            "location": inp.location,
                            "query": inp.query,
                            "patches": list(inp.patches),
                        },
                        "icp": icp.to_json(),
                    },
                    ensure_ascii=False,
                ),
            },
        ]
        deadline = time.monotonic() + self.config.timeout_s * self.config.max_attempts
        for attempt in range(1, self.config.max_attempts + 1):
            report.attempts = attempt
            try:
                content = self._call(messages)
                llm_icp = _parse(content)
            except _Invalid as exc:
                report.errors.append(f"invalid output: {exc}")
                # Feed the error back so the next attempt can correct itself.
                messages = [
                    *messages[:2],
                    {
                        "role": "user",
                        "content": f"Your previous answer was rejected: {str(exc)[:500]}. "
                        "Answer again with valid JSON following the schema.",
                    },
                ]
                continue
            except _Retryable as exc:
                report.errors.append(str(exc))
                if attempt < self.config.max_attempts and time.monotonic() < deadline:
                    time.sleep(self.config.backoff_s * attempt)
                continue
            merged, added = merge_llm_icp(icp, llm_icp)
            report.used_llm = True
            report.added = added
            self._cache[key] = merged
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return merged.model_copy(deep=True), report
        report.fallback = True
        return icp, report

    def _call(self, messages: list[dict[str, str]]) -> str:
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        body = {
            "model": self.config.model,
            "messages": messages,
            "temperature": 0,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "icp", "schema": ICP.model_json_schema(), "strict": False},
            },
        }
        try:
            resp = self._client.post(f"{self.config.base_url}/chat/completions", json=body, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise _Retryable(f"HTTP {resp.status_code}")
        if resp.status_code >= 400:
            # A client error will not get better by retrying the same request.
            raise _Retryable(f"HTTP {resp.status_code} (not retried further)")
        try:
            data = resp.json()
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _Invalid(f"not an OpenAI chat completion: {exc}") from exc
        if not isinstance(content, str):
            raise _Invalid("message content is not a string")
        return content


def _parse(content: str) -> ICP:
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`")
        text = text[text.find("{") :]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Invalid(f"invalid JSON: {exc}") from exc
    try:
        return ICP.model_validate(data)
    except ValidationError as exc:
        raise _Invalid(f"schema violation: {exc.errors()[:3]}") from exc


def merge_llm_icp(base: ICP, llm: ICP) -> tuple[ICP, int]:
    """Merge the model's ICP into *base*: new items only, soft, ``source="llm"``, capped weights."""
    out = base.model_copy(deep=True)
    added = 0
    have_skills = {normalize(s.value) for s in base.mustHaveSkills + base.niceToHaveSkills}
    have_skills |= {s.id for s in base.mustHaveSkills + base.niceToHaveSkills if s.id}
    # Everything the model calls a skill (must or nice) becomes a nice-to-have suggestion.
    for s in (llm.mustHaveSkills + llm.niceToHaveSkills)[: 2 * MAX_ADDITIONS]:
        key = normalize(s.value)
        if not key or key in have_skills or (s.id and s.id in have_skills) or added >= MAX_ADDITIONS:
            continue
        have_skills.add(key)
        out.niceToHaveSkills.append(
            SkillCriterion(
                value=s.value,
                weight=min(LLM_MAX_WEIGHT, max(0.1, s.weight)),
                source="llm",
                evidence=[],
                id=s.id,
                label=s.label or s.value,
                surfaces=[normalize(x) for x in s.surfaces[:6] if normalize(x)] or [key],
            )
        )
        added += 1
    have_titles = {normalize(t.value) for t in base.targetTitles + base.titleSynonyms}
    for t in (llm.targetTitles + llm.titleSynonyms)[: 2 * MAX_ADDITIONS]:
        key = normalize(t.value)
        if not key or key in have_titles:
            continue
        have_titles.add(key)
        out.titleSynonyms.append(
            TitleCriterion(
                value=t.value,
                weight=min(LLM_MAX_WEIGHT, t.weight),
                source="llm",
                evidence=[],
                family=t.family,
                kind="synonym" if t.kind != "adjacent" else "adjacent",
            )
        )
        added += 1
    for name in ("languages", "industries", "education", "keywords"):
        mine: list[TextCriterion] = getattr(out, name)
        have = {normalize(x.value) for x in mine}
        for x in getattr(llm, name)[:MAX_ADDITIONS]:
            key = normalize(x.value)
            if key and key not in have:
                have.add(key)
                mine.append(
                    TextCriterion(
                        value=x.value, weight=min(LLM_MAX_WEIGHT, x.weight), source="llm", evidence=[]
                    )
                )
                added += 1
    if added:
        out.notes.append(f"{added} soft suggestion(s) added by the LLM step")
    return out, added


_DEFAULT: dict[str, LLMRefiner] = {}


def refine_icp_from_env(inp: IcpInput, icp: ICP, env: dict[str, str] | None = None) -> ICP:
    """Refine with the environment's LLM when configured; the deterministic ICP otherwise or on failure."""
    cfg = config_from_env(env)
    if cfg is None:
        return icp
    key = f"{cfg.base_url}|{cfg.model}"
    refiner = _DEFAULT.get(key)
    if refiner is None:
        refiner = LLMRefiner(cfg)
        _DEFAULT[key] = refiner
    refined, _report = refiner.refine(inp, icp)
    return refined
