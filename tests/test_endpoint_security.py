"""kg serve under attack: each test replays an attack on a real server on loopback.

What must hold: no query makes the engine fetch another host (a canary listener gets
nothing), no query takes the endpoint down, malformed or idle connections are answered or
dropped in bounded time, and requests meant for another site (DNS rebinding, a foreign
page in a browser) are refused.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kg.cli import main
from tests.servers import Canary, start_kg_serve, stop
from tests.test_endpoint import get, http


@pytest.fixture(scope="module")
def own_server(shipped_build: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A kg serve of this module's own, which its tests may crash; yields URL and process."""
    url, proc = start_kg_serve(shipped_build / "store", timeout=2, max_results=500)
    try:
        yield url, proc
    finally:
        stop(proc)


def post(base: str, query: str) -> tuple[int, str, bytes]:
    return http(f"{base}/sparql", query.encode(), {"Content-Type": "application/sparql-query"})


def child_of(pid: int) -> int:
    # any thread's children: kg serve starts the engine from a thread of its own
    tasks = Path(f"/proc/{pid}/task").glob("*/children")
    kids = [int(x) for path in tasks for x in path.read_text().split()]
    assert len(kids) == 1, kids
    return kids[0]


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
    from kg.query import unescape

    assert unescape(text) == want


BOMBS = {
    "nested-braces": "ASK " + "{" * 3000 + "}" * 3000,
    "nested-parens": "ASK { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }",
    "not-chain": "ASK { FILTER(" + "!" * 30_000 + "true) }",
    "nested-optionals": "ASK { " + "OPTIONAL { " * 3000 + "}" * 3000 + " }",
    "flat-optionals": "ASK { " + "OPTIONAL{?s ?p ?o}" * 3000 + "}",
    "flat-minus": "ASK { " + "MINUS { ?s ?p ?o } " * 2000 + "}",
    "flat-binds": "SELECT * { " + " ".join(f"BIND({i} AS ?v{i})" for i in range(3000)) + " }",
    "deep-collection": "ASK { ?s ?p " + "(" * 3000 + ")" * 3000 + " }",
    "plus-chain": "ASK { FILTER(" + "+".join(["1"] * 10_000) + " > 0) }",
    "and-chain": "ASK { FILTER(" + "&&".join(["true"] * 10_000) + ") }",
    # `<` read as less-than by the engine, as an IRI by a tokeniser: its ( still count
    "parens-in-a-fake-iri": "ASK { FILTER(?a" + '<((((((((((1>"))))))))))"' * 1000 + ") }",
}


