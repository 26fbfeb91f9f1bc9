import json

import pytest

from spillover.records import (
    MAX_TEXT_CHARS,
    EnrichedPost,
    IncidentEvent,
    RawPost,
    ValidationError,
    decode_json,
    encode_json,
)
from spillover.timeutil import format_epoch, parse_rfc3339

GOOD = {"id": "facebook:1", "platform": "facebook", "text": "hello", "created_at": "2026-03-02T10:00:00+02:00"}


def reject(obj) -> ValidationError:
    data = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
    with pytest.raises(ValidationError) as info:
        RawPost.from_bytes(data)
    return info.value


def test_valid_post_keeps_unknown_fields_and_converts_offsets():
    post = RawPost.from_dict({**GOOD, "brand": "Acme", "x_custom": {"a": 1}, "engagement": {"likes": 3}})
    assert post.to_dict()["x_custom"] == {"a": 1}
    assert post.engagement == {"likes": 3}
    assert format_epoch(post.event_time) == "2026-03-02T08:00:00Z"


@pytest.mark.parametrize("field", ["id", "platform", "text", "created_at"])
def test_missing_required_field_names_the_field(field):
    err = reject({k: v for k, v in GOOD.items() if k != field})
    assert err.code == "missing_field" and field in str(err)


@pytest.mark.parametrize("stamp", ["2026-03-02 10:00", "2026-03-02T10:00:00", "yesterday", "2026-13-02T10:00:00Z"])
def test_timestamps_without_offset_or_invalid_are_rejected(stamp):
    assert reject({**GOOD, "created_at": stamp}).code == "bad_timestamp"


def test_nanosecond_fractions_parse():
    assert parse_rfc3339("2026-03-02T10:00:00.123456789Z").microsecond == 123456


@pytest.mark.parametrize("stamp", ["2026-03-02T10:00:00.5Z", "2026-03-02t10:00:00.5z", "2026-03-02 10:00:00.5+00:00",
                                   "2026-03-02T12:30:00.500+02:30", "2026-03-02T05:00:00.500000000-05:00"])
def test_every_rfc3339_spelling_of_one_instant_is_the_same_event_time(stamp):
    post = RawPost.from_dict({**GOOD, "created_at": stamp})
    assert post.event_time == parse_rfc3339("2026-03-02T10:00:00.5Z").timestamp() == 1772445600.5


@pytest.mark.parametrize("field,value", [("text", 5), ("brand", ["x"]), ("deleted", "yes"),
                                         ("author_followers", "10"), ("engagement", {"likes": "many"}),
                                         ("engagement", {"likes": float("nan")}),
                                         ("engagement", {"shares": float("inf")})])
def test_wrong_types_are_rejected(field, value):
    assert reject({**GOOD, field: value}).code == "wrong_type"


def test_a_count_too_large_for_a_float_is_still_a_count():
    assert RawPost.from_dict({**GOOD, "engagement": {"likes": 10 ** 400}}).engagement == {"likes": 10 ** 400}


@pytest.mark.parametrize("text", [
    '{"x": [0.1, -0.30000000000000004, 1e-7, 5e22, 1.7976931348623157e308, -0.0, 12345678901234567]}',
    '{"x": 9223372036854775807, "y": -9223372036854775808, "z": "caf\\u00e9 \\ud83d\\ude00 \\u2028"}',
    '{"x": NaN}', '{"x": "\\ud83d"}', '{"a": 1, "a": 2}', '[' * 1100 + ']' * 1100,
])
def test_messages_read_as_the_standard_library_reads_them(text):
    # The fast parser goes first; where it refuses, the standard library decides.
    try:
        expected = json.loads(text)
    except RecursionError:
        assert reject(text.encode()).code == "not_json"
        return
    from spillover.records import decode_json
    got = decode_json(text.encode())
    # Spelt out again: NaN compares unequal to itself, and 1 and 1.0 compare equal.
    assert json.dumps(got) == json.dumps(expected)


def test_a_follower_count_beyond_any_account_is_refused():
    # Larger than 64 bits, a fast JSON reader would turn it into a float on the way.
    assert reject({**GOOD, "author_followers": 2 ** 63}).code == "bad_value"
    assert RawPost.from_dict({**GOOD, "author_followers": 2 ** 63 - 1}).author_followers == 2 ** 63 - 1


def test_not_json_empty_oversized_and_not_object():
    assert reject(b"{not json").code == "not_json"
    assert reject(b"\xff\xfe").code == "not_json"
    assert reject(b"").code == "empty"
    assert reject(b"[1, 2]").code == "not_an_object"
    assert reject(b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}").code == "not_json"  # not a RecursionError
    assert reject({**GOOD, "text": "x" * (MAX_TEXT_CHARS + 1)}).code == "oversized"


def test_half_an_emoji_becomes_the_replacement_character_and_the_post_is_kept():
    # Text cut in UTF-16 units keeps a lone surrogate: valid JSON, but no UTF-8 can carry it.
    data = ('{"id": "twitter:9\\ud83d", "platform": "twitter", "created_at": "2026-03-02T10:00:00Z",'
            ' "text": "Acme lost my bag \\ud83d", "brand": "Acme\\udc00", "author": "sam \\ud83d\\ude00",'
            ' "x_raw": "kept \\ud83d"}')
    post = RawPost.from_bytes(data)
    assert (post.id, post.text, post.brand) == ("twitter:9\ufffd", "Acme lost my bag \ufffd", "Acme\ufffd")
    assert post.author == "sam \U0001F600"  # a whole pair, escaped, is the emoji itself
    assert post.extra == {"x_raw": "kept \ud83d"}  # unknown fields ride along as they came


