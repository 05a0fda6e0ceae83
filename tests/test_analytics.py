"""rank, communities, engagement and export, on the shipped graph and on tiny graphs."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner, Result
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.cli import main
from tests.conftest import BuildRunner


@pytest.fixture(scope="module")
def kg(shipped_build: Path) -> Any:
    def run(*args: str) -> Result:
        result = CliRunner().invoke(main, ["--store", str(shipped_build / "store"), *args])
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        return result

    return run


def test_rank_degree(kg: Any) -> None:
    rows = json.loads(kg("rank", "--format", "json").stdout)
    assert [r["name"] for r in rows[:2]] == ["Taliban", "Iran"]
    assert [r["rank"] for r in rows[:3]] == [1, 2, 3]
    assert all({"rank", "name", "type", "score", "ties"} <= set(r) for r in rows)


def test_rank_people_by_betweenness(kg: Any) -> None:
    rows = json.loads(
        kg("rank", "--by", "betweenness", "--type", "person", "--format", "json").stdout
    )
    assert {r["type"] for r in rows} == {"Person"} and len(rows) == 14
    # Aminian met three Taliban ministers (lines 19, 23, 24): the broker among people.
    assert rows[0]["name"] == "Bahadur Aminian"


def test_rank_type_is_an_actor_kind_of_the_schema(shipped_build: Path) -> None:
    result = CliRunner().invoke(
        main, ["--store", str(shipped_build / "store"), "rank", "--type", "persn"]
    )
    assert result.exit_code == 2, result.output
    assert "'persn' is not an actor kind (kinds: person, organization, post)" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_betweenness_equals_networkx_exact(shipped_build: Path) -> None:
    """rustworkx's exact betweenness is networkx's, on the shipped actor graph and on a
    random graph of several components (with isolated actors)."""
    from kg.analytics import _betweenness, actor_network, simple
    from kg.store import EmbeddedStore

    shipped = simple(actor_network(EmbeddedStore.open(shipped_build / "store"), sources=False))
    random = nx.gnm_random_graph(300, 420, seed=5)
    random.add_nodes_from(range(300, 305))
    for graph in (shipped, random):
        ours, theirs = _betweenness(graph), nx.betweenness_centrality(graph, normalized=True)
        assert ours.keys() == theirs.keys()
        assert max(abs(ours[v] - theirs[v]) for v in ours) < 1e-12
        assert max(ours.values()) > 0


def test_rank_eigenvector_and_table(kg: Any) -> None:
    rows = json.loads(kg("rank", "--by", "eigenvector", "--format", "json").stdout)
    assert {rows[0]["name"], rows[1]["name"]} == {"Iran", "Taliban"}
    out = kg("rank", "--limit", "3").stdout
    lines = out.splitlines()
    assert len([ln for ln in lines[:-1] if ln[:1].isdigit()]) == 3 and lines[-1] == "3 rows"
    assert "degree" in out


def test_rank_help_explains_measures() -> None:
    out = CliRunner().invoke(main, ["rank", "--help"]).output
    assert "betweenness: how often one lies on the shortest chains" in out
    assert "eigenvector:" in out and "degree:" in out


def test_communities_are_stable(kg: Any) -> None:
    first = json.loads(kg("communities", "--format", "json").stdout)
    second = json.loads(kg("communities", "--format", "json").stdout)
    assert first == second
    members = {m for c in first for m in c["members"]}
    assert {"Bahadur Aminian", "Qalandar Ebad"} <= members
    aminian = next(c for c in first if "Bahadur Aminian" in c["members"])
    assert "Qalandar Ebad" in aminian["members"]  # they met (line 23)


def test_engagement_next_to_reported_figures(kg: Any) -> None:
    data = json.loads(kg("engagement", "--by", "pair", "--format", "json").stdout)
    pairs = {(r["a"], r["b"]): r["count"] for r in data["rows"]}
    assert pairs[("Iran", "Taliban")] == 8  # meetings only (see test_cli_lookups' test_stats)
    assert data["meeting_kinds"] == ["dialogue", "engagement", "meeting", "signing", "visit"]
    kinds = {r["kind"]: (r["counts_as_meeting"], r["count"]) for r in data["per_kind"]}
    # Two-sided but not meetings: lines 13 and 24 (invited), 22, 25, 28 (told), 7 (handover).
    assert {k: n for k, (meets, n) in kinds.items() if not meets and n} == {
        "invitation": 2,
        "message": 3,
        "handover": 1,
    }, kinds
    assert sum(n for meets, n in kinds.values() if meets) == data["curated_total"] == 9
    reported = {r["value"] for r in data["reported"]}
    assert "67" in reported  # line 13: the source's own count
    table = kg("engagement", "--by", "pair").stdout
    assert "Reported by the source" in table and "rank 4 of 58" in table
    assert "Events with two sides, by kind" in table and "invitation" in table, table
    months = json.loads(kg("engagement", "--format", "json").stdout)
    assert {r["month"]: r["count"] for r in months["rows"]}["2022-08"] == 2  # lines 21, 23
    topics = json.loads(kg("engagement", "--by", "topic", "--format", "json").stdout)
    assert {r["topic"]: r["count"] for r in topics["rows"]}["Energy"] == 1


def test_tiny_graphs(build_mini: BuildRunner, mini: Path) -> None:
    facts = mini / "facts" / "mini.yaml"
    text = facts.read_text()
    one = text.split("people:")[0] + (
        "people:\n  - id: solo\n    name: Solo Person\n    evidence: 1\n"
    )
    facts.write_text(one)
    assert build_mini().exit_code == 0, build_mini().output
    store = str(mini / "build" / "store")
    for args in (
        ["rank"],
        ["rank", "--by", "betweenness"],
        ["rank", "--by", "eigenvector"],
        ["communities"],
        ["engagement"],
    ):
        result = CliRunner().invoke(main, ["--store", store, *args, "--format", "json"])
        assert result.exit_code == 0, (args, result.output)
    rows = json.loads(
        CliRunner().invoke(main, ["--store", store, "rank", "--format", "json"]).stdout
    )
    assert [(r["name"], r["score"]) for r in rows] == [("Solo Person", 0.0)]
    facts.write_text(text.split("people:")[0])  # a source and nothing else
    assert build_mini().exit_code == 0
    for args in (["rank"], ["communities"]):
        result = CliRunner().invoke(main, ["--store", store, *args])
        assert result.exit_code == 0 and "(no actors)" in result.stdout, result.output


# ---------------------------------------------------------------------------- exports
@pytest.fixture(scope="module")
def exports(kg: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("exports")
    made = {}
    for fmt, name in [
        ("turtle", "kg.ttl"),
        ("ntriples", "kg.nt"),
        ("jsonld", "kg.jsonld"),
        ("graphml", "kg.graphml"),
        ("gexf", "kg.gexf"),
        ("csv", "csv"),
    ]:
        result = kg("export", "--format", fmt, "-o", str(out / name))
        assert f"wrote {out / name}" in result.stdout
        made[fmt] = out / name
    return made


@pytest.mark.parametrize(
    ("fmt", "parser"), [("turtle", "turtle"), ("ntriples", "nt"), ("jsonld", "json-ld")]
)
def test_rdf_exports_read_back(
    exports: dict[str, Path], shipped_build: Path, fmt: str, parser: str
) -> None:
    got = Graph().parse(exports[fmt], format=parser)
    assert isomorphic(got, Graph().parse(shipped_build / "kg.ttl"))


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("turtle", "kg.ttl"),
        ("ntriples", "kg.nt"),
        ("jsonld", "kg.jsonld"),
        ("graphml", "kg.graphml"),
        ("gexf", "kg.gexf"),
    ],
)
def test_export_to_stdout_is_the_file(
    kg: Any, exports: dict[str, Path], fmt: str, name: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """`-o -` writes a single-file format to stdout (the same bytes as the file), no `-`."""
    monkeypatch.chdir(tmp_path)
    result = kg("export", "--format", fmt, "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == exports[fmt].read_bytes()
    assert "wrote" not in result.stdout
    assert not (tmp_path / "-").exists()


def test_export_to_stdout_turtle_and_graphml_read(kg: Any, shipped_build: Path) -> None:
    turtle = kg("export", "--format", "turtle", "-o", "-")
    assert "@prefix kg: <https://w3id.org/kg/ont#>" in turtle.stdout, turtle.stdout[:300]
    got = Graph().parse(data=turtle.stdout, format="turtle")
    assert isomorphic(got, Graph().parse(shipped_build / "kg.ttl"))
    graphml = kg("export", "--format", "graphml", "-o", "-")
    assert "<graphml" in graphml.stdout, graphml.stdout[:300]


def test_export_csv_to_stdout_is_a_usage_error(
    shipped_build: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    store = str(shipped_build / "store")
    result = CliRunner().invoke(main, ["--store", store, "export", "--format", "csv", "-o", "-"])
    assert result.exit_code == 2, result.output
    assert "Error: -o - cannot take csv: it writes a folder of files" in result.stderr
    assert not (tmp_path / "-").exists()


def test_jsonld_has_a_readable_context(exports: dict[str, Path]) -> None:
    doc = json.loads(exports["jsonld"].read_text())
    assert doc["@context"]["kg"] == "https://w3id.org/kg/ont#"
    assert "skos:prefLabel" in exports["jsonld"].read_text()


def test_turtle_passes_an_independent_parser(exports: dict[str, Path]) -> None:
    rapper = shutil.which("rapper")
    assert rapper, "rapper is missing: apt-get install raptor2-utils (see .ci/run)"
    proc = subprocess.run(
        [rapper, "-i", "turtle", "-c", str(exports["turtle"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    count = int(proc.stderr.split("returned")[1].split()[0])
    assert count == len(Graph().parse(exports["turtle"]))


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_actor_graph_exports(exports: dict[str, Path], shipped_build: Path, fmt: str) -> None:
    graph = nx.read_graphml(exports[fmt]) if fmt == "graphml" else nx.read_gexf(exports[fmt])
    labels = {d["label"] for _, d in graph.nodes(data=True)}
    assert {"Amir Khan Muttaqi", "Bahadur Aminian", "Taliban", "Iran"} <= labels
    from kg.analytics import actor_network
    from kg.store import EmbeddedStore

    expected = actor_network(EmbeddedStore.open(shipped_build / "store"))
    assert graph.number_of_nodes() == expected.number_of_nodes()
    assert graph.number_of_edges() == expected.number_of_edges()
    met = [d for _, _, d in graph.edges(data=True) if d.get("kind") == "met"]
    assert any(d.get("start") == "2022-07-16" for d in met)
    assert all(d.get("sources") for d in met)


def test_gexf_is_dynamic_1_2(exports: dict[str, Path]) -> None:
    text = exports["gexf"].read_text()
    assert 'xmlns="http://www.gexf.net/1.2draft"' in text and 'version="1.2"' in text
    assert 'mode="dynamic"' in text and 'timeformat="date"' in text
    assert "lastmodifieddate" not in text


def test_csv_one_file_per_class(exports: dict[str, Path]) -> None:
    files = {p.stem for p in exports["csv"].glob("*.csv")}
    assert {"Person", "Meeting", "Agreement", "Ministry", "Tenure"} <= files
    with (exports["csv"] / "Person.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 14
    muttaqi = next(r for r in rows if r["label"] == "Amir Khan Muttaqi")
    assert muttaqi["evidence"] == "000_278ee63bc767467f.txt:19"
    assert muttaqi["holds"] == "Taliban Minister of Foreign Affairs"


def test_exports_are_reproducible(kg: Any, tmp_path: Path) -> None:
    for fmt in ("turtle", "jsonld", "graphml", "gexf"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        kg("export", "--format", fmt, "-o", str(a))
        kg("export", "--format", fmt, "-o", str(b))
        assert a.read_bytes() == b.read_bytes(), fmt


def _normalised(rows: Any, key: list[str]) -> list[tuple[str, ...]]:
    # GROUP_CONCAT parts come in no fixed order
    return sorted(
        tuple("|".join(sorted(str(r[k].value if r[k] is not None else "").split("|"))) for k in key)
        for r in rows
    )


def test_aggregates_are_precomputed_and_match_live_queries(shipped_build: Path) -> None:
    from kg.query import PRECOMPUTED, load_query
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    assert (shipped_build / "store").resolve().parent.joinpath("aggregates.json").is_file()
    for name in PRECOMPUTED:
        cached = store.precomputed(name)
        live = store.select(load_query(name).text)
        assert cached is not None and len(cached) == len(live) > 0, name
        key = sorted(live[0])
        assert _normalised(cached, key) == _normalised(live, key), name
