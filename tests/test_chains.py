"""`kg path` and `kg view --path`: one function picks the chain, and it prefers what is stated."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kg.cli import main
from tests.conftest import BuildRunner

# Pairs of the shipped graph whose chains run through a meeting, a role, a claim's edge,
# several institutions; before, some ran through "none of the listed meetings seems to have
# covered ISKP" (line 30), and the view drew other chains than kg path.
PAIRS = [
    ("muttaqi", "Saif al-Adel"),
    ("muttaqi", "Mehrabian"),
    ("Kazemi Qomi", "Ebad"),
    ("muttaqi", "Sirajuddin"),
    ("Sirajuddin", "Zawahiri"),
    ("aminian", "Ebad"),
    ("Iran", "Dam built by the previous Afghan government"),
]


def _kg(store: Path, *args: str) -> Any:
    result = CliRunner().invoke(main, ["--store", str(store), *args])
    assert result.exit_code == 0, result.output
    return result


def _page_data(page: Path) -> Any:
    raw = page.read_text(encoding="utf-8").split('id="kg-data">', 1)[1]
    return json.loads(raw.split("</script>", 1)[0])


@pytest.mark.parametrize(("a", "b"), PAIRS)
def test_path_and_view_path_mark_the_same_chain(
    shipped_build: Path, tmp_path: Path, a: str, b: str
) -> None:
    store = shipped_build / "store"
    hops = json.loads(_kg(store, "path", a, b, "--format", "json").stdout)
    chain = [hops[0]["from_iri"], *(h["to_iri"] for h in hops)]
    page = tmp_path / "path.html"
    _kg(store, "view", "--path", a, b, "-o", str(page))
    data = _page_data(page)
    assert f"({len(hops)} hops, as kg path)" in data["note"], data["note"]
    ids = {n["id"] for n in data["nodes"]}
    drawn = [n for n in chain if n in ids]
    marked = {n["id"] for n in data["nodes"] if n["borderWidth"] == 4}
    # Every node of kg path's chain the view draws is marked, and nothing else.
    assert marked == set(drawn), (marked ^ set(drawn), chain)
    assert drawn[0] == chain[0] and drawn[-1] == chain[-1]
    # Each step between them is a marked edge.
    lit = {frozenset((e["from"], e["to"])) for e in data["edges"] if e["highlight"]}
    steps = {frozenset(p) for p in itertools.pairwise(drawn)}
    assert steps <= lit, steps - lit
    assert len(lit) == len(steps), lit - steps


def test_a_role_step_the_view_does_not_draw_is_drawn_for_the_chain(
    shipped_build: Path, tmp_path: Path
) -> None:
    """Muttaqi reaches his ministry through his role (line 19); the view links a holder to
    the post, not the ministry, so the chain's step is drawn for it, with its lines."""
    page = tmp_path / "path.html"
    _kg(shipped_build / "store", "view", "--path", "muttaqi", "Sirajuddin", "-o", str(page))
    extra = [e for e in _page_data(page)["edges"] if e["label"] == "path"]
    assert extra, "no step drawn for the chain"
    tips = [t for e in extra for t in e["tip"]]
    assert (
        "Amir Khan Muttaqi — Taliban Minister of Foreign Affairs — organization → Taliban "
        "Ministry of Foreign Affairs (line 19)"
    ) in tips, tips


def _negative_claims(store: Path) -> set[str]:
    claims = json.loads(_kg(store, "claims", "--format", "json").stdout)
    return {
        c["claim_iri"]
        for c in claims
        if c["relation"] == "not covered by" or c["status"] == "denied"
    }


def _touched(hops: list[dict[str, Any]]) -> set[str]:
    return {h[k] for h in hops for k in ("from_iri", "to_iri", "claim_iri") if h[k]}


