"""A full `kg build` next to the bulk-load limit, in one run: wall, CPU and peak memory.

Usage: python benchmarks/build_memory.py DATA_DIR [--kg CHECKOUT ...] [--memory SIZE]
       [--no-limit] [--keep]

DATA_DIR holds facts/ and sources/ (benchmarks/generate.py makes them). For each kg
checkout (default: this one) it runs `python -m kg build --full --timings` into a fresh
folder under DATA_DIR, then loads the kg.ttl that build wrote (the same triples) with
`oxigraph load` (the limit: Oxigraph's own bulk loader, no checks, no Turtle, no
aggregates). Each line: wall seconds, CPU seconds (user+sys of the process and its
children), the largest resident set of any one process (ru_maxrss), and the peak of the
proportional set size summed over the process tree (sampled every 0.2 s: the conversion
workers are separate processes, sharing the parent's pages), with the load average when
it started. It prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tree(pid: int) -> list[int]:
    """pid and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def _pss(pid: int) -> int:
    """Proportional resident bytes of a process (0 if gone): pages shared with the
    forked conversion workers count once over the tree, not once in each."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:
    """Run cmd; its wall and CPU seconds, ru_maxrss and the sampled peak of its tree."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, sum(_pss(p) for p in _tree(proc.pid)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    return {
        "wall": time.perf_counter() - t0,
        "cpu": usage.ru_utime + usage.ru_stime,
        "maxrss": usage.ru_maxrss * 1024,
        "tree": peak,
        "load": load,
        "rc": proc.returncode,
        "out": out.decode("utf-8", "replace"),
    }


def _gib(n: float) -> str:
    return f"{n / (1 << 30):5.2f}"


def _line(what: str, m: dict) -> str:
    return (
        f"{what:<34} {m['wall']:8.1f} s wall {m['cpu']:8.1f} s cpu  maxrss {_gib(m['maxrss'])} "
        f"GiB  tree {_gib(m['tree'])} GiB  load {m['load']:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--kg", type=Path, action="append", help="a kg checkout (default: this)")
    ap.add_argument("--memory", help="kg build --memory (default: kg's)")
    ap.add_argument("--no-limit", action="store_true", help="skip oxigraph load")
    ap.add_argument("--keep", action="store_true", help="keep the build folders")
    args = ap.parse_args()
    checkouts = args.kg or [ROOT]
    facts, sources = args.data / "facts", args.data / "sources"
    for n, checkout in enumerate(checkouts):
        out = args.data / f"build-bench-{n}"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "kg", "build", "--full", "--timings"]
        cmd += ["--facts", str(facts), "--sources", str(sources), "--out", str(out)]
        if args.memory:
            cmd += ["--memory", args.memory]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        m = measure(cmd, env, checkout)
        if m["rc"] != 0:
            print(m["out"][-3000:])
            raise SystemExit(f"kg build ({checkout}) failed: exit {m['rc']}")
        triples = next(
            (line.split(": ")[-1] for line in m["out"].splitlines() if "triples" in line), "?"
        )
        print(_line(f"kg build {checkout.name} ({triples})", m), flush=True)
        for line in m["out"].splitlines():
            if line.startswith("  ") and line.rstrip().endswith(" s"):
                print("   ", line.strip())
        if not args.no_limit and shutil.which("oxigraph"):
            location = args.data / f"limit-store-{n}"
            shutil.rmtree(location, ignore_errors=True)
            ttl = (out / "kg.ttl").resolve()
            lim = measure(["oxigraph", "load", "--location", str(location), "--file", str(ttl)])
            shutil.rmtree(location, ignore_errors=True)
            print(_line("oxigraph load of its kg.ttl", lim), flush=True)
            print(f"    kg build / limit: {m['wall'] / lim['wall']:.1f}x wall, "
                  f"{m['cpu'] / lim['cpu']:.1f}x cpu", flush=True)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
