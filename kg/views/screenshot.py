"""A PNG of a view, taken by headless Chromium from the command line (no download)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
# Without the background-networking switches Chromium tries to reach Google at start-up.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-extensions",
    "--mute-audio",
]


class ScreenshotError(Exception):
    """No browser, or the browser failed."""


def browser() -> str:
    """Return the path of a Chromium-like browser, or raise ScreenshotError."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ScreenshotError("no Chromium found (on Debian: apt-get install chromium)")


def take(page: Path, png: Path, size: tuple[int, int] = (1600, 1000)) -> Path:
    """Render page at size and save it as png."""
    exe = browser()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            "--virtual-time-budget=8000",
            f"--screenshot={png.resolve()}",
            page.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            raise ScreenshotError("Chromium took over two minutes") from None
    if proc.returncode != 0 or not png.is_file():
        raise ScreenshotError(f"Chromium failed: {proc.stderr.strip()[-300:]}")
    return png
