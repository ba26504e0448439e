"""RELIABILITY 7: the SSRF guard (unit table) and its use at delivery time (DNS rebinding)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest
from pydantic import SecretStr

from talentscout.config import Settings
from talentscout.kit.ssrf import Category, SsrfError, classify, parse_url, resolve_and_check
from tests.webhooks.conftest import World, dispatching, wait_receiver
from tests.webhooks.receiver import Receiver

FORBIDDEN_ADDRESSES = [
    ("127.0.0.1", Category.LOOPBACK),
    ("127.255.255.254", Category.LOOPBACK),
    ("::1", Category.LOOPBACK),
    ("10.1.2.3", Category.PRIVATE),
    ("172.16.0.1", Category.PRIVATE),
    ("172.31.255.255", Category.PRIVATE),
    ("192.168.1.1", Category.PRIVATE),
    ("fd12:3456::1", Category.PRIVATE),
    ("169.254.1.1", Category.LINK_LOCAL),
    ("fe80::1", Category.LINK_LOCAL),
    ("fe80::1%2", Category.LINK_LOCAL),
    ("100.64.0.1", Category.CGNAT),
    ("100.127.255.254", Category.CGNAT),
    ("224.0.0.1", Category.MULTICAST),
    ("239.255.255.250", Category.MULTICAST),
    ("ff02::1", Category.MULTICAST),
    ("ff0e::1", Category.MULTICAST),
    ("0.0.0.0", Category.UNSPECIFIED),
    ("0.1.2.3", Category.UNSPECIFIED),
    ("::", Category.UNSPECIFIED),
    ("255.255.255.255", Category.BROADCAST),
    ("169.254.169.254", Category.METADATA),
    ("fd00:ec2::254", Category.METADATA),
    ("168.63.129.16", Category.METADATA),
    ("100.100.100.200", Category.METADATA),
    ("240.0.0.1", Category.RESERVED),
    ("198.18.0.1", Category.RESERVED),
    ("192.0.2.1", Category.DOCUMENTATION),
    ("2001:db8::1", Category.DOCUMENTATION),
    # IPv4 embedded in IPv6: judged by the embedded address.
    ("::ffff:127.0.0.1", Category.LOOPBACK),
    ("::ffff:7f00:1", Category.LOOPBACK),
    ("::ffff:169.254.169.254", Category.METADATA),
    ("::ffff:10.0.0.1", Category.PRIVATE),
    ("::127.0.0.1", Category.LOOPBACK),  # deprecated IPv4-compatible
    ("64:ff9b::127.0.0.1", Category.LOOPBACK),  # NAT64
    ("64:ff9b::a9fe:a9fe", Category.METADATA),
    ("64:ff9b::a00:1", Category.PRIVATE),
    ("64:ff9b:1::1", Category.RESERVED),  # local-use NAT64
    ("2002:7f00:1::", Category.LOOPBACK),  # 6to4 of 127.0.0.1
    ("2002:a9fe:a9fe::1", Category.METADATA),
    ("2002:c0a8:101::", Category.PRIVATE),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", Category.LOOPBACK),  # Teredo, client 127.0.0.1
    ("2001:0:a9fe:a9fe::1", Category.METADATA),  # Teredo server 169.254.169.254
    ("::2", Category.UNSPECIFIED),  # IPv4-compatible 0.0.0.2
    ("::8.8.8.8", Category.RESERVED),  # IPv4-compatible, never routed
    ("100::1", Category.RESERVED),
    ("5f00::1", Category.RESERVED),
    ("4000::1", Category.RESERVED),  # outside 2000::/3
]

PUBLIC_ADDRESSES = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700::1111",
    "2a00:1450:4001::1",
    "64:ff9b::808:808",
    "2002:808:808::1",
]

# Odd spellings of forbidden hosts: each must be refused at parse time.
ODD_URLS = [
    "https://127.1/",
    "https://127.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7f.0.0.1/",
    "https://0177.0.0.1/",
    "https://017700000001/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[0:0:0:0:0:ffff:127.0.0.1]/",
    "https://[64:ff9b::7f00:1]/",
    "https://[2002:7f00:1::]/",
    "https://[::1]/",
    "https://0/",
    "https://0.0.0.0/",
    "https://169.254.169.254/latest/meta-data/",
    "https://[fd00:ec2::254]/",
    "https://2852039166/",  # 169.254.169.254 as one number
    "https://localhost/",
    "https://api.localhost/",
    "https://127.0.0.1./",
    "https://[fe80::1%25eth0]/",
]


@pytest.mark.parametrize(("address", "category"), FORBIDDEN_ADDRESSES)
def test_forbidden_addresses(address: str, category: Category) -> None:
    verdict = classify(ipaddress.ip_address(address))
    assert verdict.category is category, verdict.description


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses(address: str) -> None:
    assert classify(address).category is Category.PUBLIC


def test_is_global_alone_would_not_be_enough() -> None:
    # The reason for our own table: on some Python versions `is_global` passes these.
    for address in ("64:ff9b::7f00:1", "2002:7f00:1::", "ff0e::1", "239.1.1.1"):
        assert classify(address).category is not Category.PUBLIC


@pytest.mark.parametrize("url", ODD_URLS)
async def test_odd_spellings_and_literals_are_refused(url: str) -> None:
    with pytest.raises(SsrfError):
        await resolve_and_check(url)


async def test_canonical_public_literals_pass_without_dns() -> None:
    target = await resolve_and_check("https://8.8.8.8:8443/x")
    assert target.addresses == (ipaddress.ip_address("8.8.8.8"),) and target.host_header == "8.8.8.8:8443"
    target = await resolve_and_check("https://[2606:4700::1111]/")
    assert target.host_header == "[2606:4700::1111]"


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8/",  # plain http outside dev mode
        "ftp://8.8.8.8/",
        "https://user:pw@8.8.8.8/",
        "https://8.8.8.8:0/",
        "https:///nohost",
        "https://exa mple.com/",
        "https://example.com\\@8.8.8.8/",
        "https://1.2.3.4.5/",
        "https://a..b/",
        "https://x.test/" + "a" * 2048,
    ],
)
async def test_malformed_or_disallowed_urls(url: str) -> None:
    with pytest.raises(SsrfError):
        parse_url(url)


async def test_any_forbidden_answer_rejects_the_name() -> None:
    async def mixed(host: str, port: int) -> Sequence[str]:
        return ["93.184.216.34", "10.0.0.5"]

    async def nxdomain(host: str, port: int) -> Sequence[str]:
        raise OSError("Name or service not known")

    async def public(host: str, port: int) -> Sequence[str]:
        return ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]

    with pytest.raises(SsrfError, match="private"):
        await resolve_and_check("https://mixed.example/", resolver=mixed)
    with pytest.raises(SsrfError, match="does not resolve"):
        await resolve_and_check("https://nowhere.example/", resolver=nxdomain)
    target = await resolve_and_check("https://Public.Example./hook", resolver=public)
    assert target.host == "public.example" and len(target.addresses) == 2


async def test_dev_mode_allows_loopback_and_private_but_never_metadata() -> None:
    async def loop(host: str, port: int) -> Sequence[str]:
        return ["127.0.0.1"]

    await resolve_and_check("http://receiver.test:8080/", allow_private=True, resolver=loop)
    await resolve_and_check("http://10.0.0.1/", allow_private=True)
    await resolve_and_check("http://[::1]:9000/", allow_private=True)
    for url in (
        "http://169.254.169.254/",
        "http://[fd00:ec2::254]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "http://[fe80::1]/",
    ):
        with pytest.raises(SsrfError):
            await resolve_and_check(url, allow_private=True)


def test_production_refuses_the_dev_setting() -> None:
    with pytest.raises(ValueError, match="WEBHOOKS_ALLOW_PRIVATE"):
        Settings(env="production", webhooks_allow_private=True, secret_key=SecretStr("x" * 40))


async def test_delivery_rechecks_and_dns_rebinding_cannot_redirect(world: World) -> None:
    """The check at create time saw a public address; at delivery the name points at
    loopback: the attempt is refused and nothing on loopback is contacted."""
    company = await world.company()
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> Sequence[str]:
        calls.append(host)
        return ["93.184.216.34"] if len(calls) == 1 else ["127.0.0.1"]

    with Receiver() as r:
        url = f"https://rebind.test:{r.port}/hook"
        await resolve_and_check(url, resolver=rebinding)  # what create/update does
        config = await world.config(company, url, max_retries=0)
        literal = await world.config(company, "https://169.254.169.254/latest", max_retries=0)
        await world.emit(company)
        async with dispatching(world, world.settings(webhooks_allow_private=False), resolver=rebinding):
            (d1,) = await world.wait_deliveries(config.id, lambda ds: ds[0].status == "failed")
            (d2,) = await world.wait_deliveries(literal.id, lambda ds: ds[0].status == "failed")
        assert r.connections == 0
    assert "blocked by SSRF guard" in (d1.last_error or "") and "loopback" in (d1.last_error or "")
    assert "metadata" in (d2.last_error or "")


async def test_the_checked_address_is_the_one_connected_to(world: World) -> None:
    """Each attempt resolves once and connects to that answer; a second lookup (by the
    HTTP client or anyone else) would have reached the other server."""
    company = await world.company()
    calls: list[str] = []
    with Receiver(host="127.0.0.1") as good, Receiver(host="127.0.0.2", port=good.port) as evil:

        async def flipping(host: str, port: int) -> Sequence[str]:
            calls.append(host)
            return ["127.0.0.1"] if len(calls) % 2 == 1 else ["127.0.0.2"]

        await world.config(company, f"http://flip.test:{good.port}/hook", max_retries=0)
        await world.emit(company)
        async with dispatching(world, resolver=flipping):
            (req,) = await wait_receiver(good, 1)
        assert evil.connections == 0
    assert calls == ["flip.test"]
    assert req.headers["host"] == f"flip.test:{good.port}" and req.local_addr == "127.0.0.1"
