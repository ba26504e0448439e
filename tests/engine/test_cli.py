"""`talentscout icp --json` and `talentscout search --profiles FILE --json` (ENGINE.md §7)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from talentscout.cli import app

JD = "Requirements:\n- 3+ years of experience\n- Python\n- PostgreSQL\n\nNice to have:\n- Docker\n"


def _profile(pid: str, title: str, skills: list[str], city: str, cc: str) -> dict[str, object]:
    return {
        "id": pid,
        "basics": {"name": f"Person {pid}", "label": title, "location": {"city": city, "countryCode": cc}},
        "work": [{"name": "Acme GmbH", "position": title, "startDate": "2019-01", "endDate": None}],
        "skills": [{"name": s} for s in skills],
    }


def test_icp_json(tmp_path: Path) -> None:
    jd = tmp_path / "jd.txt"
    jd.write_text(JD, encoding="utf-8")
    res = CliRunner().invoke(
        app,
        [
            "icp",
            "--title",
            "Backend Engineer",
            "--location",
            "Berlin, Germany",
            "--jd-file",
            str(jd),
            "--query",
            "must: Kafka -agency",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    icp = json.loads(res.stdout)
    assert {s["id"] for s in icp["mustHaveSkills"]} >= {"python", "postgresql", "kafka"}
    assert icp["negativeKeywords"][0]["value"] == "agency"
    assert icp["locations"][0]["countryCode"] == "DE"


def test_search_profiles_file_json(tmp_path: Path) -> None:
    pf = tmp_path / "profiles.jsonl"
    rows = [
        _profile("e1", "Senior Backend Engineer", ["Python", "PostgreSQL", "Docker"], "Berlin", "DE"),
        _profile("e2", "Accountant", ["Excel"], "Berlin", "DE"),
        _profile("e3", "Backend Developer", ["Python"], "Madrid", "ES"),
    ]
    pf.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n", encoding="utf-8")
    res = CliRunner().invoke(
        app,
        [
            "search",
            "--title",
            "Backend Engineer",
            "--location",
            "Berlin, Germany",
            "--jd",
            JD,
            "--profiles",
            str(pf),
            "--limit",
            "3",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) >= {"icp", "candidates", "timings"}
    cands = out["candidates"]
    assert cands[0]["externalId"] == "e1"
    for c in cands:
        assert {"externalId", "profileId", "matchScore", "rationale", "scoreBreakdown"} <= set(c)
    assert "engine_ms" in out["timings"]
