"""SMTP/DNS verification scenarios on the loopback rig (ENRICHMENT.md §6).

Every test asserts statuses and confidence caps, and the server-side transcript:
never DATA, QUIT sent, the catch-all probe only after an accept, ≤ 1 session per
domain at a time, ≤ 4 RCPT per session.
"""

from __future__ import annotations

import asyncio
import time

from talentscout.enrichment.verify import VerificationHub
from tests.enrichment.conftest import details, person, rig_settings, run_batch
from tests.enrichment.rig import Policy, Rig, SmtpSession


def assert_polite(sessions: list[SmtpSession], max_rcpt: int = 4) -> None:
    for s in sessions:
        verbs = s.verbs()
        assert "DATA" not in verbs, s.commands
        assert len(s.rcpts()) <= max_rcpt, s.commands
        if verbs:
            assert verbs[0] in ("EHLO", "HELO"), s.commands


async def test_normal_verified(rig: Rig) -> None:
    rig.add_mx("acme.test", (10, "mx1.acme.test", "127.0.0.2"))
    rig.policies["127.0.0.2"] = Policy(mailboxes={"ada.lovelace@acme.test"})
    [out] = await run_batch(rig_settings(rig), [person("p1", "Ada Lovelace", domain="acme.test")])
    d = details(out)["ada.lovelace@acme.test"]
    assert d["status"] == "valid" and d["reason"] is None
    assert 80 <= d["confidence"] <= 99
    assert d["flags"]["catchAll"] is False
    assert {s["kind"] for s in d["sources"]} >= {"pattern", "smtp"}
    assert out.candidate is not None and out.candidate["emails"][0] == "ada.lovelace@acme.test"
    [session] = rig.sessions_at("127.0.0.2")
    assert session.commands[0] == "EHLO verifier.talentscout.test"
    assert session.commands[1].upper().startswith("MAIL FROM:<VERIFY@TALENTSCOUT.TEST>")
    assert session.verbs()[-1] == "QUIT"
    rcpts = session.rcpts()
    # The probe is the last RCPT and comes after the accepted address.
    assert rcpts.index("ada.lovelace@acme.test") < len(rcpts) - 1
    assert rcpts[-1].endswith("@acme.test") and rcpts[-1] not in out.candidate["emails"]
    assert_polite(rig.sessions)


async def test_nobody_matches_sends_no_probe(rig: Rig) -> None:
    rig.add_mx("nobody.test", (10, "mx.nobody.test", "127.0.0.3"))
    [out] = await run_batch(rig_settings(rig), [person("p1", "Grace Hopper", domain="nobody.test")])
    ds = details(out)
    rejected = [d for d in ds.values() if d["status"] == "invalid"]
    assert rejected and all(
        d["confidence"] == 0 and d["email"] not in out.candidate["emails"] for d in rejected
    )  # type: ignore[index]
    [session] = rig.sessions_at("127.0.0.3")
    # ≤ 2 rejections per session, and no catch-all probe since nothing was accepted.
    assert len(session.rcpts()) == 2
    assert all(r in ds for r in session.rcpts())
    assert session.verbs()[-1] == "QUIT"
    assert_polite(rig.sessions)


async def test_catch_all_second_profile_makes_no_new_connection(rig: Rig) -> None:
    rig.add_mx("catchall.test", (10, "mx.catchall.test", "127.0.0.4"))
    rig.policies["127.0.0.4"] = Policy(catch_all=True)
    settings = rig_settings(rig)
    [first] = await run_batch(settings, [person("p1", "Alan Turing", domain="catchall.test")])
    d = details(first)["alan.turing@catchall.test"]
    assert d["status"] == "accept_all" and d["confidence"] <= 70 and d["flags"]["catchAll"] is True
    assert len(rig.sessions_at("127.0.0.4")) == 1
    [second] = await run_batch(settings, [person("p2", "Joan Clarke", domain="catchall.test")])
    d2 = details(second)["joan.clarke@catchall.test"]
    assert d2["status"] == "accept_all" and d2["confidence"] <= 70
    assert len(rig.sessions_at("127.0.0.4")) == 1  # cached catch-all: no new connection
    assert_polite(rig.sessions)


