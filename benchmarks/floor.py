"""How near the floor kg's lookups are: each one against its limit script, cold, side by side.

Usage: python benchmarks/floor.py --store BUILD [--runs 7] [--only TEXT] [--skip TEXT]
       [--site] [--kg CHECKOUT] [--person NAME] [--other NAME] [--state NAME] [--topic TOPIC]
       [--day YYYY-MM-DD]

For each lookup benchmarks/scale.py times, it runs `kg … --format json` and the limit script
answering the same question (benchmarks/limits/: the standard library and pyoxigraph, no kg)
as fresh processes, alternately, --runs times each, and prints the median wall-clock and CPU
seconds of both and their ratio, with the load average. Before timing it runs each pair once
and compares their output: a row whose answers differ is marked, since its ratio would mean
nothing. The floor is printed too: `python -c pass`, importing pyoxigraph and opening the
store, and `kg --help` (as `python -m kg` and through the installed `kg` script, when there
is one beside this Python).

The interpreter runs with -S (no site module) and site-packages on PYTHONPATH, so that a
.pth file of the machine's (this one has a sandbox's, importing certifi: 25 ms in every
process) weighs on neither side; --site runs it as installed. Bytecode is written and used
(PYTHONDONTWRITEBYTECODE is cleared), as it is for an installed kg. The names default to the
synthetic data of benchmarks/generate.py. --kg times the kg of another checkout (an older
commit's, to see what a change bought) against the same limit scripts; repeated, several
checkouts are timed in the same rounds, side by side. Nothing is asserted: it reports.
"""

from __future__ import annotations

import argparse
import os
import site
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMITS = ROOT / "benchmarks" / "limits"


def lookups(a: argparse.Namespace) -> list[tuple[str, list[str], list[str]]]:
    """(name, kg's arguments after --store, the limit script and its arguments after BUILD)."""
    page = ["--limit", "50"]
    return [
        ("show", ["show", a.person], ["show.py", a.person]),
        ("who-met --person", ["who-met", "--person", a.person], ["who_met_person.py", a.person]),
        (
            f"who-met --topic {a.topic} (first page)",
            ["who-met", "--topic", a.topic, *page],
            ["who_met_topic.py", a.topic, "50"],
        ),
        ("roles --on", ["roles", "--on", a.day, *page], ["roles_on.py", a.day, "50"]),
        ("timeline NAME", ["timeline", a.person], ["timeline.py", a.person]),
        ("path", ["path", a.person, a.other], ["path.py", a.person, a.other]),
        ("engagement", ["engagement"], ["engagement.py"]),
        ("stats", ["stats"], ["stats.py"]),
        ("rank", ["rank"], ["rank.py"]),
        ("show (a state)", ["show", a.state], ["show.py", a.state]),
        (
            "timeline (a state, first page)",
            ["timeline", a.state, *page],
            ["timeline.py", a.state, "50"],
        ),
        (
            "who-met --person (a state, first page)",
            ["who-met", "--person", a.state, *page],
            ["who_met_person.py", a.state, "50"],
        ),
        ("rank --by betweenness", ["rank", "--by", "betweenness"], ["rank.py", "betweenness"]),
        (
            "agreements --party (a state)",
            ["agreements", "--party", a.state],
            ["agreements_party.py", a.state],
        ),
        (
            "agreements --party (a state, first page)",
            ["agreements", "--party", a.state, *page],
            ["agreements_party.py", a.state, "50"],
        ),
    ]


class Checkout:
    """A kg checkout to time: the command and environment of its processes."""

    def __init__(self, root: Path, use_site: bool, label: str) -> None:
        self.root = root
        self.label = label
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        paths = [str(root)]
        self.python = [sys.executable]
        if not use_site:
            self.python.append("-S")
            paths += site.getsitepackages()
        self.env["PYTHONPATH"] = os.pathsep.join(paths)

    def proc(self, *args: str) -> Proc:
        # In the checkout: `python -m` puts the working folder first on sys.path.
        return Proc([*self.python, *args], self.env, self.root)


class Proc:
    """One command to time: its arguments, environment and working folder."""

    def __init__(self, cmd: list[str], env: dict[str, str], cwd: Path) -> None:
        self.cmd, self.env, self.cwd = cmd, env, cwd

    def run(self) -> tuple[float, float, bytes]:
        """Wall and CPU (user + system) seconds of one fresh process, and its stdout."""
        start = time.perf_counter()
        proc = subprocess.Popen(
            self.cmd, env=self.env, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        out = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status):
            raise RuntimeError(f"exit {os.waitstatus_to_exitcode(status)}: {' '.join(self.cmd)}")
        return wall, usage.ru_utime + usage.ru_stime, out


