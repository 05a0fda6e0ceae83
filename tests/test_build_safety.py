"""`kg build` writes only into its own folder, and a generation is used only when whole."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kg.cli import main
from kg.publish import MARKER
from tests.conftest import MINI, run_build

_build = run_build


def _one_line_error(result: Result, *words: str) -> None:
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(w in lines[0] for w in words), result.stderr


# What a kg build would make, in a folder that is someone else's (`--out /` used to
# remove /store).
FOREIGN = ["store/data.db", "gen-1/keep.txt", "store-old/keep.txt", "kg.ttl", "notes.txt"]


def test_a_folder_of_someone_elses_files_is_refused_and_kept(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "theirs"
    for name in FOREIGN:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("mine", encoding="utf-8")
    (out / "current").symlink_to("gen-1")
    result = _build(mini, out)
    _one_line_error(result, str(out), "not a kg build folder")
    assert result.exit_code == 2
    kept = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    assert kept == sorted([*FOREIGN, "current", "gen-1", "store", "store-old"]), kept
    assert all((out / n).read_text() == "mine" for n in FOREIGN)


@pytest.mark.slow
def test_a_marked_folder_rebuilds_and_a_new_or_empty_one_is_claimed(
    mini: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    for out in (tmp_path / "new" / "build", tmp_path / "empty"):
        first = _build(mini, out)
        assert first.exit_code == 0, first.output
        assert (out / MARKER).is_file()
        again = _build(mini, out)
        assert again.exit_code == 0, again.output
        assert (out / "kg.ttl").is_file()


def test_the_readme_default_build_folder(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(mini)
    for _ in range(2):
        result = CliRunner().invoke(main, ["build", "--sources", "sources"])
        assert result.exit_code == 0, result.output
    assert (mini / "build" / MARKER).is_file()


def test_a_build_folder_of_an_older_kg_is_adopted(mini: Path) -> None:
    assert _build(mini, mini / "build").exit_code == 0
    (mini / "build" / MARKER).unlink()  # as an older kg left it: only what kg makes
    result = _build(mini, mini / "build")
    assert result.exit_code == 0, result.output
    assert (mini / "build" / MARKER).is_file()


def _bad_out(tmp: Path, case: str) -> str:
    (tmp / "afile").write_text("x", encoding="utf-8")
    return {
        "file": str(tmp / "afile"),
        "below-a-file": str(tmp / "afile" / "sub"),
        "dev-null": os.devnull,
        "root": "/",
    }[case]


@pytest.mark.parametrize("case", ["file", "below-a-file", "dev-null", "root"])
def test_an_out_that_cannot_be_a_build_folder_is_one_line(
    mini: Path, tmp_path: Path, case: str
) -> None:
    out = _bad_out(tmp_path, case)
    result = _build(mini, out)
    _one_line_error(result, out)
    assert (tmp_path / "afile").read_text() == "x"


def test_a_read_only_out_is_one_line(mini: Path, tmp_path: Path) -> None:
    # Root writes into a folder whose mode says read-only, so as root (CI) the unwritable
    # place is /proc, where no one may make a folder.
    if os.geteuid() == 0:
        _one_line_error(_build(mini, Path("/proc/kg-no-such-build")), "cannot write")
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        _one_line_error(_build(mini, ro / "build"), "cannot write")
        _one_line_error(_build(mini, ro), "cannot write")
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("seal", ["kept", "removed"])
@pytest.mark.parametrize("lost", ["kg.ttl", "store", "aggregates.json"])
def test_a_half_deleted_generation_is_rebuilt_not_reused(mini: Path, seal: str, lost: str) -> None:
    """A build killed while deleting a generation leaves part of it: the same facts built
    again must not publish what is left."""

    from kg.lookups import who_met
    from kg.publish import COMPLETE
    from kg.store import EmbeddedStore

    out = mini / "build"
    assert _build(mini, out).exit_code == 0
    before = (out / "kg.ttl").read_bytes()
    gen = (out / "current").resolve()
    (out / "current").unlink()  # as a build switching to other facts would have left it
    if seal == "removed":
        (gen / COMPLETE).unlink()
    if lost == "store":  # half of the store's files gone
        for f in sorted((gen / "store").iterdir())[::2]:
            f.unlink()
    elif (gen / lost).is_dir():
        shutil.rmtree(gen / lost)
    else:
        (gen / lost).unlink()
    result = _build(mini, out)
    assert result.exit_code == 0, result.output
    assert (out / "current").resolve() == gen
    assert (out / "kg.ttl").read_bytes() == before
    assert (gen / "aggregates.json").is_file()
    store = EmbeddedStore.open(out / "store")
    assert who_met(store), "no meetings in the rebuilt store"
    assert not [p.name for p in out.iterdir() if p.name.startswith((".trash-", ".staging-"))]


@pytest.mark.slow
def test_lookups_racing_builds_never_fail(mini: Path) -> None:
    """Lookups while builds of alternating facts switch build/current under them: each
    lookup opens one whole generation (never a store being swapped or deleted)."""
    import subprocess
    import sys
    import threading

    from kg.lookups import who_met
    from kg.store import EmbeddedStore

    other = mini / "facts-b"
    shutil.copytree(mini / "facts", other)
    path = other / "mini.yaml"
    path.write_text(path.read_text().replace("name: A deal", "name: Another deal"))
    out = mini / "build"
    assert _build(mini, out).exit_code == 0
    builds = 6
    done = threading.Event()
    build_errors: list[str] = []

    def builder() -> None:
        try:
            for i in range(builds):
                facts = other if i % 2 == 0 else mini / "facts"
                cmd = [sys.executable, "-m", "kg", "build", "--facts", str(facts)]
                cmd += ["--out", str(out), "--sources", str(mini / "sources")]
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    build_errors.append(proc.stderr)
        finally:
            done.set()

    thread = threading.Thread(target=builder)
    thread.start()
    lookups, failures = 0, []
    while not done.is_set() or lookups < 300:
        try:
            store = EmbeddedStore.open(out / "store")
            rows = who_met(store)
            assert rows, "no meetings"
            labels = store.select(
                "SELECT ?l WHERE { ?a a <https://w3id.org/kg/ont#Agreement> ; "
                "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l }"
            )
            assert len(labels) == 1, labels
        except Exception as exc:  # every failure counted, none hidden
            failures.append(repr(exc))
        lookups += 1
    thread.join()
    assert build_errors == [], build_errors
    assert failures == [], (len(failures), lookups, failures[:3])
    assert lookups >= 300, lookups


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9" * 5000, "mini.yaml:11: unsupported YAML: cannot read the value 9999"),
        ("'" + "a" * (17 * 1024 * 1024) + "'", "mini.yaml:11: unsupported YAML: a value of"),
    ],
    ids=["5000-digit-integer", "17-MiB-literal"],
)
def test_huge_values_are_one_line(mini: Path, value: str, expected: str) -> None:
    path = mini / "facts" / "mini.yaml"
    text = path.read_text(encoding="utf-8")
    assert "    name: Amir Khan Muttaqi\n" in text
    path.write_text(text.replace("    name: Amir Khan Muttaqi\n", f"    name: {value}\n"))
    result = _build(mini, mini / "build")
    assert result.exit_code == 1, result.output
    assert expected in result.stderr, result.stderr[:300]
    assert "Traceback" not in result.output
    assert not (mini / "build" / "kg.ttl").exists()


@pytest.fixture(scope="module")
def mini_store(tmp_path_factory: pytest.TempPathFactory) -> Path:

    from tests.conftest import MINI

    mini = tmp_path_factory.mktemp("outputs") / "mini"
    shutil.copytree(MINI, mini)
    assert _build(mini, mini / "build").exit_code == 0
    return mini / "build" / "store"


def _out(tmp: Path, case: str) -> Path:
    (tmp / "afile").write_text("mine", encoding="utf-8")
    (tmp / "adir").mkdir(exist_ok=True)
    (tmp / "adir" / "theirs.txt").write_text("mine", encoding="utf-8")
    return {
        "existing-file": tmp / "afile",
        "existing-folder": tmp / "adir",
        "below-a-file": tmp / "afile" / "out",
    }[case]


@pytest.mark.parametrize("case", ["existing-file", "existing-folder", "below-a-file"])
@pytest.mark.parametrize("command", ["export-csv", "export-turtle", "view"])
def test_outputs_never_replace_what_kg_did_not_make(
    mini_store: Path, tmp_path: Path, command: str, case: str
) -> None:
    target = _out(tmp_path, case)
    args = {
        "export-csv": ["export", "--format", "csv", "-o", str(target)],
        "export-turtle": ["export", "--format", "turtle", "-o", str(target)],
        "view": ["view", "-o", str(target)],
    }[command]
    result = CliRunner().invoke(main, ["--store", str(mini_store), *args])
    if case == "existing-file" and command != "export-csv":
        assert result.exit_code == 0, result.output  # a file replaced by a file, as asked
    elif case == "existing-folder" and command == "view":  # click's own usage error
        assert result.exit_code == 2 and "is a directory" in result.output, result.output
    else:
        _one_line_error(result, str(target))
        assert (tmp_path / "adir" / "theirs.txt").read_text() == "mine"
        if case != "existing-file" or command == "export-csv":
            assert (tmp_path / "afile").read_text() == "mine"
    left = [p.name for p in tmp_path.iterdir() if p.name.endswith((".old", ".tmp"))]
    assert left == [], left


def test_a_csv_export_replaces_its_own_folder(mini_store: Path, tmp_path: Path) -> None:
    target = tmp_path / "csv"
    for _ in range(2):
        args = ["--store", str(mini_store), "export", "--format", "csv", "-o", str(target)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
    assert (target / "Person.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv"]


def test_a_fresh_clone_builds_into_build(tmp_path: Path) -> None:
    """build/ is generated, never committed: a fresh clone has none, and the README's
    `kg build` makes it (with its marker) and writes there."""
    import subprocess

    from tests.conftest import ROOT

    tracked = subprocess.run(
        ["git", "ls-files", "build"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked == [], tracked
    out = tmp_path / "build"
    assert _build(MINI, out).exit_code == 0
    assert (out / MARKER).is_file() and (out / "kg.ttl").is_file()
