"""Per-brand detector state as one plain, JSON-compatible dict.

The same dict lives in a Python dict during `replay` and in a Faust table in the stream
workers, so there is nothing to convert and the table's changelog can store it as JSON.

    {"watermark": float, "evaluated": int,            # last closed bucket decided
     "platforms": {platform: {
         "first": int,                                # first bucket ever seen (history length)
         "buckets": {bucket: [total, negative, reach, brand_replies, deleted, first_neg_ts, flagged, counted]},
         "hist": {"b": int, "total": int, "neg": int, "flagged": int},   # running baseline sums
         "spike": {"onset": ts, "first_bucket": b, "last_bucket": b, "peak_ratio": r} | None}},
     "detail": {bucket: {platform: {"ids": [[ts, id], ...], "terms": {term: n}}}},
     "incident": {...} | None, "opened": int}
"""
from __future__ import annotations

from typing import Any

# Column positions in a bucket row.
TOTAL, NEG, REACH, REPLIES, DELETED, FIRST_NEG, FLAGGED, COUNTED = range(8)
# COUNTED: 0 not (yet) in the baseline sums, 1 in them, 2 left out as part of a spike.


def new_brand_state() -> dict[str, Any]:
    return {"watermark": None, "evaluated": None, "platforms": {}, "detail": {}, "incident": None, "opened": 0}


def new_platform(bucket: int) -> dict[str, Any]:
    return {"first": bucket, "buckets": {}, "spike": None}


def new_row() -> list:
    return [0, 0, 0, 0, 0, None, 0, 0]
