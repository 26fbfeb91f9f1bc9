"""Event-time buckets per brand and platform: ingest a post, sum a window, learn a baseline."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..records import EnrichedPost
from .config import DetectorConfig
from .state import COUNTED, DELETED, FIRST_NEG, FLAGGED, NEG, REACH, REPLIES, TOTAL, new_platform, new_row
from .terms import merge_terms, post_terms

DETAIL_IDS_PER_BUCKET = 40
DETAIL_TERMS_PER_BUCKET = 60
# Posts of pseudo-evidence that a clock window is as busy as any other.
SHAPE_PRIOR_POSTS = 5.0


def bucket_of(ts: float, cfg: DetectorConfig) -> int:
    return int(ts // cfg.bucket_s)


def is_negative(post: EnrichedPost, cfg: DetectorConfig) -> bool:
    """A complaint, as far as volume goes. The brand's own replies are its answer, not part of it.

    A probability threshold rather than the top label: complaints told flatly ("took two
    payments for one bill") often come out neutral by a small margin.
    """
    if post.post.is_brand_reply:
        return False
    return post.sentiment.label == "negative" or post.sentiment.negative >= cfg.negative_threshold


def ingest(state: dict[str, Any], post: EnrichedPost, cfg: DetectorConfig) -> None:
    """Count a post into the bucket of its event time (late posts land where they belong)."""
    ts, b = post.event_time, bucket_of(post.event_time, cfg)
    plat = state["platforms"].setdefault(post.post.platform, new_platform(b))
    plat["first"] = min(plat["first"], b)
    row = plat["buckets"].setdefault(str(b), new_row())
    if post.post.deleted:
        # Connectors re-emit a post the brand's page no longer shows: a deletion, not more volume.
        row[DELETED] += 1
        _credit_deletion(state, post.post.platform, ts)
        return
    row[TOTAL] += 1
    row[REPLIES] += bool(post.post.is_brand_reply)
    negative = is_negative(post, cfg)
    if row[COUNTED] == 1:  # a late post into a bucket already in the baseline sums
        plat["hist"]["total"] += 1
        plat["hist"]["neg"] += negative
    if negative:
        row[NEG] += 1
        row[REACH] += max(0, post.post.author_followers or 0)
        row[FIRST_NEG] = ts if row[FIRST_NEG] is None else min(row[FIRST_NEG], ts)
        _add_detail(state, b, post, ts)


def _credit_deletion(state: dict[str, Any], platform: str, ts: float) -> None:
    """Notices arrive after their bucket was counted: credit the open incident directly."""
    rec = (state["incident"] or {}).get("platforms", {}).get(platform)
    if rec and ts >= rec["onset"]:
        rec["counts"][4] += 1


def _add_detail(state: dict[str, Any], b: int, post: EnrichedPost, ts: float) -> None:
    detail = state["detail"].setdefault(str(b), {}).setdefault(post.post.platform, {"ids": [], "terms": {}})
    ids = detail["ids"]
    ids.append([ts, post.post.id])
    if len(ids) > DETAIL_IDS_PER_BUCKET:
        # Keep the earliest posts, whatever order they arrived in: replay and stream agree.
        ids.sort()
        del ids[DETAIL_IDS_PER_BUCKET:]
    exclude = frozenset(post.brand.lower().split())
    merge_terms(detail["terms"], post_terms(post.post.text, exclude), DETAIL_TERMS_PER_BUCKET)


def rows(plat: dict[str, Any], first: int, last: int):
    """(bucket, row) for the buckets in [first, last] that saw posts."""
    buckets = plat["buckets"]
    if last - first + 1 <= len(buckets):
        for b in range(first, last + 1):
            row = buckets.get(str(b))
            if row is not None:
                yield b, row
    else:
        for key, row in buckets.items():
            if first <= int(key) <= last:
                yield int(key), row


def window_sums(plat: dict[str, Any], b: int, cfg: DetectorConfig) -> tuple[int, int]:
    """(all posts, negative posts) in the window ending at b."""
    total = neg = 0
    for _, row in rows(plat, b - cfg.window + 1, b):
        total += row[TOTAL]
        neg += row[NEG]
    return total, neg


@dataclass(frozen=True)
class Baseline:
    per_bucket: float   # negatives per bucket over the history
    shape: float        # how busy this clock window usually is, relative to the average
    share: float        # usual negative share of all posts
    hours: float        # history actually seen


def baseline(plat: dict[str, Any], b: int, cfg: DetectorConfig) -> Baseline:
    """What is normal for this brand on this platform, learnt from the history before the window.

    Buckets that were part of a spike are left out, so a long incident does not teach the
    baseline that crisis is normal. Priors keep new or quiet streams from alarming on noise.
    The sums are kept up to date as buckets enter and leave the history, not recounted.
    """
    hist = _history_at(plat, b, cfg)
    start, end = max(plat["first"], b - cfg.history), b - cfg.window
    span = max(0, end - start + 1 - hist["flagged"])
    total, neg = hist["total"], hist["neg"]
    mean_window = total / span * cfg.window if span else 0.0
    return Baseline(
        per_bucket=(neg + cfg.prior_per_bucket * cfg.prior_buckets) / (span + cfg.prior_buckets),
        shape=_daily_shape(plat, b, start, mean_window, cfg),
        share=neg / total if total >= 20 else cfg.min_negative_share / 2,
        hours=span * cfg.bucket_s / 3600,
    )


def _history_at(plat: dict[str, Any], b: int, cfg: DetectorConfig) -> dict[str, int]:
    """The running sums over [b - history, b - window], moved forward one bucket at a time."""
    hist = plat.get("hist")
    if hist is None or not hist["b"] < b <= hist["b"] + 1:
        hist = plat["hist"] = _rebuild(plat, b, cfg)
    elif hist["b"] < b:
        _enter(plat, hist, b - cfg.window)
        _leave(plat, hist, b - cfg.window - cfg.history - 1)
        hist["b"] = b
    return hist


def _enter(plat: dict, hist: dict, bucket: int) -> None:
    row = plat["buckets"].get(str(bucket))
    if row is None or bucket < plat["first"]:
        return
    if row[FLAGGED]:
        row[COUNTED] = 2
        hist["flagged"] += 1
    else:
        row[COUNTED] = 1
        hist["total"] += row[TOTAL]
        hist["neg"] += row[NEG]


def _leave(plat: dict, hist: dict, bucket: int) -> None:
    row = plat["buckets"].get(str(bucket))
    if row is None:
        return
    if row[COUNTED] == 1:
        hist["total"] -= row[TOTAL]
        hist["neg"] -= row[NEG]
    elif row[COUNTED] == 2:
        hist["flagged"] -= 1
    row[COUNTED] = 0


def _rebuild(plat: dict, b: int, cfg: DetectorConfig) -> dict[str, int]:
    """Sums from scratch: at the first evaluation, or after a jump over a long silence."""
    hist = {"b": b, "total": 0, "neg": 0, "flagged": 0}
    for _, row in rows(plat, b - cfg.window - cfg.history - 2 * cfg.window, b):
        row[COUNTED] = 0
    for bucket, _ in list(rows(plat, max(plat["first"], b - cfg.history), b - cfg.window)):
        _enter(plat, hist, bucket)
    return hist


def _daily_shape(plat: dict[str, Any], b: int, start: int, mean_window: float, cfg: DetectorConfig) -> float:
    """Volume of this clock window on previous days over the average window, shrunk towards 1.

    Uses all posts (many more than the negatives, so less noisy) from earlier days, so the
    storm going on now cannot raise its own bar.
    """
    day = 86400 // cfg.bucket_s
    seen, days = 0, 0
    for d in range(1, cfg.history // day + 1):
        first, last = b - d * day - cfg.window + 1, b - d * day
        if first < start:
            break
        seen += sum(row[TOTAL] for _, row in rows(plat, first, last) if not row[FLAGGED])
        days += 1
    if not days or mean_window <= 0:
        return 1.0
    return (seen / days + SHAPE_PRIOR_POSTS) / (mean_window + SHAPE_PRIOR_POSTS)


def prune(state: dict[str, Any], b: int, cfg: DetectorConfig) -> None:
    """Drop what no window can need again: memory stays bounded however long it runs."""
    oldest = b - cfg.history - cfg.window
    for plat in state["platforms"].values():
        for key in [k for k in plat["buckets"] if int(k) < oldest]:
            del plat["buckets"][key]
    for key in [k for k in state["detail"] if int(k) < b - cfg.detail_keep]:
        del state["detail"][key]
