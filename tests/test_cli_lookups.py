"""The lookup commands on the shipped graph, asserting on what the source says."""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from tests.conftest import OIL_DELEGATION, ok

DOC = "000_278ee63bc767467f.txt"


@pytest.fixture(scope="module")
def kg(shipped_build: Path) -> Any:
    def run(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            main, ["--store", str(shipped_build / "store"), *args], input=input
        )

    return run


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


# ---------------------------------------------------------------------------- who-met
def test_who_met_energy_expands_to_oil_pipelines_refineries(kg: Any) -> None:
    rows = as_json(kg("who-met", "--topic", "energy", "--format", "json"))
    # Line 20: six Afghan institutions in Tehran sign the oil contract.
    assert {r["date"] for r in rows} == {"2022-07-23"}
    assert sorted(r["b"] for r in rows) == OIL_DELEGATION
    assert all(r["a"] == "Iran" for r in rows)
    assert all({"Oil", "Pipelines", "Refineries"} <= set(r["topics"]) for r in rows)
    assert all(r["source"] == {"document": DOC, "line": 20} for r in rows)


def test_who_met_person(kg: Any) -> None:
    # What the source states (the presumed holder's rows: tests/test_inference.py).
    rows = as_json(kg("who-met", "--person", "muttaqi", "--no-inferred", "--format", "json"))
    assert [(r["date"], r["a"], r["b"], r["source"]["line"]) for r in rows] == [
        ("2022-07-16", "Amir Khan Muttaqi", "Bahadur Aminian", 19)
    ]
    # Line 26: Kazemi Qomi and Azizi discuss (a meeting); line 28: he tells Delawar of a
    # plan (a message, listed only when asked for).
    qomi = as_json(kg("who-met", "-p", "Kazemi Qomi", "--format", "json"))
    assert [(r["date"], r["b"], r["kind"]) for r in qomi] == [
        ("2022-11-15", "Nooruddin Azizi", "meeting")
    ]
    qomi = as_json(kg("who-met", "-p", "Kazemi Qomi", "--kind", "any", "--format", "json"))
    assert [(r["date"], r["b"], r["kind"]) for r in qomi] == [
        ("2022-11-15", "Nooruddin Azizi", "meeting"),
        ("2023-02-14", "Shahabuddin Delawar", "message"),
    ]


def test_who_met_person_and_with(kg: Any) -> None:
    rows = as_json(kg("who-met", "--person", "Aminian", "--with", "Ebad", "--format", "json"))
    assert [(r["date"], r["event"]) for r in rows] == [
        ("2022-08-20", "Ebad and Aminian discuss hospitals and cancer-treatment training")
    ]


def test_who_met_topic_hierarchy_border_security(kg: Any) -> None:
    rows = as_json(kg("who-met", "--topic", "border security", "--format", "json"))
    assert {r["date"] for r in rows} == {"2022-05-13"}
    # Line 22's visa message is tagged with a narrower topic (illegal migration) too.
    rows = as_json(kg("who-met", "--topic", "border security", "-k", "any", "--format", "json"))
    assert {r["date"] for r in rows} == {"2022-05-13", "2022-08-14"}


def test_who_met_date_range(kg: Any) -> None:
    rows = as_json(kg("who-met", "--from", "2022-08", "--to", "2022-08", "--format", "json"))
    assert sorted({r["date"] for r in rows}) == ["2022-08-10", "2022-08-20"]
    assert {r["kind"] for r in rows} == {"meeting"}


def test_who_met_table_fits_80_columns(kg: Any) -> None:
    out = ok(kg("who-met")).stdout
    assert max(len(line) for line in out.splitlines()) <= 80, out
    # The kind column narrows the others: Da Afghanistan Bank wraps over lines.
    assert " kind " in out.splitlines()[0] and "Afghanistan" in out and DOC in out


def test_who_met_json_fields(kg: Any) -> None:
    rows = as_json(kg("who-met", "--format", "json"))
    assert rows
    for r in rows:
        assert {"date", "a", "b", "topics", "event", "kind", "source"} <= set(r)
        assert set(r["source"]) == {"document", "line"}
        assert isinstance(r["topics"], list)


# ---------------------------------------------------------------------------- event kinds
VISA = "https://w3id.org/kg/id/event/2022-08-14-visa-announcement"  # line 22: told, a message
HIGHER_EDUCATION = "https://w3id.org/kg/id/event/2022-08-20-higher-education-invitation"  # 24


def _events(rows: list[dict[str, Any]]) -> set[str]:
    return {r["event_iri"] for r in rows}


