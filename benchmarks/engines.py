"""Engines benchmark: every lookup on the embedded store, Oxigraph's server and Virtuoso.

Usage: python benchmarks/engines.py [--sizes 100k,1M] [--runs 3] [--out build/bench-engines]
                                    [--memory MB] [--timeout S] [--slow S] [--batch N]
                                    [--build LABEL=DIR ...] [--oxigraph-load] [--progress]
                                    [--before] [--only "TITLE;..."]

For each size it generates synthetic facts (benchmarks/generate.py) and builds them (or
takes the build given with --build LABEL=DIR, read only), starts
Oxigraph's server (`oxigraph serve`, on loopback) and a private Virtuoso
(scripts/virtuoso.py, --memory MB of buffers), loads both with `kg push --batch N` (timed;
with the build files, which lookups then read as the embedded store reads its files;
--oxigraph-load fills Oxigraph's with `oxigraph load` instead, without them), then
times each lookup as a whole `kg` process through each, after one untimed round (the
server has planned a query of each kind, the store's files are in the page cache): medians
of --runs runs (min–max), and the kg process's CPU time. --before times each server
twice: first pushed with --no-build-files (every answer computed by SPARQL), then pushed
again with them. --only runs the lookups of those titles only. It also compares each
lookup's JSON answer with the embedded store's and says where one differs. The sizes are
benchmarks/scale.py's (10k, 100k, 1M, 5M: for 5M give Virtuoso more memory, e.g.
--memory 4096). A lookup over --timeout seconds
is cut and recorded as such ("> S"), a measured result: Oxigraph's server is started with
the same timeout for each query; Virtuoso, which has no such setting that does not cut
answers short silently, is restarted after a cut (a cut client leaves its query running,
which would slow every later lookup). A lookup cut in the warm-up round is not run again;
one whose first timed run takes over --slow seconds runs once. Each lookup's JSON answers
are kept in OUT/answers-LABEL/ for a diff. Progress goes to a terminal only; the table
(with the load average after each row) is written to OUT/engines.md after each size and
printed at the end. The servers' folders are removed when done (the facts and build are
kept for a rerun). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
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
from scale import SIZES  # noqa: E402

VERBOSE = False  # --progress: progress lines even when stderr is no terminal (a log)


def say(text: str) -> None:
    if VERBOSE or sys.stderr.isatty():
        sys.stderr.write(f"{time.strftime('%H:%M:%S')} {text}\n")
        sys.stderr.flush()

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


def load() -> str:
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def timed(cmd: list[str], timeout: float) -> tuple[float | None, float, str]:
    """Run a command; return its wall seconds (None: over timeout), its CPU seconds (user
    and system) and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None, 0.0, ""
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(err[-1] if err else f"exit {proc.returncode}")
    return seconds, cpu, proc.stdout.decode("utf-8", "replace")


def med(xs: list[float | None], cpus: list[float], timeout: float) -> str:
    done = [x for x in xs if x is not None]
    if len(done) < len(xs):
        return f"> {timeout:g}"
    cpu = statistics.median(cpus)
    return f"{statistics.median(done):.3f} ({min(done):.3f}–{max(done):.3f}; cpu {cpu:.2f})"


