"""Progress on stderr: bytes, rate and time left. Redrawn in place on a terminal, a line every few seconds in logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    def __init__(self, *, label: str, total: int, start: int = 0, stream: TextIO | None = None) -> None:
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.first = start  # bytes already on the server when this run started: not part of the rate
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.every = 0.2 if self.interactive else 5.0

    def update(self, done: int, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_draw < self.every:
            return
        self.last_draw = now
        elapsed = max(now - self.started, 1e-6)
        rate = (done - self.first) / elapsed
        left = (self.total - done) / rate if rate > 0 else float("inf")
        percent = 100.0 * done / self.total if self.total else 100.0
        eta = _duration(left) if left != float("inf") else "?"
        line = f"{self.label}: {_size(done)} / {_size(self.total)} ({percent:5.1f}%) {_size(rate)}/s ETA {eta}"
        if self.interactive:
            self.stream.write("\r" + line.ljust(100))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self, done: int) -> None:
        self.update(done, force=True)
        if self.interactive:
            self.stream.write("\n")
            self.stream.flush()

    def note(self, message: str) -> None:
        if self.interactive:
            self.stream.write("\n")
        self.stream.write(f"{self.label}: {message}\n")
        self.stream.flush()
