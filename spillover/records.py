"""The message types of the SPEC (RawPost, EnrichedPost, IncidentEvent), defined once.

Records are plain dataclasses so the detection core, replay and the Faust layer share them
without depending on Faust. Each knows how to validate itself from untrusted JSON and how to
turn itself back into the JSON object the topics carry.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Any, Mapping

import orjson

from .timeutil import to_epoch

SCHEMA_VERSION = 1
MAX_TEXT_CHARS = 20_000
MAX_MESSAGE_BYTES = 256 * 1024
# A 64-bit signed int, which every JSON reader on the way keeps exact (see decode_json).
MAX_FOLLOWERS = 2 ** 63 - 1
SENTIMENT_LABELS = ("negative", "neutral", "positive")
INCIDENT_STATUSES = ("opened", "escalated", "updated", "resolved")
# A surrogate alone: JSON can spell one (\ud83d), no UTF-8 can carry it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ValidationError(ValueError):
    """Bad input. `code` is a short, stable reason for metrics and the DLQ; str() explains."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_REQUIRED_STR = ("id", "platform", "text", "created_at")
_OPTIONAL_STR = ("brand", "author", "url", "parent_id", "lang")
_OPTIONAL_BOOL = ("is_brand_reply", "deleted")


def _check_types(obj: Mapping[str, Any]) -> None:
    for name in _REQUIRED_STR:
        if name not in obj or obj[name] is None:
            raise ValidationError("missing_field", f"required field {name!r} is missing")
        if not isinstance(obj[name], str):
            raise ValidationError(
                "wrong_type", f"field {name!r} must be a string, got {type(obj[name]).__name__}"
            )
    for name in _OPTIONAL_STR:
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise ValidationError("wrong_type", f"field {name!r} must be a string")
    for name in _OPTIONAL_BOOL:
        if obj.get(name) is not None and not isinstance(obj[name], bool):
            raise ValidationError("wrong_type", f"field {name!r} must be true or false")
    followers = obj.get("author_followers")
    if followers is not None and (isinstance(followers, bool) or not isinstance(followers, int)):
        raise ValidationError("wrong_type", "field 'author_followers' must be an integer")
    if followers is not None and not -MAX_FOLLOWERS <= followers <= MAX_FOLLOWERS:
        raise ValidationError("bad_value", f"author_followers {followers} is beyond any account's")
    engagement = obj.get("engagement")
    if engagement is not None:
        # Python reads NaN and Infinity as JSON; strict readers of posts.enriched would not. A
        # count too large for a float is still a count.
        if not isinstance(engagement, dict) or not all(
            _finite(v) or isinstance(v, int) and not isinstance(v, bool) for v in engagement.values()
        ):
            raise ValidationError("wrong_type", "field 'engagement' must be an object of counts")


def _check_values(obj: Mapping[str, Any]) -> float:
    """Checks what types cannot; returns the event time, which checking created_at works out."""
    if not obj["id"].strip():
        raise ValidationError("bad_value", "field 'id' is empty")
    platform = obj["platform"]
    if (not platform or platform != platform.lower() or not platform.replace("_", "").isalnum()
            or not platform[0].isalpha()):
        raise ValidationError("bad_value", f"platform {platform!r} must be a lower-case name starting with a letter")
    if len(obj["text"]) > MAX_TEXT_CHARS:
        raise ValidationError(
            "oversized", f"text has {len(obj['text'])} characters, the limit is {MAX_TEXT_CHARS}"
        )
    try:
        return to_epoch(obj["created_at"])
    except ValueError as exc:
        raise ValidationError("bad_timestamp", f"created_at: {exc}") from None


def _well_formed(obj: dict[str, Any]) -> dict[str, Any]:
    """The post with each lone surrogate in its own string fields made U+FFFD.

    Text cut in the middle of an emoji by something that counts UTF-16 units keeps half of
    it. That is valid JSON, and the post is as real as any, but the tokenizer refuses it and
    so would every UTF-8 message it reaches (posts.enriched's key, an incident's evidence
    and summary). A UTF-8 decoder's errors="replace" makes the same character of it. Fields
    this version does not know ride along as they came.
    """
    fixed = {k: LONE_SURROGATE.sub("\ufffd", obj[k]) for k in _STRINGS
             if isinstance(obj.get(k), str) and not obj[k].isascii() and LONE_SURROGATE.search(obj[k])}
    return {**obj, **fixed} if fixed else obj


