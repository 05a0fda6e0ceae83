"""What lets a full build's memory be bounded by a setting rather than by the graph.

A full build keeps the graph on disk (the store it publishes, loaded in bulk from N-Triples
written to a spool file), sorts the N-Triples for the Turtle with an external sort whose
buffer is the memory setting, and streams the sorted lines through pyoxigraph's Turtle
writer into kg.ttl. Nothing here holds more than the setting (plus fixed buffers) of the
graph at a time.
"""

from __future__ import annotations

import heapq
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

# The setting: `kg build --memory SIZE`, else $KG_BUILD_MEMORY, else default_memory().
MEMORY_ENV = "KG_BUILD_MEMORY"
LEAST_DEFAULT = 1 << 30
LEAST_MEMORY = 64 << 20  # below this the sort and the batches would spend their time in I/O
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_memory(text: str) -> int:
    """Bytes of a size such as 512M, 1.5G, 2GiB or 800000000; raise ValueError saying what
    a size looks like (kg build turns it into a usage error naming the option)."""
    m = _SIZE.fullmatch(text)
    if m is None:
        raise ValueError(f"{text!r} is not a size: give e.g. 512M, 1.5G or 2G (bytes: K, M, G)")
    size = int(float(m[1]) * _UNITS[m[2].lower()])
    if size < LEAST_MEMORY:
        raise ValueError(f"{text!r} is too little: a build needs at least 64M")
    return size


