"""How the detector's table stores a brand's state: the core's compressed JSON form."""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

from faust.serializers.codecs import Codec

from ..detection import state

log = logging.getLogger(__name__)
# Room left in a message for its key, headers and batch framing.
FRAMING = 1024
# A state refused once is refused at every batch: say so at most this often.
LOG_EVERY_S = 60.0


class DetectorStateCodec(Codec):
    """Writes a live state as `state.encode` does (Faust's json codec cannot write numpy arrays,
    would keep the derived caches, and does not compress), and reads the stored bytes back
    unchanged: `state.revive` decodes them on first use, whichever codec Faust read them with.

    `written` hears the size of every state written and the seconds its encoding took, for the
    metrics: a brand whose state nears `kafka.max_message_bytes` would soon have its changelog
    writes refused, and the detect agent pays the encoding once per batch per brand touched.

    A state too large for `limit` (the producer's max request size) would make the producer
    crash the worker, every brand with it, again after each restart. It is written as
    `state.NOT_SAVED` instead, and `refused` hears of it: the worker goes on with the brand's
    state in memory, and a worker that takes the brand over later starts it afresh. The
    detector's own budget (`detection.max_state_kib`) trims what it can first, and names the brand.
    """

    def __init__(self, written: Callable[[int, float], None] | None = None, limit: int = 0,
                 refused: Callable[[int], None] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._written, self._limit, self._refused = written, limit, refused
        self._logged = -LOG_EVERY_S

    def _dumps(self, obj: Any) -> bytes:
        started = time.perf_counter()
        data = bytes(obj) if isinstance(obj, (bytes, bytearray)) else state.encode(obj)
        if self._written is not None:
            self._written(len(data), time.perf_counter() - started)
        if self._limit and len(data) > self._limit - FRAMING:
            if time.monotonic() - self._logged >= LOG_EVERY_S:
                self._logged = time.monotonic()
                log.error("a brand's detector state is %d bytes, over kafka.max_message_bytes (%d): not saved to "
                          "the changelog (spillover_detector_state_not_saved_total counts each time); raise "
                          "the limit, or lower detection.max_grievances for the brand the detector's warning "
                          "names", len(data), self._limit)
            if self._refused is not None:
                self._refused(len(data))
            return state.NOT_SAVED
        return data

    def _loads(self, s: bytes) -> Any:
        return s
