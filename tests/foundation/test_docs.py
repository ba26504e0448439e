"""The README's configuration table names every setting (docs cannot silently rot)."""

from __future__ import annotations

from pathlib import Path

from talentscout.config import Settings


def test_readme_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [f"TALENTSCOUT_{n.upper()}" for n in Settings.model_fields if f"TALENTSCOUT_{n.upper()}`" not in readme]
    assert not missing, f"README configuration table lacks: {missing}"


def test_production_refuses_unsafe_settings() -> None:
    import pytest
    from pydantic import SecretStr, ValidationError

    good = {"env": "production", "secret_key": SecretStr("s" * 40), "admin_token": SecretStr("a" * 40)}
    Settings(**good)  # type: ignore[arg-type]
    for bad in (
        {"secret_key": SecretStr("dev-insecure-pepper-change-me")},
        {"admin_token": SecretStr("short")},
        {"webhooks_allow_private": True},
        {"enrichment_fetch_allow_private": True},
    ):
        with pytest.raises(ValidationError):
            Settings(**{**good, **bad})  # type: ignore[arg-type]
