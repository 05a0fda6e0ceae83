"""kg.open(): the Python API's doctests run against the shipped build; names resolve as the
CLI resolves them; rows go to pandas."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import pytest

import kg
import kg.api
from kg.names import UnresolvedName
from kg.store import StoreError
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def g(shipped_build: Path) -> kg.api.Graph:
    return kg.open(shipped_build / "store")


def test_doctests_pass_against_the_shipped_build(g: kg.api.Graph, tmp_path: Path) -> None:
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(
        kg.api, extraglobs={"g": g, "kg": kg, "tmp": tmp_path}, optionflags=flags
    )
    assert result.attempted >= 20, result
    assert result.failed == 0, result


def test_names_are_resolved_and_a_misspelt_one_suggests(g: kg.api.Graph) -> None:
    by_name = g.who_met("muttaqi")
    by_entity = g.who_met(g.resolve("Amir Khan Muttaqi"))
    assert by_name and by_name == by_entity, by_name
    with pytest.raises(UnresolvedName, match="did you mean 'Amir Khan Muttaqi'") as err:
        g.who_met("Mutaqqi")
    assert isinstance(err.value, kg.errors.KgError)
    with pytest.raises(UnresolvedName, match="no topic named 'enrgyy'"):
        g.who_met(topic="enrgyy")


def test_dates_as_text_or_dates_give_the_same_rows(g: kg.api.Graph) -> None:
    import datetime as dt

    as_text = g.roles(on="2022-08-20")
    as_date = g.roles(on=dt.date(2022, 8, 20))
    assert as_text and as_text == as_date, as_text
    month = g.timeline(start="2022-07", end="2022-07")
    assert month and all(e["date"].startswith("2022-07") for e in month), month
    with pytest.raises(kg.api.BadArgument, match="bad date '20 August'"):
        g.roles(on="20 August")


def test_rows_are_the_cli_json(g: kg.api.Graph, shipped_build: Path) -> None:
    import json

    from click.testing import CliRunner

    from kg.cli import main

    result = CliRunner().invoke(
        main, ["--store", str(shipped_build / "store"), "claims", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert g.claims() == json.loads(result.output)


def test_rows_to_pandas_round_trip(g: kg.api.Graph) -> None:
    pd = pytest.importorskip("pandas")
    rows = g.rank("degree", "person")
    frame = rows.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(rows[0]), frame.columns
    assert frame.to_dict("records") == list(rows)


def test_to_pandas_without_pandas_says_how_to_get_it(
    g: kg.api.Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match="pip install pandas"):
        g.topics().to_pandas()


def test_open_without_a_build_and_query_refuses_other_forms(
    g: kg.api.Graph, tmp_path: Path
) -> None:
    with pytest.raises(StoreError, match="run `kg build` first"):
        kg.open(tmp_path / "none")
    with pytest.raises(StoreError, match="mentions SERVICE"):
        g.query("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }")


def test_import_kg_stays_light() -> None:
    """kg.open is reached lazily: importing kg loads no store, query or graph library."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, kg; print(sorted(set(sys.modules) & "
            "{'pyoxigraph', 'rdflib', 'kg.api', 'kg.lookups'}), callable(kg.open))",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert out.stdout.split() == ["[]", "True"], out


def test_open_an_endpoint_gives_the_same_answers(g: kg.api.Graph, kg_server: str) -> None:
    remote = kg.open(f"{kg_server}/sparql")
    assert type(remote.store).__name__ == "RemoteStore", remote
    want = g.roles(on="2022-08-20", post="ambassador")
    assert want and remote.roles(on="2022-08-20", post="ambassador") == want
    assert remote.query("SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Person }") == g.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?p a kg:Person }"
    )
