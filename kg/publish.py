"""Publishing a build atomically: the build lock, a staging folder, the generation switch.

Each build's outputs live in build/gen-<hash>/ (kg.ttl, store/ and the sidecar NAME.json
files), made in a staging folder first. One symlink, build/current, names the live
generation, and replacing it is a single atomic rename; build/kg.ttl and build/store are
fixed links through it. A build killed at any point leaves the previous generation live and
intact; a build that fails publishes nothing. Readers see the old outputs or the new ones,
never a mix.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import itertools
import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.errors import KgError

if TYPE_CHECKING:
    from kg.incremental import TurtleIndex

STORE_LINK = "store"  # build/store -> current/store -> gen-<hash>/store


class BuildBusy(KgError):
    """Another build holds the lock on the build folder."""


MARKER = ".kg-build"  # in every folder kg build writes: what it may replace or delete
# What kg build itself makes in its folder: a folder without the marker but holding only
# these (a build by an older kg) is adopted; anything else there is someone else's.
_OURS = (
    "kg.ttl",
    STORE_LINK,
    "current",
    ".lock",
    "gen-*",
    "store-*",
    ".staging-*",
    ".trash-*",
    ".*.link",
    ".cache",
)


class BuildFolderError(KgError):
    """The --out folder is not one kg build may write: a file, someone else's, unwritable."""

    exit_code = 2


def _claim(build_dir: Path) -> None:
    """Make build_dir a kg build folder (marked), or refuse it with one line.

    A build replaces and deletes what is in its folder, so it only ever writes into a new
    or empty folder, or one a kg build made (the marker says so): never `--out /` or a
    folder of someone's files.
    """
    if build_dir.exists() or build_dir.is_symlink():
        if not build_dir.is_dir():
            raise BuildFolderError(f"--out {build_dir} is not a folder")
        if not (build_dir / MARKER).is_file():
            try:
                foreign = sorted(
                    p.name
                    for p in build_dir.iterdir()
                    if not any(p.match(pattern) for pattern in _OURS)
                )
                legacy = (build_dir / ".lock").is_file()
                empty = not any(build_dir.iterdir())
            except OSError as exc:
                raise BuildFolderError(f"cannot read --out {build_dir}: {exc.strerror}") from None
            if foreign or not (legacy or empty):
                raise BuildFolderError(
                    f"--out {build_dir} is not empty and not a kg build folder (no {MARKER} "
                    f"in it; it holds {', '.join(foreign[:3]) or 'other files'}): give a new "
                    "or empty folder"
                )
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        marker = build_dir / MARKER
        if not marker.is_file():
            marker.write_text(
                "This folder is written by `kg build`, which replaces what is in it.\n",
                encoding="utf-8",
            )
    except OSError as exc:
        raise BuildFolderError(
            f"cannot write the build folder {build_dir}: {exc.strerror or exc}"
        ) from None


@contextlib.contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the build folder, refusing if another build holds it."""
    _claim(build_dir)
    try:
        fh = open(build_dir / ".lock", "a+")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise BuildFolderError(
            f"cannot write the build folder {build_dir}: {exc.strerror}"
        ) from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise BuildBusy(
                    f"another kg build is writing {build_dir}; try again when it has finished"
                ) from None
            raise
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _link(target: str, link: Path) -> None:
    """Point link at target, replacing whatever is there in one rename."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.link")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)


def new_staging(build_dir: Path) -> Path:
    """A fresh staging folder for this build's outputs (call with the lock held)."""
    # A build killed earlier may have left its staging folder; we hold the lock, so any
    # staging folder now is stale.
    for stale in build_dir.glob(".staging-*"):
        shutil.rmtree(stale, ignore_errors=True)
    # Named anew by each build of a process, not by its pid alone: RocksDB remembers the
    # path of a store it locked until the Store object is freed, so a second build in the
    # same process (kg.build from Python) reusing the path was refused ("lock hold by
    # current process") whenever the first build's store was still awaiting collection.
    staging = build_dir / f".staging-{os.getpid()}-{next(_STAGINGS)}"
    staging.mkdir(parents=True)
    return staging


_STAGINGS = itertools.count()


