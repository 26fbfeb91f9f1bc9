"""Detector parameters in the units the detector works in (buckets, seconds)."""
from __future__ import annotations

from dataclasses import dataclass

from ..settings import DetectionSettings


@dataclass(frozen=True)
class DetectorConfig:
    bucket_s: int
    negative_threshold: float
    windows: tuple[int, ...]   # scan windows, in buckets, shortest first
    history: int               # buckets of baseline history kept
    day_offset_s: float        # where the brand's days begin, from UTC midnight
    warmup: int                # buckets of history a platform needs before it can spike
    warmup_spread: int         # the same, for a storm already loud on another platform
    min_history: int           # buckets of history a platform needs before it is tested at all
    learning_strictness: float
    topic_prior_share: float
    prior_per_bucket: float
    prior_buckets: float
    min_negative: int
    min_ratio: float
    min_negative_spread: int
    alpha_spread: float
    alpha: float               # per window: the scan spends the settings' alpha over all windows
    min_negative_share: float
    share_lift: float
    surge_complaint_share: float
    join_similarity: float
    cross_platform_join_similarity: float
    burst_join_similarity: float
    burst_join: int            # buckets within which a grievance counts as heard just now
    link_similarity: float
    long_form_link_similarity: float
    loud_groups_similarity: float
    legs_similarity: float
    legs_wait: int             # buckets an opening waits for legs_similarity to tell
    merge_similarity: float
    pool_similarity: float
    max_grievances: int
    max_platforms: int
    usual_complaints: int
    complaint_likeness: float
    storm_likeness: float
    beside_similarity: float
    shared_platforms_similarity: float
    platform_burst_similarity: float
    platform_burst_min_complaints: int
    platform_burst_lift: float
    platform_burst_alpha: float
    link: int                  # buckets within which a second platform joins the first
    look_back: bool            # an opening incident asks its quiet platforms about the past
    quiet: int                 # buckets without a spike before an incident resolves
    lateness_s: float
    update_growth: float
    evidence_per_platform: int
    remember_posts: int        # latest post ids kept per brand, so a redelivered post counts once
    max_state_bytes: int       # stored size a brand's state is trimmed under, hourly (0: no limit)
    # Derived, stored rather than computed: the hot path reads them for every bucket.
    longest: int = 0           # the longest scan window
    per_hour: float = 0.0      # buckets per hour
    burst_windows: tuple[int, ...] = ()  # the scan windows of an hour or more (bursts.py)

    @classmethod
    def from_settings(cls, s: DetectionSettings) -> "DetectorConfig":
        check(s)
        bucket_s = s.bucket_minutes * 60
        per_hour = 3600 / bucket_s
        windows, w = [], max(1, s.min_window_minutes // s.bucket_minutes)
        while w * s.bucket_minutes <= s.max_window_minutes:
            windows.append(w)
            w *= 2
        if not windows:
            raise ValueError("detection.min_window_minutes must not exceed max_window_minutes")
        return cls(
            bucket_s=bucket_s,
            negative_threshold=s.negative_threshold,
            windows=tuple(windows),
            history=int(s.baseline_hours * per_hour),
            day_offset_s=s.utc_offset_hours * 3600,
            warmup=int(s.warmup_hours * per_hour),
            warmup_spread=int(min(s.warmup_spread_hours, s.warmup_hours) * per_hour),
            min_history=max(1, int(min(s.min_history_hours, s.warmup_hours) * per_hour)),
            learning_strictness=s.learning_strictness,
            topic_prior_share=s.topic_prior_share,
            prior_per_bucket=s.prior_negative_per_hour / per_hour,
            prior_buckets=s.prior_hours * per_hour,
            min_negative=s.min_negative,
            min_ratio=s.min_ratio,
            min_negative_spread=s.min_negative_spread,
            alpha_spread=s.alpha_spread / len(windows),
            alpha=s.alpha / len(windows),
            min_negative_share=s.min_negative_share,
            share_lift=s.share_lift,
            surge_complaint_share=s.surge_complaint_share,
            join_similarity=s.join_similarity,
            cross_platform_join_similarity=s.cross_platform_join_similarity,
            burst_join_similarity=s.burst_join_similarity,
            burst_join=max(1, s.burst_join_minutes // s.bucket_minutes),
            link_similarity=s.link_similarity,
            long_form_link_similarity=s.long_form_link_similarity,
            loud_groups_similarity=s.loud_groups_similarity,
            legs_similarity=s.legs_similarity,
            legs_wait=-(-s.legs_wait_minutes // s.bucket_minutes),
            merge_similarity=s.merge_similarity,
            pool_similarity=s.pool_similarity,
            max_grievances=s.max_grievances,
            max_platforms=s.max_platforms,
            usual_complaints=s.usual_complaints,
            complaint_likeness=s.complaint_likeness,
            storm_likeness=s.storm_likeness,
            beside_similarity=s.beside_similarity,
            shared_platforms_similarity=s.shared_platforms_similarity,
            platform_burst_similarity=s.platform_burst_similarity,
            platform_burst_min_complaints=s.platform_burst_min_complaints,
            platform_burst_lift=s.platform_burst_lift,
            platform_burst_alpha=s.platform_burst_alpha,
            link=int(s.link_hours * per_hour),
            look_back=s.look_back,
            quiet=max(1, int(s.quiet_hours * per_hour)),
            lateness_s=s.allowed_lateness_minutes * 60,
            update_growth=s.update_growth,
            evidence_per_platform=s.evidence_per_platform,
            remember_posts=s.remember_posts,
            max_state_bytes=s.max_state_kib * 1024,
            longest=windows[-1],
            per_hour=per_hour,
            # A platform's complaints as a whole bunch by chance more than one grievance's do:
            # windows of an hour and more, as in the prototype the figures come from (half an
            # hour was not tried).
            burst_windows=tuple(w for w in windows if w * bucket_s >= 3600) or (windows[-1],),
        )


# Where each setting makes sense. Outside it a detector would crash (a bucket of 0 minutes),
# dead-letter every complaint (no usual complaint to take away), or quietly never report
# (a history shorter than the window it leaves out): a worker refuses to start instead.
AT_LEAST_ONE = ("bucket_minutes", "min_window_minutes", "min_negative", "min_negative_spread", "max_grievances",
                "max_platforms", "usual_complaints", "platform_burst_min_complaints")
NOT_NEGATIVE = ("warmup_hours", "warmup_spread_hours", "min_history_hours", "learning_strictness",
                "topic_prior_share", "prior_negative_per_hour", "prior_hours", "min_ratio", "share_lift",
                "join_similarity", "cross_platform_join_similarity", "burst_join_similarity", "burst_join_minutes",
                "link_similarity", "long_form_link_similarity", "loud_groups_similarity", "legs_similarity",
                "legs_wait_minutes", "merge_similarity",
                "pool_similarity", "storm_likeness", "beside_similarity", "shared_platforms_similarity",
                "platform_burst_similarity", "platform_burst_lift", "link_hours", "allowed_lateness_minutes",
                "max_future_minutes", "remember_posts", "update_growth", "evidence_per_platform", "max_state_kib")
POSITIVE = ("complaint_likeness", "quiet_hours")
PROBABILITIES = ("alpha", "alpha_spread", "platform_burst_alpha")  # a chance: more than 0, at most 1
SHARES = ("negative_threshold", "min_negative_share", "surge_complaint_share")  # 0 to 1


def check(s: DetectionSettings) -> None:
    """ValueError naming the first setting outside the range where it makes sense."""
    for name in AT_LEAST_ONE:
        _require(name, getattr(s, name) >= 1, "at least 1")
    for name in NOT_NEGATIVE:
        _require(name, getattr(s, name) >= 0, "0 or more")
    for name in POSITIVE:
        _require(name, getattr(s, name) > 0, "more than 0")
    for name in PROBABILITIES:
        _require(name, 0 < getattr(s, name) <= 1, "more than 0 and at most 1")
    for name in SHARES:
        _require(name, 0 <= getattr(s, name) <= 1, "from 0 to 1")
    _require("utc_offset_hours", -12 <= s.utc_offset_hours <= 14, "from -12 to 14")
    # The baseline leaves out the longest window: a history no longer than it is empty.
    _require("baseline_hours", s.baseline_hours * 60 > s.max_window_minutes,
             f"longer than max_window_minutes ({s.max_window_minutes})")


def _require(name: str, holds: bool, what: str) -> None:
    if not holds:
        raise ValueError(f"detection.{name} must be {what}")