def test_no_chain_runs_through_a_negative_claim(shipped_build: Path) -> None:
    """ "No listed meeting covered ISKP" (line 30) linked twelve meetings to ISKP and to
    each other, and chains ran through it: Muttaqi and Mehrabian were 4 hops apart through
    it; 6 stated hops now."""
    store = shipped_build / "store"
    negative = _negative_claims(store)
    assert len(negative) == 1, negative
    for a, b in PAIRS:
        hops = json.loads(_kg(store, "path", a, b, "--format", "json").stdout)
        assert not _touched(hops) & negative, (a, b, hops)
    hops = json.loads(_kg(store, "path", "muttaqi", "Mehrabian", "--format", "json").stdout)
    assert len(hops) == 6 and all(h["status"] == "stated" for h in hops), hops


@pytest.mark.slow
def test_no_chain_between_any_two_actors_runs_through_a_negative_claim(
    shipped_build: Path,
) -> None:
    from kg import chains
    from kg.names import Entity
    from kg.store import EmbeddedStore
    from kg.views import build_view

    store = EmbeddedStore.open(shipped_build / "store")
    negative = _negative_claims(shipped_build / "store")
    assert negative
    nodes = build_view(store).nodes
    ends = sorted(n for n, x in nodes.items() if x.category in ("person", "government"))
    assert len(ends) > 15
    found = 0
    for a, b in itertools.combinations(ends, 2):
        try:
            hops = chains.shortest_path(store, Entity(a, nodes[a].label), Entity(b, nodes[b].label))
        except chains.NoPath:
            continue
        found += 1
        assert not _touched(hops) & negative, (nodes[a].label, nodes[b].label)
    assert found > 150, found


