"""Scale benchmark: build and query synthetic curated facts of 10k to 5M triples.

Usage: python benchmarks/scale.py [--sizes 10k,100k,1M] [--runs 3] [--out build/bench]

For each size it generates facts (benchmarks/generate.py), then measures as medians over
--runs runs (with min-max): `kg build` end to end and per stage, its peak memory, the store
size on disk, the cold whole-process time of the lookups an analyst runs, and a plain
rdflib script answering the same named query from build/kg.ttl (what a user of the bare
libraries would write), printed as a ratio. It writes a Markdown table to OUT/results.md
and prints it. Nothing is asserted: it reports.

On a terminal, stderr shows the step it is on, how far the whole run is and about how long
is left (kg.progress; nothing when piped). The default run (10k, 100k and 1M, 3 runs) takes
about half an hour on a 2-core machine, most of it the plain-rdflib baseline (about ten
minutes at 1M alone); `--sizes 10k --runs 1` gives a first table in seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))  # this checkout's kg, which the runs below use too

from generate import generate  # noqa: E402

from kg.progress import Progress  # noqa: E402

SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000, "5M": 5_000_000}

BASELINE = """
import sys, rdflib
from rdflib import URIRef, Literal, XSD
g = rdflib.Graph().parse(sys.argv[1])
q = open(sys.argv[2]).read()
any_ = URIRef("https://w3id.org/kg/ont#Any")
b = {"person": URIRef(sys.argv[3]), "with": any_, "topic": any_,
     "from": Literal("0001-01-01", datatype=XSD.date),
     "to": Literal("9999-12-31", datatype=XSD.date)}
print(len(list(g.query(q, initBindings=b))))
"""


def expanded_query(path: Path) -> Path:
    """Write who-met as kg runs it (its fragments expanded: plain SPARQL) to path; return path."""
    from kg.query import load_query

    path.write_text(load_query("who-met").text, encoding="utf-8")
    return path


PERSON = "Person 1 Surname1"


def _store(store: Path) -> list[str]:
    return ["--store", str(store)]


# The lookups timed at each size: name -> kg's arguments, given the store and data folder.
LOOKUPS: dict[str, Callable[[Path, Path], list[str]]] = {
    "kg --help": lambda st, d: ["--help"],
    "kg show": lambda st, d: [*_store(st), "show", PERSON],
    "kg who-met --person": lambda st, d: [*_store(st), "who-met", "--person", PERSON],
    "kg who-met --topic energy (first page)": lambda st, d: [
        *_store(st),
        "who-met",
        "--topic",
        "energy",
        "--limit",
        "50",
    ],
    "kg roles --on": lambda st, d: [*_store(st), "roles", "--on", "2020-06-15", "--limit", "50"],
    "kg timeline NAME": lambda st, d: [*_store(st), "timeline", PERSON],
    "kg path": lambda st, d: [*_store(st), "path", PERSON, "Person 2 Surname2"],
    "kg engagement": lambda st, d: [*_store(st), "engagement"],
    "kg stats": lambda st, d: [*_store(st), "stats"],
    "kg view --ego": lambda st, d: [
        *_store(st),
        "view",
        "--ego",
        PERSON,
        "-o",
        str(d / "ego.html"),
    ],
    "kg rank": lambda st, d: [*_store(st), "rank"],
    # The hubs: a state meets, holds and signs thousands of things.
    "kg show (a state)": lambda st, d: [*_store(st), "show", "State 1"],
    "kg timeline (a state, first page)": lambda st, d: [
        *_store(st),
        "timeline",
        "State 1",
        "--limit",
        "50",
    ],
    "kg who-met --person (a state, first page)": lambda st, d: [
        *_store(st),
        "who-met",
        "--person",
        "State 1",
        "--limit",
        "50",
    ],
    "kg rank --by betweenness": lambda st, d: [*_store(st), "rank", "--by", "betweenness"],
}

# What a step costs, in seconds: fixed + per million triples (benchmarks/RESULTS.md, a
# 2-core machine). Only the weights of the progress line: the pace measured as the run
# goes scales them to the machine it runs on.
COST = {
    "generate": (0.2, 2.0),
    "build": (1.0, 22.0),
    "lookup": (0.15, 1.5),
    "baseline": (1.0, 600.0),
}


def cost(step: str, triples: int) -> float:
    fixed, per_million = COST[step]
    return fixed + per_million * triples / 1e6


def baseline_runs(triples: int, runs: int) -> int:
    """How many times the plain rdflib script runs at a size (once at 1M; never above)."""
    if triples > 1_000_000:
        return 0
    return 1 if triples >= 1_000_000 else runs


def planned(triples: int, runs: int) -> float:
    """The whole cost of a size (see COST), for the progress line's total."""
    return (
        cost("generate", triples)
        + runs * cost("build", triples)
        + runs * len(LOOKUPS) * cost("lookup", triples)
        + baseline_runs(triples, runs) * cost("baseline", triples)
    )


