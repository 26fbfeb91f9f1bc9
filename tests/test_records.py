import json

import pytest

from spillover.records import IncidentEvent, RawPost, ValidationError, MAX_TEXT_CHARS
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


@pytest.mark.parametrize("field,value", [("text", 5), ("brand", ["x"]), ("deleted", "yes"),
                                         ("author_followers", "10"), ("engagement", {"likes": "many"})])
def test_wrong_types_are_rejected(field, value):
    assert reject({**GOOD, field: value}).code == "wrong_type"


def test_not_json_empty_oversized_and_not_object():
    assert reject(b"{not json").code == "not_json"
    assert reject(b"\xff\xfe").code == "not_json"
    assert reject(b"").code == "empty"
    assert reject(b"[1, 2]").code == "not_an_object"
    assert reject({**GOOD, "text": "x" * (MAX_TEXT_CHARS + 1)}).code == "oversized"


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
