"""A brand's state kept under its stored-size budget (`max_state_kib`) where it can be without
changing what the detector decides: one Kafka message holds the state.

Checked when the detector prunes (hourly, in event time), so replay and the stream let go of
the same things at the same moment. The check costs a count of what the state holds, an
estimate on the high side; only over the budget is the state encoded and measured (a replay
packs days into seconds, and encoding a busy brand hourly would cost it more than detection).

Only evidence ids are let go of. Forgetting grievances would save more, but a forgotten
grievance that comes back has lost its usual rate, and its everyday complaints then look like
a new problem taking off: on a test brand held at half its natural size that opened false
incidents. A state still over budget is reported (a log warning, and the worker's metrics of
what it writes); the stream's codec refuses to send one over the message limit.
"""
from __future__ import annotations

import logging
from typing import Any

from .config import DetectorConfig
from .state import drop_before, encode

log = logging.getLogger(__name__)

# Stored bytes per item, on the high side (the suite's states at 1 to 30 times its traffic
# store a centroid in about 3 KiB, an evidence id or a bucket row in about 10 bytes).
PER_VECTOR, PER_ID, PER_ROW, PER_RECENT = 4300, 16, 16, 8
PER_SHARE = 1100  # a grievance's float16 sum on a platform other than its first (grievances.py)


def estimate(state: dict[str, Any]) -> int:
    """An upper estimate of the state's stored size, from how many things it holds."""
    gs = state["grievances"].values()
    ids = sum(len(v) for g in gs for v in g["ids"].values())
    rows = sum(len(r) for g in gs for r in g["plat"].values())
    rows += sum(len(p.get("buckets", ())) for p in state["platforms"].values())
    shares = sum(len(g.get("away") or ()) for g in gs)
    return (PER_VECTOR * (len(gs) + 1) + PER_SHARE * shares + PER_ID * ids + PER_ROW * rows
            + PER_RECENT * len(state.get("recent", ())))


def keep_within(state: dict[str, Any], b: int, cfg: DetectorConfig, brand: str = "") -> int:
    """Over `max_state_bytes`, let go of the evidence ids of grievances that are neither
    spiking nor in an incident, beyond the reach of an onset (two longest windows): only a
    spike found late would have shown them. Returns the ids let go of."""
    budget = cfg.max_state_bytes
    if not budget or estimate(state) <= budget or len(encode(state)) <= budget:
        return 0
    before = b - 2 * cfg.longest
    dropped = 0
    for g in state["grievances"].values():
        if g["incident"] is None and not g["spikes"]:
            dropped += sum(len(ids) for k, ids in g["ids"].items() if k < before)
            drop_before(g["ids"], before)
    size = len(encode(state))
    if size > budget:
        log.warning("detector state of %s is %d KiB, over detection.max_state_kib (%d) after letting go of %d "
                    "evidence ids: raise kafka.max_message_bytes with it, or lower detection.max_grievances "
                    "for this brand", brand or "a brand", size // 1024, budget // 1024, dropped)
    return dropped
