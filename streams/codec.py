"""How the detector's table stores a brand's state: the core's own JSON form, caches left out."""
from __future__ import annotations

from typing import Any

from faust.serializers.codecs import Codec

from ..detection import state


class DetectorStateCodec(Codec):
    """Faust's json codec cannot write numpy arrays and would keep the derived caches."""

    def _dumps(self, obj: Any) -> bytes:
        return state.dumps(obj).encode()

    def _loads(self, s: bytes) -> Any:
        return state.loads(s)
