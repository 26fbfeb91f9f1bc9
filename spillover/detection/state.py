"""Per-brand detector state: one plain dict, JSON-compatible once its caches are dropped.

The same dict lives in a Python dict during `replay` and in a Faust table in the stream
workers. Keys starting with "_" are caches derived from the rest (a numpy matrix of grievance
centroids); `dumps` leaves them out and they are rebuilt on first use, so a state restored
from the table's changelog decides exactly as the one that was saved.

The changelog stores `encode`'s form: that JSON zlib-compressed, then the vectors as raw
float64. One Kafka message holds a brand's whole state, and Kafka refuses messages over
`max.message.bytes` (1 MB by default): the JSON of a brand ten times as busy as the
evaluation suite's is 0.7 MB even with its vectors as base64 (grievance centroids, evidence
ids and per-bucket counts, mostly), and 0.3 MB as `encode` writes it (`spillover evaluate
--throughput --traffic 10`).

    {"watermark": float, "evaluated": int,           # last closed bucket decided
     "platforms": {platform: {                       # all posts about the brand there
         "first": int,                               # first bucket seen (how much history)
         "buckets": {bucket: [total, negative, reach, brand_replies, deleted, flagged, counted]},
         "hist": {"b", "total", "neg", "flagged", "hours": [24 totals],
                  "week_slots": [24 x 7 counts: hour * 7 + weekday]},  # running sums over the history
         "week": {"day", "posts", "slots",              # the day being counted, then
                  "rates": [7 lists]}}},                 # each weekday's last posts per bucket
     "grievances": {gid: {                           # complaints grouped by what they say
         "v": vector,                                # sum of member embeddings (`encode`: {"<f8@":
                                                     # [start, count]} into its raw part; `dumps`:
                                                     # {"<f8": base64})
         "n": int, "last": int,
         "plat": {platform: {bucket: [complaints, first_ts, flagged, reach]}},
         "ids": {bucket: [[ts, post_id, platform], ...]}, "terms": {term: n},
         "pterms": {platform: {term: n}},            # the words said on each platform
         "home": platform,                           # where its first complaint was posted
         "away": {platform: [n, half_vector]} | None,  # its complaints elsewhere and their sum
                                                     # (float16, {"<f2": base64}); the home
                                                     # platform's share is the rest (None: unknown)
         "spikes": {platform: {"onset", "first_bucket", "last_bucket", "peak_ratio", "expected",
                               "group": [gid, ...]}},  # what its readings counted together
         "legs_wait": bucket,                        # since when an opening waits (legs_wait_minutes)
         "incident": id | None}},
     "next_gid": int,
     "pending": {bucket: {gid: [platforms]}},        # touched since their bucket was decided
     "late": {gid: {platform: first_bucket}},        # posts into already decided buckets
     "incidents": {id: {...}},                       # open incidents (see incidents.py)
     "resolved": {id: {...}},                        # resolved within `link`: late spikes reopen them
     "bursts": {platform: {"start", "last", "expected", "ratio",  # a platform's complaints
                           "incident", "v": vector}},              # bursting (bursts.py)
     "heard": {platform: {hour: vector}},            # its complaints' vectors, last few hours
     "opened": int,
     "pruned": [int, int],                           # buckets before the first were dropped, under
                                                     # the second's history (detector._prune)
     "recent": [post ids]}                           # the latest posts counted (seen.py)
"""
from __future__ import annotations

import base64
import json
import zlib
from typing import Any, Callable

import numpy as np
import orjson

LIVE = "_live"  # set on states the detector works on; a cache key, so never stored

# Column positions in a platform bucket row.
TOTAL, NEG, REACH, REPLIES, DELETED, FLAGGED, COUNTED = range(7)
# COUNTED: 0 not (yet) in the baseline sums, 1 in them, 2 left out as part of a spike.
# Column positions in a grievance bucket row.
G_NEG, G_FIRST, G_FLAGGED, G_REACH = range(4)


def new_brand_state() -> dict[str, Any]:
    return {LIVE: True, "watermark": None, "evaluated": None, "platforms": {}, "grievances": {}, "next_gid": 0,
            "pending": {}, "late": {}, "incidents": {}, "resolved": {}, "opened": 0,
            "usual_complaint": {}}


def new_platform(bucket: int) -> dict[str, Any]:
    return {"first": bucket, "buckets": {}}


def new_row() -> list:
    return [0, 0, 0, 0, 0, 0, 0]


def drop_before(by_bucket: dict[int, Any], oldest: int, first: int | None = None) -> None:
    """Delete the buckets before `oldest`.

    They all lie between the oldest key (or `first`, a bound known to lie at or below it) and
    `oldest`. At an hourly prune that is about an hour of buckets, so walking it is cheaper
    than testing every key of every platform and grievance; after a long silence, when it is
    longer than the dict, every key is tested.
    """
    if not by_bucket:
        return
    if first is None:
        first = min(by_bucket)
    if oldest - first <= len(by_bucket):
        for key in range(first, oldest):
            by_bucket.pop(key, None)
    elif min(by_bucket) < oldest:  # most of a grievance's rows have nothing that old: min() is cheap to ask
        for key in [k for k in by_bucket if k < oldest]:
            del by_bucket[key]


# A vector of floats is stored as its float64 bytes, base64: exact like JSON's own numbers,
# at half their size and a small part of the time (centroids are most of a state). The key is
# no word, platform, bucket or incident id, and does not start with "_" (a cache's mark).
VECTOR = "<f8"
# A grievance's per-platform shares (grievances.SHARE_DTYPE): float16, base64 in either form.
HALF_VECTOR = "<f2"


