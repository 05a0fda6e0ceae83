"""Measure cold whole-process times of kg lookups on a built graph, against plain rdflib.

Usage: python benchmarks/cli_speed.py [--runs N] [--store build/store] [--turtle build/kg.ttl]

Each command runs N times as a fresh process; the table shows the median, min and max
wall-clock seconds. The baseline is what a user of the bare libraries would write: a
Python process that parses build/kg.ttl with rdflib and runs the same named query
(bindings through rdflib's initBindings). Nothing here is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = [
    ["--help"],
    ["show", "muttaqi"],
    ["who-met", "--person", "muttaqi"],
    ["who-met", "--topic", "energy"],
    ["roles", "--on", "2022-08-20"],
    ["timeline", "muttaqi"],
    ["path", "muttaqi", "Saif al-Adel"],
    ["stats"],
]

BASELINE = """
import sys, rdflib
from rdflib import URIRef
g = rdflib.Graph().parse(sys.argv[1])
q = open(sys.argv[2]).read()
any_ = URIRef("https://w3id.org/kg/ont#Any")
b = {"person": URIRef("https://w3id.org/kg/id/person/amir-khan-muttaqi"), "with": any_,
     "topic": any_, "from": rdflib.Literal("0001-01-01", datatype=rdflib.XSD.date),
     "to": rdflib.Literal("9999-12-31", datatype=rdflib.XSD.date)}
rows = list(g.query(q, initBindings=b))
print(len(rows))
"""


def timed(cmd: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(
            cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
        )
        times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--store", default="build/store")
    ap.add_argument("--turtle", default="build/kg.ttl")
    args = ap.parse_args()
    kg = [sys.executable, "-m", "kg", "--store", args.store]
    rows = []
    for cmd in COMMANDS:
        t = timed(kg + cmd, args.runs)
        rows.append(("kg " + " ".join(cmd), t))
    # who-met as kg runs it, its fragments expanded (plain SPARQL that rdflib reads).
    sys.path.insert(0, str(ROOT))
    from kg.query import load_query

    with tempfile.TemporaryDirectory() as tmp:
        query = Path(tmp) / "who-met.rq"
        query.write_text(load_query("who-met").text, encoding="utf-8")
        base = timed([sys.executable, "-c", BASELINE, args.turtle, str(query)], args.runs)
    rows.append(("rdflib: parse kg.ttl + who-met --person", base))
    print(f"{'command':<46} {'median':>7} {'min':>7} {'max':>7}   (s, {args.runs} runs)")
    for name, t in rows:
        print(f"{name:<46} {statistics.median(t):7.3f} {min(t):7.3f} {max(t):7.3f}")
    ours = statistics.median(rows[2][1])
    print(
        f"\nwho-met --person: kg {ours:.3f} s vs plain rdflib {statistics.median(base):.3f} s "
        f"= {statistics.median(base) / ours:.1f}x"
    )
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom kg.cli import main\ntry:\n main(['--help'])\n"
            "except SystemExit:\n pass\nprint([m for m in ('rdflib','networkx','pyvis','pyshacl')"
            " if m in sys.modules])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"heavy modules imported by `kg --help`: {probe.stdout.strip().splitlines()[-1]}")


if __name__ == "__main__":
    main()