@dataclass(frozen=True)
class RawPost:
    """A post as a connector saw it. Unknown fields ride along in `extra`."""

    id: str
    platform: str
    text: str
    created_at: str
    brand: str | None = None
    author: str | None = None
    url: str | None = None
    parent_id: str | None = None
    lang: str | None = None
    engagement: dict[str, float] | None = None
    author_followers: int | None = None
    is_brand_reply: bool | None = None
    deleted: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def event_time(self) -> float:
        return to_epoch(self.created_at)

    @classmethod
    def from_dict(cls, obj: Any) -> "RawPost":
        if not isinstance(obj, dict):
            raise ValidationError("not_an_object", f"a post must be a JSON object, got {type(obj).__name__}")
        _check_types(obj)
        obj = _well_formed(obj)
        event_time = _check_values(obj)
        known = {k: obj.get(k) for k in _FIELDS if k != "extra"}
        extra = {k: v for k, v in obj.items() if k not in _FIELDS}
        post = cls(**known, extra=extra)
        post.__dict__["event_time"] = event_time  # the cached property, without parsing twice
        return post

    @classmethod
    def from_bytes(cls, data: bytes | str | None) -> "RawPost":
        return cls.from_dict(decode_json(data))

    def to_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict: its deep copy cost the enrich agent more than writing the JSON.
        out = {k: v for k in _KNOWN if (v := getattr(self, k)) is not None}
        if self.engagement is not None:
            out["engagement"] = dict(self.engagement)
        out.update(self.extra)
        return out


_FIELDS = tuple(RawPost.__dataclass_fields__)
_KNOWN = tuple(k for k in _FIELDS if k != "extra")
_STRINGS = ("id", "platform", "text", "brand", "author", "url", "parent_id", "lang")


def encode_json(obj: Any) -> bytes:
    """One JSON message, as UTF-8 bytes.

    orjson first: an enriched post carries 384 embedding values, and writing them with the
    standard library took about half of the enrich agent's own time on the event loop (a
    profile with a near-free model, as on a GPU). What orjson refuses
    (an integer past 64 bits or a lone surrogate in a field this version does not know, which
    ride along as they came) the standard library writes as before, so nothing accepted fails
    to go out. orjson writes a NaN or infinity in such a field as null: strict JSON has none."""
    try:
        return orjson.dumps(obj)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(obj).encode()


def decode_json(data: bytes | str | None) -> Any:
    """Decode one JSON message, turning every failure into a ValidationError.

    orjson first: the detect agent reads hundreds of embedding values per post, and orjson
    parses them several times as fast. Where orjson refuses (NaN, a lone surrogate, nesting
    past its limit, text not in UTF-8) the standard library reads the message as before, so
    what is accepted does not change. orjson reads an integer past 64 bits as a float; the
    only such field a decision reads, author_followers, is bounded below that."""
    if data is None or len(data) == 0:
        raise ValidationError("empty", "message is empty")
    if len(data) > MAX_MESSAGE_BYTES:
        raise ValidationError("oversized", f"message has {len(data)} bytes, the limit is {MAX_MESSAGE_BYTES}")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass  # what orjson refuses, the standard library may read (below): it decides
    try:
        return json.loads(data)
    except UnicodeDecodeError:
        raise ValidationError("not_json", "message is not UTF-8 text") from None
    except RecursionError:  # a few hundred kilobytes of "[[[[": the parser recurses per level
        raise ValidationError("not_json", "message nests arrays or objects too deeply to read") from None
    except json.JSONDecodeError as exc:
        raise ValidationError("not_json", f"message is not JSON: {exc.msg} at position {exc.pos}") from None


@dataclass(frozen=True)
class Sentiment:
    label: str
    scores: dict[str, float]

    @property
    def negative(self) -> float:
        return self.scores.get("negative", 0.0)


