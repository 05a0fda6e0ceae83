"""Time lookups as whole `kg` processes from two (or more) kg source trees, on the same stores.

Usage: python benchmarks/versus.py --tree before=DIR --tree after=. \\
           --where "embedded=--store build/store" \\
           --where "oxigraph=--endpoint http://127.0.0.1:7878/query --graph IRI" \\
           --lookup "topic page=who-met --topic energy --limit 50" [--runs 3] [--slow 10]
           [--out DIR]

A tree is a folder holding a `kg` package (`git archive COMMIT kg | tar -x -C DIR` makes
one of a commit): each lookup runs as `python -m kg WHERE LOOKUP --format json` with that
folder first on the path, so the trees are timed against the very same build and servers
(engines.py pushes afresh for each run of its own code). Each lookup runs once untimed (the
server has planned its queries, the store's files are in the page cache), then --runs
times: the median wall time (min–max) and the median CPU time of the kg process (user+sys:
a server's own CPU is not in it); one timed run when the first takes over --slow seconds.
The table says whether every tree's JSON answer is the same, and the load average after
each row (other work on the machine slows the wall times, not the CPU). Answers go in
--out (default build/bench-versus) for a diff. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path


def pairs(values: list[str], what: str) -> dict[str, str]:
    found = {}
    for v in values:
        name, sep, rest = v.partition("=")
        if not sep or not name:
            raise SystemExit(f"{what} {v!r}: give NAME=VALUE")
        found[name] = rest
    return found


def timed(tree: Path, cmd: list[str]) -> tuple[float, float, bytes]:
    """Run cmd with tree first on the path; its wall time, CPU time and stdout."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} in {tree} failed: {proc.stderr.decode()[-500:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tree", action="append", required=True, help="NAME=DIR of a kg package")
    ap.add_argument("--where", action="append", required=True, help="NAME=kg's store options")
    ap.add_argument("--lookup", action="append", required=True, help="TITLE=kg's arguments")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--slow", type=float, default=10.0)
    ap.add_argument("--out", type=Path, default=Path("build/bench-versus"))
    args = ap.parse_args()
    trees = {n: Path(d).resolve() for n, d in pairs(args.tree, "--tree").items()}
    wheres, lookups = pairs(args.where, "--where"), pairs(args.lookup, "--lookup")
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"| lookup | where | {' | '.join(trees)} | JSON | load |")
    print(f"| --- | --- | {' | '.join('---' for _ in trees)} | --- | --- |")
    for title, lookup in lookups.items():
        for where, options in wheres.items():
            cells, answers = [], set()
            for name, tree in trees.items():
                cmd = [sys.executable, "-m", "kg", *shlex.split(options), *shlex.split(lookup),
                       "--format", "json"]  # fmt: skip
                timed(tree, cmd)  # untimed round
                walls, cpus = [], []
                for _ in range(args.runs):
                    wall, cpu, out = timed(tree, cmd)
                    walls.append(wall)
                    cpus.append(cpu)
                    if wall > args.slow:
                        break
                answers.add(out)
                safe = "".join(c if c.isalnum() else "-" for c in f"{title}-{where}-{name}")
                (args.out / f"{safe}.json").write_bytes(out)
                cells.append(f"{statistics.median(walls):.3f} ({min(walls):.3f}–{max(walls):.3f}; "
                             f"cpu {statistics.median(cpus):.2f})")  # fmt: skip
            same = "same" if len(answers) == 1 else "DIFFERENT"
            load = f"{os.getloadavg()[0]:.2f}"
            print(f"| {title} | {where} | {' | '.join(cells)} | {same} | {load} |", flush=True)


if __name__ == "__main__":
    main()
