"""kg serve under attack: each test replays an attack on a real server on loopback.

What must hold: no query makes the engine fetch another host (a canary listener gets
nothing), no query takes the endpoint down, malformed or idle connections are answered or
dropped in bounded time, and requests meant for another site (DNS rebinding, a foreign
page in a browser) are refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from tests.servers import Canary
from tests.test_endpoint import get


def service_attacks(target: str) -> dict[str, str]:
    """Queries that reach TARGET with SERVICE, each hidden from a naive keyword check."""
    pattern = f"<{target}> {{ ?a ?b ?c }}"
    return {
        "plain": f"SELECT * WHERE {{ SERVICE {pattern} }}",
        "lower-case": f"select * where {{ service {pattern} }}",
        "escaped-keyword": f"SELECT * WHERE {{ \\u0053ERVICE {pattern} }}",
        "long-escaped-keyword": f"SELECT * WHERE {{ \\U00000053ervice {pattern} }}",
        # "x\u0022 ends the string for the engine; a regex that skips \\. reads on
        "escaped-quote": (
            f'SELECT * WHERE {{ BIND("x\\u0022 AS ?q) SERVICE {pattern} BIND(\\u0022" AS ?r) }}'
        ),
        # a no-break space is allowed in an IRI, so # there is not a comment
        "nbsp-in-iri": f"SELECT * WHERE {{ OPTIONAL {{ ?s ?p <urn:x#\u00a0> }} SERVICE {pattern} }}",
        # a comment ends at a carriage return too
        "comment-ends-at-cr": f"SELECT * WHERE {{ # note\rSERVICE {pattern} }}",
        # \\# is part of a prefixed local name, not the start of a comment
        "escaped-local-name": (
            f"PREFIX ex: <urn:ex:> SELECT * WHERE {{ OPTIONAL {{ ?s ex:p\\#x ?o }} SERVICE {pattern} }}"
        ),
        "silent": f"SELECT * WHERE {{ SERVICE SILENT {pattern} }}",
    }


def test_service_never_reaches_another_host(kg_server: str, canary: Canary) -> None:
    attacks = service_attacks(canary.url)
    assert len(attacks) >= 8
    answers = {name: get(kg_server, q) for name, q in attacks.items()}
    wrong = {n: a for n, a in answers.items() if a[0] != 403 or b"SERVICE is refused" not in a[2]}
    assert canary.hits == [], (canary.hits, wrong)
    assert wrong == {}, wrong


def test_the_word_service_is_refused_even_in_a_string(kg_server: str) -> None:
    status, _, body = get(kg_server, 'SELECT ?x WHERE { BIND("customer service" AS ?x) }')
    assert status == 403 and b"even in a string" in body, (status, body)
    status, _, body = get(kg_server, 'SELECT ?x WHERE { BIND("LOAD DROP" AS ?x) }')
    assert status == 200 and b"LOAD DROP" in body, (status, body)


def test_kg_query_refuses_service_unless_allowed(
    shipped_build: Path, canary: Canary, tmp_path: Path
) -> None:
    store = str(shipped_build / "store")
    attacks = service_attacks(canary.url)
    for name, q in attacks.items():
        rq = tmp_path / f"{name}.rq"
        rq.write_text(q, encoding="utf-8")
        result = CliRunner().invoke(main, ["--store", store, "query", str(rq)])
        assert result.exit_code == 1, (name, result.output)
        assert "mentions SERVICE" in result.output and "--allow-service" in result.output
    assert canary.hits == []
    # The flag lets it through, and the canary proves it would have been reached.
    rq = tmp_path / "plain.rq"
    result = CliRunner().invoke(
        main, ["--store", store, "query", "--allow-service", "--format", "json", str(rq)]
    )
    assert result.exit_code == 0, result.output
    assert len(canary.hits) == 1, canary.hits
    help_text = " ".join(CliRunner().invoke(main, ["query", "--help"]).output.split())
    assert "--allow-service" in help_text and "other hosts" in help_text


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("\\u0053ERVICE", "SERVICE"),
        ("\\U0001F600", "\U0001f600"),
        ("\\u005Cu0053", "S"),  # an escape spelling an escape: undone too (stricter)
        ("\\UFFFFFFFF", "\\UFFFFFFFF"),  # not a code point: left alone
    ],
)
def test_unescape(text: str, want: str) -> None:
    from kg.server import unescape

    assert unescape(text) == want