class Oxigraph:
    """`oxigraph serve` on a free loopback port, its store in a folder of its own."""

    def __init__(self, folder: Path, timeout: float, preload: Path | None = None) -> None:
        exe = shutil.which("oxigraph")
        if exe is None:
            raise SystemExit("the oxigraph server is missing: pip install oxigraph")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        port = free_port()
        self.folder = folder
        self.loaded: float | None = None
        if preload is not None:  # the bulk loader, timed, instead of kg push (see --oxigraph-load)
            start = time.perf_counter()
            subprocess.run(
                [exe, "load", "--location", str(folder), "--file", str(preload),
                 "--graph", GRAPH],
                check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            self.loaded = time.perf_counter() - start
        # The server stops a query at the timeout itself: a cut lookup leaves no work behind.
        self.proc = subprocess.Popen(
            [exe, "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}",
             "--timeout-s", str(max(1, round(timeout)))],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
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

    def after_cut(self) -> None:
        """Nothing to do: the server cut the query itself (--timeout-s)."""

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
        self.script, self.folder, self.memory = script, folder, memory
        self.start()

    def start(self) -> None:
        proc = subprocess.run(
            [*self.script, "start", str(self.folder), "--memory", str(self.memory)],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(proc.stderr.strip())
        where = json.loads((self.folder / "endpoint.json").read_text())
        self.endpoint, self.store = where["endpoint"], where["store"]

    def after_cut(self) -> None:
        """Restart: the cut query would run on, slowing every later lookup (the graph stays)."""
        subprocess.run([*self.script, "stop", str(self.folder)], check=False, capture_output=True)
        self.start()

    def stop(self) -> None:
        subprocess.run([*self.script, "stop", str(self.folder)], check=False, capture_output=True)
        if (self.folder / ".kg-virtuoso").is_file():
            shutil.rmtree(self.folder)


def bench(
    label: str, args: argparse.Namespace, given: Path | None
) -> tuple[list[str], list[tuple[str, ...]]]:
    """Time the lookups on each store; return the table's columns and rows."""
    out, runs, timeout = args.out, args.runs, args.timeout
    triples = SIZES[label]
    data = out / f"data-{label}"
    kg = [sys.executable, "-m", "kg"]
    build = given or data / "build"
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
    lookups = {t: LOOKUPS[t] for t in args.only} if args.only else LOOKUPS
    # --before: each server twice, first pushed without the build files (every answer by
    # SPARQL, as before kg push sent them), then with them.
    phases = [("before", ["--no-build-files"]), ("", [])] if args.before else [("", [])]
    columns = ["embedded"] + [
        f"{srv}{' ' + ph if ph else ''}" for srv in ("oxigraph", "virtuoso") for ph, _ in phases
    ]
    if args.before:
        columns = [c if c == "embedded" or c.endswith("before") else c + " files" for c in columns]
    blank = [""] * len(columns)
    rows: list[tuple[str, ...]] = [("triples", f"{n_triples:,}", *blank[1:], "", "")]
    answers_dir = out / f"answers-{label}"
    answers_dir.mkdir(parents=True, exist_ok=True)
    servers: dict[str, Oxigraph | Virtuoso] = {}
    cells: dict[tuple[str, str], str] = {}
    answers: dict[tuple[str, str], str] = {}
    pushed: dict[str, str] = {}
    try:
        say(f"[{label}] starting Oxigraph's server and Virtuoso …")
        preload = build / "kg.ttl" if args.oxigraph_load else None
        servers["oxigraph"] = oxigraph = Oxigraph(out / f"oxigraph-{label}", timeout, preload)
        servers["virtuoso"] = Virtuoso(out / f"virtuoso-{label}", args.memory)

        def where(name: str) -> list[str]:
            if name == "embedded":
                return ["--store", str(build / "store")]
            srv = servers[name]  # asked each time: a restarted Virtuoso has new ports
            return ["--endpoint", srv.endpoint, "--graph", GRAPH, "--timeout", str(timeout)]

        def ask(name: str, lookup: list[str]) -> tuple[float | None, float, str]:
            """One whole kg process; a cut (or failed) one restarts a server that needs it."""
            try:
                seconds, cpu, output = timed([*kg, *where(name), *lookup, "--format", "json"],
                                             timeout)  # fmt: skip
            except RuntimeError as exc:
                seconds, cpu, output = None, 0.0, f"error: {exc}"
            if seconds is None and name in servers:
                servers[name].after_cut()
            return seconds, cpu, output

        def measure(stores: list[str], column: dict[str, str]) -> None:
            """Time every lookup on these stores into cells[title, column[store]]."""
            # One untimed round first: a server samples a new graph's statistics when it
            # plans its first queries (Virtuoso took 40 s over a state's who-met page right
            # after the push, 2 s once warm), and the embedded store's files enter the page
            # cache. A lookup cut (or failed) here is recorded so and not run again.
            cut: dict[tuple[str, str], str] = {}
            for title, lookup in lookups.items():
                for name in stores:
                    say(f"[{label}] warming up: {title} on {column[name]} …")
                    seconds, _, output = ask(name, lookup)
                    if seconds is None:
                        failed = output.startswith("error") and "in time" not in output
                        cut[title, name] = "error" if failed else f"> {timeout:g}"
            for title, lookup in lookups.items():
                for name in stores:
                    key = (title, column[name])
                    if (title, name) in cut:
                        cells[key] = cut[title, name] + " (warm-up)"
                        answers[key] = cut[title, name]
                        continue
                    say(f"[{label}] {title} on {column[name]} …")
                    times: list[float | None] = []
                    cpus: list[float] = []
                    for _ in range(runs):
                        seconds, cpu, output = ask(name, lookup)
                        times.append(seconds)
                        cpus.append(cpu)
                        answers.setdefault(key, output)
                        if seconds is None or seconds > args.slow:
                            break  # one cut or slow run says enough
                    cells[key] = med(times, cpus, timeout)
                    loads[title] = load()

        loads: dict[str, str] = {}
        measure(["embedded"], {"embedded": "embedded"})
        for phase, flags in phases:
            for name, srv in servers.items():
                col = columns[1 + list(servers).index(name) * len(phases)
                              + [p for p, _ in phases].index(phase)]  # fmt: skip
                if name == "oxigraph" and preload is not None:
                    pushed[col] = f"oxigraph load {oxigraph.loaded:.1f}"
                    continue
                say(f"[{label}] kg push {' '.join(flags)} to {name} …")
                # Virtuoso never answers one request of a million triples, and Oxigraph's
                # one-request PUT holds the graph in memory (2 GB at 1M): in batches.
                seconds, _, _ = timed(
                    [*kg, "push", "--endpoint", srv.endpoint, "--store-url", srv.store,
                     "--graph", GRAPH, "--turtle", str(build / "kg.ttl"),
                     "--batch", str(args.batch), *flags],
                    timeout=3600,
                )  # fmt: skip
                pushed[col] = "" if seconds is None else f"{seconds:.1f}"
            phase_columns = {
                name: columns[1 + i * len(phases) + [p for p, _ in phases].index(phase)]
                for i, name in enumerate(servers)
            }
            measure(list(servers), phase_columns)
    finally:
        for srv in servers.values():
            srv.stop()
    rows.append(("kg push (s)", *(pushed.get(c, "") for c in columns), "", load()))
    for title in lookups:
        slug = "".join(c if c.isalnum() else "-" for c in title).strip("-")
        for col in columns:
            name = col.replace(" ", "-")
            (answers_dir / f"{slug}.{name}.json").write_text(answers[title, col], encoding="utf-8")
        missing = [c for c in columns if not answers[title, c].startswith(("[", "{"))]
        differs = [c for c in columns[1:] if c not in missing
                   and answers[title, c] != answers[title, "embedded"]]  # fmt: skip
        if "embedded" in missing:  # nothing to compare with
            differs = []
        verdict = "; ".join(
            part
            for part in (
                "differs: " + ", ".join(differs) if differs else "",
                "no answer: " + ", ".join(missing) if missing else "",
            )
            if part
        ) or "same"
        rows.append((f"{title} (s)", *(cells[title, c] for c in columns), verdict,
                     loads.get(title, "")))  # fmt: skip
    return columns, rows


def write_table(
    results: dict[str, tuple[list[str], list[tuple[str, ...]]]], runs: int, out: Path
) -> str:
    parts = []
    for label, (columns, rows) in results.items():
        lines = [
            f"### {label}",
            "",
            f"| lookup | {' | '.join(columns)} | JSON as embedded | load |",
            "| --- " * (len(columns) + 3) + "|",
            *(f"| {' | '.join(r)} |" for r in rows),
        ]
        parts.append("\n".join(lines))
    text = (
        f"Whole `kg` processes, after one untimed round; medians of {runs} runs (min–max; the "
        f"kg process's CPU, user+sys, median) in seconds (one run when over --slow); load: "
        f"the 1-minute load average after the row; 2-core machine; python "
        f"{sys.version.split()[0]}.\n\n" + "\n\n".join(parts) + "\n"
    )
    (out / "engines.md").write_text(text, encoding="utf-8")
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench-engines")
    ap.add_argument("--memory", type=int, default=1024, help="Virtuoso's buffers, MiB")
    ap.add_argument("--timeout", type=float, default=120, help="the most one lookup may take")
    ap.add_argument("--slow", type=float, default=20, help="a lookup slower than this runs once")
    ap.add_argument("--build", action="append", default=[], metavar="LABEL=DIR",
                    help="use this existing build (read only) for the size LABEL")  # fmt: skip
    ap.add_argument("--oxigraph-load", action="store_true",
                    help="fill Oxigraph's server by `oxigraph load` (bulk) instead of kg push, "
                    "whose one-transaction PUT holds the graph in memory (2 GB at 1M triples)")
    ap.add_argument("--batch", type=int, default=200_000,
                    help="kg push --batch (triples a request)")
    ap.add_argument("--before", action="store_true",
                    help="also time each server pushed without the build files first")
    ap.add_argument("--only", type=lambda t: [x.strip() for x in t.split(";")], default=[],
                    metavar="TITLE;…", help="only these lookups (titles as in the table; by ;)")
    ap.add_argument("--progress", action="store_true", help="progress lines even when piped")
    args = ap.parse_args()
    global VERBOSE
    VERBOSE = args.progress
    builds = {}
    for item in args.build:
        label, sep, folder = item.partition("=")
        if not sep or label not in SIZES or not (Path(folder) / "kg.ttl").is_file():
            ap.error(f"--build {item}: give LABEL=DIR, LABEL one of {', '.join(SIZES)}, "
                     "DIR a kg build (with kg.ttl)")  # fmt: skip
        builds[label] = Path(folder)
    # Stopped by a signal, it still stops the servers it started (the finally of bench).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    args.out.mkdir(parents=True, exist_ok=True)
    unknown = [t for t in args.only if t not in LOOKUPS]
    if unknown:
        ap.error(f"--only {', '.join(unknown)}: the lookups are {', '.join(LOOKUPS)}")
    results: dict[str, tuple[list[str], list[tuple[str, ...]]]] = {}
    text = ""
    for label in (s.strip() for s in args.sizes.split(",")):
        results[label] = bench(label, args, builds.get(label))
        text = write_table(results, args.runs, args.out)  # kept after each size
    print(text)


if __name__ == "__main__":
    main()