class _StoreWriter:
    """Writes kg.ttl (when asked) and the on-disk store from an N-Triples file, in a child
    process, while the build goes on.

    Not a thread: pyoxigraph holds the GIL while it answers a query, and its loader takes
    it back between batches, so a loading thread and the validation queries took turns on
    one core (at a million triples, validation 4.7 s alone, 10.7 s beside the thread; the
    loading 5.8 s alone). A process works on the other core: it sorts the lines and writes
    the Turtle first (the build waits for them after validation), then loads the store a
    piece at a time (kg.streaming.load_bulk), so its memory is the setting's.

    Started early (Staging.load_store, given `first`), it loads the store from the spool of
    converted facts while the conversion writes it, told how far it holds whole lines
    (grew); then it is told the whole graph's N-Triples, for kg.ttl, and the triples the
    spool did not hold (go).
    """

    def __init__(
        self,
        store: Path | None,
        ntriples: Path | None,
        memory: int,
        turtle: str | None = None,
        first: Path | None = None,
    ) -> None:
        import json
        import subprocess
        import sys
        import tempfile

        self.folder = (ntriples or first or Path(".")).parent
        # Started on `first` (see Staging.load_store): told the rest by go().
        self.early = first is not None
        # The child imports kg and pyoxigraph from where this process did.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        # Its error, if any (a pipe could fill); closed by wait() or stop().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        args = {
            "parent": os.getpid(),
            "ntriples": None if ntriples is None else str(ntriples),
            "first": None if first is None else str(first),
            "memory": memory,
            "store": None if store is None else str(store),
            "turtle": turtle,  # the id space, or None: no kg.ttl
            "index": str(self.folder / _INDEX),
        }
        code = "import sys; from kg.publish import _write_child; _write_child(sys.argv[1])"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(args)],
            env=env,
            stdin=subprocess.PIPE if self.early else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
        )

    def grew(self, size: int, done: bool) -> None:
        """Tell a writer started early that its first file holds `size` bytes of whole
        lines now (done: all it will hold)."""
        import json

        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.write(json.dumps({"upto": size, "done": done}).encode() + b"\n")
            self._proc.stdin.flush()

    def go(self, ntriples: Path, extra: Path | None) -> None:
        """Tell a writer started early (on `first`) the whole graph's N-Triples, for kg.ttl,
        and the triples the store lacks still (extra: added to it after `first`)."""
        import json

        assert self._proc.stdin is not None
        line = {"ntriples": str(ntriples), "extra": None if extra is None else str(extra)}
        # A writer that stopped already says why when it is waited for.
        try:
            with contextlib.suppress(BrokenPipeError):
                self._proc.stdin.write(json.dumps(line).encode("utf-8") + b"\n")
                self._proc.stdin.flush()
        finally:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()

    def turtle(self) -> tuple[Path, TurtleIndex | None]:
        """Wait for kg.ttl (folder/kg.ttl) and return it with its index."""
        import json

        from kg.incremental import TurtleIndex

        assert self._proc.stdout is not None
        if self._proc.stdout.readline() != b"turtle\n":
            self.wait()  # raises what stopped it
            raise OSError("writing kg.ttl failed: the writer stopped without a word")
        index = self.folder / _INDEX
        data = json.loads(index.read_bytes())
        index.unlink()
        if data is None:
            return self.folder / "kg.ttl", None
        subjects = [s.encode("utf-8") for s in data["subjects"]]
        return self.folder / "kg.ttl", TurtleIndex(
            data["header"], subjects, data["offsets"], data["size"]
        )

    def wait(self) -> None:
        """Wait for the child; raise OSError with its last words if it failed."""
        code = self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        said: list[str] = []
        if code != 0 and not self._log.closed:
            self._log.seek(0)
            said = self._log.read().decode("utf-8", "replace").strip().splitlines()[-1:]
        self._log.close()  # here: left to the collector, it warns (ResourceWarning)
        if code != 0:
            raise OSError(f"writing kg.ttl or the store failed (exit {code}): {' '.join(said)}")

    def stop(self) -> None:
        """Stop the child (a build that will not publish) and wait for it to go."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        self._log.close()


_INDEX = "kg.ttl.index.json"  # where the child leaves kg.ttl's index (read, then removed)


def _write_child(argv: str) -> None:
    """What _StoreWriter's child runs (argv: its JSON arguments)."""
    import json
    import sys

    try:  # Linux: die with the build (a killed build leaves no writer in its staging)
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:  # elsewhere, the end of the build stops it
        pass
    args = json.loads(argv)
    if os.getppid() != args["parent"]:
        sys.exit("the build is gone")
    store = extra = None
    if args["first"] is not None:
        # Started early: load the converted facts as they are written while the build
        # goes on, then hear of the whole graph (for kg.ttl) and of what the store lacks.
        import pyoxigraph

        store = pyoxigraph.Store(args["store"])
        _follow(store, Path(args["first"]), args["memory"])
        line = sys.stdin.readline()
        if not line:
            sys.exit("the build stopped")
        told = json.loads(line)
        args["ntriples"] = told["ntriples"]
        extra = None if told["extra"] is None else Path(told["extra"])
    ntriples = Path(args["ntriples"])
    if args["turtle"] is not None:
        from kg.build import serialize_file

        _, index = serialize_file(ntriples, ntriples.parent, args["turtle"], args["memory"])
        data = None
        if index is not None:
            data = {
                "header": index.header,
                "subjects": [s.decode("utf-8") for s in index.subjects],
                "offsets": index.offsets,
                "size": index.size,
            }
        Path(args["index"]).write_text(json.dumps(data), encoding="utf-8")
        sys.stdout.write("turtle\n")
        sys.stdout.flush()
    if args["store"] is not None:
        import pyoxigraph

        from kg.streaming import load_bulk

        if store is None:
            store = pyoxigraph.Store(args["store"])
            load_bulk(store, ntriples, args["memory"])
        elif extra is not None:
            load_bulk(store, extra, args["memory"])
        store.flush()


