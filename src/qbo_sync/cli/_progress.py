"""Push progress per entity: an updating line on a terminal, plain lines otherwise.

The engine calls ``progress(entity, done, total)`` when an entity starts and
after every batch. On a terminal the line of the entity is redrawn in place
(carriage return) and ended when the entity is done. Elsewhere (a pipe, a
log file, a CI job) a plain line is printed when the entity passes each
quarter and when it is done, so a 10,000-record run prints a handful of
lines, not hundreds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["PushProgress"]

_BAR = 24


class PushProgress:
    """A ``progress(entity, done, total)`` callback that draws on ``out``.

    Args:
        out: Where to draw.
        indent: Text before each line (aligns it under the step's text).
        enabled: ``False`` draws nothing (``--json``).
        tty: Whether ``out`` is a terminal (default: ``out.isatty()``).
        timer: Wall seconds (for the time shown per entity).
    """

    def __init__(
        self,
        out: TextIO,
        *,
        indent: str,
        enabled: bool = True,
        tty: bool | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._out = out
        self._indent = indent
        self._enabled = enabled
        self._tty = out.isatty() if tty is None else tty
        self._timer = timer
        self.active = False
        self._entity: str | None = None
        self._started = 0.0
        self._next_quarter = 1
        self._open_line = False

    def __call__(self, entity: str, done: int, total: int) -> None:
        if not (self.active and self._enabled) or total <= 0:
            return
        if entity != self._entity:
            self._finish_line()
            self._entity, self._started, self._next_quarter = entity, self._timer(), 1
        if self._tty:
            self._draw(entity, done, total)
        else:
            quarter = done * 4 // total
            if done >= total or quarter >= self._next_quarter:
                self._next_quarter = quarter + 1
                self._write(self._text(entity, done, total) + "\n")

    def _text(self, entity: str, done: int, total: int) -> str:
        filled = _BAR * done // total
        bar = "#" * filled + "." * (_BAR - filled)
        seconds = self._timer() - self._started
        return (f"{self._indent}{entity:<10} [{bar}] {done:>6}/{total:<6} "
                f"{100 * done // total:>3}%  {seconds:5.1f} s")

    def _draw(self, entity: str, done: int, total: int) -> None:
        self._write("\r" + self._text(entity, done, total))
        self._open_line = True
        if done >= total:
            self._finish_line()

    def _finish_line(self) -> None:
        if self._open_line:
            self._out.write("\n")
            self._out.flush()
            self._open_line = False

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()

    def stop(self) -> None:
        """End the current line and draw nothing more."""
        self._finish_line()
        self.active = False
        self._entity = None