def test_the_projection_picks_the_same_chains(
    shipped_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past its budget of lookups the search answers from a projection of the whole graph: the
    same chain, hop for hop."""
    from kg import chains

    store = shipped_build / "store"
    searched = [json.loads(_kg(store, "path", a, b, "--format", "json").stdout) for a, b in PAIRS]
    monkeypatch.setattr(chains, "search_nodes", lambda store: 0)  # no lookups: project
    projected = [json.loads(_kg(store, "path", a, b, "--format", "json").stdout) for a, b in PAIRS]
    assert projected == searched


MINI_CHAINS = """
  - id: whiskey-office
    type: ministry
    name: Whiskey Office
    part_of: taliban
    evidence: 1

claims:
  - id: hostility-report
    name: A claim that Muttaqi is hostile to Aminian
    status: reported
    asserted_by: unnamed
    subject: amir-khan-muttaqi
    relation: hostile-to
    object: [bahadur-aminian]
    evidence: 1
  - id: not-covered
    name: Zed Nobody was not covered by the meeting
    status: hedged
    asserted_by: author
    subject: zed-nobody
    relation: not-covered-by
    object: [meeting]
    evidence: 1
  - id: muttaqi-and-whiskey
    name: An assessment of Muttaqi, the Whiskey Office and Victor Person
    status: assessed
    asserted_by: author
    about: [amir-khan-muttaqi, whiskey-office, victor-person]
    evidence: 1
"""


def test_chains_prefer_stated_then_claims_then_what_a_claim_is_about(
    build_mini: BuildRunner, mini: Path
) -> None:
    facts = mini / "facts" / "mini.yaml"
    text = facts.read_text().replace(
        "people:\n",
        "people:\n  - id: zed-nobody\n    name: Zed Nobody\n    evidence: 1\n"
        "  - id: victor-person\n    name: Victor Person\n    evidence: 1\n",
    )
    text = text.replace("\nposts:\n", MINI_CHAINS + "\nposts:\n")
    facts.write_text(text)
    assert build_mini().exit_code == 0, build_mini().output
    store = mini / "build" / "store"

    def path(a: str, b: str) -> list[dict[str, Any]]:
        hops: list[dict[str, Any]] = json.loads(_kg(store, "path", a, b, "--format", "json").stdout)
        return hops

    # Two chains of two hops: through the meeting (stated) and through the report, whose
    # label comes first; the stated one wins.
    hops = path("muttaqi", "aminian")
    assert [h["to"] for h in hops] == ["A meeting", "Bahadur Aminian"], hops
    assert {h["status"] for h in hops} == {"stated"} and not any(h["claim_iri"] for h in hops)
    # Three stated hops (role, Taliban, part of) beat two through what a claim is about.
    hops = path("muttaqi", "Whiskey Office")
    assert [h["to"] for h in hops][-2:] == ["Taliban", "Whiskey Office"], hops
    assert len(hops) == 3 and not any(h["claim_iri"] for h in hops)
    # Only what the assessment is about links Victor Person: that chain, marked as such.
    hops = path("muttaqi", "Victor Person")
    assert len(hops) == 2 and hops[0]["relation"] == "about", hops
    assert hops[0]["status"] == "assessed" and hops[0]["claim_iri"], hops
    # A negative claim links nothing.
    result = CliRunner().invoke(main, ["--store", str(store), "path", "muttaqi", "Zed Nobody"])
    assert result.exit_code == 1, result.output
    assert "no chain of relations links Amir Khan Muttaqi and Zed Nobody" in result.stderr


def test_the_search_budget_is_a_count_of_lookups_that_grows_with_the_graph(
    shipped_build: Path,
) -> None:
    """The search projects past a number of lookups read from build.json's triples (at
    least MIN_NODES), not past a time a loaded machine may exceed; a store of unknown size
    (a server, a graph being built) gets SEARCH_NODES."""
    from kg import chains
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    triples = store.sidecar("build")["triples"]
    assert 0 < triples // chains.TRIPLES_PER_NODE < chains.MIN_NODES  # a small graph
    assert chains.search_nodes(store) == chains.MIN_NODES
    assert chains.search_nodes(EmbeddedStore.in_memory(store._store)) == chains.SEARCH_NODES


def test_the_search_sees_each_node_s_statements_as_the_projection_does(
    shipped_build: Path,
) -> None:
    """The search asks a layer's statements before it tests their far ends (neighbours-of,
    node-tests, relation-kinds); of every node of the shipped graph, the statements that
    pass those tests, with their kinds, are the projection's (graph-edges)."""
    from kg import chains
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    projected = chains._ProjectedGraph(store)
    searched = chains._StoreGraph(store, budget=10**6)
    nodes = sorted(projected.links)
    assert len(nodes) > 100
    searched.expand(nodes)
    searched.test([*nodes, *(link.other for n in nodes for link in searched.links[n])])
    tests = searched.tests
    kinds = set()
    for node in nodes:
        got = [
            link._replace(
                kind=link.kind or ("claim" if tests[node].claim or tests[o].claim else "stated")
            )
            for link in searched.links[node]
            if tests[node].usable and tests[o := link.other].linkable
        ]
        assert got == projected.links[node], node
        assert all(tests[link.other].label for link in got)
        kinds |= {link.kind for link in got}
    assert kinds == set(chains.KINDS)


@pytest.mark.slow
def test_search_and_projection_pick_the_same_chain_between_any_two_actors(
    shipped_build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The search tests only the nodes it goes on from and those where its two sides meet;
    its chains are the projection's, which tests every statement, hop for hop."""
    from kg import chains
    from kg.names import Entity
    from kg.store import EmbeddedStore
    from kg.views import build_view

    store = EmbeddedStore.open(shipped_build / "store")
    nodes = build_view(store).nodes
    ends = sorted(n for n, x in nodes.items() if x.category in ("person", "government"))

    def chains_found() -> list[Any]:
        found = []
        for a, b in itertools.combinations(ends, 2):
            try:
                found.append(
                    chains.shortest_path(
                        store, Entity(a, nodes[a].label), Entity(b, nodes[b].label)
                    )
                )
            except chains.NoPath:
                found.append(None)
        return found

    searched = chains_found()
    monkeypatch.setattr(chains, "search_nodes", lambda store: 0)  # no lookups: project
    assert chains_found() == searched
    assert sum(hops is not None for hops in searched) > 150