def default_memory() -> int:
    """A quarter of the machine's memory, at least 1 GiB: graphs up to about a third of
    that in N-Triples are built in memory, as fast as can be (queries on the store on
    disk took 4 to 10 times the CPU: the validation and aggregates of a 5M-triple graph
    ran for tens of minutes), bigger ones on disk (6 GiB on a 24 GiB machine: 5M triples
    in memory, 20M on disk)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return LEAST_DEFAULT
    return max(LEAST_DEFAULT, total // 4)


def memory_setting(given: str | None = None) -> int:
    """The memory setting: given (the option), else $KG_BUILD_MEMORY, else
    default_memory()."""
    if given is not None:
        return parse_memory(given)
    env = os.environ.get(MEMORY_ENV)
    if env:
        try:
            return parse_memory(env)
        except ValueError as exc:
            raise ValueError(f"${MEMORY_ENV}: {exc}") from None
    return default_memory()


def _gnu_sort() -> str | None:
    """GNU sort, whose -S bounds its buffer and which sorts on both cores (else None)."""
    path = shutil.which("sort")
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--version"], capture_output=True, check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if b"GNU" in out.stdout else None


def sort_lines(src: Path, dst: Path, memory: int, tmp: Path, tool: bool = True) -> None:
    """Write src's lines sorted as bytes (what sorted() of Python bytes does) into dst,
    holding about `memory` bytes of them at a time; empty lines go.

    tool: use GNU sort when there is one (LC_ALL=C: byte order, as Python's), else sort
    runs of the lines in Python and merge them.
    """
    sort = _gnu_sort() if tool else None
    if sort is not None:
        env = {**os.environ, "LC_ALL": "C"}
        cmd = [sort, "-S", f"{max(memory // 1024, 1)}K", "-T", str(tmp), "--parallel=2"]
        done = subprocess.run(
            [*cmd, "-o", str(dst), str(src)], env=env, capture_output=True, check=False
        )
        if done.returncode != 0:
            raise OSError(f"sort failed: {done.stderr.decode('utf-8', 'replace').strip()}")
        return  # an empty line it keeps is nothing to the N-Triples parser after it
    with open(dst, "wb") as out:
        out.writelines(line + b"\n" for line in merged_runs(src, memory, tmp))


def merged_runs(src: Path, memory: int, tmp: Path) -> Iterator[bytes]:
    """src's non-empty lines (without their line ends) in byte order: runs of about
    `memory` bytes sorted in memory and written to tmp, then merged."""
    runs: list[Path] = []
    folder = Path(tempfile.mkdtemp(prefix="runs-", dir=tmp))
    try:
        with open(src, "rb") as fh:
            while True:
                # A list of bytes costs about twice its text in Python objects.
                lines = fh.readlines(max(memory // 2, 1))
                if not lines:
                    break
                run = sorted(line.rstrip(b"\n") for line in lines)
                del lines
                path = folder / f"{len(runs)}"
                with open(path, "wb") as out:
                    out.writelines(line + b"\n" for line in run if line)
                del run
                runs.append(path)
        files = [open(path, "rb") for path in runs]  # noqa: SIM115 (closed below)
        try:
            yield from heapq.merge(*((line.rstrip(b"\n") for line in f) for f in files))
        finally:
            for f in files:
                f.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def subjects_of(sorted_nt: Path) -> list[bytes]:
    """The distinct subjects of sorted N-Triples lines (N-Triples form, in order)."""
    subjects: list[bytes] = []
    last = b""
    with open(sorted_nt, "rb") as fh:
        for line in fh:
            subject = line[: line.find(b" ")]
            if subject != last and line.strip():
                subjects.append(subject)
                last = subject
    return subjects


def write_turtle(sorted_nt: Path, out: Path, prefixes: dict[str, str]) -> None:
    """Serialise sorted N-Triples as Turtle into out, streaming: pyoxigraph writes the
    triples in the order given, so subjects group the same way as serialize() does."""
    import pyoxigraph as ox

    triples = ox.parse(path=str(sorted_nt), format=ox.RdfFormat.N_TRIPLES)
    ox.serialize(triples, str(out), ox.RdfFormat.TURTLE, prefixes=prefixes)


_BLOCK = re.compile(rb"\n[^\t]")  # a line that does not go on the block before it


def block_starts(path: Path, prefixes: int, chunk: int = 1 << 24) -> tuple[int, list[int], int]:
    """Where the header of prefix lines ends, where each block after it starts, and the
    size of a Turtle file (what kg.incremental.index_turtle finds in bytes), reading it a
    chunk at a time."""
    starts: list[int] = []
    with open(path, "rb") as fh:
        header = 0
        for _ in range(prefixes):
            header += len(fh.readline())
        starts.append(header)
        base, carry = header, b""
        while True:
            data = fh.read(chunk)
            if not data:
                break
            buf = carry + data
            # A match is a newline and the byte after it: one ending the buffer is found
            # with the next chunk, so its last byte is carried over, unless a match took
            # it (matches do not overlap, as in one pass over the whole file).
            end = 0
            for m in _BLOCK.finditer(buf):
                starts.append(base - len(carry) + m.start() + 1)
                end = m.end()
            base += len(data)
            carry = buf[-1:] if end < len(buf) else b""
    return header, starts, base


def concat(paths: Iterable[Path], out: Path) -> None:
    """Append the files into out, in order."""
    with open(out, "ab") as dst:
        for path in paths:
            with open(path, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)


def chunks(path: Path, size: int) -> Iterator[bytes]:
    """The file's bytes in pieces of about `size` bytes, each ending at a line end."""
    with open(path, "rb") as fh:
        while True:
            piece = fh.read(size)
            if not piece:
                return
            rest = fh.readline()  # to the end of the line it stopped in
            yield piece + rest


def load_bulk(store: object, path: Path, memory: int) -> None:
    """Bulk-load an N-Triples file into a store a piece at a time: pyoxigraph's bulk loader
    holds about LOADER_FACTOR times the text it is given (a million-triple file at once took
    0.85 GB), so each piece is the memory setting / LOADER_FACTOR, and at most PIECE_MOST
    (bigger pieces gain nothing: the loader works in batches of its own)."""
    import pyoxigraph as ox

    assert isinstance(store, ox.Store)
    size = min(max(memory // LOADER_FACTOR, 1 << 20), PIECE_MOST)
    for piece in chunks(path, size):
        store.bulk_load(piece, ox.RdfFormat.N_TRIPLES)


LOADER_FACTOR = 6
PIECE_MOST = 96 << 20
# An in-memory pyoxigraph store took 342 bytes a triple at a million triples, about twice
# the triples' N-Triples: a graph whose N-Triples times this fits the memory setting is
# worked on in memory (queries on the store on disk took 2.5-4 times the CPU), else on disk.
IN_MEMORY_FACTOR = 3


def fits_in_memory(ntriples_bytes: int, memory: int) -> bool:
    """Whether a graph of this much N-Triples is held in memory while it is built."""
    return ntriples_bytes * IN_MEMORY_FACTOR <= memory
