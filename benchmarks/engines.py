"""Engines benchmark: every lookup on the embedded store, Oxigraph's server and Virtuoso.

Usage: python benchmarks/engines.py [--sizes 100k,1M] [--runs 3] [--out build/bench-engines]
                                    [--memory MB] [--timeout S]

For each size it generates synthetic facts (benchmarks/generate.py), builds them, starts
Oxigraph's server (`oxigraph serve`, on loopback) and a private Virtuoso
(scripts/virtuoso.py, --memory MB of buffers), loads both with `kg push` (timed), then
times each lookup as a whole `kg` process through each, after one untimed round (the
server has planned a query of each kind, the store's files are in the page cache): medians
of --runs runs (min–max). It also compares each lookup's JSON answer with the embedded
store's and says where one differs. The sizes are benchmarks/scale.py's (10k, 100k, 1M,
5M: for 5M give Virtuoso more memory, e.g. --memory 4096). A lookup over --timeout seconds
is cut and shown as such. Progress goes to a terminal only; the table is written to
OUT/engines.md after each size and printed at the end. The servers' folders are removed
when done (the facts and build are kept for a rerun). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402
from scale import SIZES, say  # noqa: E402

GRAPH = "https://example.org/graphs/kg"
PERSON, OTHER, STATE = "Person 1 Surname1", "Person 2 Surname2", "State 1"
LOOKUPS = {
    "show": ["show", PERSON],
    "who-met --person": ["who-met", "--person", PERSON],
    "who-met --topic energy (first page)": ["who-met", "--topic", "energy", "--limit", "50"],
    "roles --on (first page)": ["roles", "--on", "2020-06-15", "--limit", "50"],
    "timeline NAME": ["timeline", PERSON],
    "agreements --party": ["agreements", "--party", PERSON],
    "path": ["path", PERSON, OTHER],
    "topics": ["topics"],
    "stats": ["stats"],
    "engagement": ["engagement"],
    "rank": ["rank"],
    "show (a state)": ["show", STATE],
    "timeline (a state, first page)": ["timeline", STATE, "--limit", "50"],
    "who-met --person (a state, first page)": ["who-met", "--person", STATE, "--limit", "50"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timed(cmd: list[str], timeout: float) -> tuple[float | None, str]:
    """Run a command; return its wall seconds (None: over timeout) and its stdout."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, ""
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(err[-1] if err else f"exit {proc.returncode}")
    return seconds, proc.stdout.decode("utf-8", "replace")


def med(xs: list[float | None], timeout: float) -> str:
    done = [x for x in xs if x is not None]
    if len(done) < len(xs):
        return f"> {timeout:g}"
    return f"{statistics.median(done):.3f} ({min(done):.3f}–{max(done):.3f})"