def _follow(store: object, path: Path, memory: int) -> None:
    """Bulk-load a file into the store as it is written, told on stdin how far it holds
    whole lines ({"upto": bytes, "done": whether it is whole}): in pieces of the size
    kg.streaming.load_bulk loads, each ending at a line end, the last as soon as it is
    done."""
    import json
    import sys

    import pyoxigraph as ox

    from kg.streaming import LOADER_FACTOR, PIECE_MOST

    assert isinstance(store, ox.Store)
    size = min(max(memory // LOADER_FACTOR, 1 << 20), PIECE_MOST)
    loaded = 0
    fd = os.open(path, os.O_RDONLY)
    try:
        while True:
            line = sys.stdin.readline()
            if not line:
                sys.exit("the build stopped")
            told = json.loads(line)
            upto, done = int(told["upto"]), bool(told["done"])
            while upto - loaded >= size or (done and upto > loaded):
                piece = _pread(fd, min(size, upto - loaded), loaded)
                if loaded + len(piece) < upto:
                    end = piece.rfind(b"\n") + 1
                    # (a line longer than a piece: to the end of what is written)
                    piece = piece[:end] if end else _pread(fd, upto - loaded, loaded)
                store.bulk_load(piece, ox.RdfFormat.N_TRIPLES)
                loaded += len(piece)
            if done:
                return
    finally:
        os.close(fd)


def _pread(fd: int, n: int, offset: int) -> bytes:
    """n bytes of the file from offset (fewer at its end)."""
    parts = []
    while n > 0:
        part = os.pread(fd, n, offset)
        if not part:
            break
        parts.append(part)
        n -= len(part)
        offset += len(part)
    return b"".join(parts)


class Staging:
    """The outputs of one build while it runs: made in a staging folder, then published.

    The build writes the store (folder/store), itself or by write_store, and may write
    kg.ttl there itself."""

    def __init__(self, build_dir: Path, folder: Path | None = None) -> None:
        self.build_dir = build_dir
        self.folder = folder if folder is not None else new_staging(build_dir)
        self._writer: _StoreWriter | None = None

    def load_store(self, first: Path, memory: int, turtle: str | None = None) -> None:
        """Start loading the on-disk store from an N-Triples file in the staging folder
        (`first`: a part of the graph), before the rest of it is known: write_store then
        says where the whole graph is (for kg.ttl: turtle, the id space) and what the
        store lacks. The files must stay until wait_store."""
        self._writer = _StoreWriter(self.folder / STORE_LINK, None, memory, turtle, first)

    def spool_grew(self, size: int, done: bool) -> None:
        """Tell load_store's writer that its file holds `size` bytes of whole lines now,
        to load (done: all it will hold)."""
        assert self._writer is not None
        self._writer.grew(size, done)

    def stop_writer(self) -> None:
        """Stop load_store's writer and remove what it loaded (the store is made
        otherwise)."""
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        shutil.rmtree(self.folder / STORE_LINK, ignore_errors=True)

    def write_store(
        self,
        ntriples: Path,
        memory: int,
        store: bool = True,
        turtle: str | None = None,
        extra: Path | None = None,
    ) -> None:
        """Start loading the on-disk store (unless not store) from an N-Triples file in the
        staging folder, and, given the id space (turtle), writing kg.ttl from it first (in
        a child process: see _StoreWriter; the file must stay until wait_store). After
        load_store, the writer it started is told instead: kg.ttl from ntriples, and
        extra (the triples not in its first file) added to the store."""
        if self._writer is not None and self._writer.early:
            self._writer.go(ntriples, extra)
            return
        where = self.folder / STORE_LINK if store else None
        self._writer = _StoreWriter(where, ntriples, memory, turtle)

    def turtle(self) -> tuple[Path, TurtleIndex | None]:
        """Wait for the kg.ttl write_store was asked to write; it, and its index."""
        assert self._writer is not None
        return self._writer.turtle()

    def wait_store(self) -> None:
        """Wait for write_store's store to be written (raise what stopped it)."""
        if self._writer is not None:
            self._writer.wait()

    def publish(self, turtle: bytes | Path, sidecars: Mapping[str, bytes | Path]) -> Path:
        """Wait for the store, then make kg.ttl (its bytes, or the file folder/kg.ttl
        already written), the store and the sidecars (bytes, or files written already)
        the live ones."""
        self.wait_store()
        return _write_outputs(self.build_dir, self.folder, turtle, sidecars)

    def close(self) -> None:
        """Remove the staging folder (gone already once published)."""
        if self._writer is not None:
            with contextlib.suppress(BaseException):
                self._writer.stop()  # never leave a process writing into a folder we remove
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def staged(
    build_dir: Path,
    locked: bool = False,
    folder: Path | None = None,
    staging: Staging | None = None,
) -> Iterator[Staging]:
    """Lock the build folder (unless the caller holds build_lock: locked) and stage a
    build's outputs (in folder, one new_staging made, else a new one; or in staging, one
    begun already); whatever is not published goes."""
    with contextlib.nullcontext() if locked else build_lock(build_dir):
        if staging is None:
            staging = Staging(build_dir, folder)
        try:
            yield staging
        finally:
            staging.close()


def _write_outputs(
    build_dir: Path, staging: Path, turtle: bytes | Path, sidecars: Mapping[str, bytes | Path]
) -> Path:
    """Publish kg.ttl and the store together, so readers see the old pair or the new one.

    The staging folder (its store already loaded) becomes build/gen-<hash>/, then
    build/current is switched to it. Beside kg.ttl and the store go the sidecar files
    (NAME.json: the precomputed aggregates, the meeting index).
    """
    # Every sidecar goes into the name too: the same triples under another schema (view
    # categories, say), or with aggregates or indexes another kg computes differently (a
    # new field of the meeting index), are another generation, never stale files kept.
    digest = hashlib.sha256()
    _digest(digest, turtle)
    for name, data in sorted(sidecars.items()):
        digest.update(b"\0" + name.encode("utf-8") + b"\0")
        _digest(digest, data)
    gen = build_dir / f"gen-{digest.hexdigest()[:16]}"
    if not (is_complete(gen) and _holds(gen, sidecars)):
        if isinstance(turtle, Path):
            if turtle != staging / "kg.ttl":
                shutil.copyfile(turtle, staging / "kg.ttl")
        else:
            (staging / "kg.ttl").write_bytes(turtle)
        for name, data in sorted(sidecars.items()):
            if not isinstance(data, Path):
                (staging / f"{name}.json").write_bytes(data)
            elif data != staging / f"{name}.json":
                shutil.copyfile(data, staging / f"{name}.json")
        _seal(staging)
        if gen.exists():
            # Left half-made or half-deleted (a build killed while removing it): never
            # reused; moved aside first, so the rename below cannot fail on it.
            _discard(gen, force=True)
        os.replace(staging, gen)
        _fsync(build_dir)
    _link(gen.name, build_dir / "current")
    for name in ("kg.ttl", STORE_LINK):
        link = build_dir / name
        if not (link.is_symlink() and os.readlink(link) == f"current/{name}"):
            if link.is_dir() and not link.is_symlink():
                shutil.rmtree(link)
            _link(f"current/{name}", link)
    for old in [*build_dir.glob("gen-*"), *build_dir.glob("store-*")]:
        if old != gen:
            _discard(old)
    for trash in build_dir.glob(".trash-*"):  # a build killed while deleting one
        _discard(trash)
    return build_dir / STORE_LINK


def _holds(gen: Path, sidecars: Mapping[str, bytes | Path]) -> bool:
    """Whether a whole generation's sidecar files are these (the name of a generation says
    what it should hold, this reads what it does)."""
    try:
        return all(_same(gen / f"{n}.json", data) for n, data in sidecars.items())
    except OSError:
        return False


def _digest(digest: Any, data: bytes | Path) -> None:
    """Add bytes, or a file's bytes read a block at a time, to a hash."""
    if isinstance(data, Path):
        with open(data, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    else:
        digest.update(data)


def _same(path: Path, data: bytes | Path) -> bool:
    """Whether a file holds these bytes (or the same bytes as that file)."""
    if not isinstance(data, Path):
        return path.read_bytes() == data
    if path.stat().st_size != data.stat().st_size:
        return False
    with open(path, "rb") as one, open(data, "rb") as two:
        while block := one.read(1 << 20):
            if block != two.read(len(block)):
                return False
    return True


COMPLETE = ".complete"  # written last into a generation: what it holds, file by file


def _manifest(folder: Path) -> dict[str, int]:
    """Every file below folder but the seal, with its size."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink() and p != folder / COMPLETE
    }


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seal(folder: Path) -> None:
    """Mark a generation complete: its files on disk first, then the seal listing them."""
    import json

    manifest = _manifest(folder)
    for rel in manifest:
        _fsync(folder / rel)
    for sub in {(folder / rel).parent for rel in manifest}:
        _fsync(sub)
    seal = folder / COMPLETE
    with open(seal, "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync(folder)


def is_complete(gen: Path) -> bool:
    """Whether a generation is whole: sealed, and every file the seal lists there, same size."""
    import json

    try:
        manifest = json.loads((gen / COMPLETE).read_text(encoding="utf-8"))
        return bool(manifest) and all(
            (gen / rel).stat().st_size == size for rel, size in manifest.items()
        )
    except (OSError, ValueError, AttributeError):
        return False


def live_generation(build_dir: Path) -> str | None:
    """The name of the generation build/current names, if it is whole (else None)."""
    current = build_dir / "current"
    if not current.is_symlink():
        return None
    gen = current.resolve()
    return gen.name if gen.parent == build_dir.resolve() and is_complete(gen) else None


def _discard(folder: Path, force: bool = False) -> None:
    """Delete a generation: its seal first (a half-deleted one is never taken for whole),
    renamed aside in one step, then removed. One a reader holds open (a shared lock on its
    seal, see kg.store) is left for a later build, unless force (it is broken anyway).
    """
    seal = folder / COMPLETE
    fh = None
    try:
        if not force:
            with contextlib.suppress(OSError):
                fh = open(seal, "rb")  # noqa: SIM115 (closed below)
            if fh is not None:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    return  # a reader has it open: a later build removes it
        with contextlib.suppress(FileNotFoundError):
            seal.unlink()
        trash = folder
        if not folder.name.startswith(".trash-"):
            trash = folder.with_name(f".trash-{folder.name}-{os.getpid()}")
            os.replace(folder, trash)
    finally:
        if fh is not None:
            fh.close()
    shutil.rmtree(trash, ignore_errors=True)