def test_an_enriched_post_goes_out_whatever_its_unknown_fields_carry():
    # The fast encoder refuses what JSON can spell but UTF-8 or 64 bits cannot hold; such
    # fields ride along as they came and must not stop the post on its way to posts.enriched.
    post = RawPost.from_bytes('{"id": "t:1", "platform": "twitter", "created_at": "2026-03-02T10:00:00Z",'
                              ' "text": "Acme lost my bag", "x_raw": "kept \\ud83d", "x_big": 1180591620717411303424}')
    out = EnrichedPost.from_dict({**post.to_dict(), "brand": "Acme", "sentiment": "negative",
                                  "sentiment_scores": {"negative": 0.9, "neutral": 0.05, "positive": 0.05},
                                  "embedding": [0.6, -0.8], "model": "m"}).to_dict()
    assert decode_json(encode_json(out)) == out
    plain = {k: v for k, v in out.items() if not k.startswith("x_")}
    assert decode_json(encode_json(plain)) == plain == json.loads(encode_json(plain))


def test_platform_must_be_lower_case_name():
    assert reject({**GOOD, "platform": "Facebook"}).code == "bad_value"


def test_incident_event_round_trip():
    event = {"incident_id": "acme-1", "brand": "Acme", "status": "opened", "path": ["facebook", "twitter"],
             "platforms": [{"platform": "facebook", "first_seen": "2026-03-02T10:00:00Z", "posts": 3,
                            "negative_posts": 2}], "detected_at": "2026-03-02T11:00:00Z",
             "evidence": ["facebook:1"], "schema_version": 1}
    parsed = IncidentEvent.from_dict(event)
    assert parsed.to_dict()["platforms"][0]["negative_posts"] == 2
    with pytest.raises(ValidationError):
        IncidentEvent.from_dict({**event, "status": "closed"})
    # Written by a newer version, with fields this one does not know: still read.
    newer = {**event, "escalation_policy": "p1", "platforms": [{**event["platforms"][0], "share": 0.4}]}
    assert IncidentEvent.from_dict(newer).to_dict() == parsed.to_dict()


def test_incidents_tail_prints_an_event_for_people_and_names_the_incident_it_follows():
    from spillover.cli.format import human
    event = IncidentEvent.from_dict({
        "incident_id": "acme-2", "brand": "Acme", "status": "opened", "path": ["facebook", "twitter"],
        "platforms": [{"platform": "facebook", "first_seen": "2026-03-02T10:00:00Z", "posts": 9, "negative_posts": 7,
                       "terms": ["charged", "twice"]},
                      {"platform": "twitter", "first_seen": "2026-03-02T10:30:00Z", "posts": 5, "negative_posts": 4,
                       "terms": ["refund", "refused"]}],
        "detected_at": "2026-03-02T11:00:00Z", "evidence": ["facebook:1"], "follows": "acme-1"})
    text = human(event)
    assert "OPENED" in text and "Acme: facebook -> twitter" in text
    # Each platform on a line of its own, with what is said there.
    assert "facebook 7/9 neg since 2026-03-02T10:00:00Z: charged, twice\n" in text
    assert "twitter 4/5 neg since 2026-03-02T10:30:00Z: refund, refused\n" in text
    assert "takes up again: acme-1" in text
    assert "takes up again" not in human(IncidentEvent.from_dict({**event.to_dict(), "follows": ""}))


ENRICHED = {**GOOD, "brand": "Acme", "sentiment": "negative",
            "sentiment_scores": {"negative": 0.9, "neutral": 0.05, "positive": 0.05}, "embedding": [0.6, 0.8]}


def test_an_enriched_post_round_trips():
    post = EnrichedPost.from_dict(ENRICHED)
    assert post.sentiment.negative == 0.9 and post.embedding == (0.6, 0.8)
    assert EnrichedPost.from_dict(post.to_dict()) == post


@pytest.mark.parametrize("field,value", [
    ("embedding", [0.6, float("nan")]), ("embedding", ["0.6", "0.8"]), ("embedding", [[0.6], [0.8]]),
    ("embedding", [True, False]), ("embedding", {"x": 1}), ("embedding", [0.1] * 5000),
    ("embedding", [0.6, 10 ** 400]), ("sentiment_scores", {"negative": 10 ** 400}),
    ("embedding", [1e308, 1e308]),  # each finite, but a centroid of them would not be
    ("sentiment_scores", {"negative": "high"}), ("sentiment_scores", {"negative": 7.0}),
    ("sentiment_scores", {"angry": 0.5}), ("sentiment_scores", [0.9, 0.1]),
])
def test_enriched_posts_with_unusable_model_output_are_rejected(field, value):
    # From JSON too: Python's parser reads NaN and Infinity, so they must be caught here.
    data = json.dumps({**ENRICHED, field: value})
    with pytest.raises(ValidationError) as info:
        EnrichedPost.from_dict(json.loads(data))
    assert info.value.code == "bad_value" and field in str(info.value)
