"""Fixtures for the lexicon tests: the loaded lexicons/gazetteer and a small source tree."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from talentscout.lexicons.build import default_source_dir
from talentscout.lexicons.gazetteer import Gazetteer, load_gazetteer
from talentscout.lexicons.load import Lexicons, load_lexicons

SOURCE_DIR = default_source_dir()


@pytest.fixture(scope="session")
def lex() -> Lexicons:
    return load_lexicons()


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    return load_gazetteer()


def _filter_tsv(
    src: Path, dst: Path, keep: set[str], cols: tuple[str, ...], per_key: int | None = None
) -> None:
    """Copy the rows whose *cols* are all in *keep* (at most *per_key* rows per first column)."""
    with src.open(encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")
    header = lines[0].split("\t")
    idx = [header.index(c) for c in cols]
    out = [lines[0]]
    seen: dict[str, int] = {}
    for line in lines[1:]:
        if not line:
            continue
        fields = line.split("\t")
        if all(fields[i] in keep for i in idx):
            n = seen.get(fields[idx[0]], 0)
            if per_key is not None and n >= per_key:
                continue
            seen[fields[idx[0]]] = n + 1
            out.append(line)
    dst.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def mini_source(tmp_path_factory: pytest.TempPathFactory, lex: Lexicons) -> Path:
    """A small copy of shared/data: the O*NET occupations the curated tables name, a slice of ESCO.

    Building from it exercises the whole title/skill/lexicon pipeline in about
    a second; the curated tables still have to validate against it.
    """
    if not (SOURCE_DIR / "onet-27.0").is_dir():
        pytest.skip(f"source data not available at {SOURCE_DIR}")
    root = tmp_path_factory.mktemp("mini-source")
    curated = Path(__file__).resolve().parents[2] / "src" / "talentscout" / "lexicons" / "curated"
    socs: set[str] = set()
    for line in (curated / "titles.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            socs.add(line.split("\t")[0])
    for line in (curated / "confusables.tsv").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line and not line.startswith("#") and parts[0] == "title":
            for phrase in parts[1:3]:
                socs.update(f for f in lex.family_ids_for(phrase)[:1] if not f.startswith("esco-"))
    onet_src, onet_dst = SOURCE_DIR / "onet-27.0", root / "onet-27.0"
    onet_dst.mkdir()
    for name in ("Occupation Data.txt", "Sample of Reported Titles.txt", "Job Zones.txt"):
        _filter_tsv(onet_src / name, onet_dst / name, socs, ("O*NET-SOC Code",))
    for name in ("Alternate Titles.txt", "Technology Skills.txt"):
        _filter_tsv(onet_src / name, onet_dst / name, socs, ("O*NET-SOC Code",), per_key=12)
    _filter_tsv(
        onet_src / "Related Occupations.txt",
        onet_dst / "Related Occupations.txt",
        socs,
        ("O*NET-SOC Code", "Related O*NET-SOC Code"),
    )
    esco_src, esco_dst = SOURCE_DIR / "esco-v1.0-en", root / "esco-v1.0-en"
    esco_dst.mkdir()
    for name in ("skillGroups_en.csv", "skillsHierarchy_en.csv", "ictSkillsCollection_en.csv",
                 "transversalSkillsCollection_en.csv", "languageSkillsCollection_en.csv"):  # fmt: skip
        shutil.copy(esco_src / name, esco_dst / name)
    with (esco_src / "occupations_en.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with (esco_dst / "occupations_en.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(r for r in rows if r["iscoGroup"].startswith(("222", "251")))
    labels_dst = root / "esco-skill-labels"
    labels_dst.mkdir()
    lines = (
        (SOURCE_DIR / "esco-skill-labels" / "skills_en_label.txt").read_text(encoding="utf-8").splitlines()
    )
    (labels_dst / "skills_en_label.txt").write_text("\n".join(lines[:200]) + "\n", encoding="utf-8")
    return root
