"""Enrichment: runs of ≤ 10 profiles, each enriched in isolation under a hard deadline.

Per profile: portfolio pages (SSRF-guarded), company mail domains, name variants,
candidate addresses (self-published → known → learned-pattern guesses), DNS and
SMTP verification, scoring and assembly (ENRICHMENT.md). Modules: `router` (HTTP),
`service` (runs and items), `tasks` (jobs), `pipeline` (per-profile stages and the
isolated batch), `verify` (domain intelligence and shared SMTP sessions),
`patterns`/`learn` (pattern model), `names`, `domains`, `portfolio`, `assemble`,
`suppression`, `candidate`.
"""
