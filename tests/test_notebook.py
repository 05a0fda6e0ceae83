"""The analyst notebook runs top to bottom, shows real answers, and is stored without outputs."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NOTEBOOK = ROOT / "notebooks" / "walkthrough.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 8
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)


def test_the_notebook_asks_through_the_python_api() -> None:
    """Lookups and views go through kg.open()'s Graph, not a store handed around."""
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "g = kg.open(" in code
    assert "g.store" not in code and "kg.lookups" not in code and "built.counts" not in code
    for call in ("g.path(", "g.view(", "g.engagement(", "g.who_met(", "g.stats("):
        assert call in code, call


@pytest.mark.slow
def test_notebook_runs_and_shows_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every warning shows in the kernel (by default Python hides deprecations outside
    # __main__), and any warning a cell prints fails the test.
    monkeypatch.setenv("PYTHONWARNINGS", "default")
    # The kernel imports this checkout's kg, whatever kg is installed.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    shown = []
    for c in nb.cells:
        for out in c.get("outputs", []):
            assert out["output_type"] != "error", out
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), out["text"]
            data = out.get("data", {})
            shown.append(data.get("text/html", "") + data.get("text/plain", ""))
            shown.append(out.get("text", ""))
            if "image/png" in data:
                shown.append("<png>")
    text = "\n".join(shown)
    assert "Warning" not in text, text
    assert "Da Afghanistan Bank" in text  # energy meetings (line 20)
    assert "Bahadur Aminian" in text and "Iranian Ambassador to Afghanistan" in text
    assert "Saif al-Adel" in text and "350000" in text
    # The chain keeps each statement's direction: the meeting has Muttaqi as participant
    # (line 19), Saif al-Adel is based in Iran (line 34).
    assert "<td>← participant</td>" in text and "<td>← based in</td>" in text
    assert "<png>" in text  # the engagement chart
    assert "<iframe srcdoc=" in text  # the interactive view


@pytest.fixture(scope="module")
def g(shipped_build: Path) -> object:
    import kg

    return kg.open(shipped_build / "store")


def test_engagement_chart_has_a_date_axis_with_every_month(g: object) -> None:
    """Months with no engagement were left out of a categorical axis, so October 2021 sat
    next to May 2022: every month from the first to the last is a bar, empty ones at 0."""
    from kg import notebook

    fig = notebook.engagement_chart(g.engagement("month"))  # type: ignore[attr-defined]
    ax = fig.axes[0]
    fig.canvas.draw()
    heights = [int(b.get_height()) for b in ax.patches]
    # 2021-10 (line 13), 2022-05 (17, 18), 2022-07 (19, 20), 2022-08 (21, 23), 2022-11, 2022-12
    assert heights == [1, 0, 0, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 1, 1], heights
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[:3] == ["2021-10", "2022-01", "2022-04"], ticks


def test_months_between_crosses_years() -> None:
    import datetime as dt

    from kg.notebook import months_between

    got = months_between(dt.date(2021, 11, 1), dt.date(2022, 2, 1))
    assert [d.isoformat() for d in got] == ["2021-11-01", "2021-12-01", "2022-01-01", "2022-02-01"]


def test_an_inline_view_warns_nothing(g: object) -> None:
    """IPython's HTML warned "Consider using IPython.display.IFrame" for the view's frame
    (the notebook's last cell); the frame is displayed through _repr_html_ instead."""
    from kg import notebook

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shown = notebook.view_inline(g.view(ego="muttaqi"))  # type: ignore[attr-defined]
    markup = shown._repr_html_()
    assert markup.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
    assert "Amir Khan Muttaqi" in markup
    assert repr(shown).startswith("<view: kg: Amir Khan Muttaqi,")
