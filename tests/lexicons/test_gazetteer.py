"""The gazetteer: cities, alternate names, qualifiers, countries, remote regions."""

from __future__ import annotations

import pytest

from talentscout.lexicons.gazetteer import Gazetteer, haversine_km


def test_nyc(gaz: Gazetteer) -> None:
    p = gaz.resolve("NYC")
    assert p is not None and p.kind == "city"
    assert "New York" in p.name and p.country_code == "US"


@pytest.mark.parametrize("text", ["München", "Munich", "Muenchen", "Munich, Germany"])
def test_munich(gaz: Gazetteer, text: str) -> None:
    p = gaz.resolve(text)
    assert p is not None and p.name == "Munich" and p.country_code == "DE"
    assert p.region == "DE-BY"


def test_city_with_country(gaz: Gazetteer) -> None:
    p = gaz.resolve("Bratislava, Slovakia")
    assert p is not None and p.name == "Bratislava" and p.country_code == "SK"


def test_remote_eu(gaz: Gazetteer) -> None:
    p = gaz.resolve("Remote (EU)")
    assert p is not None and p.kind == "remote_region" and p.remote
    assert {"DE", "FR", "SK", "NL"} <= set(p.country_codes)
    assert "GB" not in p.country_codes and "US" not in p.country_codes
    assert len(p.country_codes) == 27


def test_remote_variants(gaz: Gazetteer) -> None:
    us = gaz.resolve("Remote - US")
    assert us is not None and us.kind == "remote_region" and us.country_codes == ("US",)
    anywhere = gaz.resolve("Remote")
    assert anywhere is not None and anywhere.kind == "remote_region" and len(anywhere.country_codes) > 200
    dach = gaz.resolve("Remote, DACH")
    assert dach is not None and set(dach.country_codes) == {"DE", "AT", "CH"}


@pytest.mark.parametrize("text", ["Roterdama", "Rotterdam", "Rotterdam, Netherlands"])
def test_alternate_names(gaz: Gazetteer, text: str) -> None:
    p = gaz.resolve(text)
    assert p is not None and p.name == "Rotterdam" and p.country_code == "NL"


def test_us_state_qualifier(gaz: Gazetteer) -> None:
    p = gaz.resolve("Oakland, CA")
    assert p is not None and p.name == "Oakland" and p.country_code == "US" and p.region == "US-CA"
    me = gaz.resolve("Portland, ME")
    oregon = gaz.resolve("Portland, OR")
    assert me is not None and oregon is not None
    assert me.region == "US-ME" and oregon.region == "US-OR"
    ontario = gaz.resolve("London, ON")
    assert ontario is not None and ontario.country_code == "CA"
    assert gaz.resolve("London") is not None and gaz.resolve("London").country_code == "GB"  # type: ignore[union-attr]


def test_metro_nicknames(gaz: Gazetteer) -> None:
    bay = gaz.resolve("San Francisco Bay Area")
    assert bay is not None and bay.name == "San Francisco" and bay.country_code == "US"
    assert bay.radius_km and bay.radius_km >= 50
    sf = gaz.resolve("SF")
    assert sf is not None and sf.geonameid == bay.geonameid


def test_countries_regions_and_codes(gaz: Gazetteer) -> None:
    de = gaz.resolve("Germany")
    assert de is not None and de.kind == "country" and de.country_code == "DE" and de.lat is not None
    assert gaz.resolve("Deutschland").country_code == "DE"  # type: ignore[union-attr]
    assert gaz.resolve("USA").country_code == "US"  # type: ignore[union-attr]
    ca = gaz.resolve("California")
    assert ca is not None and ca.kind == "region" and ca.region == "US-CA"
    assert gaz.resolve("Bosnia and Herzegovina").country_code == "BA"  # type: ignore[union-attr]


@pytest.mark.parametrize("text", ["", "   ", "asdfqwer", "Blorptown, Zzqland", "xyzzy plugh", "Hybrid"])
def test_nonsense_is_none(gaz: Gazetteer, text: str) -> None:
    assert gaz.resolve(text) is None


def test_small_typos_are_forgiven_but_can_be_disabled(gaz: Gazetteer) -> None:
    p = gaz.resolve("Amsterdm")
    assert p is not None and p.name == "Amsterdam"
    assert gaz.resolve("Amsterdm", fuzzy=False) is None


def test_resolve_all_lists_every_place(gaz: Gazetteer) -> None:
    names = [(p.name, p.kind) for p in gaz.resolve_all("Berlin, Munich or Remote (EU)")]
    assert names == [("Berlin", "city"), ("Munich", "city"), ("European Union", "remote_region")]
    assert [p.name for p in gaz.resolve_all("Oakland, CA or Remote (US)")] == ["Oakland", "United States"]


def test_names_for_and_distance(gaz: Gazetteer) -> None:
    rotterdam = gaz.resolve("Rotterdam")
    assert rotterdam is not None
    assert "roterdama" in gaz.names_for(rotterdam)
    amsterdam = gaz.resolve("Amsterdam")
    assert amsterdam is not None and amsterdam.lat is not None and rotterdam.lat is not None
    d = haversine_km(rotterdam.lat, rotterdam.lon or 0, amsterdam.lat, amsterdam.lon or 0)
    assert 50 < d < 70