def test_messages_and_invitations_are_not_meetings(kg: Any) -> None:
    """Line 22 (an official tells the foreign minister visas will resume) and line 24 (the
    ambassador invites the higher-education minister) have two sides but say no one met:
    who-met leaves them out unless a kind is asked for."""
    for args in (["who-met"], ["who-met", "--person", "muttaqi"], ["who-met", "--with", "iran"]):
        rows = as_json(kg(*args, "--format", "json"))
        assert rows and not _events(rows) & {VISA, HIGHER_EDUCATION}, (args, rows)
        assert all(r["kind"] in {"meeting", "visit", "dialogue", "engagement"} for r in rows)
    every = as_json(kg("who-met", "--kind", "any", "--format", "json"))
    assert {VISA, HIGHER_EDUCATION} <= _events(every)
    assert len(every) > len(as_json(kg("who-met", "--format", "json")))
    # (--no-inferred: the visa message's presumed recipient, Muttaqi, is a row of its own)
    messages = as_json(kg("who-met", "--kind", "message", "--no-inferred", "--format", "json"))
    assert [(r["date"], r["source"]["line"]) for r in messages] == [
        ("2022-08-14", 22),
        ("2022-09-04", 25),
        ("2023-02-14", 28),
    ], messages
    invited = as_json(kg("who-met", "-k", "invitation", "--with", "aminian", "--format", "json"))
    assert sorted(r["a"] for r in invited) == [
        "Abdul Baqi Haqqani",
        "Taliban higher-education technical team",
    ], invited
    # Repeated, or a comma list, or the kind's label: the same answer.
    for kinds in (["-k", "invitation", "-k", "message"], ["-k", "message, Invitation"]):
        rows = as_json(kg("who-met", *kinds, "--format", "json"))
        assert {r["kind"] for r in rows} == {"invitation", "message"}, (kinds, rows)
        assert {VISA, HIGHER_EDUCATION} <= _events(rows)
    by_label = as_json(
        kg("who-met", "-k", "Message or announcement", "--no-inferred", "--format", "json")
    )
    assert by_label == messages


EVERY_CITATION = """
PREFIX kg: <https://w3id.org/kg/ont#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?event ?file ?line ?topic WHERE {
  ?event kg:participation ?p .
  { ?event kg:evidence ?c . ?c kg:line ?line ; kg:citedSource/kg:file ?file }
  UNION { ?event kg:topic/skos:prefLabel ?topic }
}
"""


def test_who_met_rows_carry_every_citation_and_topic_of_their_event(kg: Any) -> None:
    # Asked apart from the pairs (event-notes): each row has all its event's lines and topics,
    # the embassy handover its three (lines 7, 5 and 34), not one fewer (Virtuoso once lost
    # a citation from the joined query).
    answer = as_json(kg("query", "-", "--format", "json", input=EVERY_CITATION))
    lines: dict[str, set[tuple[str, int]]] = {}
    topics: dict[str, set[str]] = {}
    for b in answer["results"]["bindings"]:
        event = b["event"]["value"]
        if "file" in b:
            lines.setdefault(event, set()).add((b["file"]["value"], int(b["line"]["value"])))
        if "topic" in b:
            topics.setdefault(event, set()).add(b["topic"]["value"])
    rows = as_json(kg("who-met", "--kind", "any", "--format", "json"))
    assert max(len(r["sources"]) for r in rows) == 3
    for r in rows:
        got = {(c["document"], c["line"]) for c in r["sources"]}
        assert got == lines[r["event_iri"]], r["event"]
        assert set(r["topics"]) == topics.get(r["event_iri"], set()), r["event"]
        assert r["source"] == r["sources"][0]


def test_who_met_rows_carry_their_kind(kg: Any) -> None:
    rows = as_json(kg("who-met", "--kind", "any", "--format", "json"))
    kinds = {(r["date"], r["kind"]) for r in rows}
    assert kinds == {
        ("2021-10", "engagement"),  # line 13: the first engagements
        ("2022-01", "invitation"),  # line 13: officials invited to Tehran
        ("2022-05-13", "meeting"),
        ("2022-05-29", "meeting"),
        ("2022-07-16", "meeting"),
        ("2022-07-23", "visit"),  # line 20: the delegation visits Tehran
        ("2022-08-10", "meeting"),
        ("2022-08-14", "message"),
        ("2022-08-20", "meeting"),  # line 23: Ebad meets Aminian
        ("2022-08-20", "invitation"),  # line 24
        ("2022-09-04", "message"),
        ("2022-11-15", "meeting"),
        ("2022-12-13", "dialogue"),  # line 27
        ("2023-02-14", "message"),
        ("2023-02-26", "handover"),  # line 7: the embassy handed over
    }, kinds
    table = ok(kg("who-met", "--kind", "handover")).stdout
    assert table.split()[:7] == ["date", "a", "b", "topics", "event", "kind", "line"], table
    assert "handover" in table.split("\n", 2)[2], table