async def test_greylisted_then_recheck(rig: Rig) -> None:
    rig.add_mx("grey.test", (10, "mx.grey.test", "127.0.0.5"))
    rig.policies["127.0.0.5"] = Policy(mailboxes={"ada.lovelace@grey.test"}, greylist=True)
    settings = rig_settings(rig)
    [out] = await run_batch(settings, [person("p1", "Ada Lovelace", domain="grey.test")])
    d = details(out)["ada.lovelace@grey.test"]
    assert (d["status"], d["reason"]) == ("unknown", "greylisted") and d["confidence"] <= 40
    assert "ada.lovelace@grey.test" in out.greylisted["grey.test"]  # scheduled for a re-check
    # The background re-check (same code path as the `enrichment.recheck` task) now gets a 250.
    from talentscout.enrichment.verify import intel_for

    intel_for(settings).forget(["ada.lovelace@grey.test"])
    hub = VerificationHub(settings, network=True, coalesce_seconds=0.0)
    try:
        loop = asyncio.get_running_loop()
        verdicts = await hub.verify("p1", "grey.test", ["ada.lovelace@grey.test"], loop.time() + 2)
    finally:
        await hub.aclose()
    assert verdicts["ada.lovelace@grey.test"].outcome == "accepted"
    assert_polite(rig.sessions)


async def test_slow_rcpt_beyond_deadline_returns_on_time(rig: Rig) -> None:
    rig.add_mx("slow.test", (10, "mx.slow.test", "127.0.0.6"))
    rig.policies["127.0.0.6"] = Policy(mailboxes={"ada.lovelace@slow.test"}, slow_rcpt=5.0)
    settings = rig_settings(rig, enrichment_smtp_command_timeout_seconds=5.0)
    started = time.monotonic()
    [out] = await run_batch(settings, [person("p1", "Ada Lovelace", domain="slow.test")])
    elapsed = time.monotonic() - started
    assert elapsed < settings.enrichment_profile_timeout_seconds  # the profile did not time out
    d = details(out)["ada.lovelace@slow.test"]
    assert (d["status"], d["reason"]) == ("unknown", "timeout")
    assert_polite(rig.sessions)


async def test_slow_banner_times_out(rig: Rig) -> None:
    rig.add_mx("banner.test", (10, "mx.banner.test", "127.0.0.7"))
    rig.raw["127.0.0.7"] = "slow_banner"
    settings = rig_settings(rig)
    started = time.monotonic()
    [out] = await run_batch(settings, [person("p1", "Ada Lovelace", domain="banner.test")])
    assert time.monotonic() - started < settings.enrichment_profile_timeout_seconds
    d = details(out)["ada.lovelace@banner.test"]
    assert d["status"] == "unknown" and d["reason"] in ("timeout", "smtp_unavailable")
    assert rig.raw_connections.get("127.0.0.7") == 1


async def test_nolisting_first_mx_closed(rig: Rig) -> None:
    rig.add_mx("nolist.test", (5, "mx0.nolist.test", "127.0.0.99"), (10, "mx1.nolist.test", "127.0.0.2"))
    rig.policies["127.0.0.2"] = Policy(mailboxes={"ada.lovelace@nolist.test"})
    [out] = await run_batch(rig_settings(rig), [person("p1", "Ada Lovelace", domain="nolist.test")])
    assert details(out)["ada.lovelace@nolist.test"]["status"] == "valid"
    assert len(rig.sessions_at("127.0.0.2")) == 1


async def test_null_mx_and_nxdomain_are_invalid_without_connecting(rig: Rig) -> None:
    rig.zone.mx["nullmx.test"] = [(0, ".")]
    docs = [
        person("p1", "Ada Lovelace", domain="nullmx.test"),
        person("p2", "Bob Builder", domain="nxdomain.test"),
    ]
    out1, out2 = await run_batch(rig_settings(rig), docs)
    for out, reason in ((out1, "null_mx"), (out2, "domain_not_found")):
        ds = details(out)
        assert ds and all(d["status"] == "invalid" and d["reason"] == reason for d in ds.values())
        assert out.candidate is not None and out.candidate["emails"] == []
    assert rig.sessions == []


async def test_implicit_mx(rig: Rig) -> None:
    rig.zone.a["implicit.test"] = ["127.0.0.8"]
    rig.policies["127.0.0.8"] = Policy(mailboxes={"ada.lovelace@implicit.test"})
    [out] = await run_batch(rig_settings(rig), [person("p1", "Ada Lovelace", domain="implicit.test")])
    d = details(out)["ada.lovelace@implicit.test"]
    assert d["status"] == "valid"
    assert any(s["kind"] == "dns" and "implicit" in s["detail"] for s in d["sources"])


