"""Candidate-index providers (ENGINE.md §4): the search stage of a sourcing run.

* `base` — the `SearchProvider` port, `ProviderHit`, `ProviderError`;
* `calls` — the one resilient call helper for every external request (deadline,
  retries, breaker, bulkhead, size cap, validation);
* `local` — the embedded tantivy index; `remote` — another talentscout
  (`remote_server` is the endpoint it calls); `pdl` — a PDL-style person search;
  `github` — GitHub user search;
* `chain` — the ordered chain from Settings with failover.

Configuration (all `TALENTSCOUT_SEARCH_*`, see `config.py`):

    TALENTSCOUT_SEARCH_PROVIDERS=local,remote,pdl,github
    TALENTSCOUT_SEARCH_COMPANY_PROVIDERS={"<company uuid>": "remote,local"}
    TALENTSCOUT_SEARCH_REMOTE_URL=https://peer.example   TALENTSCOUT_SEARCH_REMOTE_TOKEN=…
    TALENTSCOUT_SEARCH_SERVER_TOKENS=["…"]               (this instance's /index/search)
    TALENTSCOUT_SEARCH_PDL_API_KEY=…                     (TALENTSCOUT_SEARCH_PDL_URL to override)
    TALENTSCOUT_SEARCH_GITHUB_TOKEN=…                    (TALENTSCOUT_SEARCH_GITHUB_URL for GHES)
"""

from talentscout.providers.search.base import ProviderError, ProviderHit, ProviderUnavailable, SearchProvider
from talentscout.providers.search.chain import AllProvidersFailed, ProviderChain, SearchOutcome, build_chain

__all__ = [
    "AllProvidersFailed",
    "ProviderChain",
    "ProviderError",
    "ProviderHit",
    "ProviderUnavailable",
    "SearchOutcome",
    "SearchProvider",
    "build_chain",
]