def run(cmd: list[str]) -> tuple[float, int, str]:
    """Run a command; return wall seconds, peak RSS in MiB, and its output."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode("utf-8", "replace") if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out[-2000:]}")
    return seconds, usage.ru_maxrss // 1024, out


def med(xs: list[float]) -> str:
    return f"{statistics.median(xs):.3f} ({min(xs):.3f}–{max(xs):.3f})"


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bench(
    label: str, triples: int, runs: int, out: Path, progress: Progress
) -> list[tuple[str, str]]:
    def doing(what: str) -> None:
        progress.update(progress.done, f"[{label}] {what}")

    def did(kind: str) -> None:
        progress.advance(cost(kind, triples))

    data = out / f"data-{label}"
    shutil.rmtree(data, ignore_errors=True)
    doing("generating facts")
    counts = generate(triples, data)
    did("generate")
    kg = [sys.executable, "-m", "kg"]
    build_cmd = [
        *kg,
        "build",
        "--facts",
        str(data / "facts"),
        "--out",
        str(data / "build"),
        "--sources",
        str(data / "sources"),
        "--timings",
    ]
    totals, peaks, stages = [], [], {}
    built = ""
    for i in range(runs):
        doing(f"kg build {i + 1}/{runs}")
        shutil.rmtree(data / "build", ignore_errors=True)
        seconds, peak, built = run(build_cmd)
        did("build")
        totals.append(seconds)
        peaks.append(peak)
        for name, secs in re.findall(r"^  (\S.*?)\s+([\d.]+) s$", built, re.M):
            stages.setdefault(name, []).append(float(secs))
    n_triples = int(re.search(r": (\d+) triples", built).group(1))  # type: ignore[union-attr]
    store = (data / "build" / "store").resolve()
    rows = [
        ("facts", f"{counts['meetings']} meetings, {counts['people']} people"),
        ("triples", f"{n_triples:,}"),
        ("kg build, whole process (s)", med(totals)),
        ("kg build peak memory (MiB)", str(max(peaks))),
        ("store on disk (MiB)", f"{dir_size(store) / 2**20:.1f}"),
    ]
    rows += [(f"  stage: {k} (s)", med(v)) for k, v in stages.items() if k != "total"]
    commands = {name: make(store, data) for name, make in LOOKUPS.items()}
    who_met_time = None
    for name, args in commands.items():
        times = []
        for i in range(runs):
            doing(f"{name} {i + 1}/{runs}")
            times.append(run(kg + args)[0])
            did("lookup")
        rows.append((f"{name} (s)", med(times)))
        if name == "kg who-met --person":
            who_met_time = statistics.median(times)
    base_runs = baseline_runs(triples, runs)
    if base_runs:
        iri = "https://w3id.org/kg/id/person/person-1"
        base = []
        for i in range(base_runs):
            doing(f"plain rdflib baseline {i + 1}/{base_runs}")
            base.append(
                run(
                    [
                        sys.executable,
                        "-c",
                        BASELINE,
                        str(data / "build" / "kg.ttl"),
                        str(expanded_query(data / "who-met.rq")),
                        iri,
                    ]
                )
            )
            did("baseline")
        secs = [b[0] for b in base]
        rows.append(("rdflib: parse kg.ttl + who-met --person (s)", med(secs)))
        rows.append(("rdflib peak memory (MiB)", str(max(b[1] for b in base))))
        if who_met_time:
            rows.append(
                ("kg faster than plain rdflib (×)", f"{statistics.median(secs) / who_met_time:.0f}")
            )
    return rows


def write_table(results: dict[str, dict[str, str]], runs: int, out: Path) -> str:
    """Write (and return) the Markdown table of what has been measured so far."""
    labels = list(results)
    keys = list(dict.fromkeys(k for r in results.values() for k in r))
    lines = [f"| measure | {' | '.join(labels)} |", "| --- |" + " --- |" * len(labels)]
    lines += [
        f"| {k} | " + " | ".join(results[lb].get(k, "") for lb in labels) + " |" for k in keys
    ]
    text = (
        f"Medians of {runs} runs (min–max); 2-core machine; "
        f"python {sys.version.split()[0]}.\n\n" + "\n".join(lines) + "\n"
    )
    (out / "results.md").write_text(text, encoding="utf-8")
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10k,100k,1M")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "bench")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    labels = [s.strip() for s in args.sizes.split(",")]
    unknown = [lb for lb in labels if lb not in SIZES]
    if unknown:
        ap.error(f"unknown size {unknown[0]!r} (sizes: {', '.join(SIZES)})")
    # Progress and the time left on a terminal (stderr); nothing when piped.
    progress = Progress(sum(planned(SIZES[lb], args.runs) for lb in labels), "scale.py")
    results: dict[str, dict[str, str]] = {}
    text = ""
    try:
        for label in labels:
            results[label] = dict(bench(label, SIZES[label], args.runs, args.out, progress))
            # Written after each size, so a long run keeps what it has measured.
            text = write_table(results, args.runs, args.out)
    finally:
        progress.close()
    print(text)


if __name__ == "__main__":
    main()
