"""`Vocabulary` backed by the shipped lexicons (`talentscout.lexicons`): skills, titles, gazetteer.

Adapts the lexicon loader to the four operations profile normalisation needs,
memoising each (titles, skills and cities repeat across a pool; the lexicon
calls themselves cost tens of microseconds).

Place resolution from a profile's structured location: the gazetteer reads
"city, region, countryCode"; when the profile states a country and the best
reading lies elsewhere ("CA, US" read as Canada), the city and then the region
are re-read together with the country's name, and failing that the place is the
stated country (its centroid), keeping the city/region text as written.
"""

from __future__ import annotations

from talentscout.engine.profile import Place
from talentscout.index.vocab import PhraseMatcher
from talentscout.lexicons import Gazetteer, Lexicons, load_gazetteer, load_lexicons
from talentscout.lexicons import Place as GeoPlace

__all__ = ["LexiconVocabulary"]


class LexiconVocabulary:
    """The production vocabulary (see module docstring)."""

    def __init__(self, lexicons: Lexicons, gazetteer: Gazetteer) -> None:
        self.lexicons = lexicons
        self.gazetteer = gazetteer
        forms: dict[str, str] = {}
        for form, ids in lexicons.iter_skill_forms():
            if ids:
                forms[form] = ids[0]
        # In prose, everyday words ("design", "sales") and ambiguous tokens
        # ("go", "excel") are not evidence of a skill; skills lists are.
        stop = frozenset(lexicons.common_word_forms) | frozenset(lexicons.ambiguous_tokens)
        self._matcher = PhraseMatcher(forms, stop)
        self._skill_memo: dict[str, str | None] = {}
        self._title_memo: dict[str, tuple[str | None, int | None]] = {}
        self._place_memo: dict[tuple[str | None, str | None, str | None], Place | None] = {}

    @classmethod
    def load(cls) -> LexiconVocabulary:
        return cls(load_lexicons(), load_gazetteer())

    def skill_id(self, surface: str) -> str | None:
        try:
            return self._skill_memo[surface]
        except KeyError:
            ids = self.lexicons.resolve_skill(surface, in_skill_list=True)
            sid = self._skill_memo[surface] = ids[0] if ids else None
            return sid

    def skills_in_text(self, text: str) -> tuple[str, ...]:
        return self._matcher(text)

    def title(self, title: str) -> tuple[str | None, int | None]:
        try:
            return self._title_memo[title]
        except KeyError:
            parsed = self.lexicons.parse_title(title)
            out = self._title_memo[title] = (parsed.families[0] if parsed.families else None, parsed.seniority)
            return out

    def place(self, city: str | None, region: str | None, country_code: str | None) -> Place | None:
        key = (city, region, country_code)
        try:
            return self._place_memo[key]
        except KeyError:
            place = self._place_memo[key] = self._resolve(city, region, country_code)
            return place

    def _resolve(self, city: str | None, region: str | None, country_code: str | None) -> Place | None:
        raw = ", ".join(p for p in (city, region, country_code) if p)
        if not raw:
            return None
        cc = country_code.upper() if country_code else None
        g = self.gazetteer
        hit = g.resolve(raw)
        if cc is not None and not _in_country(hit, cc):
            country = g.country(cc)
            name = country.name if country is not None else cc
            hit = None
            for part in (city, region):
                if part:
                    cand = g.resolve(f"{part}, {name}")
                    if _in_country(cand, cc) and cand is not None and cand.kind != "country":
                        hit = cand
                        break
            if hit is None:
                if country is None:
                    return Place(city=city, region=region, country_code=cc, raw=raw)
                return Place(city=city, region=region, country_code=cc, lat=country.lat, lon=country.lon, raw=raw)
        if hit is None:
            return Place(city=city, region=region, country_code=cc, raw=raw)
        if hit.kind == "remote_region":
            return Place(city=None, region=None, country_code=cc, raw=raw)
        return Place(
            city=hit.name if hit.kind == "city" else city,
            region=hit.region or region,
            country_code=hit.country_code or cc,
            lat=hit.lat,
            lon=hit.lon,
            raw=raw,
        )


def _in_country(place: GeoPlace | None, cc: str) -> bool:
    return place is not None and (place.country_code == cc or (place.kind != "remote_region" and cc in place.country_codes))