async def test_servfail_and_slow_dns_are_dns_error_on_time(rig: Rig) -> None:
    rig.zone.servfail.add("servfail.test")
    rig.zone.silent.add("silent.test")
    settings = rig_settings(rig)
    started = time.monotonic()
    out1, out2 = await run_batch(
        settings,
        [
            person("p1", "Ada Lovelace", domain="servfail.test"),
            person("p2", "Alan Turing", domain="silent.test"),
        ],
    )
    assert time.monotonic() - started < settings.enrichment_profile_timeout_seconds
    for out in (out1, out2):
        ds = details(out)
        assert ds and all((d["status"], d["reason"]) == ("unknown", "dns_error") for d in ds.values())
        assert all(d["confidence"] <= 40 for d in ds.values())


async def test_microsoft_541_means_no_such_user(rig: Rig) -> None:
    rig.add_mx("ms.test", (10, "ms-test.mail.protection.outlook.com", "127.0.0.9"))
    rig.policies["127.0.0.9"] = Policy(microsoft=True)
    [out] = await run_batch(rig_settings(rig), [person("p1", "Ada Lovelace", domain="ms.test")])
    d = details(out)["ada.lovelace@ms.test"]
    assert (d["status"], d["reason"], d["confidence"]) == ("invalid", "mailbox_not_found", 0)


async def test_rbl_block_is_unknown_and_cools_down(rig: Rig) -> None:
    rig.add_mx("rbl.test", (10, "mx.rbl.test", "127.0.0.10"))
    rig.policies["127.0.0.10"] = Policy(blocked=True)
    settings = rig_settings(rig)
    [out] = await run_batch(settings, [person("p1", "Ada Lovelace", domain="rbl.test")])
    d = details(out)["ada.lovelace@rbl.test"]
    assert (d["status"], d["reason"]) == ("unknown", "blocked")  # never "invalid" for a policy block
    assert len(rig.sessions_at("127.0.0.10")) == 1
    [again] = await run_batch(settings, [person("p2", "Alan Turing", domain="rbl.test")])
    assert details(again)["alan.turing@rbl.test"]["reason"] == "blocked"
    assert len(rig.sessions_at("127.0.0.10")) == 1  # cool-down: no new connection


async def test_452_on_second_rcpt_continues_in_next_session(rig: Rig) -> None:
    rig.add_mx("busy.test", (10, "mx.busy.test", "127.0.0.11"))
    rig.policies["127.0.0.11"] = Policy(
        mailboxes={"ada.lovelace@busy.test", "alan.turing@busy.test"}, too_many_after=1
    )
    docs = [person("p1", "Ada Lovelace", domain="busy.test"), person("p2", "Alan Turing", domain="busy.test")]
    settings = rig_settings(rig, enrichment_smtp_verify_top=1)
    out1, out2 = await run_batch(settings, docs)
    assert details(out1)["ada.lovelace@busy.test"]["status"] in ("valid", "accept_all")
    assert details(out2)["alan.turing@busy.test"]["status"] in ("valid", "accept_all")
    sessions = rig.sessions_at("127.0.0.11")
    assert len(sessions) >= 2
    assert_polite(sessions)


async def test_421_at_banner_is_tempfail_with_cooldown(rig: Rig) -> None:
    rig.add_mx("busy421.test", (10, "mx.busy421.test", "127.0.0.12"))
    rig.raw["127.0.0.12"] = "banner_421"
    settings = rig_settings(rig)
    [out] = await run_batch(settings, [person("p1", "Ada Lovelace", domain="busy421.test")])
    assert details(out)["ada.lovelace@busy421.test"]["reason"] == "tempfail"
    [again] = await run_batch(settings, [person("p2", "Alan Turing", domain="busy421.test")])
    assert details(again)["alan.turing@busy421.test"]["reason"] == "tempfail"
    assert rig.raw_connections["127.0.0.12"] == 1


async def test_full_inbox_and_disabled(rig: Rig) -> None:
    rig.add_mx("full.test", (10, "mx.full.test", "127.0.0.2"))
    rig.policies["127.0.0.2"] = Policy(full={"ada.lovelace@full.test"}, disabled={"alan.turing@full.test"})
    out1, out2 = await run_batch(
        rig_settings(rig, enrichment_smtp_verify_top=1),
        [person("p1", "Ada Lovelace", domain="full.test"), person("p2", "Alan Turing", domain="full.test")],
    )
    assert (
        details(out1)["ada.lovelace@full.test"]["status"],
        details(out1)["ada.lovelace@full.test"]["reason"],
    ) == (
        "unknown",
        "full_inbox",
    )
    assert details(out2)["alan.turing@full.test"]["status"] == "invalid"


