"""What the worker accepts from posts.raw: a post dated far ahead of the clock is refused."""
import json

from spillover.enrichment import Rejection, parse
from spillover.timeutil import to_epoch
from spillover.watchlist import Watchlist

WATCHLIST = Watchlist.from_dict({"brands": [{"name": "Fjord Mobile", "aliases": ["Fjord"]}]})
NOW = to_epoch("2026-11-25T12:00:00Z")


def line(created_at: str) -> bytes:
    return json.dumps({"id": "twitter:1", "platform": "twitter", "text": "Fjord billed me twice",
                       "created_at": created_at}).encode()


def test_a_post_dated_far_ahead_of_the_clock_is_rejected_with_its_reason():
    got = parse(None, line("2999-01-01T00:00:00Z"), WATCHLIST, max_future_s=3600, now=NOW)
    assert isinstance(got, Rejection) and got.code == "future_timestamp"
    assert "2999-01-01T00:00:00Z" in got.reason and "60 minutes" in got.reason


def test_clock_skew_within_the_allowance_and_the_past_are_accepted():
    for stamp in ("2026-11-25T12:59:00Z", "2026-11-25T11:00:00Z", "2020-01-01T00:00:00Z"):
        post = parse(None, line(stamp), WATCHLIST, max_future_s=3600, now=NOW)
        assert not isinstance(post, Rejection) and post.brand == "Fjord Mobile"
    # One minute past the allowance is refused: the bound is the setting, not a rough margin.
    assert parse(None, line("2026-11-25T13:01:00Z"), WATCHLIST, max_future_s=3600, now=NOW).code == "future_timestamp"


def test_the_check_can_be_turned_off_for_scenarios_dated_in_the_future():
    assert not isinstance(parse(None, line("2999-01-01T00:00:00Z"), WATCHLIST, max_future_s=0, now=NOW), Rejection)
