"""The topic scheme as analysts ask it: roll-ups by skos:broader, related topics listed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kg.cli import main


def _json(build: Path, *args: str) -> object:
    result = CliRunner().invoke(main, ["--store", str(build / "store"), *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_water_and_energy_are_related_not_rolled_up(shipped_build: Path) -> None:
    topics = {t["id"]: t for t in _json(shipped_build, "topics")}  # type: ignore[union-attr]
    assert topics["water"]["related"] == ["energy"]
    assert topics["energy"]["related"] == ["water"]
    # The Helmand treaty meeting (line 21) is tagged with its subject, water.
    water = _json(shipped_build, "who-met", "--topic", "water")
    energy = _json(shipped_build, "who-met", "--topic", "energy")
    assert {r["date"] for r in water} == {"2022-08-10"}, water  # type: ignore[index]
    assert "2022-08-10" not in {r["date"] for r in energy}  # type: ignore[index]


def test_security_rolls_up_arms_borders_and_terrorism(shipped_build: Path) -> None:
    topics = {t["id"]: t for t in _json(shipped_build, "topics")}  # type: ignore[union-attr]
    assert {t for t, v in topics.items() if v["broader"] == "security"} == {
        "arms", "border-security", "counter-terrorism"
    }  # fmt: skip
    weapons = _json(shipped_build, "claims", "--about", "Iran", "--status", "reported")
    assert [r["claim_iri"].rsplit("/", 1)[1] for r in weapons] == ["iran-weapons-to-taliban"]  # type: ignore[index]
    assert topics["arms"]["tagged"] == 1
