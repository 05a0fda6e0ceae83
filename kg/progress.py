"""Progress and an estimate of the time left, for long work, on a terminal only.

One line on stderr, redrawn in place (`\\r`): what is being done, how far along, the time
spent and about how long is left. It is drawn only when stderr is a terminal, so a piped or
logged run stays quiet. The standard library only: kg push and the benchmarks use it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def clock_text(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour."""
    s = int(seconds + 0.5)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class Progress:
    """A progress line: `label what  42%  1:05 elapsed, about 1:30 left`.

    total: the whole work in any unit (bytes, estimated seconds); update() says how much is
    done. The time left is the time spent scaled by what remains, so a unit that is an
    estimate is corrected by the machine's real pace as the work goes. enabled: draw at
    all (default: when the stream is a terminal); every: the least seconds between two
    redraws of the same step (a new step, or the end, is drawn at once).
    """

    def __init__(
        self,
        total: float,
        label: str = "",
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        every: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        show: Callable[[float, float], str] | None = None,
    ) -> None:
        self.total = max(total, 0.0)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.every = every
        self.clock = clock
        self.show = show  # how `done of total` reads (bytes: "1.2 of 9.8 MiB"), else a %
        self.start = clock()
        self.done = 0.0
        self.what = ""
        self._drawn_at: float | None = None
        self._width = 0

    def update(self, done: float, what: str | None = None) -> None:
        """Say that `done` of the total is done, now doing `what` (kept if None)."""
        self.done = min(max(done, 0.0), self.total)
        step = what is not None and what != self.what
        if what is not None:
            self.what = what
        now = self.clock()
        due = self._drawn_at is None or now - self._drawn_at >= self.every
        if self.enabled and (step or due or self.done >= self.total):
            self._draw(now)

    def advance(self, amount: float, what: str | None = None) -> None:
        """Add amount to what is done."""
        self.update(self.done + amount, what)

    def line(self, now: float | None = None) -> str:
        """The progress line as it reads now."""
        now = self.clock() if now is None else now
        spent = now - self.start
        share = self.done / self.total if self.total else 1.0
        parts = [" ".join(p for p in (self.label, self.what) if p)]
        parts.append(self.show(self.done, self.total) if self.show else f"{share:4.0%}")
        timing = f"{clock_text(spent)} elapsed"
        # An estimate only once there is something to go by.
        if 0 < self.done < self.total and spent >= 1:
            timing += f", about {clock_text(spent * (self.total - self.done) / self.done)} left"
        parts.append(timing)
        return "  ".join(p for p in parts if p)

    def _draw(self, now: float) -> None:
        text = self.line(now)
        # Spaces over what a longer previous line left (no terminal codes needed).
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)
        self._drawn_at = now

    def close(self, message: str = "") -> None:
        """Clear the line (then write message, if any, on a line of its own)."""
        if self.enabled and self._drawn_at is not None:
            self.stream.write("\r" + " " * self._width + "\r")
        if self.enabled and message:
            self.stream.write(message + "\n")
        if self.enabled:
            self.stream.flush()


def size_text(done: float, total: float) -> str:
    """Bytes done of total, in MiB (KiB below one): `12.3 of 98.2 MiB  13%`."""
    unit, div = ("MiB", 2**20) if total >= 2**20 else ("KiB", 2**10)
    share = done / total if total else 1.0
    return f"{done / div:.1f} of {total / div:.1f} {unit}  {share:4.0%}"
