"""RELIABILITY 1–2: deliveries verify with the `standardwebhooks` library; tampering fails;
the id is stable across retries while timestamp and signature are fresh per attempt."""

from __future__ import annotations

import base64
import json

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from talentscout.webhooks import signing
from tests.webhooks.conftest import World, dispatching, wait_receiver
from tests.webhooks.receiver import Receiver, Step


def _verify(secret: str, body: bytes, headers: dict[str, str]) -> object:
    return Webhook(secret).verify(body, headers)


def test_signature_matches_reference_vector() -> None:
    # The Standard Webhooks specification's published example.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    sig = signing.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body)
    assert sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_new_secret_format() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert signing.new_secret() != secret


async def test_delivery_verifies_and_tampering_fails(world: World) -> None:
    company = await world.company()
    with Receiver([Step()]) as r:
        config = await world.config(
            company,
            f"http://hooks.example.test:{r.port}/in?x=1",
            headers=[{"name": "X-Tenant", "value": "acme"}, {"name": "Authorization", "value": "Bearer t0k"}],
        )

        async def resolver(host: str, port: int) -> list[str]:
            assert host == "hooks.example.test"
            return ["127.0.0.1"]

        ids = await world.emit(company, "sourcing.completed", candidatesCount=3)
        async with dispatching(world, resolver=resolver):
            (req,) = await wait_receiver(r, 1)
    assert req.path == "/in?x=1"
    # Host keeps the original name although the connection went to the checked IP.
    assert req.headers["host"] == f"hooks.example.test:{r.port}"
    assert req.headers["x-tenant"] == "acme" and req.headers["authorization"] == "Bearer t0k"
    assert req.headers["content-type"] == "application/json"
    payload = _verify(config.secret, req.body, req.headers)
    assert isinstance(payload, dict)
    assert payload["event"] == "sourcing.completed"
    assert payload["deliveryId"] == req.webhook_id == ids[0]
    assert payload["data"]["candidatesCount"] == 3
    assert payload["timestamp"].endswith("Z")
    assert abs(int(req.headers["webhook-timestamp"]) - req.wall) <= 2

    headers = dict(req.headers)
    with pytest.raises(WebhookVerificationError):
        _verify(config.secret, req.body.replace(b"3", b"4"), headers)
    with pytest.raises(WebhookVerificationError):
        _verify(config.secret, req.body, {**headers, "webhook-id": "msg_other"})
    with pytest.raises(WebhookVerificationError):
        ts = str(int(headers["webhook-timestamp"]) - 1)
        _verify(config.secret, req.body, {**headers, "webhook-timestamp": ts})
    with pytest.raises(WebhookVerificationError):
        _verify(signing.new_secret(), req.body, headers)


async def test_id_stable_timestamp_and_signature_fresh(world: World) -> None:
    company = await world.company()
    # 1.25 s between attempts, no jitter: the two attempts always fall in different seconds.
    settings = world.settings(webhooks_retry_scale=0.25, webhooks_retry_jitter=0.0)
    with Receiver([Step(status=500), Step(status=200)]) as r:
        config = await world.config(company, r.url + "/hook")
        (delivery_id,) = await world.emit(company)
        async with dispatching(world, settings):
            first, second = await wait_receiver(r, 2)
    assert first.webhook_id == second.webhook_id == delivery_id
    assert first.body == second.body
    assert int(second.headers["webhook-timestamp"]) > int(first.headers["webhook-timestamp"])
    assert first.headers["webhook-signature"] != second.headers["webhook-signature"]
    for req in (first, second):
        _verify(config.secret, req.body, req.headers)
        assert abs(int(req.headers["webhook-timestamp"]) - req.wall) <= 1
    attempts = await world.attempts(delivery_id)
    assert [a.http_status for a in attempts] == [500, 200]


async def test_rotation_signs_with_both_secrets(world: World) -> None:
    from datetime import timedelta

    from talentscout.kit.clock import utcnow

    company = await world.company()
    old, new = signing.new_secret(), signing.new_secret()
    with Receiver() as r:
        await world.config(
            company,
            r.url,
            secret=new,
            previous_secret=old,
            previous_secret_expires_at=utcnow() + timedelta(hours=24),
        )
        expired = await world.config(
            company,
            r.url,
            secret=new,
            previous_secret=old,
            previous_secret_expires_at=utcnow() - timedelta(seconds=1),
        )
        await world.emit(company)
        async with dispatching(world):
            reqs = await wait_receiver(r, 2)
    by_config = {json.loads(q.body)["deliveryId"]: q for q in reqs}
    expired_ids = {d.id for d in await world.deliveries(expired.id)}
    for delivery_id, req in by_config.items():
        _verify(new, req.body, req.headers)
        sigs = req.headers["webhook-signature"].split(" ")
        if delivery_id in expired_ids:
            assert len(sigs) == 1
            with pytest.raises(WebhookVerificationError):
                _verify(old, req.body, req.headers)
        else:
            assert len(sigs) == 2
            _verify(old, req.body, req.headers)


async def test_https_connects_to_the_checked_ip_with_the_original_name_for_sni_and_certificate(
    world: World,
) -> None:
    import ssl

    import trustme

    from talentscout.webhooks.sender import WebhookSender

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.example.test").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    company = await world.company()

    async def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    with Receiver([Step()], ssl_context=server_ctx) as r:
        good = await world.config(company, f"https://hooks.example.test:{r.port}/in", max_retries=0)
        # Same IP, a name the certificate does not cover: verification must fail.
        wrong = await world.config(company, f"https://other.example.test:{r.port}/in", max_retries=0)
        await world.emit(company)
        sender = WebhookSender(allow_private=True, resolver=resolver, verify=client_ctx)
        async with dispatching(world, resolver=resolver, sender=sender):
            (req,) = await wait_receiver(r, 1)
            (bad,) = await world.wait_deliveries(wrong.id, lambda ds: ds[0].status == "failed")
            (ok,) = await world.wait_deliveries(good.id, lambda ds: ds[0].status == "succeeded")
    assert req.headers["host"] == f"hooks.example.test:{r.port}"
    assert "hooks.example.test" in r.sni and "other.example.test" in r.sni
    assert ok.last_http_status == 200
    assert bad.last_http_status is None and "certificate" in (bad.last_error or "").lower()
