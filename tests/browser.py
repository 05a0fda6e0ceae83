"""Open kg's HTML views in Debian's headless Chromium, driven by Playwright, offline.

Playwright never downloads a browser here: it drives /usr/bin/chromium (installed by
.ci/run with apt-get). Every request that is not the page's own file is recorded and
aborted, so a test can assert that none left the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
]


@dataclass
class Opened:
    """A page loaded from a file, with what it did on the way."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file(), "Chromium is missing: apt-get install chromium (see .ci/run)"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    contexts = []

    def open_(
        path: Path | str, timeout_ms: int = 60_000, ready: str = "() => window.kgReady === true"
    ) -> Opened:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)
        target = path if isinstance(path, str) else path.resolve().as_uri()
        # A served page may talk to its own origin; nothing else may be fetched.
        origin = target.rsplit("/", 1)[0] + "/" if target.startswith("http") else target

        def route(r: Any) -> None:
            if r.request.url == target or r.request.url.startswith(origin):
                r.continue_()
            else:
                opened.requests.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on(
            "console", lambda m: opened.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: opened.page_errors.append(str(e)))

        def dialog(d: Any) -> None:
            opened.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(target)
        page.wait_for_function(ready, timeout=timeout_ms)
        return opened

    yield open_
    for c in contexts:
        c.close()


def click_node(page: Any, node_id: str) -> None:
    """Zoom to a node and click it where the canvas draws it."""
    page.evaluate("id => window.kgNetwork.focus(id, {scale: 2.5, animation: false})", node_id)
    pos = page.evaluate(
        """id => { const n = window.kgNetwork; const p = n.getPositions([id])[id];
                   const d = n.canvasToDOM(p); const r = document.getElementById('net')
                   .getBoundingClientRect(); return {x: d.x + r.left, y: d.y + r.top}; }""",
        node_id,
    )
    page.mouse.click(pos["x"], pos["y"])
