"""kg: curated facts about actors, institutions and agreements as a sourced RDF graph.

``kg.open()`` opens the graph for Python (see kg.api); it is imported on first use, so
``import kg`` and ``kg --help`` load nothing heavy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kg.api import open as open

__version__ = "0.1.0"
__all__ = ["__version__", "open"]


def __getattr__(name: str) -> Any:
    if name == "open":
        from kg.api import open

        return open
    raise AttributeError(f"module 'kg' has no attribute {name!r}")
