"""Layers import downward: the write side (the build) never imports the read side or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import kg

PACKAGE = Path(kg.__file__).resolve().parent


def _module_file(name: str) -> Path | None:
    """The source file of a kg module (a package's __init__.py), or None if not in kg."""
    parts = name.split(".")
    if parts[0] != "kg":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(name: str) -> set[str]:
    """The kg modules a module imports anywhere in it (functions too: kg imports lazily)."""
    path = _module_file(name)
    assert path is not None, name
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from kg import query` imports the module kg.query.
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {m for m in found if _module_file(m) is not None}


def reachable(start: str) -> set[str]:
    """Every kg module that importing start (and calling its functions) may import."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(_imports(name) - seen)
    return seen


def test_the_build_does_not_import_the_read_side_or_the_cli() -> None:
    modules = reachable("kg.build")
    # The walk does follow the imports, lazy ones too.
    assert {"kg.indexes", "kg.publish"} <= modules, sorted(modules)
    read_side = {m for m in modules if m in ("kg.lookups", "kg.cli") or m.startswith("kg.cli.")}
    assert not read_side, sorted(modules)


def test_user_errors_share_one_base_that_the_cli_catches_once() -> None:
    from kg.chains import NoPath
    from kg.cli import main
    from kg.cli.common import KgGroup
    from kg.diagnostics import FactsError
    from kg.errors import KgError
    from kg.names import UnresolvedName
    from kg.publish import BuildBusy
    from kg.server import ServeError
    from kg.store import StoreError

    errors = [FactsError, StoreError, UnresolvedName, NoPath, BuildBusy, ServeError]
    assert all(issubclass(e, KgError) and e.exit_code == 1 for e in errors), errors
    assert isinstance(main, KgGroup), type(main)


def test_date_parameters_default_to_the_open_ends_of_a_range() -> None:
    from kg.query import EARLIEST, LATEST, all_queries

    dates = [
        (q.name, p.name, p.default)
        for q in all_queries()
        for p in q.params.values()
        if p.type == "date"
    ]
    assert dates, "no query has a date parameter"
    ends = {"from": EARLIEST.isoformat(), "to": LATEST.isoformat()}
    assert all(default == ends[name] for _, name, default in dates), dates


def test_every_third_party_import_is_a_declared_dependency() -> None:
    import re
    import sys
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    declared = {
        re.split(r"[<>=!~\[ ;]", req, maxsplit=1)[0].lower().replace("_", "-")
        for req in [*project["dependencies"], *extras["notebook"]]
    }
    imported = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third = imported - set(sys.stdlib_module_names) - {"kg", "__future__"}
    assert "jinja2" in third, sorted(third)  # the walk finds imports inside functions too
    dists = packages_distributions()
    missing = {
        m for m in third if not {d.lower().replace("_", "-") for d in dists.get(m, [m])} & declared
    }
    assert not missing, f"imported by kg but not declared in pyproject.toml: {sorted(missing)}"
