"""What the worker accepts from posts.raw: a post dated far ahead of the clock is refused, and
a post the detector fails on is set aside with its reason."""
import json

import pytest

from spillover.detection import Detector
from spillover.enrichment import Rejection, parse
from spillover.replay import read_lines, run_replay
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from spillover.settings import DetectionSettings
from spillover.timeutil import to_epoch
from spillover.watchlist import Watchlist

WATCHLIST = Watchlist.from_dict({"brands": [{"name": "Fjord Mobile", "aliases": ["Fjord"]}]})
NOW = to_epoch("2026-11-25T12:00:00Z")


def line(created_at: str) -> bytes:
    return json.dumps({"id": "twitter:1", "platform": "twitter", "text": "Fjord billed me twice",
                       "created_at": created_at}).encode()


@pytest.mark.parametrize("brand, counted_as", [
    ("Fjord Mobile", "Fjord Mobile"),
    ("fjord mobile", "Fjord Mobile"),       # another producer's spelling: the same brand's state
    ("  Fjord   Mobile ", "Fjord Mobile"),
    ("FJORD", "Fjord Mobile"),              # one of the brand's aliases
    (" Acme ", "Acme"),                     # not watched: kept as written, less the blanks
    ("   ", "Fjord Mobile"),                # blanks name nothing: the text decides
])
def test_a_brand_field_counts_for_the_watched_brand_it_spells(brand, counted_as):
    raw = json.dumps({"id": "twitter:1", "platform": "twitter", "text": "Fjord billed me twice", "brand": brand,
                      "created_at": "2026-11-25T11:00:00Z"}).encode()
    post = parse(None, raw, WATCHLIST, now=NOW)
    assert not isinstance(post, Rejection) and post.brand == counted_as


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


class _FailsOn(Detector):
    """The shipped detector, with a bug on one post: it raises before touching any state."""

    def __init__(self, post_id: str, *args):
        super().__init__(*args)
        self.post_id = post_id

    def observe(self, states, post, on_skip=None):
        if post.post.id == self.post_id:
            raise RuntimeError("a bug")
        return super().observe(states, post, on_skip)


@pytest.mark.model
def test_a_post_the_detector_fails_on_is_set_aside_and_the_replay_goes_on(model):
    """The detect agent dead-letters such a post (`detector_error`) and goes on; replay does
    the same, so the two still report the same incidents."""
    lines = list(read_lines(str(SAMPLE_POSTS)))
    watchlist = Watchlist.load(SAMPLE_WATCHLIST)
    settings = DetectionSettings()
    bad = json.loads(lines[100])["id"]
    failed, rejected = [], []
    stats = run_replay(lines, model, _FailsOn(bad, settings, watchlist.playbooks, watchlist.detection), watchlist,
                       failed.append, on_reject=rejected.append)
    assert stats.rejected["detector_error"] == 1
    [why] = [r for r in rejected if r.code == "detector_error"]
    assert why.reason == "RuntimeError: a bug" and json.loads(why.value)["id"] == bad
    without = []
    run_replay(lines[:100] + lines[101:], model, Detector.for_watchlist(settings, watchlist), watchlist,
               without.append)
    assert failed and [e.to_json() for e in failed] == [e.to_json() for e in without]


@pytest.mark.model
def test_a_post_on_a_platform_beyond_max_platforms_is_set_aside_with_its_reason(model):
    """Replay refuses it as the detect agent does (`too_many_platforms`), and goes on."""
    def post(pid: str, platform: str, minute: int) -> bytes:
        return json.dumps({"id": pid, "platform": platform, "text": "Fjord billed me twice",
                           "created_at": f"2026-03-02T10:{minute:02d}:00Z"}).encode()

    lines = [post("twitter:1", "twitter", 0), post("r_fjord:1", "r_fjord", 1), post("twitter:2", "twitter", 2)]
    rejected = []
    detector = Detector(DetectionSettings(max_platforms=1))
    stats = run_replay(lines, model, detector, WATCHLIST, lambda e: None, on_reject=rejected.append)
    assert stats.enriched == 3 and stats.rejected == {"too_many_platforms": 1}
    [why] = rejected
    assert json.loads(why.value)["id"] == "r_fjord:1"
    assert why.reason.startswith("Fjord Mobile is already heard on as many platforms as detection.max_platforms (1)")
