"""Real servers for the endpoint tests: kg serve, and a writable Oxigraph server.

Each is started on a free loopback port and stopped by the fixture that started it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"server exited: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port} after {seconds} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_kg_serve(
    store: Path, timeout: int, max_results: int, *extra: str
) -> tuple[str, subprocess.Popen[bytes]]:
    """Start `kg serve` on a free loopback port; return its base URL and process."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg",
            "--store",
            str(store),
            "serve",
            "--port",
            str(port),
            "--query-timeout",
            str(timeout),
            "--max-results",
            str(max_results),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for_port(port, proc)
    return f"http://127.0.0.1:{port}", proc


@pytest.fixture(scope="module")
def kg_server(shipped_build: Path) -> Iterator[str]:
    """`kg serve` over the shipped build, with a short timeout; yields its base URL."""
    url, proc = start_kg_serve(shipped_build / "store", timeout=2, max_results=500)
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A writable Oxigraph server (`oxigraph serve`); yields its base URL."""
    exe = shutil.which("oxigraph")
    assert exe, "the oxigraph server is missing: pip install oxigraph"
    port = free_port()
    data = tmp_path_factory.mktemp("oxigraph")
    proc = subprocess.Popen(
        [exe, "serve", "--location", str(data), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


class Canary:
    """A loopback HTTP listener that records every request it gets: nothing may reach it."""

    def __init__(self) -> None:
        hits: list[str] = []

        class Record(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self.answer()

            def do_POST(self) -> None:
                self.answer()

            def answer(self) -> None:
                hits.append(f"{self.command} {self.path}")
                body = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.hits = hits
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Record)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/sparql"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def canary() -> Iterator[Canary]:
    """A listener on 127.0.0.1 that counts the requests it gets (see Canary)."""
    c = Canary()
    try:
        yield c
    finally:
        c.httpd.shutdown()
        c.httpd.server_close()
