"""All posts about a brand on one platform, in event-time buckets, and what is normal there.

The detector tests grievances (grievances.py), but what "usual" means comes from here: the
brand's complaint rate on the platform, its usual negative share, and its rhythm. The hour of
the day comes from the history itself, each hour's buckets counted by weekday (an hour seen only
at a quiet weekend is not a quiet hour); the day of the week needs weeks, which no window of
recent history holds, so each platform also keeps how busy each of the brand's weekdays (its
days begin at `utc_offset_hours`) usually is, learnt from the days as they leave the scan
windows (its last four of each, kept for ever).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from operator import mul
from statistics import median
from typing import Any, Iterable

from .config import DetectorConfig
from .state import COUNTED, DELETED, FLAGGED, NEG, REACH, REPLIES, TOTAL, drop_before, new_platform, new_row

# Buckets of pseudo-evidence that an hour of the day is as busy as the average one.
SHAPE_PRIOR_BUCKETS = 6.0
DAY_S = 86400
WEEKS = 4  # a weekday is as busy as the median of its last four
SLOTS = 24 * 7
ALIKE = (1.0,) * 7  # weekdays before their rhythm is known


def bucket_of(ts: float, cfg: DetectorConfig) -> int:
    return int(ts // cfg.bucket_s)


def clock(bucket: int, cfg: DetectorConfig) -> tuple[int, int]:
    """(hour of the day in UTC, the brand's day: days since the epoch at its UTC offset) of the
    bucket. Both at once: the baseline sums need both for every platform at every bucket closed."""
    t = bucket * cfg.bucket_s
    return int(t % DAY_S // 3600), int((t + cfg.day_offset_s) // DAY_S)


def hour_of(bucket: int, cfg: DetectorConfig) -> int:
    return clock(bucket, cfg)[0]


def day_of(bucket: int, cfg: DetectorConfig) -> int:
    """The brand's day the bucket falls in (days since the epoch, at its UTC offset)."""
    return clock(bucket, cfg)[1]


def _weekday(day: int) -> int:
    """Monday 0 to Sunday 6."""
    return (day + 3) % 7  # the epoch's first day was a Thursday


def _slot(hour: int, weekday: int) -> int:
    """Where an hour of a weekday is counted in the history's slots: an hour's seven together."""
    return hour * 7 + weekday


def count(state: dict[str, Any], platform: str, b: int, negative: bool, reach: int,
          brand_reply: bool, deleted: bool, cfg: DetectorConfig) -> dict[str, Any]:
    """Count one post into its platform's bucket; returns the platform record."""
    plat = state["platforms"].get(platform)
    if plat is None:
        plat = state["platforms"][platform] = new_platform(b)
    elif b < plat["first"]:
        # Older than any post seen here (a blog read late): the baseline sums began at the
        # old first bucket, so they are worked out again from this one at the next close.
        plat["first"] = b
        plat.pop("hist", None)
    row = plat["buckets"].get(b)
    if row is None:
        row = plat["buckets"][b] = new_row()
    if deleted:
        row[DELETED] += 1
        return plat
    row[TOTAL] += 1
    row[REPLIES] += brand_reply
    if negative:
        row[NEG] += 1
        row[REACH] += reach
    hist = plat.get("hist")
    if row[COUNTED] == 1 and hist:  # a late post into a bucket already in the baseline sums
        hist["total"] += 1
        hist["neg"] += negative
        hist["hours"][hour_of(b, cfg)] += 1
        week = plat.get("week")
        if week and day_of(b, cfg) == week["day"]:
            week["posts"] += 1
    return plat


def rows(plat: dict[str, Any], first: int, last: int):
    """(bucket, row) for the buckets in [first, last] that saw posts."""
    buckets = plat["buckets"]
    if last - first + 1 <= len(buckets):
        for b in range(first, last + 1):
            row = buckets.get(b)
            if row is not None:
                yield b, row
    else:
        for b, row in buckets.items():
            if first <= b <= last:
                yield b, row


def window_sums(plat: dict[str, Any], first: int, last: int) -> tuple[int, int]:
    """(all posts, complaints) in buckets [first, last]."""
    total = neg = 0
    for _, row in rows(plat, first, last):
        total += row[TOTAL]
        neg += row[NEG]
    return total, neg


def flag(plat: dict[str, Any], first: int, last: int) -> None:
    """Buckets that were part of a spike stay out of the baseline: crisis is not normal."""
    for _, row in rows(plat, first, last):
        row[FLAGGED] = 1


@dataclass(frozen=True)
class Usual:
    neg_per_bucket: float   # complaints per bucket over the history
    share: float            # complaints as a share of all posts
    span: int               # buckets of history behind these figures
    hours: tuple[int, ...]  # posts per hour of the day over the history
    slots: tuple[int, ...]  # buckets of the history per hour of the day and weekday (`_slot`)
    mean: float             # posts per bucket
    # How busy each weekday usually is, the average day 1 (() unknown: all alike), and the
    # history's buckets on average in those terms.
    weekdays: tuple[float, ...] = ()
    history_day: float = 1.0
    # Windows ending at one bucket share most of their buckets: each one's figure is worked out once.
    _busy: dict[int, float] = field(default_factory=dict, compare=False, repr=False)

    def shape(self, first: int, last: int, cfg: DetectorConfig) -> float:
        """How busy buckets [first, last] usually are at their hours of the day and on their
        weekdays, relative to the history's mean.

        The history holds only the last few days, so each hour's rate is learnt net of the
        weekdays it was seen on: after a quiet weekend the morning hours were seen only on
        Saturday and Sunday, and would make every Monday morning look several times as loud.
        Each hour is shrunk towards the mean (SHAPE_PRIOR_BUCKETS of pseudo-evidence), so a
        thin history does not make a quiet hour look empty.
        """
        if self.mean <= 0:
            return 1.0
        buckets = range(first, last + 1, max(1, int(cfg.per_hour) // 2))
        busy = self._busy
        return sum(busy[b] if b in busy else self._busy_at(b, cfg) for b in buckets) / len(buckets) / self.mean

    def _busy_at(self, b: int, cfg: DetectorConfig) -> float:
        """Posts usually in bucket b: its hour's rate on an average weekday times its weekday's."""
        hour, day = clock(b, cfg)
        weekdays = self.weekdays or ALIKE
        # The hour's buckets in the history, each weighed by how busy its weekday usually is.
        exposure = sum(map(mul, self.slots[_slot(hour, 0):_slot(hour + 1, 0)], weekdays))
        rate = ((self.hours[hour] + SHAPE_PRIOR_BUCKETS * self.mean)
                / (exposure + SHAPE_PRIOR_BUCKETS * self.history_day))
        busy = self._busy[b] = rate * weekdays[_weekday(day)]
        return busy


def advance(platforms: Iterable[dict[str, Any]], b: int, cfg: DetectorConfig) -> None:
    """Move each platform's baseline sums to bucket b: every bucket, so they are rebuilt only
    after a long silence or a post older than the platform's first.

    The buckets entering and leaving the history are the same on every platform, so their
    clocks are worked out once: at a sparse brand's pace this runs about once per post."""
    crossing, clocks = _crossing(b, cfg), None
    for plat in platforms:
        hist = plat.get("hist")
        if hist is None or hist["b"] + 1 != b or "week_slots" not in hist:  # `_current`, inline: hot
            _history_at(plat, b, cfg)
            continue
        if clocks is None:
            clocks = clock(crossing[0], cfg), clock(crossing[1], cfg)
        _step(plat, hist, b, crossing, cfg, clocks)


def watched(state: dict[str, Any], b: int, cfg: DetectorConfig) -> int:
    """Buckets the brand has been watched, on any platform, behind the figures at b: a sparse
    platform's first post can come hours after the brand's first posts elsewhere."""
    return _behind(min(p["first"] for p in state["platforms"].values()), b, cfg)


def _behind(first: int, b: int, cfg: DetectorConfig) -> int:
    """Buckets of history from `first` (at most `history` back) up to the longest window ending at b."""
    return max(0, b - cfg.longest - max(first, b - cfg.history) + 1)


def usual(plat: dict[str, Any], b: int, cfg: DetectorConfig) -> Usual:
    """What is normal on this platform, from the history before the longest window ending at b."""
    hist = _history_at(plat, b, cfg)
    span = max(0, _behind(plat["first"], b, cfg) - hist["flagged"])
    total, neg = hist["total"], hist["neg"]
    weekdays, history_day = _weekdays(plat.get("week"), hist["week_slots"])
    return Usual(
        neg_per_bucket=neg / span if span else 0.0,
        share=neg / total if total >= 20 else cfg.min_negative_share / cfg.share_lift,
        span=span, hours=tuple(hist["hours"]), slots=tuple(hist["week_slots"]),
        mean=total / span if span else 0.0,
        weekdays=weekdays, history_day=history_day,
    )


def _weekdays(week: dict[str, Any] | None, slots: list[int]) -> tuple[tuple[float, ...], float]:
    """How busy each weekday usually is, and the history's weekdays on average (its buckets,
    `slots`, counted by `_slot`): ((), 1.0) until the weekdays are known."""
    if not week:
        return (), 1.0
    factors = week.get("_factors")  # a cache: derived from the rates, not stored
    if factors is None:
        factors = week["_factors"] = _weekday_factors(week)
    if not factors:
        return (), 1.0
    day_slots = [sum(slots[weekday::7]) for weekday in range(7)]
    spread = sum(day_slots)
    if not spread:
        return (), 1.0
    history_day = sum(n * f for n, f in zip(day_slots, factors)) / spread
    return (tuple(factors), history_day) if history_day > 0 else ((), 1.0)


def _weekday_factors(week: dict[str, Any]) -> list[float]:
    """How busy each weekday usually is, the average day 1: none until every weekday was seen.
    The median of its last WEEKS, so one odd day (a holiday) does not set the next month's
    expectations once three are known."""
    if not all(week["rates"]):
        return []
    usual = [median(r) for r in week["rates"]]
    mean = sum(usual) / 7
    return [u / mean for u in usual] if mean > 0 else []


def _history_at(plat: dict[str, Any], b: int, cfg: DetectorConfig) -> dict[str, Any]:
    """Running sums over [b - history, b - longest], moved forward one bucket at a time."""
    hist = plat.get("hist")
    if _current(hist):
        if hist["b"] == b:
            return hist
        if hist["b"] + 1 == b:
            _step(plat, hist, b, _crossing(b, cfg), cfg)
            return hist
    hist = plat["hist"] = _rebuild(plat, b, cfg)
    return hist


def _current(hist: dict[str, Any] | None) -> bool:
    """Sums as this version keeps them: a state stored by one that counted no weekdays, or
    each hour's buckets without their weekdays, is rebuilt once."""
    return hist is not None and "week_slots" in hist


def _empty(b: int) -> dict[str, Any]:
    return {"b": b, "total": 0, "neg": 0, "flagged": 0, "hours": [0] * 24, "week_slots": [0] * SLOTS}


def _crossing(b: int, cfg: DetectorConfig) -> tuple[int, int]:
    """The buckets entering and leaving the history as it moves to b: [b - history, b - longest]."""
    return b - cfg.longest, b - cfg.history - 1


def _step(plat: dict, hist: dict, b: int, crossing: tuple[int, int], cfg: DetectorConfig,
          clocks: tuple[tuple[int, int], tuple[int, int]] | None = None) -> None:
    """One bucket forward, to b: `crossing` the buckets entering and leaving (`_crossing`),
    `clocks` theirs if known."""
    _enter(plat, hist, crossing[0], cfg, clocks and clocks[0])
    _leave(plat, hist, crossing[1], cfg, clocks and clocks[1])
    hist["b"] = b


def _enter(plat: dict, hist: dict, bucket: int, cfg: DetectorConfig, when: tuple[int, int] | None = None) -> None:
    if bucket < plat["first"]:
        return
    row = plat["buckets"].get(bucket)
    if row is not None and row[FLAGGED]:
        row[COUNTED] = 2
        hist["flagged"] += 1
        return
    hour, day = when or clock(bucket, cfg)
    hist["week_slots"][hour * 7 + _weekday(day)] += 1  # `_slot`, inline: every platform, every bucket
    posts = 0
    if row is not None:
        posts = row[TOTAL]
        row[COUNTED] = 1
        hist["total"] += posts
        hist["neg"] += row[NEG]
        hist["hours"][hour] += posts
    _count_day(plat, day, posts, cfg)


def _count_day(plat: dict, day: int, posts: int, cfg: DetectorConfig) -> None:
    """Add a bucket entering the history (on `day`) to its day's count; a new day closes the last one."""
    week = plat.get("week")
    if week is None:
        week = plat["week"] = {"day": day, "posts": 0, "slots": 0, "rates": [[] for _ in range(7)]}
    if day < week["day"]:
        return  # a day already counted: the history is being rebuilt
    if day > week["day"]:
        _close_day(week, cfg)
        week.update(day=day, posts=0, slots=0)
    week["posts"] += posts
    week["slots"] += 1


def _close_day(week: dict, cfg: DetectorConfig) -> None:
    """Add a finished day's posts per bucket to its weekday's: not a day mostly unseen (a
    platform's first, a long silence) or mostly a spike's (crisis is not normal)."""
    if week["slots"] < DAY_S / cfg.bucket_s / 2:
        return
    rates = week["rates"][_weekday(week["day"])]
    rates.append(week["posts"] / week["slots"])
    del rates[:-WEEKS]
    week.pop("_factors", None)


def _leave(plat: dict, hist: dict, bucket: int, cfg: DetectorConfig, when: tuple[int, int] | None = None) -> None:
    if bucket < plat["first"]:
        return
    row = plat["buckets"].get(bucket)
    if row is not None and row[COUNTED] == 2:
        hist["flagged"] -= 1
    else:
        hour, day = when or clock(bucket, cfg)
        hist["week_slots"][hour * 7 + _weekday(day)] -= 1  # `_slot`
        if row is not None and row[COUNTED] == 1:
            hist["total"] -= row[TOTAL]
            hist["neg"] -= row[NEG]
            hist["hours"][hour] -= row[TOTAL]
    if row is not None:
        row[COUNTED] = 0


def _rebuild(plat: dict, b: int, cfg: DetectorConfig) -> dict[str, Any]:
    """Sums from scratch: at the first evaluation, or after a jump over a long silence."""
    hist = _empty(b)
    for _, row in rows(plat, b - cfg.longest - cfg.history - 2 * cfg.longest, b):
        row[COUNTED] = 0
    week = plat.get("week")
    if week is not None:  # the day being counted is counted again from its first bucket
        week["posts"] = week["slots"] = 0
    for bucket in range(max(plat["first"], b - cfg.history), b - cfg.longest + 1):
        _enter(plat, hist, bucket, cfg)
    return hist


def prune(plat: dict[str, Any], b: int, cfg: DetectorConfig, pruned: int | None = None) -> None:
    """Drop what no window can need again: memory stays bounded however long it runs.
    `pruned`: no bucket before it is left (the last prune's bound), or None if unknown."""
    drop_before(plat["buckets"], oldest_kept(b, cfg), pruned)


def oldest_kept(b: int, cfg: DetectorConfig) -> int:
    """The oldest bucket of counts a window can still need once bucket b is decided."""
    return b - cfg.history - cfg.longest - 1
