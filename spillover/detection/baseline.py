"""The plain baseline detection is measured against: hourly negative counts per platform.

A platform spikes when an hour's negatives are at least `min_count` and `ratio` times the mean
of its previous 24 hours; an incident opens when a second platform of the brand spikes within
24 hours of the first. Same interface as Detector, so `spillover evaluate` runs both alike.
"""
from __future__ import annotations

from typing import Any, MutableMapping

from ..records import EnrichedPost, IncidentEvent, PlatformActivity
from ..timeutil import format_epoch

HOUR = 3600


class HourlyBaseline:
    def __init__(self, min_count: int = 5, ratio: float = 3.0, history_h: int = 24, link_h: int = 24):
        self.min_count, self.ratio, self.history_h, self.link_h = min_count, ratio, history_h, link_h

    def observe(self, states: MutableMapping[str, dict], post: EnrichedPost) -> list[IncidentEvent]:
        state = states.get(post.brand) or {"hours": {}, "spikes": {}, "open": None, "evaluated": None}
        events = self._process(state, post)
        states[post.brand] = state
        return events

    def _process(self, state: dict[str, Any], post: EnrichedPost) -> list[IncidentEvent]:
        hour = int(post.event_time // HOUR)
        if post.sentiment.label == "negative" and not post.post.deleted and not post.post.is_brand_reply:
            counts = state["hours"].setdefault(post.post.platform, {})
            ids = counts.setdefault(str(hour), [])
            ids.append(post.post.id)
        events = []
        if state["evaluated"] is None:
            state["evaluated"] = hour - 1
        for h in range(state["evaluated"] + 1, hour):  # hours that have closed
            events += self._evaluate(state, post.brand, h)
        state["evaluated"] = max(state["evaluated"], hour - 1)
        return events

    def _evaluate(self, state: dict[str, Any], brand: str, h: int) -> list[IncidentEvent]:
        for platform, counts in sorted(state["hours"].items()):
            n = len(counts.get(str(h), []))
            previous = [len(counts.get(str(x), [])) for x in range(h - self.history_h, h)]
            mean = sum(previous) / self.history_h
            if n >= self.min_count and n >= self.ratio * max(mean, 0.5):
                state["spikes"].setdefault(platform, {"hour": h, "ids": counts[str(h)][:20]})
            for key in [k for k in counts if int(k) < h - self.history_h]:
                del counts[key]
        spikes = {p: s for p, s in state["spikes"].items() if h - s["hour"] <= self.link_h}
        state["spikes"] = spikes
        if len(spikes) < 2 or state["open"] and h - state["open"] < self.link_h:
            return []
        state["open"] = h
        path = sorted(spikes, key=lambda p: (spikes[p]["hour"], p))
        state["spikes"] = {}
        return [IncidentEvent(
            incident_id=f"baseline-{brand}-{h}", brand=brand, status="opened", path=path,
            platforms=[PlatformActivity(p, format_epoch(spikes[p]["hour"] * HOUR), 0, len(spikes[p]["ids"]))
                       for p in path],
            detected_at=format_epoch((h + 1) * HOUR), evidence=[i for p in path for i in spikes[p]["ids"]])]
