"""Optional LLM refinement of the ICP through any OpenAI-compatible server.

Configured by ``TALENTSCOUT_LLM_BASE_URL`` (e.g. ``http://127.0.0.1:8080/v1``),
``TALENTSCOUT_LLM_MODEL`` and ``TALENTSCOUT_LLM_API_KEY``; with no base URL
the engine runs deterministically and this module is never called.

The model gets the job input and the deterministic ICP and is asked for the
same ICP JSON schema (structured output). Its answer is validated with
pydantic; what it adds is merged as **soft** ``source="llm"`` criteria only
(nice-to-have skills, title synonyms, languages, industries, education,
keywords): it can never add or change a hard constraint, a location, a
must-have or an exclusion. Invalid output is retried a bounded number of
times (with the validation error fed back), timeouts/connection errors/429/5xx
are retried with backoff, and any failure falls back to the deterministic ICP
(the run does not fail). Results are cached by input hash and model.
"""

from talentscout.providers.llm.refine import (
    LLMConfig,
    LLMRefiner,
    RefineReport,
    config_from_env,
    merge_llm_icp,
    refine_icp_from_env,
)

__all__ = [
    "LLMConfig",
    "LLMRefiner",
    "RefineReport",
    "config_from_env",
    "merge_llm_icp",
    "refine_icp_from_env",
]