def _is_vector(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype == np.float64


# Each base64 form and the little-endian dtype its bytes are in.
BASE64_FORMS = {VECTOR: np.dtype("<f8"), HALF_VECTOR: np.dtype("<f2")}


def _plain(value: Any) -> Any:
    for tag, dtype in BASE64_FORMS.items():
        if isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype == dtype.type:
            return {tag: base64.b64encode(value.astype(dtype).tobytes()).decode("ascii")}
    if hasattr(value, "tolist"):  # other numpy arrays and scalars
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in detector state")


def _without_caches(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_caches(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("_"))}
    return value


def dumps(state: dict[str, Any]) -> str:
    """The state as JSON, caches left out: what the Faust table's changelog stores."""
    return json.dumps(_without_caches(state), default=_plain, separators=(",", ":"))


def _int_keys(pairs: list[tuple[str, Any]]) -> Any:
    # Buckets and grievance ids are int keys; JSON turns them into strings. Names never are
    # all digits (platforms and terms start with a letter), so this is unambiguous.
    if len(pairs) == 1 and pairs[0][0] in BASE64_FORMS:
        dtype = BASE64_FORMS[pairs[0][0]]
        return np.frombuffer(base64.b64decode(pairs[0][1]), dtype=dtype).astype(dtype.type)
    return {int(k) if k.lstrip("-").isdigit() else k: v for k, v in pairs}


def loads(text: str | bytes) -> dict[str, Any]:
    return json.loads(text, object_pairs_hook=_int_keys)


# The stored forms, newest first. JSON never starts with a NUL byte, so states written before
# them (plain JSON) still read.
STORED = b"\x00spz2"      # zlib-compressed JSON, then the vectors as raw float64
COMPRESSED = b"\x00spz1"  # zlib-compressed JSON, vectors inside as base64 (before 2026-11-27)
# A vector in STORED's JSON: where its float64 values lie in the raw part (start, count).
VECTOR_AT = "<f8@"
LENGTH = 4  # bytes of the compressed JSON's length, which comes first


def encode(state: dict[str, Any]) -> bytes:
    """The stored form of a state: its JSON compressed (zlib level 1: a third of the size in a
    few milliseconds), then its vectors as raw float64. Centroids are most of a small brand's
    state and float64 does not compress, so they are left out of the compressor, which spent
    most of its time on them; the result is a little smaller too (BENCHMARKS.md)."""
    raw: list[bytes] = []
    start = 0

    def plain(value: Any) -> Any:
        nonlocal start
        if _is_vector(value):
            raw.append(value.astype("<f8").tobytes())
            ref, start = {VECTOR_AT: [start, len(value)]}, start + len(value)
            return ref
        return _plain(value)

    packed = zlib.compress(_json(_without_caches(state), plain), 1)
    return STORED + len(packed).to_bytes(LENGTH, "big") + packed + b"".join(raw)


def _json(value: Any, default: Callable[[Any], Any]) -> bytes:
    """JSON by orjson, much faster than the standard library on a busy brand's thousands of
    small lists (BENCHMARKS.md); by the standard library where orjson refuses: a string that
    is not valid Unicode (posts are cleaned of lone surrogates when parsed, but a state must
    never be what stops a worker) or an int past 64 bits. Both write the shortest float that
    reads back exactly. orjson writes NaN and infinity as null, where the standard library
    writes NaN and Infinity; the state's floats are times, rates floored above zero and capped
    ratios, and its vectors (which a model could fill with NaN) do not go through JSON."""
    try:
        return orjson.dumps(value, default=default, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, default=default, separators=(",", ":")).encode()


# Written in place of a state too large for the changelog: read back, the brand starts afresh.
NOT_SAVED = b"\x00spz-not-saved"


def decode(data: bytes) -> dict[str, Any]:
    """A state from `encode`'s form, or from either form stored before it."""
    if data == NOT_SAVED:
        return new_brand_state()
    if data.startswith(STORED):
        return _unpack(memoryview(data)[len(STORED):])
    if data.startswith(COMPRESSED):
        data = zlib.decompress(data[len(COMPRESSED):])
    return loads(data)


def _unpack(body: memoryview) -> dict[str, Any]:
    size = int.from_bytes(body[:LENGTH], "big")
    text, raw = zlib.decompress(body[LENGTH:LENGTH + size]), body[LENGTH + size:]

    def hook(pairs: list[tuple[str, Any]]) -> Any:
        if len(pairs) == 1 and pairs[0][0] == VECTOR_AT:
            first, count = pairs[0][1]
            return np.frombuffer(raw, dtype="<f8", count=count, offset=8 * first).astype(np.float64)
        return _int_keys(pairs)

    return json.loads(text, object_pairs_hook=hook)


def revive(stored: dict[str, Any] | bytes) -> dict[str, Any]:
    """A state as the detector needs it, however a store decoded it.

    The stored bytes themselves (a changelog read back raw), or a state restored by a plain
    JSON decoder, which has string bucket and grievance ids: the detector's int arithmetic and
    sorting would fail on them. The result is marked live, so a state is converted once after
    a restore, not on every read.
    """
    if isinstance(stored, (bytes, bytearray)):
        state = decode(bytes(stored))
    elif stored.get(LIVE):
        return stored
    else:
        state = loads(dumps(stored))
    state[LIVE] = True
    return state
