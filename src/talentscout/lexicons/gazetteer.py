"""Offline gazetteer: free-text locations -> places (city, region, country, remote region).

This module owns place resolution for job locations and profile locations:
GeoNames cities (population >= 15,000, with Latin-script alternate names),
ISO 3166 countries and subdivisions, curated remote-work region groups
("EU", "DACH", "LATAM" ...) and city nicknames ("NYC", "Bay Area"). Data is
read from ``talentscout/data/places.tsv.gz`` and ``regions.json.gz``.

Resolution of one location string:

1. Remote markers ("remote", "anywhere", "WFH" ...) and work-mode words
   ("hybrid", "on-site", "based") are noted and removed.
2. The rest is split at commas, brackets, " - " and similar into parts; the
   first part that names something is the *main* part, the others qualify it
   ("Oakland, CA": a US state code; "Bratislava, Slovakia": a country).
3. Candidates for the main part come from nicknames, city names (primary and
   alternate), country names/codes, subdivision names and region groups;
   each is scored by how many qualifiers it agrees with, whether the name is
   the primary one, and population. Countries beat cities of the same name,
   big cities beat same-named subdivisions.
4. With no exact match a fuzzy match (rapidfuzz, score >= 90) over city and
   country names of the same first letter catches typos.
"""

from __future__ import annotations

import gzip
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import orjson

from talentscout.lexicons.normalize import normalize_place

__all__ = ["Gazetteer", "Place", "PlaceKind", "haversine_km", "load_gazetteer"]

