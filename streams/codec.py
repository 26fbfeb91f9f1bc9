"""How the detector's table stores a brand's state: the core's compressed JSON form."""
from __future__ import annotations

import time
from typing import Any, Callable

from faust.serializers.codecs import Codec

from ..detection import state


class DetectorStateCodec(Codec):
    """Writes a live state as `state.encode` does (Faust's json codec cannot write numpy arrays,
    would keep the derived caches, and does not compress), and reads the stored bytes back
    unchanged: `state.revive` decodes them on first use, whichever codec Faust read them with.

    `written` hears the size of every state written and the seconds its encoding took, for the
    metrics: a brand whose state nears `kafka.max_message_bytes` would soon have its changelog
    writes refused, and the detect agent pays the encoding once per batch per brand touched."""

    def __init__(self, written: Callable[[int, float], None] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._written = written

    def _dumps(self, obj: Any) -> bytes:
        started = time.perf_counter()
        data = obj if isinstance(obj, (bytes, bytearray)) else state.encode(obj)
        if self._written is not None:
            self._written(len(data), time.perf_counter() - started)
        return bytes(data)

    def _loads(self, s: bytes) -> Any:
        return s