def test_an_unknown_kind_is_one_line_with_the_closest(kg: Any) -> None:
    result = kg("who-met", "--kind", "meetng")
    assert result.exit_code == 1, result.output
    assert result.stderr == "error: no event kind named 'meetng' (did you mean 'meeting'?)\n"
    result = kg("who-met", "--kind", "visit,anouncement")
    assert result.exit_code == 1, result.output
    assert "error: no event kind named 'anouncement' (kinds: " in result.stderr, result.stderr
    assert "message" in result.stderr and "any)" in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.output


# ---------------------------------------------------------------------------- roles
def test_ambassador_on_a_date(kg: Any) -> None:
    rows = as_json(kg("roles", "--post", "ambassador", "--on", "2022-08-20", "--format", "json"))
    # Held by its dates; Kazemi Qomi's succession leaves him possibly in post from that
    # day on (tests/test_inference.py).
    rows = [r for r in rows if r["held"] == "yes"]
    assert [(r["person"], r["post"]) for r in rows] == [
        ("Bahadur Aminian", "Iranian Ambassador to Afghanistan")
    ]
    assert rows[0]["start"] is None and rows[0]["end"] is None
    assert rows[0]["attested"] == ["2022-07-16", "2022-08-20"]
    later = as_json(kg("roles", "--post", "Ambassador", "--on", "2023-02-14", "--format", "json"))
    assert [r["person"] for r in later if r["held"] == "yes"] == ["Hassan Kazemi Qomi"]


def test_role_attested_once_is_not_held_forever(kg: Any) -> None:
    # Aminian is shown in post only in July-August 2022 (lines 19, 23, 24): in December
    # he is at most possibly in post (his successor is attested by 2023-02-14, line 28),
    # and after that not at all.
    rows = as_json(kg("roles", "Aminian", "--on", "2022-12", "--format", "json"))
    assert [(r["held"], r["status"]) for r in rows] == [("possibly", "inferred")], rows
    result = ok(kg("roles", "Aminian", "--on", "2023-03"))
    assert "no roles match" in result.stdout


def test_roles_of_an_organization(kg: Any) -> None:
    rows = as_json(kg("roles", "al-Qaeda", "--format", "json"))
    got = {(r["person"], r["end"], tuple(r["attested"])) for r in rows}
    assert got == {("Ayman al-Zawahiri", "2022-07", ()), ("Saif al-Adel", None, ("2023-03",))}
    assert all({"person", "post", "organization", "start", "end"} <= set(r) for r in rows)


# ---------------------------------------------------------------------------- timeline
def test_timeline_in_order(kg: Any) -> None:
    rows = as_json(kg("timeline", "--format", "json"))
    assert rows[0]["date"] == "1998" and "Mazar-e Sharif" in rows[0]["event"]
    assert rows[-1]["date"] == "2023-02-26" and "embassy" in rows[-1]["event"]
    assert len(rows) >= 23
    assert all({"date", "event"} <= set(r) for r in rows)


def test_timeline_month_precision_matches_a_day_inside_it(kg: Any) -> None:
    rows = as_json(kg("timeline", "--from", "2022-09-10", "--to", "2022-09-20", "--format", "json"))
    assert [r["event"] for r in rows] == ["Qalandar Ebad visits Iran to study its health system"]


def test_timeline_of_a_person(kg: Any) -> None:
    rows = as_json(kg("timeline", "Ebad", "--format", "json"))
    assert [r["date"] for r in rows] == ["2022-08-20", "2022-09"]


# ---------------------------------------------------------------------------- show
def test_show_card(kg: Any) -> None:
    out = ok(kg("show", "Kazemi Qomi")).stdout
    assert "Hassan Kazemi Qomi  (Person)" in out
    assert "Iranian Special Envoy" in out and "Iranian Ambassador to" in out
    assert "Kazemi Qomi proposes a joint free economic zone" in out
    card = as_json(kg("show", "Kazemi Qomi", "--format", "json"))
    assert [s["line"] for s in card["sources"]] == [26, 28]
    assert [r["attested"] for r in card["roles"]] == [["2022-11-15"], ["2023-02-14"]]


def test_show_agreement_says_everything(kg: Any) -> None:
    card = as_json(kg("show", "Helmand River Water Treaty", "--format", "json"))
    said = {(s["relation"], s["value"]) for s in card["statements"]}
    # The signing is a dated change in the treaty's history (kg agreements --on shows it).
    assert ("status change", "Helmand River Water Treaty: signed 1973") in said
    assert ("party", "Afghanistan") in said and ("party", "Iran") in said
    assert ("status", "reaffirmed") in said
    assert all(s["sources"] for s in card["statements"])


