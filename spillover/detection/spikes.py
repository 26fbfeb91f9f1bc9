"""Is one grievance unusually loud on one platform right now, and since when?"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import grievances, traffic
from .config import DetectorConfig
from .significance import poisson_sf
from .state import G_FIRST, G_FLAGGED, G_NEG

MIN_EXPECTED = 1e-3    # keeps ratios finite for a topic never seen before


@dataclass(frozen=True)
class Reading:
    gid: int
    platform: str
    bucket: int
    window: int          # buckets of the window that spiked
    complaints: int
    expected: float
    ratio: float


def test(state: dict[str, Any], gid: int, platform: str, b: int, cfg: DetectorConfig,
         usual: traffic.Usual | None = None) -> Reading | None:
    """The spike of grievance gid on the platform in a window ending at bucket b, or None.

    Windows are scanned shortest first, so a fast storm is caught within half an hour and a
    slow one still adds up over four hours. A window spikes when all hold: enough complaints
    to matter, several times the expected number, beyond Poisson luck (alpha spent over all
    windows), the platform's negative share above its usual (a loud but happy launch lowers
    it), and enough history on the platform to know what usual is.
    """
    plat = state["platforms"][platform]
    usual = usual or traffic.usual(plat, b, cfg)
    if usual.span < cfg.warmup:
        return None
    rows = _pooled_rows(state, gid, platform, cfg)
    recent = [(k, r[G_NEG]) for k, r in rows.items() if b - cfg.longest < k <= b]
    if sum(n for _, n in recent) < cfg.min_negative:
        return None
    rate = _expected_rate(rows, plat, b, usual, cfg)
    for w in cfg.windows:
        n = sum(c for k, c in recent if k > b - w)
        if n < cfg.min_negative:
            continue
        expected = max(rate * w * usual.shape(b - w + 1, b, cfg), MIN_EXPECTED)
        if n < cfg.min_ratio * expected or poisson_sf(n, expected) > cfg.alpha:
            continue
        total, neg = traffic.window_sums(plat, b - w + 1, b)
        if neg < max(cfg.min_negative_share, usual.share * cfg.share_lift) * total:
            continue
        return Reading(gid, platform, b, w, n, expected, n / expected)
    return None


def _pooled_rows(state: dict[str, Any], gid: int, platform: str, cfg: DetectorConfig) -> dict[int, list]:
    """The grievance's rows, with those of its close kin added (fragments not merged yet)."""
    kin = grievances.kin(state, gid, cfg.pool_similarity)
    if len(kin) == 1:
        return state["grievances"][gid]["plat"].get(platform, {})
    pooled: dict[int, list] = {}
    for other in kin:
        grievances.add_rows(pooled, state["grievances"][other]["plat"].get(platform, {}))
    return pooled


def _expected_rate(rows: dict[int, list], plat: dict[str, Any], b: int, usual: traffic.Usual,
                   cfg: DetectorConfig) -> float:
    """Complaints per bucket this grievance usually gets here, shrunk towards a prior.

    A grievance nobody raised before gets the prior: a share of the brand's usual complaints
    on the platform, so a busy platform needs more before it counts as loud.
    """
    lo, hi = max(plat["first"], b - cfg.history), b - cfg.longest
    seen = sum(r[G_NEG] for k, r in rows.items() if lo <= k <= hi and not r[G_FLAGGED])
    prior = max(cfg.topic_prior_share * usual.neg_per_bucket, cfg.prior_per_bucket)
    return (seen + prior * cfg.prior_buckets) / (usual.span + cfg.prior_buckets)


def onset(rows: dict[int, list], b: int, expected_per_bucket: float, cfg: DetectorConfig) -> tuple[float, int]:
    """When the excess began: a CUSUM change point over the two longest windows.

    Each bucket adds its complaints minus a reference a little above the usual rate; the
    onset is the first complaint of the final positive run of that sum.
    """
    reference = max(0.5, expected_per_bucket + 0.5 * math.sqrt(expected_per_bucket))
    total, start = 0.0, None
    for bucket in range(b - 2 * cfg.longest + 1, b + 1):
        row = rows.get(bucket)
        total += (row[G_NEG] if row else 0) - reference
        if total <= 0:
            total, start = 0.0, None
        elif start is None:
            start = bucket
    for bucket in range(b if start is None else start, b + 1):
        row = rows.get(bucket)
        if row:
            return row[G_FIRST], bucket
    return b * cfg.bucket_s, b


def record(state: dict[str, Any], reading: Reading, cfg: DetectorConfig) -> dict[str, Any]:
    """Start or extend the spike of the reading's grievance on its platform; flag its buckets."""
    g = state["grievances"][reading.gid]
    rows = g["plat"][reading.platform]
    spike = g["spikes"].get(reading.platform)
    if spike is None:
        start_ts, start_b = onset(rows, reading.bucket, reading.expected / reading.window, cfg)
        spike = g["spikes"][reading.platform] = {
            "onset": start_ts, "onset_bucket": start_b, "first_bucket": reading.bucket,
            "last_bucket": reading.bucket, "peak_ratio": 0.0, "expected": reading.expected / reading.window}
    spike["last_bucket"] = max(spike["last_bucket"], reading.bucket)
    spike["peak_ratio"] = round(max(spike["peak_ratio"], min(reading.ratio, 1e6)), 3)
    first = reading.bucket - reading.window + 1
    grievances.flag(g, reading.platform, first, reading.bucket)
    traffic.flag(state["platforms"][reading.platform], first, reading.bucket)
    return spike
