"""The provider chain: order from Settings, failover with `source`, all-down, test mode,
breaker-driven immediate failover, and no retry storm under 100 concurrent searches."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from talentscout.config import Settings
from talentscout.kit.breaker import BreakerConfig, BreakerState
from talentscout.providers.search.base import ProviderHit, external_profile_id
from talentscout.providers.search.chain import (
    AllProvidersFailed,
    ProviderChain,
    build_chain,
    provider_names,
    runtime_for,
)
from talentscout.providers.search.local import LocalProvider
from talentscout.providers.search.pdl import PdlProvider
from talentscout.providers.search.remote import RemoteProvider
from tests.providers.conftest import make_caller, make_icp, pdl_person, remote_answer
from tests.providers.fakes import FakeServer, Reply


async def run(chain: ProviderChain, **kw: Any) -> Any:
    return await chain.search(
        make_icp(),
        company_id=kw.get("company_id"),
        exclude_ids=kw.get("exclude", ()),
        limit=kw.get("limit", 50),
    )


async def test_failover_to_the_next_provider_names_the_source() -> None:
    with (
        FakeServer({"/": [Reply(500)]}) as pdl,
        FakeServer({"/": [Reply(200, json=remote_answer(4))]}) as remote,
    ):
        chain = ProviderChain(
            [
                PdlProvider(pdl.url, "k", make_caller("pdl")),
                RemoteProvider(remote.url, "t", make_caller("remote")),
            ]
        )
        outcome = await run(chain)
    assert outcome.source == "remote" and len(outcome.hits) == 4
    assert all(h.is_external for h in outcome.hits)
    assert "HTTP 500" in outcome.skipped["pdl"]
    assert len(pdl.requests) == 3 and len(remote.requests) == 1


async def test_broken_local_index_fails_over(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with FakeServer({"/": [Reply(200, json=remote_answer(2))]}) as remote:
        chain = ProviderChain(
            [LocalProvider(not_a_dir), RemoteProvider(remote.url, "t", make_caller("remote"))]
        )
        outcome = await run(chain)
    assert outcome.source == "remote" and "local index" in outcome.skipped["local"]


async def test_all_providers_down_raises_with_every_reason() -> None:
    with (
        FakeServer({"/": [Reply(hang=True)]}) as pdl,
        FakeServer({"/": [Reply(200, body=b"<html>oops")]}) as remote,
    ):
        chain = ProviderChain(
            [
                PdlProvider(pdl.url, "k", make_caller("pdl")),
                RemoteProvider(remote.url, "t", make_caller("remote")),
            ]
        )
        with pytest.raises(AllProvidersFailed) as err:
            await run(chain)
    assert set(err.value.failures) == {"pdl", "remote"}
    assert "deadline" in err.value.failures["pdl"] and "invalid" in err.value.failures["remote"]
    assert len(pdl.requests) == 3 and len(remote.requests) == 1


async def test_no_providers_is_all_failed() -> None:
    with pytest.raises(AllProvidersFailed):
        await run(ProviderChain([]))


async def test_open_breaker_fails_over_immediately_without_calls() -> None:
    with (
        FakeServer({"/": [Reply(503)]}) as pdl,
        FakeServer({"/": [Reply(200, json=remote_answer(1))]}) as remote,
    ):
        pdl_caller = make_caller("pdl", breaker=BreakerConfig(min_calls=3, open_seconds=60))
        chain = ProviderChain(
            [PdlProvider(pdl.url, "k", pdl_caller), RemoteProvider(remote.url, "t", make_caller("remote"))]
        )
        await run(chain)
        assert pdl_caller.breaker.state is BreakerState.OPEN and len(pdl.requests) == 3
        started = time.monotonic()
        outcome = await run(chain)
        assert time.monotonic() - started < 0.5
    assert outcome.source == "remote" and "breaker open" in outcome.skipped["pdl"]
    assert len(pdl.requests) == 3


async def test_session_exclusions_apply_to_external_ids() -> None:
    with FakeServer({"/": [Reply(200, json=remote_answer(3))]}) as remote:
        chain = ProviderChain([RemoteProvider(remote.url, "t", make_caller("remote"))])
        seen = external_profile_id("remote", "prof_remote1")
        outcome = await run(chain, exclude=[seen])
    assert [h.doc.name for h in outcome.hits if h.doc] == ["Remote Person 0", "Remote Person 2"]


class Static:
    def __init__(self, name: str, hits: list[ProviderHit]) -> None:
        self.name = name
        self.hits = hits
        self.calls = 0

    async def search(self, icp: Any, **kw: Any) -> list[ProviderHit]:
        self.calls += 1
        return self.hits


class Crashing:
    name = "buggy"

    async def search(self, icp: Any, **kw: Any) -> list[ProviderHit]:
        raise KeyError("adapter bug")


async def test_empty_answer_wins_unless_failover_on_empty() -> None:
    empty, full = Static("a", []), Static("b", [ProviderHit.local("prof_x", 1.0)])
    assert (await run(ProviderChain([empty, full]))).source == "a"
    assert full.calls == 0
    outcome = await run(ProviderChain([empty, full], failover_on_empty=True))
    assert outcome.source == "b" and len(outcome.hits) == 1
    both_empty = await run(ProviderChain([Static("a", []), Static("b", [])], failover_on_empty=True))
    assert both_empty.source == "a" and both_empty.hits == []


async def test_an_adapter_bug_fails_over_instead_of_crashing() -> None:
    outcome = await run(ProviderChain([Crashing(), Static("b", [ProviderHit.local("prof_x", 1.0)])]))
    assert outcome.source == "b" and "KeyError" in outcome.skipped["buggy"]


async def test_a_hundred_concurrent_searches_against_a_dead_provider() -> None:
    with (
        FakeServer({"/": [Reply(503, delay=0.01)]}) as pdl,
        FakeServer({"/": [Reply(200, json=remote_answer(2))]}) as remote,
    ):
        min_calls, concurrency = 6, 4
        pdl_caller = make_caller(
            "pdl",
            max_concurrency=concurrency,
            breaker=BreakerConfig(min_calls=min_calls, failure_rate=0.5, open_seconds=60),
        )
        chain = ProviderChain(
            [PdlProvider(pdl.url, "k", pdl_caller), RemoteProvider(remote.url, "t", make_caller("remote"))]
        )
        started = time.monotonic()
        outcomes = await asyncio.gather(*(run(chain) for _ in range(100)))
        elapsed = time.monotonic() - started
    assert all(o.source == "remote" and len(o.hits) == 2 for o in outcomes)
    assert len(pdl.requests) <= min_calls + concurrency, len(pdl.requests)  # not 300
    assert len(remote.requests) == 100
    assert elapsed < 10


# --- from Settings ---------------------------------------------------------------------


def settings(tmp_path: Path, **kw: Any) -> Settings:
    base: dict[str, Any] = {"env": "test", "data_dir": tmp_path, "search_providers": "pdl, remote,local"}
    base.update(kw)
    return Settings(**base)


def test_order_overrides_and_test_mode(tmp_path: Path) -> None:
    s = settings(tmp_path, search_company_providers={"c-1": "local,github"})
    assert provider_names(s, livemode=True, company_id=None) == ["pdl", "remote", "local"]
    assert provider_names(s, livemode=True, company_id="c-1") == ["local", "github"]
    assert provider_names(s, livemode=False, company_id="c-1") == ["local"]


def test_unconfigured_and_unknown_providers_are_left_out(tmp_path: Path) -> None:
    s = settings(tmp_path, search_providers="pdl,bogus,remote,github,local")
    assert build_chain(s, livemode=True, company_id=None).names == ["local"]
    s = settings(
        tmp_path,
        search_providers="pdl,remote,github,local",
        search_pdl_api_key=SecretStr("k"),
        search_remote_url="http://127.0.0.1:9",
        search_remote_token=SecretStr("t"),
        search_github_token=SecretStr("g"),
    )
    assert build_chain(s, livemode=True, company_id=None).names == ["pdl", "remote", "github", "local"]
    assert build_chain(s, livemode=False, company_id=None).names == ["local"]


def test_breakers_are_shared_per_settings_and_use_its_thresholds(tmp_path: Path) -> None:
    s = settings(tmp_path, search_pdl_api_key=SecretStr("k"), search_breaker_min_calls=7)
    a, b = build_chain(s, livemode=True, company_id=None), build_chain(s, livemode=True, company_id=None)
    pa, pb = a.providers[0], b.providers[0]
    assert isinstance(pa, PdlProvider) and isinstance(pb, PdlProvider)
    assert pa.caller is pb.caller and pa.caller.breaker.config.min_calls == 7
    other = settings(tmp_path, search_pdl_api_key=SecretStr("k"))
    assert runtime_for(other) is not runtime_for(s)


async def test_test_mode_chain_makes_no_outbound_calls(tmp_path: Path) -> None:
    with FakeServer({"/": [Reply(200, json={"data": [pdl_person(0)]})]}) as pdl:
        s = settings(
            tmp_path, search_providers="pdl", search_pdl_url=pdl.url, search_pdl_api_key=SecretStr("k")
        )
        live = build_chain(s, livemode=True, company_id=None)
        assert (await run(live)).source == "pdl"
        test_chain = build_chain(s, livemode=False, company_id=None)
        assert test_chain.names == ["local"]
        outcome = await run(test_chain)  # an empty local index answers (empty)
    assert outcome.source == "local" and outcome.hits == []
    assert len(pdl.requests) == 1  # the live search only