PlaceKind = Literal["city", "region", "country", "remote_region"]


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place.

    ``region`` is the ISO 3166-2 code of a city's subdivision when known (or
    of the subdivision itself for ``kind="region"``); ``admin1`` is the
    GeoNames admin1 code (always present for cities, comparable between
    cities of one country). ``country_codes`` lists every country the place
    covers (one for cities/subdivisions/countries, many for region groups).
    ``remote`` is set when the text asked for remote work; ``radius_km`` is a
    hint for metro-area nicknames ("Bay Area").
    """

    name: str
    kind: PlaceKind
    country_code: str | None
    region: str | None
    lat: float | None
    lon: float | None
    population: int
    country_codes: tuple[str, ...]
    admin1: str | None = None
    geonameid: int | None = None
    radius_km: float | None = None
    remote: bool = False
    matched: str = ""
    region_id: str | None = None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


_REMOTE = re.compile(
    r"\b(?:fully\s+remote|100\s*%\s*remote|remote\s+first|remote|anywhere|wfh|work\s+from\s+home|"
    r"telecommute|telework|distributed|home\s*office|home\s*based)\b",
    re.I,
)
_WORKMODE = re.compile(
    r"\b(?:hybrid|on\s*-?\s*site|onsite|in\s*-?\s*office|office\s+based|in\s+person|based\s+in|based|"
    r"located\s+in|location|preferred|required|only|friendly|ok|okay|possible|optional|"
    r"time\s*zones?|timezones?|tz|hours|within|from|in|the|area\s+only|relocation|relocate|willing\s+to)\b",
    re.I,
)
# Part separators: comma, semicolon, brackets, pipes, " - " style dashes.
_PARTS = re.compile(r"[,;()\[\]|]+|\s[-\u2013\u2014/]\s|\s*/\s*")
_SEGMENTS = re.compile(r"\s*(?:;|\||\bor\b|&|\band\b|\s/\s)\s*", re.I)
_METRO_WORDS = ("metropolitan area", "metro area", "metro", "area", "region", "city", "greater")


@dataclass
class _Candidate:
    place: Place
    base: float  # kind/name-quality prior
    cc: tuple[str, ...]
    city_idx: int | None = None
    sub_code: str | None = None
    score: float = 0.0
    compat: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Gazetteer:
    """Resolve location strings to :class:`Place` objects (offline, read-only)."""

    def __init__(self, places: Mapping[str, Any], regions: Mapping[str, Any]) -> None:
        self._load_cities(places)
        self._load_regions(regions)
        self._fuzzy_buckets: dict[str, list[str]] | None = None

    # -- loading -------------------------------------------------------------
    # places.json.gz is columnar with a ready-made name index, so loading is
    # one orjson parse and no per-city Python work.

    def _load_cities(self, doc: Mapping[str, Any]) -> None:
        cols = doc["cities"]
        self._c_id: list[int] = cols["geonameid"]
        self._c_name: list[str] = cols["name"]
        self._c_key: list[str] = cols["key"]
        self._c_cc: list[str] = cols["country"]
        self._c_admin1: list[str] = cols["admin1"]
        self._c_region: list[str] = cols["region"]
        self._c_lat: list[float] = cols["lat"]
        self._c_lon: list[float] = cols["lon"]
        self._c_pop: list[int] = cols["population"]
        self._c_alts: list[str] = cols["alt_names"]
        # name -> city index (int) or indices (list), primary names first
        self._city_index: dict[str, int | list[int]] = doc["index"]
        self._city_by_gid = {gid: i for i, gid in enumerate(self._c_id)}

    def _cities_named(self, key: str) -> list[int]:
        hit = self._city_index.get(key)
        if hit is None:
            return []
        return [hit] if isinstance(hit, int) else hit

    def _load_regions(self, doc: Mapping[str, Any]) -> None:
        self._countries: dict[str, dict[str, Any]] = {}
        self._country_index: dict[str, list[str]] = {}
        self._country_codes_index: dict[str, str] = {}
        for c in doc["countries"]:
            self._countries[c["code"]] = c
            for n in c["names"]:
                self._country_index.setdefault(n, []).append(c["code"])
            self._country_codes_index[c["code"].lower()] = c["code"]
            self._country_codes_index[c["alpha3"].lower()] = c["code"]
        self._subs: dict[str, dict[str, Any]] = {}
        self._sub_index: dict[str, list[str]] = {}
        self._sub_short: dict[str, list[str]] = {}
        for s in doc["subdivisions"]:
            if s["parent"]:
                # Second-level subdivisions (districts, provinces of regions)
                # collide with city names far more than they help.
                continue
            self._subs[s["code"]] = s
            for n in s["names"]:
                self._sub_index.setdefault(n, []).append(s["code"])
            self._sub_short.setdefault(s["short"].lower(), []).append(s["code"])
        self._groups: dict[str, dict[str, Any]] = {g["id"]: g for g in doc["groups"]}
        self._group_index: dict[str, str] = {}
        for g in doc["groups"]:
            for n in g["names"]:
                self._group_index.setdefault(n, g["id"])
        self._aliases: dict[str, tuple[int, float | None]] = {}
        for alias, gid, radius in doc["city_aliases"]:
            idx = self._city_by_gid.get(gid)
            if idx is not None:
                self._aliases[alias] = (idx, radius)
        # Largest city per subdivision / capital per country for coordinates.
        self._sub_anchor: dict[str, int] = {}
        for i, reg in enumerate(self._c_region):
            if reg and (reg not in self._sub_anchor or self._c_pop[i] > self._c_pop[self._sub_anchor[reg]]):
                self._sub_anchor[reg] = i
        self._capital: dict[str, int] = {}
        for code, c in self._countries.items():
            cands = [
                i for i in self._cities_named(normalize_place(c.get("capital", ""))) if self._c_cc[i] == code
            ]
            if cands:
                self._capital[code] = max(cands, key=lambda i: self._c_pop[i])

    # -- place constructors ----------------------------------------------------

    def _city_place(self, idx: int, matched: str, radius: float | None = None, remote: bool = False) -> Place:
        cc = self._c_cc[idx]
        return Place(
            name=self._c_name[idx],
            kind="city",
            country_code=cc,
            region=self._c_region[idx] or None,
            lat=self._c_lat[idx],
            lon=self._c_lon[idx],
            population=self._c_pop[idx],
            country_codes=(cc,),
            admin1=self._c_admin1[idx] or None,
            geonameid=self._c_id[idx],
            radius_km=radius,
            remote=remote,
            matched=matched,
        )

    def _country_place(self, code: str, matched: str, remote: bool = False) -> Place:
        c = self._countries[code]
        cap = self._capital.get(code)
        return Place(
            name=c["name"],
            kind="remote_region" if remote else "country",
            country_code=code,
            region=None,
            lat=self._c_lat[cap] if cap is not None else None,
            lon=self._c_lon[cap] if cap is not None else None,
            population=int(c.get("population") or 0),
            country_codes=(code,),
            remote=remote,
            matched=matched,
        )

    def _sub_place(self, code: str, matched: str, remote: bool = False) -> Place:
        s = self._subs[code]
        anchor = self._sub_anchor.get(code)
        admin1 = None
        if anchor is not None:
            admin1 = self._c_admin1[anchor]
        elif s["country"] == "US":
            admin1 = s["short"]
        return Place(
            name=s["name"],
            kind="remote_region" if remote else "region",
            country_code=s["country"],
            region=code,
            lat=self._c_lat[anchor] if anchor is not None else None,
            lon=self._c_lon[anchor] if anchor is not None else None,
            population=0,
            country_codes=(s["country"],),
            admin1=admin1,
            remote=remote,
            matched=matched,
        )

    def _group_place(self, gid: str, matched: str, remote: bool) -> Place:
        g = self._groups[gid]
        codes = tuple(g["countries"])
        return Place(
            name=g["name"],
            kind="remote_region" if remote else "region",
            country_code=codes[0] if len(codes) == 1 else None,
            region=None,
            lat=None,
            lon=None,
            population=0,
            country_codes=codes,
            remote=remote,
            matched=matched,
            region_id=gid,
        )

    # -- candidates --------------------------------------------------------------

    def _main_candidates(self, key: str, raw: str, remote: bool) -> list[_Candidate]:
        out: list[_Candidate] = []
        upper_code = raw.strip().isupper() and len(raw.strip()) in (2, 3)
        alias = self._aliases.get(key)
        if alias is not None:
            idx, radius = alias
            out.append(
                _Candidate(self._city_place(idx, key, radius, remote), 6.0, (self._c_cc[idx],), city_idx=idx)
            )
        for code in self._country_index.get(key, []):
            out.append(_Candidate(self._country_place(code, key, remote), 5.0, (code,)))
        if upper_code or remote:
            by_code = self._country_codes_index.get(key)
            if by_code is not None and not any(c.cc == (by_code,) and c.city_idx is None for c in out):
                out.append(_Candidate(self._country_place(by_code, key, remote), 4.5, (by_code,)))
        gid = self._group_index.get(key)
        if gid is not None:
            out.append(
                _Candidate(self._group_place(gid, key, remote), 4.8, tuple(self._groups[gid]["countries"]))
            )
        for idx in self._cities_named(key)[:200]:
            primary = self._c_key[idx] == key
            pop = self._c_pop[idx]
            # Big cities and primary names first; population breaks ties.
            base = (3.0 if primary else 2.0) + min(math.log10(max(pop, 1)) / 7.0, 1.2)
            out.append(
                _Candidate(self._city_place(idx, key, None, remote), base, (self._c_cc[idx],), city_idx=idx)
            )
        for code in self._sub_index.get(key, []):
            out.append(
                _Candidate(
                    self._sub_place(code, key, remote), 3.2, (self._subs[code]["country"],), sub_code=code
                )
            )
        return out

    def _qualifier_matches(self, cand: _Candidate, key: str) -> bool:
        """Does the qualifier part *key* agree with the candidate?"""
        if not key:
            return False
        cc = cand.cc
        # country names and codes
        codes = set(self._country_index.get(key, []))
        code = self._country_codes_index.get(key)
        if code:
            codes.add(code)
        if codes & set(cc) and cand.place.kind in ("city", "region"):
            return True
        # subdivision names / short codes ("CA", "Bavaria", "ON")
        subs = set(self._sub_index.get(key, [])) | set(self._sub_short.get(key, []))
        if subs:
            if cand.city_idx is not None:
                i = cand.city_idx
                region = self._c_region[i]
                for s in subs:
                    if region == s:
                        return True
                    if (
                        self._subs[s]["country"] == self._c_cc[i]
                        and self._c_cc[i] == "US"
                        and self._subs[s]["short"] == self._c_admin1[i]
                    ):
                        return True
            elif cand.sub_code is not None and cand.sub_code in subs:
                return True
        gid = self._group_index.get(key)
        if gid is not None and cand.place.kind in ("city", "region", "country"):
            return bool(set(cc) & set(self._groups[gid]["countries"]))
        return False

    def _is_known(self, key: str) -> bool:
        return bool(
            key in self._aliases
            or key in self._country_index
            or key in self._country_codes_index
            or key in self._group_index
            or key in self._city_index
            or key in self._sub_index
            or key in self._sub_short
        )

    # -- fuzzy -------------------------------------------------------------------

    def _fuzzy_key(self, key: str) -> str | None:
        if len(key) < 4:
            return None
        from rapidfuzz import fuzz, process

        if self._fuzzy_buckets is None:
            # Primary city names (largest first), country and subdivision names,
            # bucketed by first letter; built on first use only.
            buckets: dict[str, list[str]] = {}
            seen: set[str] = set()
            names = [self._c_key[i] for i in sorted(range(len(self._c_pop)), key=lambda i: -self._c_pop[i])]
            names += sorted(self._country_index) + sorted(self._sub_index)
            for name in names:
                if len(name) >= 4 and name not in seen:
                    seen.add(name)
                    buckets.setdefault(name[0], []).append(name)
            self._fuzzy_buckets = buckets
        bucket = self._fuzzy_buckets.get(key[0])
        if not bucket:
            return None
        hit = process.extractOne(key, bucket, scorer=fuzz.ratio, score_cutoff=90)
        return hit[0] if hit else None

    # -- public API ----------------------------------------------------------------

    def resolve(self, text: str, *, fuzzy: bool = True) -> Place | None:
        """The best place for a location string, or None when nothing fits.

        Handles "NYC", "München", "Bratislava, Slovakia", "Oakland, CA",
        "Remote (EU)", "San Francisco Bay Area", alternate names like
        "Roterdama", and small typos (``fuzzy=True``).
        """
        if not text or not text.strip():
            return None
        segments = [seg for seg in _SEGMENTS.split(text) if seg and seg.strip()]
        if len(segments) > 1:
            # "Bosnia and Herzegovina" is one name; "Berlin or Munich" is two
            # places: try the whole text exactly first, then each segment.
            whole = self._resolve_one(text, fuzzy=False)
            if whole is not None and not (whole.kind == "remote_region" and whole.region_id == "worldwide"):
                return whole
            for seg in segments:
                place = self._resolve_one(seg, fuzzy=fuzzy)
                if place is not None:
                    return place
            return whole
        return self._resolve_one(text, fuzzy=fuzzy)

    def _resolve_one(self, text: str, *, fuzzy: bool) -> Place | None:
        remote = bool(_REMOTE.search(text))
        body = _REMOTE.sub(" ", text)
        raw_parts = [p.strip() for p in _PARTS.split(body)]
        parts: list[tuple[str, str]] = []
        for p in raw_parts:
            k = normalize_place(p)
            if not k:
                continue
            if not self._is_known(k):
                k = normalize_place(_WORKMODE.sub(" ", p))
                if not k:
                    continue  # only work-mode words ("Hybrid"): nothing to resolve
            parts.append((k, p))
        if not parts:
            if remote:
                return self._group_place("worldwide", "remote", True) if "worldwide" in self._groups else None
            return None
        best = self._resolve_parts(parts, remote, fuzzy)
        if best is None and remote:
            return self._group_place("worldwide", "remote", True) if "worldwide" in self._groups else None
        return best

    def _resolve_parts(self, parts: Sequence[tuple[str, str]], remote: bool, fuzzy: bool) -> Place | None:
        # Try every part as the main one, in order; the first that yields a
        # candidate wins, with the remaining parts as qualifiers.
        for i, (key, raw) in enumerate(parts):
            keys = [key]
            stripped = self._strip_metro(key)
            if stripped and stripped != key:
                keys.append(stripped)
            for k in keys:
                cands = self._main_candidates(k, raw, remote)
                if cands:
                    qualifiers = [q for j, (q, _r) in enumerate(parts) if j != i]
                    return self._pick(cands, qualifiers)
        if fuzzy:
            for i, (key, raw) in enumerate(parts):
                fk = self._fuzzy_key(key)
                if fk:
                    cands = self._main_candidates(fk, raw, remote)
                    if cands:
                        qualifiers = [q for j, (q, _r) in enumerate(parts) if j != i]
                        return self._pick(cands, qualifiers)
        return None

    @staticmethod
    def _strip_metro(key: str) -> str:
        words = key.split()
        changed = True
        while changed and len(words) > 1:
            changed = False
            for w in _METRO_WORDS:
                ws = w.split()
                if len(words) > len(ws) and words[-len(ws) :] == ws:
                    words = words[: -len(ws)]
                    changed = True
                elif len(words) > len(ws) and words[: len(ws)] == ws:
                    words = words[len(ws) :]
                    changed = True
        return " ".join(words)

    def _pick(self, cands: list[_Candidate], qualifiers: Sequence[str]) -> Place:
        for c in cands:
            c.compat = sum(1 for q in qualifiers if self._qualifier_matches(c, q))
            c.score = c.base + 3.0 * c.compat
        cands.sort(key=lambda c: (-c.score, c.place.geonameid or 0, c.place.name))
        return cands[0].place

    def resolve_all(self, text: str, *, fuzzy: bool = True) -> list[Place]:
        """Every place named in *text* ("Berlin or Munich", "London / Remote (EU)", "Berlin, Munich, Hamburg")."""
        if not text or not text.strip():
            return []
        out: list[Place] = []
        segments = [seg for seg in _SEGMENTS.split(text) if seg and seg.strip()]
        if len(segments) > 1:
            whole = self._resolve_one(text, fuzzy=False)
            if whole is not None and normalize_place(whole.matched) == normalize_place(
                _REMOTE.sub(" ", text)
            ):
                segments = [text]
        for seg in segments:
            out.extend(self._resolve_segment(seg, fuzzy))
        # Deduplicate, keep order.
        seen: set[tuple[Any, ...]] = set()
        uniq: list[Place] = []
        for p in out:
            k = (p.kind, p.geonameid, p.region, p.country_codes, p.remote)
            if k not in seen:
                seen.add(k)
                uniq.append(p)
        return uniq

    def _resolve_segment(self, seg: str, fuzzy: bool) -> list[Place]:
        # Commas either qualify ("Oakland, CA") or list ("Berlin, Munich").
        pieces = [p for p in seg.split(",") if p.strip()]
        if len(pieces) <= 1:
            p = self._resolve_one(seg, fuzzy=fuzzy)
            return [p] if p else []
        out: list[Place] = []
        current: list[str] = []
        for piece in pieces:
            if not current:
                current = [piece]
                continue
            head = self._resolve_one(", ".join(current), fuzzy=fuzzy)
            alone = self._resolve_one(piece, fuzzy=False)
            qualifies = head is not None and self._qualifies(head, normalize_place(_WORKMODE.sub(" ", piece)))
            if qualifies or alone is None:
                current.append(piece)
            else:
                if head is not None:
                    out.append(head)
                current = [piece]
        if current:
            p = self._resolve_one(", ".join(current), fuzzy=fuzzy)
            if p is not None:
                out.append(p)
        return out

    def _qualifies(self, place: Place, key: str) -> bool:
        """Is *key* a qualifier of *place* ("CA" of Oakland, "Germany" of Berlin)?"""
        city_idx = self._city_by_gid.get(place.geonameid) if place.geonameid is not None else None
        sub = (
            place.region if place.kind in ("region", "remote_region") and place.region in self._subs else None
        )
        cand = _Candidate(place, 0.0, place.country_codes, city_idx=city_idx, sub_code=sub)
        return self._qualifier_matches(cand, key)

    def names_for(self, place: Place) -> tuple[str, ...]:
        """Normalised names of a place (primary first) - variants for matching profile text."""
        if place.kind == "city" and place.geonameid is not None:
            idx = self._city_by_gid.get(place.geonameid)
            if idx is not None:
                alts = self._c_alts[idx].split("|") if self._c_alts[idx] else []
                return (self._c_key[idx], *alts)
        if place.region_id and place.region_id in self._groups:
            return tuple(self._groups[place.region_id]["names"])
        if place.kind == "region" and place.region in self._subs:
            return tuple(self._subs[place.region]["names"])
        if place.country_code and place.country_code in self._countries and len(place.country_codes) == 1:
            return tuple(self._countries[place.country_code]["names"])
        return ()

    def country(self, code: str) -> Place | None:
        """The country place for an ISO alpha-2/alpha-3 code."""
        c = self._country_codes_index.get(code.lower())
        return self._country_place(c, code.lower()) if c else None

    def region_group(self, group_id: str, *, remote: bool = True) -> Place | None:
        return self._group_place(group_id, group_id, remote) if group_id in self._groups else None

    @property
    def region_groups(self) -> Mapping[str, tuple[str, ...]]:
        """Group id -> member country codes."""
        return {gid: tuple(g["countries"]) for gid, g in self._groups.items()}

    def cities_near(self, lat: float, lon: float, radius_km: float, limit: int = 50) -> list[Place]:
        """Cities within *radius_km*, nearest first (linear scan; for queries, not bulk work)."""
        hits: list[tuple[float, int]] = []
        dlat = radius_km / 111.0
        for i in range(len(self._c_lat)):
            if abs(self._c_lat[i] - lat) > dlat:
                continue
            d = haversine_km(lat, lon, self._c_lat[i], self._c_lon[i])
            if d <= radius_km:
                hits.append((d, i))
        hits.sort()
        return [self._city_place(i, self._c_key[i]) for _, i in hits[:limit]]


def _read(name: str) -> bytes:
    return resources.files("talentscout").joinpath("data", name).read_bytes()


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The process-wide :class:`Gazetteer` (loaded once from the committed files)."""
    places = orjson.loads(gzip.decompress(_read("places.json.gz")))
    regions = orjson.loads(gzip.decompress(_read("regions.json.gz")))
    return Gazetteer(places, regions)
