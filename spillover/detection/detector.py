"""The detection core: plain, deterministic, event-time. Faust agents and `replay` both call it.

A post is counted into the bucket of its `created_at`; a complaint also joins its grievance
(grievances.py). Decisions are taken only when a bucket closes, that is when the brand's
watermark (the latest event time seen, less the allowed lateness) passes the bucket's end:
then the grievances that got complaints in it are tested (spikes.py), so are its platforms'
complaints as a whole (bursts.py: a storm in too many wordings for any group to be loud), and
incidents move on (incidents.py). Posts later than that land in their true bucket and the
windows they touch are tested again at the next close, so a blog post read hours late still
gets its true place in the path.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, MutableMapping

from ..records import EnrichedPost, IncidentEvent, ValidationError
from ..settings import DetectionSettings, tuned_detection
from . import budget, bursts, grievances, seen, spikes, traffic
from .config import DetectorConfig
from .incidents import decide, expire_spikes
from .state import new_brand_state
from .terms import post_terms
from .traffic import bucket_of
from .vectors import centred, post_vector

if TYPE_CHECKING:
    from ..watchlist import Watchlist

TOO_LATE, REPEATED = "too_late", "repeated"  # why a post was not counted
TOO_MANY_PLATFORMS = "too_many_platforms"  # why one is refused (a ValidationError's code)


class Detector:
    """Stateless itself: every call takes the brand's state dict and mutates it in place.

    `tuning` gives brands their own settings ({brand: {setting: value}}, the watchlist's
    `detection:`); a brand's posts then go to a detector of its own settings."""

    def __init__(self, settings: DetectionSettings, playbooks: Mapping[str, dict] | None = None,
                 tuning: Mapping[str, Mapping[str, Any]] | None = None):
        self.cfg = DetectorConfig.from_settings(settings)
        self._playbooks = dict(playbooks or {})
        self._tuned = {brand: self._own(settings, brand, changes)
                       for brand, changes in (tuning or {}).items() if changes}

    def _own(self, settings: DetectionSettings, brand: str, changes: Mapping[str, Any]) -> "Detector":
        where = f"brand {brand!r}"
        try:
            return Detector(tuned_detection(settings, changes, where), self._playbooks)
        except ValueError as exc:  # from the settings' own checks, which do not know the brand
            if where in str(exc):
                raise
            raise ValueError(f"{where}: {exc}") from None

    @classmethod
    def for_watchlist(cls, settings: DetectionSettings, watchlist: "Watchlist") -> "Detector":
        """The detector for a watchlist's brands: their playbooks and their own settings."""
        return cls(settings, watchlist.playbooks, watchlist.detection)

    new_state = staticmethod(new_brand_state)

    def for_brand(self, brand: str) -> "Detector":
        """The detector that decides for this brand: one of its own settings, or this one."""
        return self._tuned.get(brand, self)

    def too_late(self, state: dict[str, Any], post: EnrichedPost) -> bool:
        """Older than any window still kept: it cannot change a decision any more."""
        own = self.for_brand(post.brand)
        return own._too_late(state, bucket_of(post.event_time, own.cfg))

    def _too_late(self, state: dict[str, Any], b: int) -> bool:
        wm = state["watermark"]
        return wm is not None and b < bucket_of(wm, self.cfg) - self.cfg.history

    def is_complaint(self, post: EnrichedPost) -> bool:
        """A complaint, as far as volume goes. The brand's own replies are its answer, not part of it.

        A probability threshold rather than the top label: complaints told flatly ("took two
        payments for one bill") often come out neutral by a small margin.
        """
        own = self.for_brand(post.brand)
        if own is not self:
            return own.is_complaint(post)
        p = post.post
        if p.is_brand_reply or p.deleted:
            return False
        return post.sentiment.label == "negative" or post.sentiment.negative >= self.cfg.negative_threshold

    def observe(self, states: MutableMapping[str, dict], post: EnrichedPost,
                on_skip: Callable[[str], None] | None = None) -> list[IncidentEvent]:
        """Process a post against a store of brand states (a dict, or a Faust table)."""
        state = states.get(post.brand) or new_brand_state()
        events = self.process(state, post, on_skip)
        states[post.brand] = state  # assign back: a Faust table logs the change on set
        return events

    def process(self, state: dict[str, Any], post: EnrichedPost,
                on_skip: Callable[[str], None] | None = None) -> list[IncidentEvent]:
        """Count one enriched post of `post.brand`; return the incident events it led to.

        A post not counted is passed to `on_skip` with the reason: TOO_LATE, or REPEATED (the
        same post delivered again, see seen.py). One on a platform more than `max_platforms`
        raises ValidationError (TOO_MANY_PLATFORMS) before it changes anything."""
        own = self.for_brand(post.brand)
        if own is not self:
            return own.process(state, post, on_skip)
        cfg, p = self.cfg, post.post
        key = seen.post_key(p.id, bool(p.deleted))
        ts = post.event_time
        b = bucket_of(ts, cfg)
        skip = TOO_LATE if self._too_late(state, b) else REPEATED if seen.seen_before(state, key) else None
        if skip:
            if on_skip is not None:
                on_skip(skip)
            return []
        self._check_platform(state, post)
        seen.remember(state, key, cfg.remember_posts)
        complaint = self.is_complaint(post)
        reach = max(0, p.author_followers or 0)
        traffic.count(state, p.platform, b, complaint, reach, bool(p.is_brand_reply), bool(p.deleted), cfg)
        if state["evaluated"] is None:
            state["evaluated"] = b - 1
        if complaint:
            self._file_complaint(state, post, ts, b, reach)
        if state["watermark"] is None or ts > state["watermark"]:
            state["watermark"] = ts
            return self._advance(state, post.brand)
        return []

    def _check_platform(self, state: dict[str, Any], post: EnrichedPost) -> None:
        """Refuse a post on a platform the brand's state has no room for (`max_platforms`): the
        caller dead-letters it, as it does a post that is not valid."""
        known = state["platforms"]
        if post.post.platform not in known and len(known) >= self.cfg.max_platforms:
            raise ValidationError(TOO_MANY_PLATFORMS, f"{post.brand} is already heard on as many platforms as "
                                  f"detection.max_platforms ({self.cfg.max_platforms}) allows: "
                                  f"{', '.join(sorted(known))}; a post on {post.post.platform!r} is not counted")

    def _file_complaint(self, state: dict[str, Any], post: EnrichedPost, ts: float, b: int, reach: int) -> None:
        vec = centred(state["usual_complaint"], post_vector(post.embedding, post.post.text, post.brand),
                      self.cfg.usual_complaints)
        bursts.hear(state, post.post.platform, b, vec, self.cfg)
        gid = grievances.assign(state, vec, b, self.cfg, post.post.platform)
        terms = post_terms(post.post.text, frozenset(post.brand.lower().split()))
        grievances.record(state["grievances"][gid], post.post.platform, b, ts, post.post.id, reach, terms)
        platform = post.post.platform
        if b <= state["evaluated"]:
            # Its bucket was already decided: test the windows it falls into at the next close.
            late = state["late"].setdefault(gid, {})
            late[platform] = min(late.get(platform, b), b)
        else:
            touched = state["pending"].setdefault(b, {}).setdefault(gid, [])
            if platform not in touched:
                touched.append(platform)

    def _advance(self, state: dict[str, Any], brand: str) -> list[IncidentEvent]:
        cfg = self.cfg
        closed = bucket_of(state["watermark"] - cfg.lateness_s, cfg) - 1
        # After a long silence there is nothing to decide about buckets older than the history.
        start = max(state["evaluated"] + 1, closed - cfg.history)
        events: list[IncidentEvent] = []
        for b in range(start, closed + 1):
            events.extend(self._evaluate(state, brand, b))
        if closed > state["evaluated"]:
            if closed // int(cfg.per_hour) != state["evaluated"] // int(cfg.per_hour):
                self._prune(state, closed, brand)  # hourly: memory stays bounded, the hot path stays short
            state["evaluated"] = closed
        return events

    def _evaluate(self, state: dict[str, Any], brand: str, b: int) -> list[IncidentEvent]:
        traffic.advance(state["platforms"].values(), b, self.cfg)
        if b not in state["pending"] and not state["late"] and not state["incidents"]:
            return []  # nothing new to test, nothing open to move on
        usuals = _Usuals(state, b, self.cfg)
        self._merge(state, b)
        heard = sorted({p for platforms in state["pending"].get(b, {}).values() for p in platforms})
        readings = self._revisit_late(state, b, usuals)
        for gid, platforms in sorted(state["pending"].pop(b, {}).items()):
            if gid in state["grievances"]:
                for platform in sorted(platforms):
                    reading = spikes.test(state, gid, platform, b, self.cfg, usuals[platform])
                    if reading:
                        readings.append(reading)
        # Spikes idle longer than `link` end first: a new burst must not inherit an old onset.
        expire_spikes(state, b, self.cfg)
        for reading in readings:
            spikes.record(state, reading, self.cfg)
        burst = bursts.watch(state, b, heard, usuals, self.cfg)
        spiked = sorted({r.gid for r in readings} | set(burst))
        if not spiked and not state["incidents"]:
            return []
        return decide(state, brand, b, spiked, self.cfg, self._playbooks.get(brand, {}), burst)

    def _merge(self, state: dict[str, Any], b: int) -> None:
        """Fold fragments of one grievance together; what was pending for them follows."""
        touched = sorted(set(state["pending"].get(b, {})) | set(state["late"]))
        moved = grievances.merge_similar(state, touched, self.cfg)
        if not moved:
            return
        for bucket, gids in state["pending"].items():
            state["pending"][bucket] = _redirect(gids, moved, lambda a, c: sorted(set(a) | set(c)))
        state["late"] = _redirect(state["late"], moved,
                                  lambda a, c: {p: min(a.get(p, x), c.get(p, x)) for p, x in {**a, **c}.items()})
        for inc in list(state["incidents"].values()) + list(state["resolved"].values()):
            inc["members"] = sorted({moved.get(g, g) for g in inc["members"]})

    def _revisit_late(self, state: dict[str, Any], now: int, usuals: dict) -> list[spikes.Reading]:
        """Test again the windows late complaints fell into, so their spike keeps its true onset."""
        readings = []
        for gid, platforms in sorted(state.pop("late", {}).items()):
            if gid not in state["grievances"]:
                continue
            for platform, first in sorted(platforms.items()):
                for b in range(max(first, now - self.cfg.link), min(first + self.cfg.longest, now + 1)):
                    reading = spikes.test(state, gid, platform, b, self.cfg, usuals[platform])
                    if reading:
                        readings.append(reading)
                        break
        state["late"] = {}
        return readings

    def _prune(self, state: dict[str, Any], b: int, brand: str = "") -> None:
        pruned = self._pruned_before(state)
        for plat in state["platforms"].values():
            traffic.prune(plat, b, self.cfg, pruned)
        grievances.prune(state, b, self.cfg, pruned)
        budget.keep_within(state, b, self.cfg, brand)
        state["pruned"] = [traffic.oldest_kept(b, self.cfg), self.cfg.history]
        for key in [k for k in state["pending"] if k <= b]:
            del state["pending"][key]

    def _pruned_before(self, state: dict[str, Any]) -> int | None:
        """The last prune's bound: no count before it is left, since a post that old is too late
        to count. Not if the history has grown since (a restart with more `baseline_hours`):
        posts older than the bound count again, and the oldest keys must be looked for."""
        stored = state.get("pruned")
        if not isinstance(stored, list) or len(stored) != 2:
            return None  # never pruned, or stored by another version: look for the oldest keys
        bound, history = stored
        return bound if self.cfg.history <= history else None


class _Usuals(dict):
    """Each platform's usual figures at bucket b, worked out when a test first needs them."""

    def __init__(self, state: dict[str, Any], b: int, cfg: DetectorConfig):
        super().__init__()
        self._state, self._b, self._cfg = state, b, cfg

    def __missing__(self, platform: str) -> traffic.Usual:
        value = self[platform] = traffic.usual(self._state["platforms"][platform], self._b, self._cfg)
        return value


def _redirect(by_gid: dict[int, Any], moved: dict[int, int], combine) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for gid, value in by_gid.items():
        gid = moved.get(gid, gid)
        out[gid] = combine(out[gid], value) if gid in out else value
    return out
