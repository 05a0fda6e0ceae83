"""The analyst notebook runs top to bottom, shows real answers, and is stored without outputs."""

from __future__ import annotations

import json

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


@pytest.mark.slow
def test_notebook_runs_and_shows_answers() -> None:
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
            data = out.get("data", {})
            shown.append(data.get("text/html", "") + data.get("text/plain", ""))
            if "image/png" in data:
                shown.append("<png>")
    text = "\n".join(shown)
    assert "Da Afghanistan Bank" in text  # energy meetings (line 20)
    assert "Bahadur Aminian" in text and "Iranian Ambassador to Afghanistan" in text
    assert "Saif al-Adel" in text and "350000" in text
    assert "<png>" in text  # the engagement chart
    assert "<iframe srcdoc=" in text  # the interactive view
