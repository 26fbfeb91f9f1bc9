"""How far a long command has got: a bar on a terminal, a log line now and then elsewhere.

A bar redraws itself with carriage returns: in a pod's log or a CI log that is one endless
line, and with `app.log_format: json` it is the one line a log collector cannot read. So the
bar is drawn only on a terminal with text logs; anywhere else progress is logged (INFO) every
`every_s` seconds and once at the end, which also tells an operator of a replay paced over
hours how far it is.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import Callable, TextIO

from tqdm import tqdm

from .common import json_handlers

EVERY_S = 30.0
log = logging.getLogger("spillover.progress")


def progress(total: int, desc: str, unit: str = "post", *, quiet: bool = False, position: int | None = None,
             stream: TextIO | None = None, every_s: float = EVERY_S,
             clock: Callable[[], float] = time.monotonic) -> "tqdm | LoggedProgress":
    """A progress reporter with tqdm's `update(n)` and `close()`, usable as a context manager;
    `quiet`: none at all."""
    stream = stream or sys.stderr
    if quiet:
        return tqdm(disable=True)
    if _is_terminal(stream) and not json_handlers():
        return tqdm(total=total, desc=desc, unit=unit, file=stream, position=position, leave=True)
    return LoggedProgress(total, desc, unit, every_s, clock)


class LoggedProgress:
    def __init__(self, total: int, desc: str, unit: str, every_s: float, clock: Callable[[], float]) -> None:
        self.total, self.desc, self.unit, self.every_s, self.clock = total, desc, unit, every_s, clock
        self.n, self.closed = 0, False
        self.started = self.said = clock()

    def update(self, n: int = 1) -> None:
        self.n += n
        if self.clock() - self.said >= self.every_s:
            self._say()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._say()

    def _say(self) -> None:
        self.said = now = self.clock()
        log.info("%s: %s of %s %ss in %.0f s", self.desc, f"{self.n:,}", f"{self.total:,}", self.unit,
                 now - self.started)

    def __enter__(self) -> "LoggedProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a replaced or closed stream
        return False
