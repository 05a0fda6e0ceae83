"""The fast path: a plain lookup answered without importing click.

click's import costs a cold lookup about 35 ms, more than a whole limit script of
benchmarks/limits (`kg stats` took twice the script's time for that alone). This module
reads a plain command line (`kg [--store DIR] show NAME --format json`), converts its
values as click would and runs the command's body (kg.cli.answers) directly. Anything it
does not take (help, --version, completion, an option or value it does not know, a value
click would refuse, a usage error the body finds) is handed back, untouched, to the click
command line, which answers it as ever (kg.cli.run).

The options are declared once, on the click commands. kg/cli/fast.json is what this
module reads of them (names, flags, types, defaults, environment variables), written from
the click commands by kg.cli.group.fast_spec; a test holds the file equal to it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# The commands the fast path answers: name -> the body in kg.cli.answers (the click
# command calls the same body).
FAST = {
    "agreements": "agreements",
    "engagement": "engagement",
    "path": "path",
    "rank": "rank",
    "roles": "roles",
    "show": "show",
    "stats": "stats",
    "timeline": "timeline",
    "who-met": "who_met",
}
SPEC = os.path.join(os.path.dirname(os.path.realpath(__file__)), "fast.json")


# Words that are always click's to answer, wherever they stand.
_CLICKS = frozenset(("-h", "--help", "--version", "-V"))


class _NotMine(Exception):
    """The command line is not one the fast path takes: click answers it."""


def answer(args: list[str]) -> bool:
    """Answer the command line if it is a plain lookup; False: nothing was done, hand it
    to click."""
    if os.environ.get("_KG_COMPLETE"):  # shell completion: click's
        return False
    if not args or any(a in _CLICKS for a in args):
        return False  # before reading anything: `kg --help` stays as quick as click makes it
    import json

    try:
        with open(SPEC, encoding="utf-8") as fh:
            spec = json.load(fh)
        root, rest = _options(spec["group"], args, stop_at_command=True)
        if not rest or rest[0] not in FAST or rest[0] not in spec["commands"]:
            raise _NotMine
        params, _ = _options(spec["commands"][rest[0]], rest[1:])
    except (_NotMine, OSError, ValueError, KeyError):
        return False
    from kg import store
    from kg.cli import answers
    from kg.cli.base import UsageProblem, begin, echo, report
    from kg.errors import KgError

    store.ONE_SHOT = True  # this process answers this lookup and exits
    begin()
    try:
        getattr(answers, FAST[rest[0]])(root, **params)
    except UsageProblem:
        return False  # found before any output: click says it with its usage line
    except KgError as exc:
        report(exc)
    except BrokenPipeError:
        # As click does: the reader went away; no traceback, and none at exit either.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (closed at exit)
        sys.exit(1)
    except KeyboardInterrupt:
        echo("Aborted!", err=True)
        sys.exit(1)
    return True


def _options(
    params: list[dict[str, Any]], args: list[str], stop_at_command: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """The values of params (as the click callback gets them) from args; with
    stop_at_command, the group's: stop at the first argument that is no option and
    return the rest. Raises _NotMine for anything click should see."""
    by_opt = {opt: p for p in params for opt in p["opts"]}
    arguments = [p for p in params if not p["opts"]]
    given: dict[str, list[str]] = {}
    positional: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            raise _NotMine
        if arg.startswith("-") and arg != "-":
            name, eq, text = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            p = by_opt.get(name)
            if p is None:
                raise _NotMine  # --help, -h, --version, a typo: click's to answer
            if p["flag"]:
                if eq:
                    raise _NotMine
                text = ""
            elif not eq:
                i += 1
                if i >= len(args) or args[i].startswith("-"):
                    raise _NotMine  # a missing value (or one click may read otherwise)
                text = args[i]
            if p["name"] in given and not p["multiple"]:
                raise _NotMine  # given twice: click's rules
            given.setdefault(p["name"], []).append(text)
        elif stop_at_command:
            return _values(params, given, []), args[i:]
        else:
            positional.append(arg)
        i += 1
    if stop_at_command:
        return _values(params, given, []), []
    if len(positional) > len(arguments):
        raise _NotMine
    return _values(params, given, positional), []


def _values(
    params: list[dict[str, Any]], given: dict[str, list[str]], positional: list[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    arguments = iter(positional)
    for p in params:
        if not p["opts"]:
            text = next(arguments, None)
            if text is None and p["required"]:
                raise _NotMine
            values[p["name"]] = None if text is None else _convert(p, text)
        elif p["flag"]:
            values[p["name"]] = p["name"] in given
        elif p["multiple"]:
            values[p["name"]] = tuple(_convert(p, t) for t in given.get(p["name"], ()))
        elif p["name"] in given:
            values[p["name"]] = _convert(p, given[p["name"]][0])
        elif p.get("envvar") and os.environ.get(p["envvar"]):
            values[p["name"]] = _convert(p, os.environ[p["envvar"]])
        else:
            values[p["name"]] = p["default"]
    return values


def _convert(p: dict[str, Any], text: str) -> Any:
    """A value as click's type for it gives it; _NotMine where click would refuse it."""
    kind = p["type"]
    if kind == "text":
        return text
    if kind == "choice":
        if text not in p["choices"]:
            raise _NotMine
        return text
    if kind == "dir":  # click.Path(file_okay=False): anything but an existing file
        if os.path.isfile(text):
            raise _NotMine
        return text
    if kind == "date":
        from kg.facts.dates import parse_date

        try:
            return parse_date(text)
        except ValueError:
            raise _NotMine from None
    number: int | float
    try:
        number = int(text) if kind == "int" else float(text)
    except ValueError:
        raise _NotMine from None
    if p["min"] is not None and number < p["min"]:
        raise _NotMine
    return number