def test_show_accepts_names_as_typed(kg: Any) -> None:
    for typed, label in [
        ("muttaqi", "Amir Khan Muttaqi"),
        ("al-Zawahiri", "Ayman al-Zawahiri"),
        ("MASHHAD", "Mashhad"),
        ("kazemi-qomi", "Hassan Kazemi Qomi"),
        ("Kāzemi Qomi", "Hassan Kazemi Qomi"),
    ]:
        card = as_json(kg("show", typed, "--format", "json"))
        assert card["label"] == label, typed


def test_ambiguous_name_lists_candidates(kg: Any) -> None:
    result = kg("show", "Haqqani")
    assert result.exit_code == 1
    assert "'Haqqani' is ambiguous" in result.stderr
    assert "Abdul Baqi Haqqani (Person)" in result.stderr
    assert "Sirajuddin Haqqani (Person)" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_name_suggests(kg: Any) -> None:
    result = kg("show", "mutaqi")
    assert result.exit_code == 1
    assert "error: no entity named 'mutaqi' (did you mean 'Amir Khan Muttaqi'" in result.stderr


def test_unknown_topic_suggests(kg: Any) -> None:
    result = kg("who-met", "--topic", "enrgy")
    assert result.exit_code == 1
    assert "no topic named 'enrgy' (did you mean 'Energy'?)" in result.stderr


def test_empty_name(kg: Any) -> None:
    result = kg("show", "  ")
    assert result.exit_code == 1
    assert "no entity named '  ': give a name" in result.stderr


# ---------------------------------------------------------------------------- path
def test_path_hops_carry_evidence(kg: Any) -> None:
    hops = as_json(kg("path", "muttaqi", "Saif al-Adel", "--format", "json"))
    assert hops[0]["from"] == "Amir Khan Muttaqi" and hops[-1]["to"] == "Saif al-Adel"
    for prev, nxt in itertools.pairwise(hops):
        assert prev["to"] == nxt["from"]
    assert all({"from", "relation", "to"} <= set(h) and h["sources"] for h in hops)
    assert hops[-1]["relation"] == "based in" and hops[-1]["sources"][0]["line"] == 34


def test_path_table(kg: Any) -> None:
    out = ok(kg("path", "Mehrabian", "Mansoor")).stdout
    assert "Ali Akbar Mehrabian" in out and "participant" in out and "21" in out


# ---------------------------------------------------------------------------- query
def test_query_select_json_is_standard(kg: Any) -> None:
    q = "SELECT ?n WHERE { ?p a kg:Person ; skos:prefLabel ?n } ORDER BY ?n"
    data = as_json(kg("query", "-", "--format", "json", input=q))
    assert data["head"]["vars"] == ["n"]
    names = [b["n"]["value"] for b in data["results"]["bindings"]]
    assert len(names) == 14 and names[0] == "Abdul Baqi Haqqani"
    assert data["results"]["bindings"][0]["n"]["xml:lang"] == "en"