def timed(procs: list[Proc], runs: int) -> list[tuple[float, float]]:
    """Median (wall, CPU) of each command, the commands run in turn, `runs` rounds (each
    round in the other order, so that none always runs right after another)."""
    times: list[list[tuple[float, float]]] = [[] for _ in procs]
    for i in range(runs):
        order = list(range(len(procs)))[:: 1 if i % 2 == 0 else -1]
        for k in order:
            wall, cpu, _ = procs[k].run()
            times[k].append((wall, cpu))
    return [(statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for t in times]


# The floor of a lookup that asks the store: the limit scripts' module imported, the store
# opened, nothing asked.
_OPEN = (
    "import sys; sys.path.insert(0, sys.argv[1]); import common; "
    "common.open_store(common.generation(sys.argv[2]))"
)


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True, help="a build folder kg build wrote")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--only", action="append", help="only lookups whose name has this text")
    ap.add_argument("--skip", action="append", help="leave out lookups whose name has this")
    ap.add_argument("--site", action="store_true", help="run Python with its site module")
    ap.add_argument(
        "--kg",
        type=Path,
        action="append",
        help="a checkout whose kg to time (repeat it to time several side by side; default: "
        "this one)",
    )
    ap.add_argument("--person", default="Person 1 Surname1")
    ap.add_argument("--other", default="Person 2 Surname2")
    ap.add_argument("--state", default="State 1")
    ap.add_argument("--topic", default="energy")
    ap.add_argument("--day", default="2020-06-15")
    args = ap.parse_args()
    roots = [p.resolve() for p in args.kg or [ROOT]]
    labels = ["kg"] if len(roots) == 1 else [f"kg {p.name}" for p in roots]
    checkouts = [
        Checkout(root, args.site, label) for root, label in zip(roots, labels, strict=True)
    ]
    limits = Checkout(ROOT, args.site, "limit")
    store = str(Path(args.store).resolve())
    print(
        f"# {store}; kg of {', '.join(map(str, roots))}; {args.runs} runs, "
        f"{'with' if args.site else 'without'} site; load {load()}"
    )
    heads = [*(f"{c.label} (s)" for c in checkouts), "limit (s)"]
    heads += [f"{c.label} / limit" for c in checkouts]
    heads += [*(f"{c.label} CPU (s)" for c in checkouts), "limit CPU (s)", "load"]
    print("| what | " + " | ".join(heads) + " |")
    print("| --- " * (len(heads) + 1) + "|")
    blank = [""] * len(checkouts)
    floor = [
        ("python -c pass", [limits.proc("-c", "pass")]),
        ("import pyoxigraph, open the store", [limits.proc("-c", _OPEN, str(LIMITS), store)]),
        ("kg --help (python -m kg)", [c.proc("-m", "kg", "--help") for c in checkouts]),
    ]
    script = Path(sys.executable).parent / "kg"
    if script.is_file():
        floor.append(
            ("kg --help (the kg script)", [c.proc(str(script), "--help") for c in checkouts])
        )
    for name, procs in floor:
        for p in procs:
            p.run()  # bytecode written, files cached
        got = timed(procs, args.runs)
        walls = [f"{w:.3f}" for w, _ in got] + blank[len(got) :]
        cpus = [f"{c:.3f}" for _, c in got] + blank[len(got) :]
        print(
            f"| {name} | " + " | ".join([*walls, "", *blank, *cpus, "", load()]) + " |", flush=True
        )
    for name, kg_args, (limit, *limit_args) in lookups(args):
        if args.only and not any(o in name for o in args.only):
            continue
        if args.skip and any(s in name for s in args.skip):
            continue
        ours = [
            c.proc("-m", "kg", "--store", store, *kg_args, "--format", "json") for c in checkouts
        ]
        theirs = limits.proc(str(LIMITS / limit), store, *limit_args)
        answer = theirs.run()[2]
        same = all(p.run()[2] == answer for p in ours)
        got = timed([*ours, theirs], args.runs)
        (lw, lc), kgs = got[-1], got[:-1]
        cells = [f"{w:.3f}" for w, _ in kgs] + [f"{lw:.3f}"] + [f"{w / lw:.2f}" for w, _ in kgs]
        cells += [f"{c:.3f}" for _, c in kgs] + [f"{lc:.3f}", load()]
        mark = "" if same else " (ANSWERS DIFFER)"
        print(f"| {name}{mark} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
