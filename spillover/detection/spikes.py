"""Is a brand's negative volume on one platform unusually high right now?"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .config import DetectorConfig
from .significance import poisson_sf
from .state import FIRST_NEG, FLAGGED, NEG
from .terms import merge_terms
from .windows import baseline, rows, window_sums

SPIKE_TERMS = 80
MIN_EXPECTED = 0.05    # keeps ratios finite on platforms with no history


@dataclass(frozen=True)
class Reading:
    platform: str
    total: int
    negative: int
    expected: float
    ratio: float
    spiking: bool


def read_platform(platform: str, plat: dict[str, Any], b: int, cfg: DetectorConfig) -> Reading:
    """Test the window ending at bucket b against the platform's own baseline.

    Expected negatives are the usual negative rate scaled by how busy this time of day
    usually is (the daily rhythm). All conditions are needed: enough posts to matter, several
    times the expected volume, beyond Poisson luck at level alpha, a negative share above the
    usual one (so a loud but happy spike, a launch, does not count), and enough history to
    know what usual is.
    """
    total, neg = window_sums(plat, b, cfg)
    base = baseline(plat, b, cfg)
    expected = max(base.per_bucket * cfg.window * base.shape, MIN_EXPECTED)
    ratio = neg / expected
    share = neg / total if total else 0.0
    spiking = (
        base.hours >= cfg.warmup_hours
        and neg >= cfg.min_negative
        and ratio >= cfg.min_ratio
        and share >= max(cfg.min_negative_share, min(0.9, base.share * cfg.share_lift))
        and poisson_sf(neg, expected) <= cfg.alpha
    )
    return Reading(platform, total, neg, expected, ratio, spiking)


def onset(plat: dict[str, Any], b: int, expected_per_bucket: float, cfg: DetectorConfig) -> tuple[float, int]:
    """When the excess began: a CUSUM change point over the last two windows.

    Each bucket adds its negatives minus a reference a little above the usual rate; the onset
    is where the final positive run of that sum started. Sparse but steady excess (one extra
    complaint per bucket on a quiet platform) counts; ordinary noise on a busy one does not.
    """
    # At least a quarter complaint per bucket: one stray post on a quiet platform fades within
    # four buckets, while one extra complaint every other bucket still adds up.
    reference = max(0.25, expected_per_bucket + 0.5 * math.sqrt(expected_per_bucket))
    total, start = 0.0, None
    for bucket in range(b - 2 * cfg.window + 1, b + 1):
        row = plat["buckets"].get(str(bucket))
        total += (row[NEG] if row else 0) - reference
        if total <= 0:
            total, start = 0.0, None
        elif start is None:
            start = bucket
    start = b if start is None else start
    for bucket in range(start, b + 1):
        row = plat["buckets"].get(str(bucket))
        if row and row[FIRST_NEG] is not None:
            return row[FIRST_NEG], bucket
    return b * cfg.bucket_s, b


def update_spike(plat: dict[str, Any], reading: Reading, detail: dict, b: int, now: int,
                 cfg: DetectorConfig) -> None:
    """Record (or extend) the platform's spike seen in the window ending at bucket b.

    `now` is the bucket being decided; it differs from b when late posts reveal a past spike.
    A spike quiet for `link` buckets is forgotten.
    """
    spike = plat["spike"]
    if not reading.spiking:
        if spike and now - spike["last_bucket"] > cfg.link:
            plat["spike"] = None
        return
    for _, row in rows(plat, b - cfg.window + 1, b):
        row[FLAGGED] = 1
    if spike is None:
        start, loud_from = onset(plat, b, reading.expected / cfg.window, cfg)
        spike = plat["spike"] = {"onset": start, "first_bucket": b, "last_bucket": b,
                                 "peak_ratio": 0.0, "evidence": [], "terms": {}}
        buckets = range(loud_from, b + 1)  # evidence from where the excess began
    else:
        buckets = range(min(spike["last_bucket"] + 1, b - cfg.window + 1), b + 1)
    spike["last_bucket"] = max(spike["last_bucket"], b)
    spike["touched"] = now
    spike["peak_ratio"] = round(max(spike["peak_ratio"], min(reading.ratio, 1e6)), 3)
    for bucket in buckets:
        _collect(spike, detail.get(str(bucket), {}).get(reading.platform), cfg)


def _collect(spike: dict[str, Any], detail: dict | None, cfg: DetectorConfig) -> None:
    if not detail:
        return
    known = {pid for _, pid in spike["evidence"]}
    spike["evidence"].extend(item for item in detail["ids"] if item[1] not in known)
    spike["evidence"].sort()
    del spike["evidence"][cfg.evidence_per_platform:]
    merge_terms(spike["terms"], detail["terms"], SPIKE_TERMS)
