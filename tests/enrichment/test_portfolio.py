"""Personal-site evidence: mailto and obfuscated addresses, robots.txt, size/time caps, SSRF on redirects."""

from __future__ import annotations

import time

from talentscout.enrichment.portfolio import belongs_to_person, extract_emails
from tests.enrichment.conftest import details, person, rig_settings, run_batch
from tests.enrichment.rig import Page, Policy, Rig


def test_extract_mailto_text_and_obfuscations() -> None:
    html = (
        '<a href="mailto:ada%40ada.test?subject=hi">mail</a> write to grace [at] hopper [dot] test or '
        "alan (at) turing (dot) test, or JOAN AT clarke DOT test; meet at noon. info&#64;corp.test"
    )
    found = {e.address: e.how for e in extract_emails(html, "http://x.test/")}
    assert found["ada@ada.test"] == "mailto"
    assert found["grace@hopper.test"] == "obfuscated"
    assert found["alan@turing.test"] == "obfuscated"
    assert found["joan@clarke.test"] == "obfuscated"
    assert found["info@corp.test"] == "text"
    assert not any("noon" in a for a in found)


def test_only_addresses_of_the_person_are_kept() -> None:
    tokens = {"ada", "lovelace"}
    assert belongs_to_person("ada@anything.test", tokens, None, [])
    assert belongs_to_person("hello@ada.test", tokens, "ada.test", [])
    assert not belongs_to_person("someone@else.test", tokens, "ada.test", [])


async def test_mailto_on_personal_site_is_valid_self_published(rig: Rig) -> None:
    rig.add_mx("lovelace.test", (10, "mx.lovelace.test", "127.0.0.2"))
    rig.policies["127.0.0.2"] = Policy(mailboxes={"ada@lovelace.test"})
    url = rig.site("lovelace.test", "/", Page(body=b'<html><a href="mailto:ada@lovelace.test">me</a></html>'))
    doc = person("p1", "Ada Lovelace", domain=None, links=[("website", url)])
    [out] = await run_batch(rig_settings(rig), [doc])
    d = details(out)["ada@lovelace.test"]
    assert d["status"] == "valid" and d["confidence"] >= 80
    assert d["sources"][0]["kind"] == "page" and d["sources"][0]["uri"] == url
    assert out.candidate is not None and out.candidate["portfolio"]["urls"] == [url]
    assert out.candidate["emails"][0] == "ada@lovelace.test"


async def test_obfuscated_text_and_robots_disallow(rig: Rig) -> None:
    open_url = rig.site("hopper.test", "/", Page(body=b"<p>grace [at] hopper [dot] test</p>"))
    closed = rig.site("closed.test", "/", Page(body=b"<p>alan [at] closed [dot] test</p>"))
    rig.site("closed.test", "/robots.txt", Page(body=b"User-agent: *\nDisallow: /\n"))
    docs = [
        person("p1", "Grace Hopper", links=[("website", open_url)]),
        person("p2", "Alan Turing", links=[("website", closed)]),
    ]
    out1, out2 = await run_batch(rig_settings(rig, smtp_verify=False), docs)
    d = details(out1)["grace@hopper.test"]
    assert d["sources"][0]["detail"].startswith("obfuscated")
    assert d["status"] == "unknown" and d["reason"] == "smtp_unavailable"  # published but not verifiable
    assert out2.candidate is not None
    assert out2.candidate["portfolio"]["pages"] == [{"url": closed, "status": "robots_disallowed"}]
    # Nothing was read off the disallowed page (guesses at the site's domain may still exist).
    assert not any(s["kind"] == "page" for d in details(out2).values() for s in d["sources"])
    assert [h.path for h in rig.http_hits if h.host == "closed.test"] == ["/robots.txt"]


async def test_huge_and_trickling_pages_are_capped(rig: Rig) -> None:
    huge = rig.site("huge.test", "/", Page(body=b"<p>mail ada@huge.test</p>" + b"x" * 1000, size=5_000_000))
    slow = rig.site("slow.test", "/", Page(body=b"<p>alan@slow.test</p>", trickle=0.05))
    settings = rig_settings(rig, smtp_verify=False)
    started = time.monotonic()
    out1, out2 = await run_batch(
        settings,
        [
            person("p1", "Ada Lovelace", links=[("website", huge)]),
            person("p2", "Alan Turing", links=[("website", slow)]),
        ],
    )
    elapsed = time.monotonic() - started
    assert elapsed < settings.enrichment_profile_timeout_seconds
    assert "ada@huge.test" in details(out1)  # found in the first bytes, the rest was never read
    assert out2.success and out2.candidate is not None
    assert out2.candidate["portfolio"]["pages"][0]["status"] == "timeout"


async def test_redirect_to_metadata_address_is_blocked(rig: Rig) -> None:
    url = rig.site(
        "evil.test", "/", Page(status=302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
    )
    [out] = await run_batch(
        rig_settings(rig, smtp_verify=False), [person("p1", "Ada Lovelace", links=[("website", url)])]
    )
    assert out.success and out.candidate is not None
    assert out.candidate["portfolio"]["pages"] == [{"url": url, "status": "blocked"}]
    assert out.candidate["portfolio"]["urls"] == []