class Oxigraph:
    """`oxigraph serve` on a free loopback port, its store in a folder of its own."""

    def __init__(self, folder: Path) -> None:
        exe = shutil.which("oxigraph")
        if exe is None:
            raise SystemExit("the oxigraph server is missing: pip install oxigraph")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        port = free_port()
        self.folder = folder
        self.proc = subprocess.Popen(
            [exe, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.endpoint = f"http://127.0.0.1:{port}/query"
        self.store = f"http://127.0.0.1:{port}/store"
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("oxigraph serve did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


class Virtuoso:
    """A private Virtuoso started by scripts/virtuoso.py in a folder of its own."""

    def __init__(self, folder: Path, memory: int) -> None:
        script = [sys.executable, str(ROOT / "scripts" / "virtuoso.py")]
        if folder.exists():  # a previous run's, made by the script (it refuses any other)
            subprocess.run([*script, "stop", str(folder)], check=False, capture_output=True)
            if (folder / ".kg-virtuoso").is_file():
                shutil.rmtree(folder)
        proc = subprocess.run(
            [*script, "start", str(folder), "--memory", str(memory)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(proc.stderr.strip())
        where = json.loads((folder / "endpoint.json").read_text())
        self.script, self.folder = script, folder
        self.endpoint, self.store = where["endpoint"], where["store"]

    def stop(self) -> None:
        subprocess.run([*self.script, "stop", str(self.folder)], check=False, capture_output=True)
        if (self.folder / ".kg-virtuoso").is_file():
            shutil.rmtree(self.folder)


def bench(label: str, runs: int, out: Path, memory: int, timeout: float) -> list[tuple[str, ...]]:
    triples = SIZES[label]
    data = out / f"data-{label}"
    kg = [sys.executable, "-m", "kg"]
    build = data / "build"
    if not (build / "kg.ttl").is_file():
        shutil.rmtree(data, ignore_errors=True)
        say(f"[{label}] generating and building facts …")
        generate(triples, data)
        cmd = [*kg, "build", "--facts", str(data / "facts"), "--out", str(build)]
        timed([*cmd, "--sources", str(data / "sources")], timeout=3600)
    count = subprocess.run(
        [*kg, "--store", str(build / "store"), "query", "-", "--format", "csv"],
        cwd=ROOT,
        input=b"SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        capture_output=True,
        check=True,
    )
    n_triples = int(count.stdout.decode().split()[-1])
    rows: list[tuple[str, ...]] = [("triples", f"{n_triples:,}", "", "", "")]
    servers: dict[str, Oxigraph | Virtuoso] = {}
    try:
        say(f"[{label}] starting Oxigraph's server and Virtuoso …")
        servers["oxigraph"] = Oxigraph(out / f"oxigraph-{label}")
        servers["virtuoso"] = Virtuoso(out / f"virtuoso-{label}", memory)
        push = {}
        for name, srv in servers.items():
            say(f"[{label}] kg push to {name} …")
            seconds, _ = timed(
                [*kg, "push", "--endpoint", srv.endpoint, "--store-url", srv.store,
                 "--graph", GRAPH, "--turtle", str(build / "kg.ttl")],
                timeout=3600,
            )  # fmt: skip
            push[name] = "" if seconds is None else f"{seconds:.1f}"
        rows.append(("kg push (s)", "", push["oxigraph"], push["virtuoso"], ""))
        where = {
            "embedded": ["--store", str(build / "store")],
            **{
                name: ["--endpoint", srv.endpoint, "--graph", GRAPH, "--timeout", str(timeout)]
                for name, srv in servers.items()
            },
        }
        # One untimed round first: a server samples a new graph's statistics when it plans
        # its first queries (Virtuoso took 40 s over a state's who-met page right after the
        # push, 2 s once warm), and the embedded store's files enter the page cache.
        for title, args in LOOKUPS.items():
            for name, store_args in where.items():
                say(f"[{label}] warming up: {title} on {name} …")
                with contextlib.suppress(RuntimeError):  # reported by the timed runs
                    timed([*kg, *store_args, *args, "--format", "json"], timeout + 30)
        for title, args in LOOKUPS.items():
            cells, answers = [], {}
            for name, store_args in where.items():
                say(f"[{label}] {title} on {name} …")
                times: list[float | None] = []
                for _ in range(runs):
                    try:
                        seconds, output = timed([*kg, *store_args, *args, "--format", "json"],
                                                timeout + 30)  # fmt: skip
                    except RuntimeError as exc:
                        seconds, output = None, f"error: {exc}"
                    times.append(seconds)
                    answers.setdefault(name, output)
                    if seconds is None:
                        break  # one cut run says enough
                cells.append(med(times, timeout))
            same = [n for n in servers if answers.get(n) == answers["embedded"]]
            differs = [n for n in servers if n not in same]
            verdict = "same" if not differs else "differs: " + ", ".join(differs)
            rows.append((f"{title} (s)", *cells, verdict))
    finally:
        for srv in servers.values():
            srv.stop()
    return rows


def write_table(results: dict[str, list[tuple[str, ...]]], runs: int, out: Path) -> str:
    parts = []
    for label, rows in results.items():
        lines = [
            f"### {label}",
            "",
            "| lookup | embedded | Oxigraph server | Virtuoso | JSON as embedded |",
            "| --- | --- | --- | --- | --- |",
            *(f"| {' | '.join(r)} |" for r in rows),
        ]
        parts.append("\n".join(lines))
    text = (
        f"Whole `kg` processes, cold; medians of {runs} runs (min–max) in seconds; 2-core "
        f"machine; python {sys.version.split()[0]}.\n\n" + "\n\n".join(parts) + "\n"
    )
    (out / "engines.md").write_text(text, encoding="utf-8")
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench-engines")
    ap.add_argument("--memory", type=int, default=1024, help="Virtuoso's buffers, MiB")
    ap.add_argument("--timeout", type=float, default=300, help="the most one lookup may take")
    args = ap.parse_args()
    # Stopped by a signal, it still stops the servers it started (the finally of bench).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[tuple[str, ...]]] = {}
    text = ""
    for label in (s.strip() for s in args.sizes.split(",")):
        results[label] = bench(label, args.runs, args.out, args.memory, args.timeout)
        text = write_table(results, args.runs, args.out)  # kept after each size
    print(text)


if __name__ == "__main__":
    main()
