"""The README's configuration table names every setting (docs cannot silently rot)."""

from __future__ import annotations

from pathlib import Path

from talentscout.config import Settings


def test_readme_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [f"TALENTSCOUT_{n.upper()}" for n in Settings.model_fields if f"TALENTSCOUT_{n.upper()}`" not in readme]
    assert not missing, f"README configuration table lacks: {missing}"
