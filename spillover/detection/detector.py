"""The detection core: plain, deterministic, event-time. Faust agents and `replay` both call it.

Decisions are taken only when a bucket closes, that is when the brand's watermark (the latest
event time seen, less the allowed lateness) passes the bucket's end. Posts that arrive out of
order within the allowed lateness therefore give exactly the same incidents in any order,
which is what makes a replay from a file agree with the live stream.
"""
from __future__ import annotations

from typing import Any, Mapping, MutableMapping

from ..records import EnrichedPost, IncidentEvent
from ..settings import DetectionSettings
from .config import DetectorConfig
from .incidents import decide
from .spikes import read_platform, update_spike
from .state import new_brand_state
from .windows import bucket_of, ingest, prune


class Detector:
    """Stateless itself: every call takes the brand's state dict and mutates it in place."""

    def __init__(self, settings: DetectionSettings, playbooks: Mapping[str, dict] | None = None):
        self.cfg = DetectorConfig.from_settings(settings)
        self._playbooks = dict(playbooks or {})

    new_state = staticmethod(new_brand_state)

    def too_late(self, state: dict[str, Any], post: EnrichedPost) -> bool:
        """Older than any window still kept: it cannot change a decision any more."""
        if state["watermark"] is None:
            return False
        return bucket_of(post.event_time, self.cfg) < bucket_of(state["watermark"], self.cfg) - self.cfg.history

    def observe(self, states: MutableMapping[str, dict], post: EnrichedPost) -> list[IncidentEvent]:
        """Process a post against a store of brand states (a dict, or a Faust table)."""
        state = states.get(post.brand) or new_brand_state()
        events = self.process(state, post)
        states[post.brand] = state  # assign back: a Faust table logs the change on set
        return events

    def process(self, state: dict[str, Any], post: EnrichedPost) -> list[IncidentEvent]:
        """Count one enriched post of `post.brand`; return the incident events it led to."""
        if self.too_late(state, post):
            return []
        ingest(state, post, self.cfg)
        ts, b = post.event_time, bucket_of(post.event_time, self.cfg)
        if state["evaluated"] is None:
            state["evaluated"] = b - 1
        elif b <= state["evaluated"]:
            # A decision about this bucket was already taken: look at it again at the next close.
            late = state.setdefault("late", {})
            late[post.post.platform] = min(late.get(post.post.platform, b), b)
        if state["watermark"] is None or ts > state["watermark"]:
            state["watermark"] = ts
            return self._advance(state, post.brand)
        return []

    def _advance(self, state: dict[str, Any], brand: str) -> list[IncidentEvent]:
        cfg = self.cfg
        closed = bucket_of(state["watermark"] - cfg.lateness_s, cfg) - 1
        # After a long silence there is nothing to decide about buckets older than the history.
        start = max(state["evaluated"] + 1, closed - cfg.history)
        events: list[IncidentEvent] = []
        for b in range(start, closed + 1):
            events.extend(self._evaluate(state, brand, b))
        if closed > state["evaluated"]:
            state["evaluated"] = closed
            prune(state, closed, cfg)
        return events

    def _evaluate(self, state: dict[str, Any], brand: str, b: int) -> list[IncidentEvent]:
        self._revisit_late(state, b)
        readings = {}
        for platform in sorted(state["platforms"]):
            plat = state["platforms"][platform]
            readings[platform] = reading = read_platform(platform, plat, b, self.cfg)
            update_spike(plat, reading, state["detail"], b, b, self.cfg)
        return decide(state, brand, b, readings, self.cfg, self._playbooks.get(brand, {}))

    def _revisit_late(self, state: dict[str, Any], now: int) -> None:
        """Re-test the past windows that late posts fell into, so their spike keeps its onset."""
        for platform, first in sorted(state.pop("late", {}).items()):
            plat = state["platforms"][platform]
            for b in range(max(first, now - self.cfg.link), min(first + self.cfg.window, now)):
                reading = read_platform(platform, plat, b, self.cfg)
                if reading.spiking:
                    update_spike(plat, reading, state["detail"], b, now, self.cfg)
