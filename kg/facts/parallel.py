"""Reading and checking facts files on several cores: forked workers, each reading and
checking its share of the files, this process registering every record and running the
checks across records between them.

The problems said are those of check_facts alone, the same ones (the caller sorts them):
- each worker reads its files (YAML a record at a time, as check_facts does) but
  registers none of their records: it sends their kind, id, lines (and a source's
  `file`), and this process registers them all in file order, so a duplicate id names the
  first in the same order as one process reading every file would;
- each worker is sent every registered record as the checks of others read it (kind,
  file, line, a source's `file`) and checks its own that were registered; a source's own
  problems (its file not found, not text...) are said by whichever worker reads it first,
  so they come back by source and are said once;
- the checked records come back frozen (Record.freeze: the values others read, the rest
  pickled), with what each file's check read of the others (for the build's memo); the
  `same:` comparisons, which read other records' checked values, run here after.
The workers' parsed records never reach this process: what does is a few values and
lines a record, and a pickle of the rest.
"""

from __future__ import annotations

import contextlib
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.diagnostics import Diagnostic
from kg.facts.yamlload import LDict

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from kg.facts.check import _Checker
    from kg.facts.records import Record

# Below this many bytes of facts, forking costs more than a second core saves (the
# shipped facts: one process).
PARALLEL_BYTES = 1 << 20

Shell = tuple[str, str, int, int, Any, int]  # kind, id, line, id's line, `file`, its line


def shares(files: list[Path], workers: int) -> list[list[int]]:
    """The files (their indexes) in `workers` runs of about the same bytes, in order."""
    sizes = [max(p.stat().st_size, 1) for p in files]
    total, acc = sum(sizes), 0
    out: list[list[int]] = []
    run: list[int] = []
    for i, size in enumerate(sizes):
        run.append(i)
        acc += size
        if acc >= total * (len(out) + 1) / workers and len(out) < workers - 1:
            out.append(run)
            run = []
    out.append(run)
    return [r for r in out if r]