def test_query_from_file_csv_and_table(kg: Any, tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text("SELECT ?v WHERE { ?s kg:rank ?r ; kg:outOf ?v }")
    rows = list(csv.reader(io.StringIO(ok(kg("query", str(path), "--format", "csv")).stdout)))
    assert rows == [["v"], ["58"]]
    assert "58" in ok(kg("query", str(path))).stdout


def test_query_select_star_keeps_the_query_order(kg: Any) -> None:
    """pyoxigraph sorts SELECT *'s variables by name; the table and CSV keep the query's."""
    q = (
        "# ?comment is not a column\n"
        'SELECT * WHERE { ?zperson a kg:Person ; skos:prefLabel ?middle . FILTER(?middle != "?x")'
        " OPTIONAL { ?zperson kg:alias ?alias } } ORDER BY ?middle LIMIT 2"
    )
    rows = list(csv.reader(io.StringIO(ok(kg("query", "-", "--format", "csv", input=q)).stdout)))
    assert rows[0] == ["zperson", "middle", "alias"], rows
    assert rows[1][1] == "Abdul Baqi Haqqani", rows
    head = ok(kg("query", "-", input=q)).stdout.splitlines()[0]
    assert head.split() == ["zperson", "middle", "alias"], head
    named = ok(kg("query", "-", "--format", "csv", input=q.replace("*", "?middle ?zperson", 1)))
    assert named.stdout.splitlines()[0] == "middle,zperson", named.stdout


def test_query_ask_and_construct(kg: Any) -> None:
    assert ok(kg("query", "-", input="ASK { ?x kg:line 34 }")).stdout.strip() == "true"
    data = as_json(kg("query", "-", "--format", "json", input="ASK { ?x kg:line 37 }"))
    assert data == {"head": {}, "boolean": False}
    out = ok(
        kg(
            "query",
            "-",
            input='CONSTRUCT { ?p a kg:Person } WHERE { ?p skos:prefLabel "Saif al-Adel"@en }',
        )
    ).stdout
    assert "<https://w3id.org/kg/id/person/saif-al-adel> a kg:Person" in out


def test_query_syntax_error_shows_position(kg: Any) -> None:
    result = kg("query", "-", input="SELECT ?x WHERE {\n  ?x ?y }")
    assert result.exit_code == 1
    assert "SPARQL syntax error: error at 2:" in result.stderr
    assert "Traceback" not in result.output


def test_query_refuses_updates(kg: Any, shipped_build: Path) -> None:
    before = (shipped_build / "kg.ttl").read_bytes()
    result = kg("query", "-", input="DELETE WHERE { ?s ?p ?o }")
    assert result.exit_code == 1
    assert "read-only" in result.stderr
    count = as_json(
        kg("query", "-", "--format", "json", input="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    )
    assert int(count["results"]["bindings"][0]["n"]["value"]) > 3000
    assert (shipped_build / "kg.ttl").read_bytes() == before


def test_query_list_names_every_named_query(kg: Any) -> None:
    from kg.query import QUERY_DIR

    files = [p.stem for p in sorted(QUERY_DIR.glob("*.rq"))]
    assert files, QUERY_DIR
    listed = as_json(kg("query", "--list", "--format", "json"))
    assert [q["name"] for q in listed] == files
    table = ok(kg("query", "--list")).stdout
    assert "who-met" in table and "Who met whom" in table, table


def test_query_runs_a_named_query_with_its_defaults_bound(kg: Any) -> None:
    """who-met.rq filters on its parameters: unbound, it returned nothing; now its defaults
    are bound, by name or by file, and --param binds one."""
    from kg.query import QUERY_DIR

    by_name = as_json(kg("query", "who-met", "--format", "json"))["results"]["bindings"]
    by_file = as_json(kg("query", str(QUERY_DIR / "who-met.rq"), "--format", "json"))
    assert len(by_name) > 10, by_name
    assert by_file["results"]["bindings"] == by_name
    muttaqi = "https://w3id.org/kg/id/person/amir-khan-muttaqi"
    args = ("--param", "person=id:person/amir-khan-muttaqi", "--param", "from=2022-01-01")
    rows = as_json(kg("query", "who-met", *args, "--format", "json"))["results"]["bindings"]
    assert rows, "no meetings of Muttaqi from 2022"
    assert {r["person"]["value"] for r in rows} == {muttaqi}
    assert all(r["date"]["value"][:4] >= "2022" for r in rows), rows
    same = kg("query", "who-met", "--param", f"person=<{muttaqi}>", *args[2:], "--format", "json")
    assert as_json(same)["results"]["bindings"] == rows
    assert "Amir Khan" in ok(kg("query", "who-met", *args, "--format", "csv")).stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ("who-met", "--param", "nope=1"),
            "error: who-met has no parameter 'nope' (its parameters: person, with, topic, "
            "from, to, event)",
        ),
        (
            ("who-met", "--param", "from=2022"),
            "error: who-met: from='2022' is not a day, YYYY-MM-DD",
        ),
        (
            ("who-met", "--param", "person=muttaqi } ?x ?y"),
            "error: who-met: person='muttaqi } ?x ?y' is not an IRI or prefix:name",
        ),
        (("no-such-query",), "error: no query file or named query 'no-such-query'"),
    ],
)
def test_query_parameter_errors_are_one_line(kg: Any, args: tuple[str, ...], error: str) -> None:
    result = kg("query", *args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(error) and result.stderr.count("\n") == 1, result.stderr


# ---------------------------------------------------------------------------- topics, stats
def test_topics_tree(kg: Any) -> None:
    out = ok(kg("topics")).stdout
    assert "Energy (energy," in out and "\n  Oil (oil," in out
    rows = as_json(kg("topics", "--format", "json"))
    energy = next(r for r in rows if r["id"] == "energy")
    assert energy["broader"] is None and energy["tagged"] >= 2


def test_stats(kg: Any) -> None:
    data = as_json(kg("stats", "--format", "json"))
    classes = {c["class"]: c["count"] for c in data["classes"]}
    assert classes["Person"] == 14 and classes["Meeting"] == 6
    pairs = {(p["a"], p["b"]): p["count"] for p in data["meetings_per_pair"]}
    # Meetings only: the first engagements (line 13) and lines 17-21, 23 and 26; not the
    # invitations (13, 24), the messages (22, 25, 28) nor the handover (7); the dialogue
    # (27) is the Afghan private sector's, not the Taliban's.
    assert pairs[("Iran", "Taliban")] == 8
    assert pairs[("Afghanistan", "Iran")] == 1
    months = {m["month"]: m["count"] for m in data["meetings_per_month"]}
    assert months["2022-08"] == 2  # lines 21 and 23, not the message (22) or invitation (24)
    assert "2022-01" not in months and "2023-02" not in months  # an invitation, a handover
    topics = {t["topic"]: t["count"] for t in data["meetings_per_topic"]}
    assert topics["Energy"] == 1


def test_stats_count_per_kind_and_say_which_are_meetings(kg: Any) -> None:
    data = as_json(kg("stats", "--format", "json"))
    kinds = {k["kind"]: (k["counts_as_meeting"], k["events"], k["with_two_sides"])
             for k in data["events_per_kind"]}  # fmt: skip
    assert kinds == {
        "meeting": (True, 6, 6),  # lines 17, 18, 19, 21, 23, 26
        "visit": (True, 2, 1),  # line 20; Ebad's visit (23) names no hosts: one side
        "dialogue": (True, 1, 1),  # line 27
        "engagement": (True, 1, 1),  # line 13
        "signing": (True, 0, 0),
        "invitation": (False, 2, 2),  # lines 13, 24
        "message": (False, 3, 3),  # lines 22, 25, 28
        "handover": (False, 1, 1),  # line 7
        "killing": (False, 2, 0),  # lines 7 (1998), 34 (al-Zawahiri)
        "attack": (False, 1, 0),  # line 30 (Shiraz)
        "security-operation": (False, 1, 0),  # line 30 (two cells)
        "takeover": (False, 1, 0),  # line 11 (Kabul)
        "celebration": (False, 2, 0),  # line 13 (the anniversary festivities)
    }, kinds
    assert data["meeting_kinds"] == ["dialogue", "engagement", "meeting", "signing", "visit"]
    # The meetings counted elsewhere are the two-sided events of those kinds.
    per_pair = sum(p["count"] for p in data["meetings_per_pair"])
    assert per_pair == sum(k[2] for k in kinds.values() if k[0]) == 9
    table = ok(kg("stats")).stdout
    assert "Events per kind" in table and "with two sides" in table, table
    assert "Meetings are the events of these kinds: dialogue, engagement, meeting" in table


# ---------------------------------------------------------------------------- every format
COMMANDS = [
    ["who-met"],
    ["roles"],
    ["timeline"],
    ["show", "Iran"],
    ["path", "Iran", "Qatar"],
    ["topics"],
    ["stats"],
    ["query", "-"],
]


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
@pytest.mark.parametrize("args", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_in_every_format(kg: Any, args: list[str], fmt: str) -> None:
    result = ok(kg(*args, "--format", fmt, input="SELECT ?s WHERE { ?s a kg:State }"))
    assert result.stdout.strip()
    if fmt == "json":
        json.loads(result.stdout)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(result.stdout)))
        assert len(rows) >= 2


