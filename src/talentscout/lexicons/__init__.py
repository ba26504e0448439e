"""Reference lexicons of the sourcing engine: skills, title families, seniority, places.

The package owns the build of the data files under ``talentscout/data``
(:mod:`.build`, from O*NET, ESCO, GeoNames, pycountry and the curated tables in
``curated/``) and their runtime loaders (:mod:`.load`, :mod:`.gazetteer`). The
text normaliser both sides share is :func:`normalize`.
"""

from __future__ import annotations

from talentscout.lexicons.gazetteer import Gazetteer, Place, load_gazetteer
from talentscout.lexicons.load import (
    AmbiguousToken,
    Lexicons,
    Skill,
    TitleFamily,
    TitleParse,
    load_lexicons,
    verify_data,
)
from talentscout.lexicons.normalize import normalize, normalize_place

__all__ = [
    "AmbiguousToken",
    "Gazetteer",
    "Lexicons",
    "Place",
    "Skill",
    "TitleFamily",
    "TitleParse",
    "load_gazetteer",
    "load_lexicons",
    "normalize",
    "normalize_place",
    "verify_data",
]