def check_parallel(checker: _Checker, files: list[Path], rels: list[str], workers: int) -> bool:
    """Read and check the files with `workers` forked processes, leaving the checker as
    check_all leaves it; False (the checker untouched) if a worker could not be started
    or failed, and the caller reads them in turn."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        return False
    ctx = mp.get_context("fork")
    runs = shares(files, workers)
    if len(runs) < 2:
        return False
    procs, conns = [], []
    try:
        for run in runs:
            mine, theirs = ctx.Pipe()
            share = [(files[i], rels[i]) for i in run]
            proc = ctx.Process(target=_worker, args=(checker, share, theirs), daemon=True)
            proc.start()
            theirs.close()
            procs.append(proc)
            conns.append(mine)
        return _lead(checker, runs, rels, conns)
    except (OSError, EOFError, _WorkerFailed):
        return False
    finally:
        for conn in conns:
            conn.close()
        for proc in procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join()


class _WorkerFailed(Exception):
    pass


def _recv(conn: Connection) -> Any:
    kind, data = conn.recv()
    if kind == "failed":
        raise _WorkerFailed(data)
    return data


def _lead(checker: _Checker, runs: list[list[int]], rels: list[str], conns: list[Any]) -> bool:
    from kg.facts.records import Record

    # 1. Every file's reading: its problems, default source and records, in file order.
    read = [_recv(conn) for conn in conns]
    problems: list[Diagnostic] = []
    for got in read:
        for rel, said, default, shells in got:
            problems += said
            if default is not ...:
                checker.defaults[rel] = default
            before = len(checker.problems)
            for kind, rid, line, id_line, src, src_line in shells:
                raw = LDict()
                raw.line, raw.lines = line, {"id": id_line}
                if src is not ...:
                    raw["file"], raw.lines["file"] = src, src_line
                checker.register(Record(kind, rid, rel, line, raw), id_line)
            if said or len(checker.problems) != before:
                checker.uncacheable.add(rel)  # (as read_file: reading it said something)
    # 2. The registered records, as the workers' checks read them; their checks back.
    registry = [
        (r.id, r.kind, r.file, r.line, r.raw.lines["id"], r.raw.get("file", ...),
         r.raw.lines.get("file", 0))
        for r in checker.records.values()
    ]  # fmt: skip
    for conn in conns:
        conn.send(registry)
    sources: dict[str, list[Diagnostic]] = {}
    for conn in conns:
        said, by_source, probes, deps, own, uncacheable, checked = _recv(conn)
        problems += said
        for sid, found in by_source.items():
            sources.setdefault(sid, found)  # (said once, by whichever read it first)
        checker.probes.update(probes)
        checker.deps.update(deps)
        checker.own.update(own)
        checker.uncacheable |= uncacheable
        for rid, values, raw, frozen in checked:
            rec = checker.records[rid]
            rec.values, rec.raw, rec.frozen = values, raw, frozen
    checker.problems += problems
    for found in sources.values():
        checker.problems += found
    # 3. What `same:` compares, now that every record has its checked values.
    for rec in checker.records.values():
        checker._begin(rec.file)
        checker.check_same(rec, checker.schema.kinds[rec.kind])
    checker.current = None
    return True


def _worker(checker: _Checker, share: list[tuple[Path, str]], conn: Connection) -> None:
    """A forked worker: read its files, then check their registered records."""
    try:
        _work(checker, share, conn)
    except BaseException:
        with contextlib.suppress(OSError):
            conn.send(("failed", traceback.format_exc()))
    finally:
        conn.close()


def _work(checker: _Checker, share: list[tuple[Path, str]], conn: Connection) -> None:
    mine: dict[str, list[Record]] = {}
    registering: list[Record] = []
    checker.register = lambda rec, id_line: registering.append(rec)  # type: ignore[method-assign]
    out = []
    for path, rel in share:
        checker.paths[rel] = path
        before = len(checker.problems)
        registering.clear()
        checker._read(path, rel)
        said = checker.problems[before:]
        del checker.problems[before:]
        shells = [
            (r.kind, r.id, r.line, r.raw.lines["id"], r.raw.get("file", ...),
             r.raw.lines.get("file", 0))
            for r in registering
        ]  # fmt: skip
        mine[rel] = list(registering)
        out.append((rel, said, checker.defaults.get(rel, ...), shells))
    conn.send(("read", out))
    registry = conn.recv()
    # The records as this process's checker holds them: its own whole (those registered),
    # the others' as the checks read them, in the order they were registered (ids_of's).
    own = {(r.file, r.id, r.line): r for recs in mine.values() for r in recs}
    records: dict[str, Record] = {}
    todo = []
    from kg.facts.records import Record

    for rid, kind, rel, line, id_line, src, src_line in registry:
        rec = own.get((rel, rid, line))
        if rec is not None:
            todo.append(rec)
        else:
            raw = LDict()
            raw.line, raw.lines = line, {"id": id_line}
            if src is not ...:
                raw["file"], raw.lines["file"] = src, src_line
            rec = Record(kind, rid, rel, line, raw)
        records[rid] = rec
    checker.records = records
    del mine, own
    # A source's own problems, by source (said by whichever worker reads it first).
    by_source: dict[str, list[Diagnostic]] = {}
    read_source = checker._read_source

    def _read_source(sid: str) -> Any:
        before = len(checker.problems)
        found = read_source(sid)
        if len(checker.problems) != before:
            by_source.setdefault(sid, []).extend(checker.problems[before:])
            del checker.problems[before:]
        return found

    checker._read_source = _read_source  # type: ignore[method-assign,assignment]
    checker._check(todo)
    checked = [(r.id, r.values, r.raw, r.frozen) for r in todo]
    files = {r.file for r in todo}
    conn.send(
        (
            "checked",
            (
                checker.problems,
                by_source,
                checker.probes,
                {rel: d for rel, d in checker.deps.items() if rel in files},
                {rel: d for rel, d in checker.own.items() if rel in files},
                checker.uncacheable,
                checked,
            ),
        )
    )
