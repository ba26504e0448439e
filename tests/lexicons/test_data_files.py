"""The committed data files: checksums, attribution, size and load time."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

from talentscout.lexicons.build import DATA_FILES, ONET_CREDIT
from talentscout.lexicons.load import data_files, verify_data

DATA_DIR = Path(str(data_files()))


def test_sha256sums_match_committed_files() -> None:
    lines = (DATA_DIR / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split()
        listed[name] = digest
    assert set(listed) == set(DATA_FILES)
    for name, digest in listed.items():
        assert hashlib.sha256((DATA_DIR / name).read_bytes()).hexdigest() == digest, name
    assert verify_data() == {name: True for name in DATA_FILES}


def test_attribution_names_every_source() -> None:
    text = (DATA_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert ONET_CREDIT in text
    assert "This product includes information from the O*NET 27.0 Database" in text
    assert "ESCO" in text and "European Union" in text
    assert "GeoNames" in text and "CC BY 4.0" in text
    assert "pycountry" in text


def test_data_is_compact_and_manifest_is_consistent() -> None:
    total = sum((DATA_DIR / name).stat().st_size for name in DATA_FILES)
    assert total < 15 * 1024 * 1024
    manifest = json.loads((DATA_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["stats"]["titles"]["onet_families"] == 1016
    assert manifest["stats"]["places"]["cities"] > 30_000


def test_loading_everything_is_fast() -> None:
    # A fresh interpreter, so the lru_cache of this test process does not help.
    code = (
        "import time; t = time.perf_counter();"
        "from talentscout.lexicons import load_lexicons, load_gazetteer;"
        "load_lexicons(); load_gazetteer(); print(time.perf_counter() - t)"
    )
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60)
    elapsed = float(out.stdout.strip())
    # Well under a second on an idle machine; the bound is loose because the
    # test machine is shared and may be busy.
    assert elapsed < 4.0, f"loading took {elapsed:.2f}s (wall {time.perf_counter() - started:.2f}s)"