async def test_starttls_required_with_test_ca(rig: Rig) -> None:
    rig.add_mx("tls.test", (10, "mx.tls.test", "127.0.0.13"))
    rig.policies["127.0.0.13"] = Policy(mailboxes={"ada.lovelace@tls.test"}, require_tls=True)
    settings = rig_settings(rig, enrichment_smtp_tls_verify=True)
    [out] = await run_batch(settings, [person("p1", "Ada Lovelace", domain="tls.test")])
    assert details(out)["ada.lovelace@tls.test"]["status"] == "valid"
    [session] = rig.sessions_at("127.0.0.13")
    assert session.tls and session.verbs()[:2] == ["EHLO", "STARTTLS"]


async def test_smtp_switched_off_still_guesses(rig: Rig) -> None:
    rig.add_mx("off.test", (10, "mx.off.test", "127.0.0.2"))
    [out] = await run_batch(
        rig_settings(rig, smtp_verify=False), [person("p1", "Ada Lovelace", domain="off.test")]
    )
    d = details(out)["ada.lovelace@off.test"]
    assert d["status"] == "guessed" and d["confidence"] <= 40
    assert rig.sessions == []


async def test_shared_lookup_and_session_for_one_domain(rig: Rig) -> None:
    rig.add_mx("shared.test", (10, "mx.shared.test", "127.0.0.2"))
    rig.policies["127.0.0.2"] = Policy(mailboxes={"ada.lovelace@shared.test", "alan.turing@shared.test"})
    docs = [
        person("p1", "Ada Lovelace", domain="shared.test"),
        person("p2", "Alan Turing", domain="shared.test"),
    ]
    out1, out2 = await run_batch(rig_settings(rig, enrichment_smtp_verify_top=1), docs)
    assert details(out1)["ada.lovelace@shared.test"]["status"] == "valid"
    assert details(out2)["alan.turing@shared.test"]["status"] == "valid"
    assert [q for q in rig.zone.queries if q == ("shared.test", "MX")] == [("shared.test", "MX")]
    [session] = rig.sessions_at("127.0.0.2")  # both profiles in one SMTP session
    assert set(session.rcpts()) >= {"ada.lovelace@shared.test", "alan.turing@shared.test"}
    assert_polite(rig.sessions)


async def test_six_profiles_one_domain_one_session_at_a_time(rig: Rig) -> None:
    rig.add_mx("six.test", (10, "mx.six.test", "127.0.0.2"))
    names = [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
        "Edsger Dijkstra",
        "Barbara Liskov",
        "Donald Knuth",
    ]
    rig.policies["127.0.0.2"] = Policy(mailboxes={n.lower().replace(" ", ".") + "@six.test" for n in names})
    settings = rig_settings(rig, enrichment_smtp_verify_top=1, enrichment_smtp_max_sessions_per_domain=4)
    outs = await run_batch(settings, [person(f"p{i}", n, domain="six.test") for i, n in enumerate(names)])
    for n, out in zip(names, outs, strict=True):
        assert details(out)[n.lower().replace(" ", ".") + "@six.test"]["status"] == "valid"
    sessions = rig.sessions_at("127.0.0.2")
    assert 2 <= len(sessions) <= 3
    assert_polite(sessions)


async def test_port25_breaker_answers_fast_without_connecting(rig: Rig) -> None:
    for i, ip in enumerate(["127.0.0.97", "127.0.0.98", "127.0.0.99"]):
        rig.add_mx(f"dead{i}.test", (10, f"mx.dead{i}.test", ip))
    rig.add_mx("alive.test", (10, "mx.alive.test", "127.0.0.2"))
    settings = rig_settings(rig, enrichment_smtp_breaker_threshold=3)
    docs = [person(f"p{i}", "Ada Lovelace", domain=f"dead{i}.test") for i in range(3)]
    outs = await run_batch(settings, docs)
    for i, out in enumerate(outs):
        assert details(out)[f"ada.lovelace@dead{i}.test"]["reason"] == "smtp_unavailable"
    started = time.monotonic()
    [out] = await run_batch(settings, [person("p9", "Ada Lovelace", domain="alive.test")])
    assert details(out)["ada.lovelace@alive.test"]["reason"] == "smtp_unavailable"
    assert time.monotonic() - started < 1.0
    assert rig.sessions_at("127.0.0.2") == []
