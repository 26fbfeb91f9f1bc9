"""Is one grievance unusually loud on one platform right now, and since when?"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..long_form import LONG_FORM_PLATFORMS
from . import grievances, traffic
from .config import DetectorConfig
from .significance import negative_binomial_sf, poisson_sf
from .state import G_FIRST, G_FLAGGED, G_NEG

MIN_EXPECTED = 1e-3    # keeps ratios finite for a topic never seen before
MIN_BURST = 2          # complaints from an onset on, at least


@dataclass(frozen=True)
class Reading:
    gid: int
    platform: str
    bucket: int
    window: int          # buckets of the window that spiked
    complaints: int
    expected: float
    ratio: float
    group: tuple[int, ...] = ()   # the grievances counted together in the test


def test(state: dict[str, Any], gid: int, platform: str, b: int, cfg: DetectorConfig,
         usual: traffic.Usual | None = None) -> Reading | None:
    """The spike of grievance gid on the platform in a window ending at bucket b, or None.

    Windows are scanned shortest first, so a fast storm is caught within half an hour and a
    slow one still adds up over four hours. A window spikes when all hold: enough complaints
    to matter, several times the expected number, beyond Poisson luck (alpha spent over all
    windows), the platform's negative share above its usual (a loud but happy launch lowers
    it), and no happy surge around it (`_happy_surge`). A platform with less history than its
    warm-up (`warmup`, or `warmup_spread` when the storm is already loud elsewhere) is still
    learning what usual is: from `min_history` on it is asked more strictly
    (`learning_strictness`), with the uncertainty of what it has learnt counted (`_tail`), and
    expected to have at least the complaints its current volume implies.
    """
    plat = state["platforms"][platform]
    usual = usual or traffic.usual(plat, b, cfg)
    if usual.span < cfg.min_history:
        return None
    group, spreading = _storm(state, gid, platform, b, cfg)
    # Spreading: the same storm is already loud elsewhere, so this is one targeted question
    # ("has it reached this platform too?") and takes less evidence than a cold scan.
    least, alpha = (cfg.min_negative_spread, cfg.alpha_spread) if spreading else (cfg.min_negative, cfg.alpha)
    learnt = _learnt(state, usual, spreading, b, cfg)
    learning = learnt < 1.0
    if learning:
        alpha *= learnt ** cfg.learning_strictness
    lo, hi = _history_bounds(plat, b, cfg)
    recent, seen = _group_counts(state, group, platform, b, lo, hi)
    if sum(recent.values()) < least:
        return None
    rate = _expected_rate(seen, usual, cfg)
    if learning:
        rate = max(rate, _brand_share_rate(state, group, platform, seen, b, usual, cfg))
    recent = list(recent.items())
    for w in cfg.windows:
        n = sum(c for k, c in recent if k > b - w)
        if n < least:
            continue
        shape = usual.shape(b - w + 1, b, cfg)
        expected = max(rate * w * shape, MIN_EXPECTED)
        sums = None
        if learning:
            sums = traffic.window_sums(plat, b - w + 1, b)
            expected = max(expected, _implied_by_volume(rate, sums, usual))
        if n < cfg.min_ratio * expected or _tail(n, expected, rate, usual, learning, cfg) > alpha:
            continue
        total, neg = sums or traffic.window_sums(plat, b - w + 1, b)
        if neg < max(cfg.min_negative_share, usual.share * cfg.share_lift) * total:
            continue
        if cfg.surge_complaint_share and (_happy_surge(total, neg, shape * w, usual, cfg) or (
                w < cfg.longest and _surge_around(plat, usual, b, cfg))):
            continue
        return Reading(gid, platform, b, w, n, expected, n / expected, tuple(group))
    return None


# Posts beyond the usual before a window can count as a surge, and it must be three times as
# busy as usual: twice its usual over four hours can be chance and a storm's own posts (36 on
# a platform where 15 are usual, a weak storm's complaints among them, half read as neutral),
# and a storm's complaints there must not be taken for a launch's by-product.
SURGE_LEAST_EXTRA = 20


def _happy_surge(total: int, neg: int, buckets: float, usual: traffic.Usual, cfg: DetectorConfig) -> bool:
    """Whether a window's `total` posts, `neg` of them complaints, are a surge of posts that are
    mostly not complaints: at least three times what `buckets` of usual traffic bring (its
    length weighted by how busy its hours usually are) and SURGE_LEAST_EXTRA posts beyond it,
    and under `surge_complaint_share` of the posts beyond the usual are complaints.

    A launch brings many times the usual posts; if the model misreads one of its wordings
    ("smashed it with the new app") as a complaint, that wording is a tight group, loud on
    every platform the launch reaches, and by chance its posts can bunch into a short window
    where they look like a storm's. A storm's new posts are mostly its complaints."""
    usual_total = usual.mean * buckets
    extra = total - usual_total
    if extra < max(2 * usual_total, SURGE_LEAST_EXTRA):
        return False
    return neg - usual.neg_per_bucket * buckets < cfg.surge_complaint_share * extra


def _surge_around(plat: dict[str, Any], usual: traffic.Usual, b: int, cfg: DetectorConfig) -> bool:
    """_happy_surge over the longest window up to b: it sees the launch around a short bunch."""
    first = b - cfg.longest + 1
    total, neg = traffic.window_sums(plat, first, b)
    return _happy_surge(total, neg, usual.shape(first, b, cfg) * cfg.longest, usual, cfg)


def _learnt(state: dict[str, Any], usual: traffic.Usual, spreading: bool, b: int, cfg: DetectorConfig) -> float:
    """How much of its warm-up the platform's history covers, at most 1 (below 1, what is
    usual there is still being learnt).

    A targeted question needs less history, as the storm's evidence is already elsewhere. A
    sparse platform whose first post came hours after the brand's first post elsewhere has
    been quiet, not unwatched: with `warmup_spread` of its own, the brand's time watched
    counts (its rates still count from its own first post, which errs towards expecting more).
    """
    if spreading:
        return min(1.0, usual.span / cfg.warmup_spread) if cfg.warmup_spread else 1.0
    known = usual.span
    if cfg.warmup_spread <= known < cfg.warmup:
        known = max(known, traffic.watched(state, b, cfg))
    return min(1.0, known / cfg.warmup) if cfg.warmup else 1.0


def _tail(n: int, expected: float, rate: float, usual: traffic.Usual, learning: bool, cfg: DetectorConfig) -> float:
    """The chance of n complaints or more by luck alone. While the platform is learning, the
    grievance's rate is known from a few hours' complaints (and the prior's pseudo-complaints),
    so the rate's own uncertainty counts too: the Gamma-Poisson (negative binomial) tail, whose
    shape is the evidence the rate was learnt from. A night with three complaints by chance
    must not make an ordinary afternoon look like a storm."""
    if not learning:
        return poisson_sf(n, expected)
    return negative_binomial_sf(n, expected, rate * (usual.span + cfg.prior_buckets))


def _implied_by_volume(rate: float, sums: tuple[int, int], usual: traffic.Usual) -> float:
    """The complaints a grievance at its usual rate would get in a window as busy as this one,
    judged by the platform's other posts: until a day's rhythm is known, a busier hour must
    not pass for a burst. Complaints are left out, so that a storm does not raise its own bar."""
    total, neg = sums
    other = usual.mean - usual.neg_per_bucket
    return rate * (total - neg) / other if other > 0 else 0.0


def _storm(state: dict[str, Any], gid: int, platform: str, b: int, cfg: DetectorConfig) -> tuple[list[int], bool]:
    """The grievances counted together with gid, and whether they are loud on another platform.

    Its close kin (fragments not merged yet) and the grievances told alongside it, always.
    Once gid is loud somewhere else, also the grievances loud there at the same time, or in
    its incident: one storm is told in many ways, and on the next platform it is their sum
    that grows.
    """
    group = set(grievances.kin(state, gid, cfg.pool_similarity, cfg)) | _told_alongside(state, gid, b, cfg)
    g = state["grievances"][gid]
    elsewhere = {p: s for p, s in g["spikes"].items() if p != platform and b - s["last_bucket"] <= cfg.link}
    if not elsewhere:
        storms = _open_storms_told_long(state, gid, platform, cfg)
        return sorted(group | storms), bool(storms)
    for other, o in state["grievances"].items():
        if g["incident"] is not None and o["incident"] == g["incident"]:
            group.add(other)
            continue
        for p, s in elsewhere.items():
            mate = o["spikes"].get(p)
            if mate is not None and o["incident"] is None and \
                    abs(mate["first_bucket"] - s["first_bucket"]) <= cfg.longest:
                group.add(other)
    return sorted(group), True


def _open_storms_told_long(state: dict[str, Any], gid: int, platform: str, cfg: DetectorConfig) -> set[int]:
    """On a long-form platform, the members of the open incidents gid is `long_form_link_similarity`
    alike: a storm's blog posts, each framed in its writer's words, form a grievance of their
    own, less like the storm's tweets than its kin are, and a blog's few posts must be asked
    the targeted question of a platform the storm may be reaching, not a cold scan."""
    # At a long-form bar no lower than `pool_similarity`, its kin already holds them.
    if platform not in LONG_FORM_PLATFORMS or cfg.long_form_link_similarity >= cfg.pool_similarity:
        return set()
    storms: set[int] = set()
    for _iid, inc in sorted(state["incidents"].items()):
        if gid not in inc["members"] and grievances.likeness(state, [gid], inc["members"], cfg) \
                >= cfg.long_form_link_similarity:
            storms.update(inc["members"])
    return storms


def _told_alongside(state: dict[str, Any], gid: int, b: int, cfg: DetectorConfig) -> set[int]:
    """Free grievances at least `shared_platforms_similarity` alike that are being told on two
    or more of the platforms where gid is too: the same storm in other words, spreading along
    the same path. Two grievances each loud on a platform of its own share none."""
    if not cfg.shared_platforms_similarity:
        return set()
    mine = _told_on(state["grievances"][gid], b, cfg)
    if len(mine) < 2:
        return set()
    return {other for other in grievances.kin(state, gid, cfg.shared_platforms_similarity, cfg)
            if other != gid and state["grievances"][other]["incident"] is None
            and len(mine & _told_on(state["grievances"][other], b, cfg)) >= 2}


def _told_on(g: dict[str, Any], b: int, cfg: DetectorConfig) -> set[str]:
    """Platforms with `min_negative_spread` complaints of g or more in the longest scan window:
    one stray background complaint must not make a grievance look spread."""
    first = b - cfg.longest + 1
    return {p for p, rows in g["plat"].items()
            if grievances.complaints_in(rows, first, b)[0] >= cfg.min_negative_spread}


def _reading_onset(state: dict[str, Any], reading: Reading, cfg: DetectorConfig) -> tuple[float, int]:
    group = [m for m in reading.group if m in state["grievances"]] or [reading.gid]
    rows = pooled_rows(state, group, reading.platform)
    return onset(rows, reading.bucket, reading.expected / reading.window, cfg)


def pooled_rows(state: dict[str, Any], group: list[int], platform: str) -> dict[int, list]:
    """The group's complaints on the platform, bucket by bucket."""
    if len(group) == 1:
        return state["grievances"][group[0]]["plat"].get(platform, {})
    pooled: dict[int, list] = {}
    for other in group:
        grievances.add_rows(pooled, state["grievances"][other]["plat"].get(platform, {}))
    return pooled


def _group_counts(state: dict[str, Any], group: list[int], platform: str, b: int,
                  lo: int, hi: int) -> tuple[dict[int, int], int]:
    """The group's complaints on the platform: per bucket after `hi` up to b (the scan windows),
    and in total over [lo, hi] (its history), leaving out buckets any member had in a spike."""
    recent: dict[int, int] = {}
    history: dict[int, int] = {}
    flagged: set[int] = set()
    for gid in group:
        for k, row in state["grievances"][gid]["plat"].get(platform, {}).items():
            if k > hi:
                if k <= b:
                    recent[k] = recent.get(k, 0) + row[G_NEG]
            elif k >= lo:
                if row[G_FLAGGED]:
                    flagged.add(k)
                else:
                    history[k] = history.get(k, 0) + row[G_NEG]
    return recent, sum(n for k, n in history.items() if k not in flagged)


def _expected_rate(seen: int, usual: traffic.Usual, cfg: DetectorConfig) -> float:
    """Complaints per bucket this grievance usually gets here (`seen` over the history), shrunk
    towards a prior.

    A grievance nobody raised before gets the prior: a share of the brand's usual complaints
    on the platform, so a busy platform needs more before it counts as loud.
    """
    prior = max(cfg.topic_prior_share * usual.neg_per_bucket, cfg.prior_per_bucket)
    return (seen + prior * cfg.prior_buckets) / (usual.span + cfg.prior_buckets)


# Posts the brand's histories must hold, all platforms together, before the group's share of
# them is taken as its rate on a learning platform.
LEAST_SHARE_POSTS = 50


def _history_bounds(plat: dict[str, Any], b: int, cfg: DetectorConfig) -> tuple[int, int]:
    """The buckets [lo, hi] of the platform's history behind the windows ending at b."""
    return max(plat["first"], b - cfg.history), b - cfg.longest


def _brand_share_rate(state: dict[str, Any], group: list[int], platform: str, seen: int, b: int,
                      usual: traffic.Usual, cfg: DetectorConfig) -> float:
    """The group's rate on a learning platform as its share of all the brand's posts, on every
    platform's history, times this platform's posts per bucket (`seen` and `usual`: the
    group's complaints and the figures in this platform's history, already worked out).

    A few hours of one platform say little: by chance its first morning can hold a third of the
    complaints it usually gets, and the next afternoon then looks like a burst of the brand's
    one recurring complaint. The brand's busier platforms have seen that complaint all along.
    A new grievance's share is nothing, and its bar stays the prior's."""
    mine, posts = seen, usual.mean * usual.span
    for name, plat in state["platforms"].items():
        lo, hi = _history_bounds(plat, b, cfg)
        if name == platform or hi < lo:
            continue
        there = traffic.usual(plat, b, cfg)
        posts += there.mean * there.span
        mine += _group_counts(state, group, name, b, lo, hi)[1]
    return mine / posts * usual.mean if posts >= LEAST_SHARE_POSTS else 0.0


def onset(rows: dict[int, list], b: int, expected_per_bucket: float, cfg: DetectorConfig) -> tuple[float, int]:
    """When the excess began: the most likely change point of a Poisson rate over the two
    longest windows.

    Each bucket s with complaints is a candidate: the rate before s is what the buckets
    before it show (at least the usual rate), the rate from s on what the buckets from s to
    b show, and the onset is the first complaint of the s under which the complaints are
    most likely, among those that leave at least MIN_BURST complaints from s on (with two
    complaints, the last alone in the bucket just closed would otherwise look likeliest).
    A stray complaint hours before the burst would stretch the burst's rate thin, so it
    stays in "before"; a sparse platform (a blog post every twenty minutes) keeps its first
    post, since before it there was nothing.
    """
    first = b - 2 * cfg.longest + 1
    counts = [(k, rows[k][G_NEG]) for k in range(first, b + 1) if k in rows and rows[k][G_NEG]]
    if not counts:
        return b * cfg.bucket_s, b
    r0 = max(expected_per_bucket, MIN_EXPECTED)
    total = sum(n for _, n in counts)
    best, best_bucket, before = -math.inf, counts[0][0], 0
    for k, n in counts:
        after, d_before, d_after = total - before, k - first, b - k + 1
        if after < MIN_BURST and k != counts[0][0]:
            break  # one complaint alone is not where a burst began
        rise = after / d_after
        if d_before == 0 or before / d_before < rise:
            ll = _log_likelihood(before, d_before, r0) + _log_likelihood(after, d_after, r0)
            if ll > best:
                best, best_bucket = ll, k
        before += n
    return rows[best_bucket][G_FIRST], best_bucket


def _ended(spike: dict[str, Any], g: dict[str, Any], reading: Reading, cfg: DetectorConfig) -> bool:
    """Whether the reading is a new burst: the old spike was quiet for `quiet` before its window.

    A spike stays on record for `link` so a slow storm can still be tied to it from another
    platform; but a new burst on the same platform, after a quiet spell, takes off when it
    does, not when yesterday's burst did. While an incident holds the grievance its spikes
    are the incident's history and stay as they are.
    """
    return g["incident"] is None and reading.bucket - reading.window - spike["last_bucket"] >= cfg.quiet


def _log_likelihood(n: int, d: int, floor: float) -> float:
    """Poisson log-likelihood (less the constant) of n events in d buckets at the rate they show."""
    rate = max(n / d, floor) if d else floor
    return (n * math.log(rate) if n else 0.0) - rate * d


def record(state: dict[str, Any], reading: Reading, cfg: DetectorConfig) -> dict[str, Any]:
    """Start or extend the spike of the reading's grievance on its platform; flag its buckets."""
    g = state["grievances"][reading.gid]
    spike = g["spikes"].get(reading.platform)
    if spike is not None and _ended(spike, g, reading, cfg):
        spike = None
    if spike is None:
        start_ts, start_b = _reading_onset(state, reading, cfg)
        spike = g["spikes"][reading.platform] = {
            "onset": start_ts, "onset_bucket": start_b, "first_bucket": reading.bucket,
            "last_bucket": reading.bucket, "peak_ratio": 0.0, "expected": reading.expected / reading.window}
    elif reading.bucket < spike["first_bucket"]:
        # Complaints that reached us late show the spike began earlier than we first saw.
        start_ts, start_b = _reading_onset(state, reading, cfg)
        spike["first_bucket"] = reading.bucket
        if start_ts < spike["onset"]:
            spike["onset"], spike["onset_bucket"] = start_ts, start_b
    spike["last_bucket"] = max(spike["last_bucket"], reading.bucket)
    # What the readings counted together: what the platform's leg says (incidents._legs_alike).
    spike["group"] = sorted(set(spike.get("group", ())).union(reading.group or (reading.gid,)))
    spike["peak_ratio"] = round(max(spike["peak_ratio"], min(reading.ratio, 1e6)), 3)
    first = reading.bucket - reading.window + 1
    grievances.flag(g, reading.platform, first, reading.bucket)
    traffic.flag(state["platforms"][reading.platform], first, reading.bucket)
    return spike