# ---------------------------------------------------------------------------- user errors
def test_missing_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "none"), "who-met"])
    assert result.exit_code == 1
    assert f"error: no graph at {tmp_path / 'none'}: run `kg build` first" in result.stderr


def test_bad_date(kg: Any) -> None:
    result = kg("who-met", "--from", "2022-13")
    assert result.exit_code == 2
    assert "impossible date '2022-13'" in result.output


HOSTILE = [
    'x" } ; DROP ALL ; {',
    "}",
    "# comment",
    "a\nb",
    '" . } DROP ALL ;',
    "<https://w3id.org/kg/id/person/amir-khan-muttaqi>",
    "SELECT * WHERE { ?s ?p ?o }",
    "Muttaqі",
]  # the last has a Cyrillic i


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_change_no_query(kg: Any, value: str) -> None:
    for args in (
        ["show", value],
        ["who-met", "--person", value],
        ["who-met", "--topic", value],
        ["roles", value],
        ["timeline", value],
        ["path", value, "Iran"],
    ):
        result = kg(*args)
        assert result.exit_code == 1, (args, result.output)
        assert "error: no " in result.stderr or "ambiguous" in result.stderr, result.stderr
        assert "Traceback" not in result.output
    # As free text the value is a bound literal: it matches no post, and breaks nothing.
    result = kg("roles", "--post", value)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert f"no post named {value!r}" in result.stderr
    else:
        assert result.exit_code == 0 and "no roles match" in result.stdout, result.output


