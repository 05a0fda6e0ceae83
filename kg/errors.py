"""The one base class of the errors a user can cause (as opposed to bugs in kg).

The CLI catches KgError once, around every command, and prints `error: <message>` on
stderr with the exit code the error carries; anything else is a bug and keeps its
traceback. This module imports nothing, so any layer may raise one.
"""

from __future__ import annotations


class KgError(Exception):
    """An error a user can cause and fix: a missing build, an unknown name, a busy build…"""

    exit_code = 1  # what `kg` exits with when a command raises it


class OutputError(KgError):
    """An output (kg export -o, kg view -o) cannot be written where it was asked."""
