"""Structured JSON logs (structlog, contextvars) and Prometheus metrics."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog
from prometheus_client import Counter, Gauge, Histogram

HTTP_LATENCY = Histogram(
    "talentscout_http_request_duration_seconds",
    "HTTP request latency by route template and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS_QUEUED = Gauge("talentscout_jobs_queue_depth", "Jobs waiting to run, by task.", ["task"])
JOB_LAG = Histogram(
    "talentscout_job_lag_seconds",
    "Seconds between a job becoming runnable and a worker claiming it.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
JOBS_FINISHED = Counter("talentscout_jobs_finished_total", "Jobs finished, by task and outcome.", ["task", "outcome"])

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# A phone number: 9+ digits with the usual separators, but not ISO dates/times (digits
# joined by '-'/':' only), which the log timestamps are made of.
_PHONE = re.compile(r"(?<![\w:-])\+?\(?\d{1,4}\)?(?:[\s.-]?\(?\d{2,4}\)?){2,5}(?![\w:])")


def _mask_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    # Dates such as 2026-11-28 or 2026-11-28 12:00 are not phone numbers.
    if digits < 9 or re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T]\d{2}(:\d{2}){0,2})?", text.strip()):
        return text
    return "[phone]"


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return _PHONE.sub(_mask_phone, _EMAIL.sub(r"\1***@\2", value))
    return value


def mask_pii(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Emails and phone numbers never reach the logs unmasked."""
    return {k: _mask_value(v) for k, v in event_dict.items()}


def configure_logging(level: str = "INFO", json_logs: bool = True) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_pii,
        structlog.processors.format_exc_info,
    ]
    processors.append(structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer())
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