def test_paging_says_when_rows_were_cut(kg: Any) -> None:
    every = as_json(kg("who-met", "--format", "json"))
    result = ok(kg("who-met", "--format", "json", "--limit", "3", "--offset", "2"))
    assert json.loads(result.stdout) == every[2:5]
    assert f"note: showing rows 3–5 of {len(every)}; use --offset 5 for more" in result.stderr
    whole = ok(kg("timeline", "--limit", "0"))
    assert "note:" not in whole.stderr


@pytest.mark.parametrize("command", ["who-met", "roles", "timeline"])
def test_paging_notes_say_what_is_shown(kg: Any, command: str) -> None:
    """The note names the rows shown, says when an offset is past the end, and suggests
    more only when there are more."""
    total = len(as_json(kg(command, "--format", "json")))
    assert total >= 3, total
    last = ok(kg(command, "--limit", "5", "--offset", str(total - 1)))
    assert f"note: showing rows {total}–{total} of {total}\n" in last.stderr, last.stderr
    assert "for more" not in last.stderr, last.stderr
    beyond = ok(kg(command, "--offset", "100000"))
    assert f"note: no rows at offset 100000: the answer has {total}\n" in beyond.stderr
    assert "showing" not in beyond.stderr, beyond.stderr


EMPTY = {
    "who-met": "no meetings match",
    "roles": "no roles match",
    "timeline": "no events match",
    "agreements": "no agreements match",
}


@pytest.mark.parametrize(
    "args",
    [
        ("who-met",),
        ("who-met", "--topic", "energy"),
        ("who-met", "--from", "2022-01", "--to", "2022-12"),
        ("who-met", "--with", "iran"),
        ("who-met", "--kind", "any"),
        ("who-met", "--kind", "invitation,message"),
        ("roles",),
        ("roles", "--on", "2022"),
        ("roles", "--post", "ambassador"),
        ("roles", "--post", "minister"),
        ("roles", "iran"),
        ("timeline",),
        ("timeline", "iran"),
        ("timeline", "--from", "2022-06", "--to", "2022-12"),
        ("agreements",),
        ("agreements", "--party", "Iran"),  # ordered and cut from the party index (kg.acts)
        ("agreements", "--party", "Taliban", "--on", "2022-08-09"),
        ("agreements", "--party", "Iran", "--topic", "trade"),
    ],
)
def test_pages_make_up_the_whole_answer(kg: Any, args: tuple[str, ...]) -> None:
    """who-met (without a person), roles, timeline and agreements --party fetch only the
    page asked for: pages
    of 2 rows, put together, give the whole answer in order, and each page's note has the
    right total."""
    every = as_json(kg(*args, "--format", "json"))
    assert len(every) >= 2
    pages = []
    for offset in range(0, len(every), 2):
        page = ok(kg(*args, "--format", "json", "--limit", "2", "--offset", str(offset)))
        pages += json.loads(page.stdout)
        if len(every) > 2:
            last = min(offset + 2, len(every))
            assert f"showing rows {offset + 1}–{last} of {len(every)}" in page.stderr
    assert pages == every
    beyond = ok(kg(*args, "--limit", "2", "--offset", str(len(every) + 3)))
    assert EMPTY[args[0]] in beyond.stdout


