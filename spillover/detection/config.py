"""Detector parameters in the units the detector works in (buckets, seconds)."""
from __future__ import annotations

from dataclasses import dataclass

from ..settings import DetectionSettings


@dataclass(frozen=True)
class DetectorConfig:
    bucket_s: int
    negative_threshold: float
    window: int            # buckets in the sliding detection window
    history: int           # buckets of baseline history kept
    prior_per_bucket: float
    prior_buckets: float
    min_negative: int
    warmup_hours: float
    min_ratio: float
    alpha: float
    min_negative_share: float
    share_lift: float
    link: int              # buckets within which a second platform joins the first
    quiet: int             # buckets without a spike before an incident resolves
    lateness_s: float
    update_growth: float
    evidence_per_platform: int
    detail_keep: int       # buckets of per-post detail kept (evidence, terms)

    @classmethod
    def from_settings(cls, s: DetectionSettings) -> "DetectorConfig":
        bucket_s = s.bucket_minutes * 60
        per_hour = 3600 / bucket_s
        return cls(
            bucket_s=bucket_s,
            negative_threshold=s.negative_threshold,
            window=s.window_buckets,
            history=int(s.baseline_hours * per_hour),
            prior_per_bucket=s.prior_negative_per_hour / per_hour,
            prior_buckets=s.prior_hours * per_hour,
            min_negative=s.min_negative,
            warmup_hours=s.warmup_hours,
            min_ratio=s.min_ratio,
            alpha=s.alpha,
            min_negative_share=s.min_negative_share,
            share_lift=s.share_lift,
            link=int(s.link_hours * per_hour),
            quiet=max(1, int(s.quiet_hours * per_hour)),
            lateness_s=s.allowed_lateness_minutes * 60,
            update_growth=s.update_growth,
            evidence_per_platform=s.evidence_per_platform,
            detail_keep=2 * s.window_buckets + int(s.allowed_lateness_minutes * 60 // bucket_s) + 1,
        )