def test_query_bombs_are_refused_and_the_endpoint_stays_up(
    own_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, _ = own_server
    assert len(BOMBS) >= 10
    wrong = {}
    for name, q in BOMBS.items():
        assert len(q.encode()) <= 64 * 1024, name
        status, _, body = post(base, q)
        after = post(base, "ASK {}")
        if status != 400 or b"query " not in body or after[0] != 200:
            wrong[name] = (status, body[:120], after[0], after[2][:80])
        elif b'"boolean":true' not in after[2]:
            wrong[name] = ("ASK {} answered", after[2][:80])
    assert wrong == {}, wrong


def test_real_queries_are_within_the_limits() -> None:
    from kg.query import all_queries
    from kg.server import too_complex

    queries = all_queries()
    assert queries
    assert {q.name: too_complex(q.text) for q in queries if too_complex(q.text)} == {}
    values = "SELECT * { VALUES (?a ?b) { " + '("x"^^<urn:t> "y"@en-GB) ' * 5000 + "} }"
    assert too_complex(values) is None
    nested = "ASK " + "{ " * 150 + "}" * 150
    assert too_complex(nested) is None


def test_a_crashed_engine_is_restarted(own_server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, proc = own_server
    child = child_of(proc.pid)
    os.kill(child, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # a zombie until kg serve reaps it, which the next query does
        if Path(f"/proc/{child}/stat").read_text().split()[2] == "Z":
            break
    status, _, body = post(base, "ASK {}")
    assert status == 502 and b"backend crashed, restarted" in body, (status, body)
    status, _, body = post(base, "ASK {}")
    assert status == 200 and b'"boolean":true' in body, (status, body)
    assert child_of(proc.pid) != child


def raw(base: str, request: bytes, half_close: bool = True, wait: float = 10) -> bytes:
    """Send REQUEST as bytes on a fresh connection; return all that comes back."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=wait) as s:
        s.sendall(request)
        if half_close:
            with contextlib.suppress(OSError):  # the server may have answered and closed
                s.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionError):
            while chunk := s.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def post_with(length_headers: bytes, body: bytes = b"ASK {}") -> bytes:
    return (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/sparql-query\r\n" + length_headers + b"\r\n" + body
    )


@pytest.mark.parametrize(
    ("headers", "body", "want"),
    [
        (b"Content-Length: -1\r\n", b"ASK {} #" + b"x" * 70_000, b"HTTP/1.1 400"),
        (b"Content-Length: abc\r\n", b"ASK {}", b"HTTP/1.1 400"),
        (b"Content-Length: 6\r\nContent-Length: 60\r\n", b"ASK {}", b"HTTP/1.1 400"),
        (b"Content-Length: 1_0\r\n", b"ASK {}", b"HTTP/1.1 400"),
        (b"", b"ASK {}", b"HTTP/1.1 411"),
        (b"Transfer-Encoding: chunked\r\n", b"6\r\nASK {}\r\n0\r\n\r\n", b"HTTP/1.1 411"),
        (b"Content-Length: 6\r\n", b"ASK {}", b"HTTP/1.1 200"),
    ],
    ids=["negative", "not-a-number", "two-lengths", "underscore", "none", "chunked", "good"],
)
def test_content_length(
    own_server: tuple[str, subprocess.Popen[bytes]], headers: bytes, body: bytes, want: bytes
) -> None:
    base, _ = own_server
    start = time.monotonic()
    got = raw(base, post_with(headers, body))
    assert got.startswith(want), got[:300]
    assert time.monotonic() - start < 5
    assert post(base, "ASK {}")[0] == 200


def test_idle_and_half_sent_connections_are_dropped(shipped_build: Path) -> None:
    base, proc = start_kg_serve(
        shipped_build / "store", 2, 500, "--idle-timeout", "1", "--max-connections", "4"
    )
    host, port = base.removeprefix("http://").rsplit(":", 1)
    try:
        held = [socket.create_connection((host, int(port)), timeout=5) for _ in range(2)]
        held[1].sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        held += [socket.create_connection((host, int(port)), timeout=5) for _ in range(2)]
        held[3].sendall(post_with(b"Content-Length: 100\r\n", b"ASK"))
        time.sleep(0.3)
        # the cap: a fifth connection is answered 503 at once, not queued
        start = time.monotonic()
        busy = raw(base, b"GET /sparql?query=ASK%7B%7D HTTP/1.0\r\n\r\n")
        assert busy.startswith(b"HTTP/1.1 503") and b"too many connections" in busy, busy
        assert time.monotonic() - start < 2
        # the idle, the half-sent headers and the half-sent body are all dropped in ~1 s
        for s in held:
            with contextlib.suppress(ConnectionError):
                assert s.recv(1000) == b"", "the server answered instead of dropping"
            assert time.monotonic() - start < 4
            s.close()
        assert post(base, "ASK {}")[0] == 200
    finally:
        stop(proc)


def get_with(headers: bytes, method: bytes = b"GET") -> bytes:
    if method == b"POST":
        return post_with(b"Content-Length: 6\r\n" + headers).replace(b"Host: 127.0.0.1\r\n", b"", 1)
    return b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\n" + headers + b"\r\n"


@pytest.mark.parametrize(
    ("headers", "method", "want"),
    [
        (b"Host: evil.example\r\n", b"GET", b"HTTP/1.1 421"),
        (b"Host: evil.example:7878\r\n", b"GET", b"HTTP/1.1 421"),
        (b"Host: 127.0.0.1.evil.example\r\n", b"GET", b"HTTP/1.1 421"),
        (b"Host: localhost.evil.example\r\n", b"POST", b"HTTP/1.1 421"),
        (b"Host: evil.example@127.0.0.1\r\n", b"GET", b"HTTP/1.1 421"),
        (b"Host: 127.0.0.1:x\r\n", b"GET", b"HTTP/1.1 421"),
        (b"Host: 127.0.0.1\r\nOrigin: http://evil.example\r\n", b"GET", b"HTTP/1.1 403"),
        (b"Host: 127.0.0.1\r\nOrigin: http://evil.example\r\n", b"POST", b"HTTP/1.1 403"),
        (b"Host: 127.0.0.1\r\nOrigin: null\r\n", b"POST", b"HTTP/1.1 403"),
        (b"Host: 127.0.0.1\r\nOrigin: http://127.0.0.1.evil.example\r\n", b"GET", b"HTTP/1.1 403"),
        # what must still work: loopback names with any port, no Host, a same-site page
        (b"Host: localhost:7878\r\n", b"GET", b"HTTP/1.1 200"),
        (b"Host: [::1]:7878\r\n", b"POST", b"HTTP/1.1 200"),
        (b"", b"GET", b"HTTP/1.1 200"),
        (b"Host: 127.0.0.1\r\nOrigin: http://localhost:3000\r\n", b"POST", b"HTTP/1.1 200"),
    ],
)
def test_other_sites_are_refused(
    strict_server: str, headers: bytes, method: bytes, want: bytes
) -> None:
    got = raw(strict_server, get_with(headers, method))
    assert got.startswith(want), got[:300]


@pytest.fixture(scope="module")
def strict_server(shipped_build: Path) -> Iterator[str]:
    """A kg serve on loopback with --no-cors: no page of another site may query it."""
    url, proc = start_kg_serve(shipped_build / "store", 2, 500, "--no-cors")
    try:
        yield url
    finally:
        stop(proc)


def test_cors_on_loopback_lets_any_page_read_but_not_rebind(
    own_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    # By default, on loopback, a page of any site may query (YASGUI's use): the answer
    # says so to the browser. The Host check still refuses a rebound name.
    base, _ = own_server
    for origin in (b"http://evil.example", b"null", b"https://yasgui.example:8443"):
        got = raw(base, get_with(b"Host: 127.0.0.1\r\nOrigin: " + origin + b"\r\n", b"POST"))
        assert got.startswith(b"HTTP/1.1 200"), got[:300]
        assert b"\r\nAccess-Control-Allow-Origin: *\r\n" in got, got[:400]
    got = raw(base, get_with(b"Host: evil.example\r\nOrigin: http://evil.example\r\n"))
    assert got.startswith(b"HTTP/1.1 421") and b"Access-Control" not in got, got[:300]
    # a same-site request (no Origin) has no CORS headers: none are needed
    got = raw(base, get_with(b"Host: 127.0.0.1\r\n"))
    assert got.startswith(b"HTTP/1.1 200") and b"Access-Control" not in got, got[:300]


def test_allowed_host_names() -> None:
    from kg.server import ServerConfig

    names = ServerConfig(Path("s")).host_names()
    assert names == {"localhost", "127.0.0.1", "::1"}, names
    names = ServerConfig(Path("s"), host="0.0.0.0", allow_hosts=("KG.example",)).host_names()
    assert names == {"localhost", "127.0.0.1", "::1", "kg.example"}, names
    assert "10.0.0.5" in ServerConfig(Path("s"), host="10.0.0.5").host_names()
    assert "::1" in ServerConfig(Path("s"), host="[::1]").host_names()


def test_the_engine_port_never_leaks(own_server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, proc = own_server
    child = child_of(proc.pid)
    bind = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
    port = bind[bind.index(b"--bind") + 1].rsplit(b":", 1)[1]
    assert port.isdigit() and port not in base.encode(), (port, base)
    queries = [
        "SELECT (<> AS ?x) WHERE {}",
        'SELECT (IRI("relative") AS ?x) WHERE {}',
        "CONSTRUCT { <a> <b> <c> } WHERE {}",
        "DESCRIBE <>",
        "SELECT ?x WHERE { ?x ",
        "ASK {}",
        "SELECT (<x> AS ?x) WHERE {} ORDER BY",
    ]
    leaks = {}
    for q in queries:
        status, ctype, body = post(base, q)
        if port in body or port in ctype.encode():
            leaks[q] = (status, body[:200])
    assert leaks == {}, leaks
    status, _, body = post(base, "SELECT (<> AS ?x) WHERE {}")
    assert status == 200 and f"{base}/sparql".encode() in body, body
    # a query's own BASE still wins, and error positions are the query's own
    status, _, body = post(base, "BASE <urn:b/> SELECT (<x> AS ?x) WHERE {}")
    assert status == 200 and b"urn:b/x" in body, body
    status, _, body = post(base, "SELECT ?x WHERE {\n ?x ")
    assert status == 400 and b"error at 2:" in body, body
    whole = raw(base, b"GET /sparql?query=SELECT%20(%3C%3E%20AS%20%3Fx)%7B%7D HTTP/1.0\r\n\r\n")
    assert whole.startswith(b"HTTP/1.1 200") and port not in whole, whole


def test_readme_says_what_is_refused() -> None:
    from kg.server import MAX_CHAIN, MAX_DEPTH
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Security of `kg serve`", 1)[1].split("\n## ", 1)[0]
    wanted = [
        f"over {MAX_DEPTH} nested brackets",
        f"over {MAX_CHAIN:,} operators",
        "`--allow-host NAME`",
        "`--idle-timeout`",
        "`--max-connections`",
        "egress rule",
        '`"customer service"` is a false positive',
        "`--no-cors`",
        "`--cors https://yasgui.example`",
        "any page you open while `kg serve` runs can read the\ngraph",
    ]
    assert [w for w in wanted if w not in section] == []
    assert "`--allow-service`" in readme


def test_a_bomb_that_fools_the_count_is_caught_by_the_restart(
    own_server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    from kg.server import too_complex

    base, _ = own_server
    # `<-#>` is an IRI to kg's count, which then reads ''' as a string to the end; to the
    # engine it is `< -` and a comment, and the 10,000 ( below are code (README: residual)
    q = "ASK { FILTER(?a<-#>'''\n" + "(" * 10_000 + "1" + ")" * 10_000 + "\n) }"
    assert too_complex(q) is None  # if this starts failing, the count got better: good
    status, _, body = post(base, q)
    assert status == 502 and b"backend crashed, restarted" in body, (status, body)
    status, _, body = post(base, "ASK {}")
    assert status == 200 and b'"boolean":true' in body, (status, body)