def test_path_falls_back_to_the_projection(kg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from kg import chains

    searched = as_json(kg("path", "muttaqi", "Saif al-Adel", "--format", "json"))
    monkeypatch.setattr(chains, "search_nodes", lambda store: 0)  # no lookups: project
    projected = as_json(kg("path", "muttaqi", "Saif al-Adel", "--format", "json"))
    assert len(projected) == len(searched) == 4
    assert projected[0]["from"] == "Amir Khan Muttaqi" and projected[-1]["to"] == "Saif al-Adel"
    assert all(h["sources"] for h in projected)


def test_path_between_unconnected_entities(build_mini: Any, mini: Path) -> None:
    facts = mini / "facts" / "mini.yaml"
    facts.write_text(
        facts.read_text().replace(
            "people:\n", "people:\n  - id: solo\n    name: Solo Person\n    evidence: 1\n"
        )
    )
    assert build_mini().exit_code == 0
    result = CliRunner().invoke(
        main, ["--store", str(mini / "build" / "store"), "path", "muttaqi", "Solo Person"]
    )
    assert result.exit_code == 1
    assert "error: no chain of relations links Amir Khan Muttaqi and Solo Person" in (result.stderr)
    assert "Traceback" not in result.output


# ------------------------------------------------------------- per-key and whole-graph paths
@pytest.mark.parametrize(
    "args",
    [
        ("show", "iran"),
        ("show", "muttaqi"),
        ("timeline", "iran"),
        ("timeline", "muttaqi"),
        ("roles", "iran"),
        ("who-met", "--person", "muttaqi"),
        ("who-met", "--person", "iran", "--topic", "energy"),
        ("who-met", "--person", "iran", "--kind", "any"),
    ],
)
def test_lookups_answer_the_same_per_key_and_in_one_query(
    kg: Any, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """A lookup asks details once per event or tenure, or in one query when there are many."""
    from kg import query as kg_query

    per_key = ok(kg(*args, "--format", "json")).stdout
    monkeypatch.setattr(kg_query, "MANY_KEYS", 0)
    one_query = ok(kg(*args, "--format", "json")).stdout
    assert json.loads(per_key) == json.loads(one_query)
    assert json.loads(per_key)  # something to compare


def test_meeting_index_beside_the_store_matches_the_graph(shipped_build: Path) -> None:
    from kg.indexes import meeting_index
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    stored = store.sidecar("meetings")
    # The typed rows are written as JSON arrays, in field order.
    computed = meeting_index(EmbeddedStore(store.path, store._store, _has_files=False))
    assert stored == [list(m) for m in computed]
    # Line 20: Iran and six Afghan institutions sign the oil contract: six who-met rows.
    (oil,) = [m for m in stored if m[1] == "2022-07-23"]
    assert oil[4] == 6 and "https://w3id.org/kg/topic/oil" in oil[5] and oil[6] == "visit"


def test_tenure_index_beside_the_store_matches_the_graph(shipped_build: Path) -> None:
    import datetime as dt

    from kg.indexes import tenure_index
    from kg.store import EmbeddedStore

    store = EmbeddedStore.open(shipped_build / "store")
    graph = EmbeddedStore(store.path, store._store, _has_files=False)
    assert store.sidecar("tenures") == [list(t) for t in tenure_index(graph)]
    day = dt.date(2022, 8, 20)
    on_day = tenure_index(store, day, day)
    assert on_day == tenure_index(graph, day, day)
    # Lines 23-24: on 2022-08-20 Aminian acts as ambassador.
    assert any("Aminian" in t[3] and "Ambassador" in t[5] for t in on_day), on_day


def test_card_lists_the_first_rows_and_counts_them_all(
    kg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kg import lookups

    whole = as_json(kg("show", "iran", "--format", "json"))
    assert whole["events_total"] == len(whole["events"]) > 3
    monkeypatch.setattr(lookups, "CARD_ROWS", 3)
    card = as_json(kg("show", "iran", "--format", "json"))
    assert card["events"] == whole["events"][:3]
    assert card["events_total"] == whole["events_total"]
    assert card["roles"] == whole["roles"][:3] and card["roles_total"] == whole["roles_total"]
    table = ok(kg("show", "iran")).stdout
    total = whole["events_total"]
    assert f"(the first 3 of {total} events; `kg timeline NAME` lists them all)" in table


@pytest.mark.parametrize("command", ["who-met", "timeline", "view"])
def test_a_reversed_date_range_is_a_usage_error(kg: Any, command: str, tmp_path: Path) -> None:
    """--from after --to would match nothing without a word: exit 2, one line naming both."""
    out = tmp_path / "graph.html"
    result = kg(
        command, "--from", "2023", "--to", "2022-06", *(["-o", str(out)] * (command == "view"))
    )
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: --from 2023 is after --to 2022-06: the range holds no date"], (
        result.stderr
    )
    assert not out.exists()
    # A range within one year, or of one day, is not reversed.
    ok(kg("timeline", "--from", "2022-06", "--to", "2022"))
    ok(kg("timeline", "--from", "2022-06-03", "--to", "2022-06-03"))


def test_entity_names_win_over_claim_texts(kg: Any) -> None:
    """'Sirajuddin' names a person and is in a claim's text: show means the person; the
    claims about him are found with `kg claims`."""
    claims = as_json(kg("claims", "--format", "json"))
    assert any("sirajuddin" in c["claim"].lower() for c in claims), [c["claim"] for c in claims]
    result = ok(kg("show", "Sirajuddin"))
    assert result.stdout.startswith("Sirajuddin Haqqani"), result.stdout[:200]
    assert "ambiguous" not in result.output
    card = as_json(kg("show", "Sirajuddin", "--format", "json"))
    assert card["iri"] == "https://w3id.org/kg/id/person/sirajuddin-haqqani", card["iri"]
