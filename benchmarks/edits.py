"""One-record edits after a full build: how long each incremental `kg build` takes.

Usage: python benchmarks/edits.py TRIPLES FILES DIR [--kg CHECKOUT] [--values N]

Writes fresh synthetic facts (benchmarks/generate.py) of about TRIPLES triples in FILES
files under DIR (which must not exist), builds them in full, then makes one edit at a time
and runs `python -m kg build --timings` after each (CHECKOUT's kg, default this one):
N value edits (a meeting renamed), add (a meeting inserted at the top of a file's events,
so every later record of that file moves down), delete and rename (a meeting nothing else
names), move (such a meeting to the next file). One line each: wall and CPU seconds
(user+sys, children included), peak resident memory, the load average at the start,
whether the build patched the live store, and the stages --timings printed. It prints
figures and asserts nothing. Each edit writes a new file and renames it over the old one,
as an editor would.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = re.compile(r"^  ([a-zA-Z][a-zA-Z ()]*[a-zA-Z)]) +([0-9.]+) s$")


def _path(facts: Path, k: int) -> Path:
    return facts / f"synthetic-{k:03d}.yaml"


def _write(p: Path, text: str) -> None:
    tmp = p.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)


def _unreferenced(facts: Path, k: int) -> str:
    every = "".join(p.read_text(encoding="utf-8") for p in facts.iterdir())
    for rid in re.findall(r"  - id: (meeting-[\w-]+)\n", _path(facts, k).read_text()):
        if len(re.findall(re.escape(rid) + r"(?![\w-])", every)) == 1:
            return rid
    raise SystemExit(f"{_path(facts, k)}: no meeting that nothing else names")


def _cut(facts: Path, k: int, rid: str) -> str:
    lines = _path(facts, k).read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index(f"  - id: {rid}\n")
    end = start + 1
    while end < len(lines) and lines[end].startswith("    "):
        end += 1
    _write(_path(facts, k), "".join(lines[:start] + lines[end:]))
    return "".join(lines[start:end])


def edit(facts: Path, kind: str, n: int, count: int) -> None:
    """Make one edit of `kind` in file n (see the module's docstring)."""
    text = _path(facts, n).read_text(encoding="utf-8")
    if kind == "value":
        m = re.search(r"    name: (Meeting [^\n]*)\n", text)
        if m is None:
            raise SystemExit(f"{_path(facts, n)}: no meeting name to edit")
        _write(_path(facts, n), text.replace(m[0], f"    name: {m[1]} x\n", 1))
    elif kind == "add":
        people = re.findall(r"person-\d+", text)[:2]
        rec = (
            f"  - id: meeting-added-{count}\n    type: meeting\n"
            f"    name: Added meeting {count}\n    date: 2020-02-02\n    sides:\n"
            f"      state-0: [{people[0]}]\n      state-1: [{people[1]}]\n"
            f"    topics: [oil]\n    evidence: [5]\n"
        )
        _write(_path(facts, n), text.replace("events:\n", "events:\n" + rec, 1))
    elif kind == "delete":
        _cut(facts, n, _unreferenced(facts, n))
    elif kind == "rename":
        rid = _unreferenced(facts, n)
        _write(_path(facts, n), text.replace(f"  - id: {rid}\n", f"  - id: {rid}-r\n", 1))
    elif kind == "move":
        rec = _cut(facts, n, _unreferenced(facts, n))
        other = _path(facts, n + 1).read_text(encoding="utf-8")
        _write(_path(facts, n + 1), other.replace("events:\n", "events:\n" + rec, 1))
    else:
        raise ValueError(kind)


def build(data: Path, code: Path, full: bool) -> str:
    """Run one build; return its line of figures."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(code)}
    cmd = [sys.executable, "-m", "kg", "build", "--timings"] + (["--full"] if full else [])
    run = subprocess.run(cmd, cwd=data, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if run.returncode != 0:
        raise SystemExit(f"kg build failed ({run.returncode}):\n{run.stderr}")
    out = run.stdout + run.stderr
    stages = [f"{m[1]} {float(m[2]):.2f}" for line in out.splitlines() if (m := STAGE.match(line))]
    how = "patched" if "patched a copy" in out else "in memory"
    # ru_maxrss of the children is the largest any one child reached so far, in KiB.
    return (
        f"wall {wall:6.2f} s  cpu {cpu:6.2f} s  peak {after.ru_maxrss / 1024:5.0f} MiB"
        f"  load {load:4.1f}  {how:9}  | " + "; ".join(s for s in stages if s[-4:] != "0.00")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("triples", type=int)
    ap.add_argument("files", type=int)
    ap.add_argument("dir", type=Path)
    ap.add_argument("--kg", type=Path, default=ROOT, help="the checkout whose kg to time")
    ap.add_argument("--values", type=int, default=3, help="how many value edits")
    args = ap.parse_args()
    if args.files < 7:
        raise SystemExit("FILES must be at least 7 (the edits use files 5 and 6)")
    if args.dir.exists():
        raise SystemExit(f"{args.dir} exists: give a new folder")
    gen = [sys.executable, str(ROOT / "benchmarks" / "generate.py")]
    subprocess.run(
        [*gen, str(args.triples), str(args.dir), str(args.files)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    facts = args.dir / "facts"
    print(f"{'full':8} {build(args.dir, args.kg.resolve(), full=True)}", flush=True)
    for i, kind in enumerate(["value"] * args.values + ["add", "delete", "rename", "move"]):
        edit(facts, kind, 5, i)
        print(f"{kind:8} {build(args.dir, args.kg.resolve(), full=False)}", flush=True)


if __name__ == "__main__":
    main()
