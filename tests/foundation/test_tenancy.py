"""Companies, ats keys and cross-tenant isolation (API.md §1, §9)."""

from __future__ import annotations

import uuid

import httpx

from tests.foundation.test_errors import assert_envelope
from tests.harness import Api


def comparable(r: httpx.Response) -> tuple[int, dict]:
    body = r.json()
    body["timestamp"] = None
    body["error"]["correlationId"] = None
    headers = {k: v for k, v in r.headers.items() if k.startswith("www-") or k == "content-type"}
    return r.status_code, {"body": body, "headers": headers}


def test_ats_key_creates_and_manages_companies(api: Api) -> None:
    ats = api.tenant("ATS Vendor", kind="ats")
    r = api.call("POST", "/companies", ats.key, json={"name": "Client One", "metadata": {"tier": "gold"}})
    assert r.status_code == 201, r.text
    client = r.json()["data"]
    assert client["parentCompanyId"] == ats.company_id
    listing = api.call("GET", "/companies", ats.key).json()["data"]
    assert {c["id"] for c in listing["data"]} == {client["id"], ats.company_id}
    assert listing["total"] == 2
    # acting for a managed company works; metadata is merged
    r = api.call("PATCH", f"/companies/{client['id']}", ats.key, json={"metadata": {"region": "eu"}})
    assert r.json()["data"]["metadata"] == {"tier": "gold", "region": "eu"}
    assert api.call("GET", f"/me?companyId={client['id']}", ats.key).json()["data"]["company"]["id"] == client["id"]
    # /company is an alias, /v1 too
    assert api.call("GET", f"/company/{client['id']}", ats.key).status_code == 200
    assert api.call("GET", f"/v1/companies/{client['id']}", ats.key).status_code == 200


def test_standard_key_cannot_create_companies(api: Api) -> None:
    t = api.tenant()
    assert_envelope(api.call("POST", "/companies", t.key, json={"name": "Nope"}), 403, "COMPANY_ACCESS_DENIED")


def test_ats_key_with_unmanaged_company_is_denied(api: Api) -> None:
    ats = api.tenant("ATS", kind="ats")
    stranger = api.create_company("Stranger")
    assert_envelope(api.call("GET", f"/me?companyId={stranger}", ats.key), 403, "COMPANY_ACCESS_DENIED")
    assert_envelope(api.call("GET", f"/me?companyId={uuid.uuid4()}", ats.key), 403, "COMPANY_ACCESS_DENIED")
    assert_envelope(api.call("GET", "/me?companyId=not-a-uuid", ats.key), 400, "VALIDATION_ERROR")


def test_foreign_company_answers_like_missing(api: Api) -> None:
    a = api.tenant("Company A")
    b = api.tenant("Company B")
    foreign = api.call("GET", f"/companies/{a.company_id}", b.key)
    missing = api.call("GET", f"/companies/{uuid.uuid4()}", b.key)
    assert foreign.status_code == 404
    assert comparable(foreign) == comparable(missing)
    foreign = api.call("PATCH", f"/companies/{a.company_id}", b.key, json={"name": "Hacked"})
    missing = api.call("PATCH", f"/companies/{uuid.uuid4()}", b.key, json={"name": "Hacked"})
    assert comparable(foreign) == comparable(missing)
    assert api.call("GET", f"/companies/{a.company_id}", a.key).json()["data"]["name"] == "Company A"
    listing = api.call("GET", "/companies", b.key).json()["data"]["data"]
    assert [c["id"] for c in listing] == [b.company_id]


def test_company_from_another_ats_is_invisible(api: Api) -> None:
    ats1 = api.tenant("ATS 1", kind="ats")
    ats2 = api.tenant("ATS 2", kind="ats")
    c1 = api.call("POST", "/companies", ats1.key, json={"name": "Client of 1"}).json()["data"]["id"]
    r = api.call("GET", f"/companies/{c1}", ats2.key)
    assert comparable(r) == comparable(api.call("GET", f"/companies/{uuid.uuid4()}", ats2.key))


def test_metadata_limits(api: Api) -> None:
    ats = api.tenant("ATS", kind="ats")
    deep: dict = {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}
    assert_envelope(api.call("POST", "/companies", ats.key, json={"name": "Deep", "metadata": deep}), 400, "VALIDATION_ERROR")
    many = {f"k{i}": i for i in range(51)}
    assert_envelope(api.call("POST", "/companies", ats.key, json={"name": "Many", "metadata": many}), 400, "VALIDATION_ERROR")
    big = {"k": "x" * 11000}
    assert_envelope(api.call("POST", "/companies", ats.key, json={"name": "Big", "metadata": big}), 400, "VALIDATION_ERROR")
    ok = {"a": {"b": {"c": {"d": {"e": 1}}}}}
    assert api.call("POST", "/companies", ats.key, json={"name": "Fine", "metadata": ok}).status_code == 201