@dataclass(frozen=True)
class EnrichedPost:
    """A RawPost with its brand resolved and the model's reading of it."""

    post: RawPost
    brand: str
    sentiment: Sentiment
    embedding: tuple[float, ...] = ()
    model: str = ""

    @property
    def event_time(self) -> float:
        return self.post.event_time

    def to_dict(self) -> dict[str, Any]:
        out = self.post.to_dict()
        out.update(
            brand=self.brand,
            sentiment=self.sentiment.label,
            sentiment_scores={k: round(v, 4) for k, v in self.sentiment.scores.items()},
            model=self.model,
            schema_version=SCHEMA_VERSION,
        )
        if self.embedding:
            out["embedding"] = list(self.embedding)  # already rounded by the model pipeline
        return out

    @classmethod
    def from_dict(cls, obj: Any) -> "EnrichedPost":
        if not isinstance(obj, dict):
            raise ValidationError("not_an_object", "an enriched post must be a JSON object")
        obj = dict(obj)
        brand, label = obj.pop("brand", None), obj.pop("sentiment", None)
        scores = obj.pop("sentiment_scores", None) or {}
        embedding, model = obj.pop("embedding", None) or (), obj.pop("model", "")
        obj.pop("schema_version", None)
        if not isinstance(brand, str) or not brand:
            raise ValidationError("missing_field", "enriched post has no brand")
        if label not in SENTIMENT_LABELS:
            raise ValidationError("bad_value", f"sentiment {label!r} is not one of {SENTIMENT_LABELS}")
        post = RawPost.from_dict({**obj, "brand": brand})
        return cls(post, brand, Sentiment(label, _scores(scores)), _embedding(embedding), model)


MAX_EMBEDDING_DIM = 4096


def _finite(value: Any) -> bool:
    # bool is an int to Python, and JSON's NaN and Infinity parse as floats: none is a number
    # here, and neither is an int too large for a float (math.isfinite would raise on it).
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _scores(scores: Any) -> dict[str, float]:
    """Label probabilities: a mapping of known labels to numbers in [0, 1]."""
    if not isinstance(scores, dict) or any(
            k not in SENTIMENT_LABELS or not _finite(v) or not 0.0 <= v <= 1.0 for k, v in scores.items()):
        raise ValidationError("bad_value", f"sentiment_scores must map {SENTIMENT_LABELS} to numbers in [0, 1]")
    return {k: float(v) for k, v in scores.items()}


_NUMBERS = {float, int}  # type(True) is bool: not a number here


def _embedding(embedding: Any) -> tuple[float, ...]:
    """A flat list of finite numbers: anything else would poison every centroid it joined.

    Checked in bulk: the detect agent reads hundreds of values per post, and checking them one
    by one in Python cost it more than detecting. A NaN or an infinity makes the sum NaN or
    infinite, and so do values so large that they overflow, which would overflow a centroid."""
    bad = ValidationError("bad_value", f"embedding must be a list of at most {MAX_EMBEDDING_DIM} finite numbers")
    if not isinstance(embedding, (list, tuple)) or len(embedding) > MAX_EMBEDDING_DIM:
        raise bad
    types = set(map(type, embedding))
    if not types <= _NUMBERS:
        raise bad
    try:
        if not math.isfinite(sum(embedding)):
            raise bad
        return tuple(embedding) if int not in types else tuple(float(x) for x in embedding)
    except OverflowError:  # an int too large for a float
        raise bad from None


@dataclass
class PlatformActivity:
    """What an incident saw on one platform."""

    platform: str
    first_seen: str
    posts: int
    negative_posts: int
    baseline_per_hour: float = 0.0
    peak_ratio: float = 0.0
    brand_replies: int = 0
    deleted_posts: int = 0
    # What people write about there, most said first: the team answering on this platform
    # reads these, and words that differ from one platform to the next are worth a look.
    terms: list[str] = field(default_factory=list)


@dataclass
class IncidentEvent:
    incident_id: str
    brand: str
    status: str
    path: list[str]
    platforms: list[PlatformActivity]
    detected_at: str
    evidence: list[str]
    severity: str = "low"
    severity_score: float = 0.0
    severity_factors: dict[str, float] = field(default_factory=dict)
    summary: str = ""
    velocity: float = 0.0
    reach: int = 0
    response: dict[str, Any] = field(default_factory=dict)
    playbook: dict[str, Any] = field(default_factory=dict)
    opened_at: str = ""
    # The incident this one takes up again: the same grievance, resolved less than
    # `link_hours` before and loud again on the same platforms ("" when none).
    follows: str = ""
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> "IncidentEvent":
        """Fields this version does not know are left out: during a rolling upgrade, events
        written by a newer worker still read here."""
        data = _known(cls, obj)
        data["platforms"] = [PlatformActivity(**_known(PlatformActivity, p)) for p in data.get("platforms", [])]
        if data.get("status") not in INCIDENT_STATUSES:
            raise ValidationError("bad_value", f"incident status {data.get('status')!r} unknown")
        return cls(**data)


def _known(cls, obj: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in obj.items() if k in names}
