"""Starting a child process that must not be left running when we are interrupted as it starts.

Ctrl-C, or SIGTERM where a command takes it as Ctrl-C (`interrupt_on_sigterm`), lands as a
KeyboardInterrupt between any two lines. Landing inside `subprocess.Popen`, after the child was
forked, or between Popen and the `try` that would stop it, it leaves the child running with
nothing holding it: a demo stopped as it started its worker left that worker running for good.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

HELD = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends, then deliver the first that came as its
    handler would have: start a child in the block and keep its handle there, inside the `try`
    that stops it. Python runs signal handlers in the main thread only; elsewhere (where no
    KeyboardInterrupt can land) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    before = {signum: signal.getsignal(signum) for signum in HELD}
    for signum in HELD:
        signal.signal(signum, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
        if caught:
            signal.raise_signal(caught[0])
