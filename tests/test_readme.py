"""The README's first set-up command: the main job without root or a browser."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def first_command() -> list[str]:
    """The steps (split at &&) of the README's first fenced shell command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.+?)\n```", readme, re.S)
    assert block is not None, "the README has no ```sh block"
    return [step.strip() for step in block[1].split("&&")]


def test_the_first_command_needs_no_root_and_no_browser() -> None:
    steps = first_command()
    assert not any(step.split()[0] in ("apt-get", "sudo", "su") for step in steps), steps
    assert not any("--screenshot" in step or "chromium" in step for step in steps), steps
    kg_steps = [step.split()[1] for step in steps if step.startswith("kg ")]
    # the main job: build, one lookup, a view written to an HTML file
    assert kg_steps[0] == "build" and "view" in kg_steps and len(kg_steps) >= 3, kg_steps
    assert any(s.startswith("kg view -o ") and s.endswith(".html") for s in steps), steps


@pytest.mark.slow
def test_the_first_commands_kg_steps_run_in_a_copy_without_chromium(tmp_path: Path) -> None:
    """Each `kg …` step of the first command, run in a copy of the project beside a copy of
    ../shared with no Chromium on PATH, succeeds and leaves the promised HTML file."""
    project = tmp_path / "main"
    ignore = shutil.ignore_patterns(".git", "build", ".venv", "__pycache__", "*.egg-info")
    shutil.copytree(ROOT, project, ignore=ignore)
    shutil.copytree(ROOT.parent / "shared" / "sources", tmp_path / "shared" / "sources")
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    env = {
        "PATH": str(bare),  # nothing else: no chromium, no kg script but this copy's
        "PYTHONPATH": str(project),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
    }
    outputs = []
    for step in first_command():
        if not step.startswith("kg "):
            continue
        argv = [sys.executable, "-m", "kg", *step.split()[1:]]
        done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
        outputs.append(done.stdout)
    page = project / "build" / "graph.html"
    assert page.is_file()
    html = page.read_text(encoding="utf-8")
    assert "Muttaqi" in html and "<script" in html
    # the lookup answered with rows a reader sees: line 20's oil delegation met on energy
    assert any("Da Afghanistan" in out and "Tehran" in out for out in outputs), outputs
    assert os.path.isdir(project / "build" / "current")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_both_commands_install_the_pinned_versions_of_every_dependency() -> None:
    """Each set-up command installs with constraints.txt, and it pins every package
    pyproject asks for (a dependency added without a pin would float to its newest)."""
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.+?)\n```", readme, re.S)[:2]
    assert len(commands) == 2 and all("pip install -c constraints.txt " in c for c in commands)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted += extra
    names = {_norm(re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0]) for req in wanted}
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version.strip(), f"constraints.txt: {line!r} is not NAME==VERSION"
            pins[_norm(name)] = version.strip()
    assert names - pins.keys() == set(), "unpinned: " + ", ".join(sorted(names - pins.keys()))
