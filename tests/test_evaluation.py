"""The scoring behind `spillover evaluate`: a wrong score would mislead every tuning decision."""
import json

import pytest

from spillover.evaluation import score
from spillover.records import IncidentEvent, PlatformActivity

PLANTED = {"id": "p1", "brand": "Acme", "kind": "incident", "path": ["facebook", "twitter"],
           "onsets": {"facebook": "2026-03-03T09:00:00Z", "twitter": "2026-03-03T11:00:00Z"},
           "post_ids": [f"facebook:{i}" for i in range(10)] + [f"twitter:{i}" for i in range(10)],
           "evident": {"facebook": "2026-03-03T09:40:00Z", "twitter": "2026-03-03T11:20:00Z"}}
DECOY = {"id": "d1", "brand": "Acme", "kind": "decoy_two_grievances", "path": ["reddit", "facebook"],
         "onsets": {"reddit": "2026-03-04T09:00:00Z", "facebook": "2026-03-04T09:15:00Z"},
         "post_ids": [f"reddit:{i}" for i in range(8)]}


def event(iid, status, detected, path, evidence, brand="Acme", first_seen=None):
    seen = first_seen or {}
    return IncidentEvent(iid, brand, status, path, [PlatformActivity(p, seen.get(p, detected), 1, 1) for p in path],
                         detected, evidence)


def test_a_found_incident_scores_its_delay_path_and_evidence():
    events = [event("i1", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"],
                    ["facebook:1", "facebook:2", "twitter:3", "twitter:noise"]),
              event("i1", "updated", "2026-03-03T12:30:00Z", ["facebook", "twitter"], ["twitter:4"],
                    first_seen={"facebook": "2026-03-03T09:20:00Z", "twitter": "2026-03-03T10:50:00Z"})]
    s = score([PLANTED, DECOY], events).summary()
    assert (s["recall"], s["precision"], s["decoys_raised"]) == (1.0, 1.0, 0)
    assert s["median_delay_min"] == 30.0 and s["path_right"] == 1.0
    assert s["median_reaction_min"] == 10.0  # after twitter's third post, not facebook's
    assert s["evidence_precision"] == 0.8  # 4 of 5 distinct evidence ids were planted
    assert s["planted_posts_in_evidence"] == 0.2
    assert s["median_onset_error_min"] == 15.0  # 20 min late on facebook, 10 early on twitter
    assert s["platforms_reached"] == 1.0


def test_a_storm_whose_incident_never_reaches_one_of_its_platforms_says_which():
    from spillover.cli.evaluate_cmd import describe

    three = dict(PLANTED, path=["facebook", "twitter", "blog"],
                 onsets={**PLANTED["onsets"], "blog": "2026-03-03T14:00:00Z"},
                 evident={**PLANTED["evident"], "blog": "2026-03-03T15:10:00Z"},
                 post_ids=PLANTED["post_ids"] + [f"blog:{i}" for i in range(4)])
    two = [event("i1", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"],
                 ["facebook:1", "facebook:2", "twitter:3"])]
    s = score([three], two)
    assert s.summary()["platforms_reached"] == round(2 / 3, 3) and s.summary()["path_right"] == 1.0
    (case,) = s.cases
    assert case["case"] == "platform_not_reached" and case["not_reached"] == ["blog"]
    assert "(never reached blog)" in describe(dict(case, seed=3))
    escalated = two + [event("i1", "escalated", "2026-03-03T15:30:00Z", ["facebook", "twitter", "blog"], ["blog:1"])]
    assert score([three], escalated).summary()["platforms_reached"] == 1.0 and score([three], escalated).cases == []


def test_a_missed_incident_a_raised_decoy_and_a_wrong_path_count_against():
    events = [event("i2", "opened", "2026-03-04T10:00:00Z", ["reddit", "facebook"],
                    ["reddit:1", "reddit:2", "reddit:3"]),
              event("i3", "opened", "2026-03-03T13:00:00Z", ["twitter", "facebook"],
                    ["twitter:1", "twitter:2", "facebook:9"])]
    s = score([PLANTED, DECOY], events).summary()
    assert s["decoys_raised"] == 1 and s["precision"] == 0.5 and s["duplicates"] == 0
    # The same storm reported under a second id: precision cannot see it, the count does.
    twice = events + [event("i4", "opened", "2026-03-03T13:30:00Z", ["twitter", "facebook"],
                            ["twitter:5", "twitter:6", "facebook:7"])]
    assert score([PLANTED, DECOY], twice).summary()["duplicates"] == 1
    assert s["recall"] == 1.0 and s["path_right"] == 0.0 and s["median_delay_min"] == 120.0
    assert score([PLANTED], []).summary()["recall"] == 0.0
    # Truth written before reaction was measured still scores; reaction is just unknown.
    older = {k: v for k, v in PLANTED.items() if k != "evident"}
    assert score([older], events).summary()["median_reaction_min"] is None


def test_each_case_that_went_wrong_is_listed_with_what_was_planted_and_reported():
    from spillover.cli.evaluate_cmd import describe

    events = [event("i2", "opened", "2026-03-04T10:00:00Z", ["reddit", "facebook"],
                    ["reddit:1", "reddit:2", "reddit:3"]),
              event("i3", "opened", "2026-03-03T13:00:00Z", ["twitter", "facebook"],
                    ["twitter:1", "twitter:2", "facebook:9"]),
              event("i4", "opened", "2026-03-03T14:00:00Z", ["twitter", "facebook"],
                    ["twitter:5", "twitter:6", "twitter:7"]),
              event("i5", "opened", "2026-03-05T08:00:00Z", ["blog", "reddit"], ["blog:x", "reddit:y"])]
    cases = {(c["case"], c.get("planted"), c.get("incident_id")) for c in score([PLANTED, DECOY], events).cases}
    assert cases == {("decoy_raised", "d1", "i2"), ("path_wrong", "p1", "i3"), ("duplicate", "p1", "i4"),
                     ("false_alarm", None, "i5")}
    (missed,) = score([PLANTED], []).cases
    assert missed["case"] == "missed" and missed["planted_path"] == ["facebook", "twitter"]
    line = describe(dict(next(c for c in score([PLANTED, DECOY], events).cases if c["case"] == "path_wrong"), seed=7))
    assert "seed 7" in line and "planted facebook 03-03 09:00 -> twitter 03-03 11:00" in line
    assert "reported twitter 03-03 13:00 -> facebook 03-03 13:00, first" in line and "(i3)" in line
    # Wrong by the planted starts, but twitter's first post came first: the line says so.
    early_tweets = dict(PLANTED, first_posts={"facebook": "2026-03-03T11:40:00Z", "twitter": "2026-03-03T11:05:00Z"})
    (case,) = [c for c in score([early_tweets], events).cases if c["case"] == "path_wrong"]
    assert case["right_by_first_posts"] and "(right by the first planted posts)" in describe(dict(case, seed=7))
    # A found incident with its path right is not a case.
    right = [event("i1", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"],
                   ["facebook:1", "facebook:2", "twitter:3"])]
    assert score([PLANTED], right).cases == []


def test_evidence_about_another_brand_or_too_thin_does_not_match():
    other = [event("i4", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"],
                   ["facebook:1", "facebook:2", "twitter:3"], brand="Other")]
    thin = [event("i5", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"], ["facebook:1", "x", "y"])]
    assert score([PLANTED], other).summary()["recall"] == 0.0
    assert score([PLANTED], thin).summary()["precision"] == 0.0


def test_the_path_is_also_judged_by_the_order_the_first_planted_posts_show():
    # Twitter's leg started second, but its first post came before facebook's first: a detector
    # reporting twitter first is wrong by the nominal starts and right by what the posts show.
    planted = dict(PLANTED, first_posts={"facebook": "2026-03-03T11:40:00Z", "twitter": "2026-03-03T11:05:00Z"})
    events = [event("i1", "opened", "2026-03-03T12:00:00Z", ["twitter", "facebook"],
                    ["facebook:1", "facebook:2", "twitter:3"])]
    s = score([planted], events).summary()
    assert (s["path_right"], s["path_right_by_first_posts"]) == (0.0, 1.0)
    # Truth written before first posts were recorded falls back on the nominal path.
    assert score([PLANTED], events).summary()["path_right_by_first_posts"] == 0.0


def test_path_right_is_told_apart_by_kind_beside_how_often_the_first_posts_show_the_planted_order():
    # Two fast storms whose twitter leg started second: one's first tweet came before its first
    # facebook post, so its posts show twitter first. A slow storm beside them.
    early_tweet = {"facebook": "2026-03-03T09:20:00Z", "twitter": "2026-03-03T09:10:00Z"}
    reversed_ = dict(PLANTED, speed="fast", strength="weak", first_posts=early_tweet)
    in_order = dict(PLANTED, id="p2", brand="Bolt", speed="fast", strength="weak")
    slow = dict(PLANTED, id="p3", brand="Cove", speed="slow", strength="weak")
    events = [event("i1", "opened", "2026-03-03T11:30:00Z", ["twitter", "facebook"],
                    ["facebook:1", "facebook:2", "twitter:3"]),
              event("i2", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"],
                    ["facebook:1", "facebook:2", "twitter:3"], brand="Bolt"),
              event("i3", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"],
                    ["facebook:1", "facebook:2", "twitter:3"], brand="Cove")]
    s = score([reversed_, in_order, slow], events).summary()
    fast, slow_ = s["recall_by_kind"]["speed"]["fast"], s["recall_by_kind"]["speed"]["slow"]
    assert (fast["path_right"], fast["path_right_by_first_posts"], fast["first_posts_in_order"]) == (0.5, 1.0, 0.5)
    assert (slow_["path_right"], slow_["first_posts_in_order"]) == (1.0, 1.0)
    assert s["first_posts_in_order"] == round(2 / 3, 3)


def test_incidents_found_and_decoys_raised_are_told_apart_by_kind():
    from spillover.cli.evaluate_cmd import by_kind

    fast_weak = dict(PLANTED, speed="fast", strength="weak")
    slow_weak = dict(PLANTED, id="p2", speed="slow", strength="weak", path=["reddit", "blog", "twitter"],
                     post_ids=[f"blog:{i}" for i in range(10)])
    found = [event("i1", "opened", "2026-03-03T11:30:00Z", ["facebook", "twitter"],
                   ["facebook:1", "facebook:2", "twitter:3"]),
             event("i2", "opened", "2026-03-04T10:00:00Z", ["reddit", "facebook"],
                   ["reddit:1", "reddit:2", "reddit:3"])]
    kinds = score([fast_weak, slow_weak, DECOY], found).summary()
    # Found 30 minutes after twitter's take-off: the delay is told under each of its kinds.
    # Its path is right; the missed one has no path to judge. Both planted storms' first
    # posts (none recorded: the nominal path) are in order.
    found_30 = {"median_delay_min": 30.0, "path_right": 1.0, "path_right_by_first_posts": 1.0,
                "first_posts_in_order": 1.0}
    missed = {"median_delay_min": None, "path_right": None, "path_right_by_first_posts": None,
              "first_posts_in_order": 1.0}
    assert kinds["recall_by_kind"] == {
        "speed": {"fast": {"found": 1, "planted": 1, "recall": 1.0, **found_30},
                  "slow": {"found": 0, "planted": 1, "recall": 0.0, **missed}},
        "strength": {"weak": {"found": 1, "planted": 2, "recall": 0.5, **found_30}},
        "platforms": {"2": {"found": 1, "planted": 1, "recall": 1.0, **found_30},
                      "3": {"found": 0, "planted": 1, "recall": 0.0, **missed}},
        "second": {"blog": {"found": 0, "planted": 1, "recall": 0.0, **missed},
                   "twitter": {"found": 1, "planted": 1, "recall": 1.0, **found_30}}}
    assert kinds["decoys_raised_by_kind"] == {"decoy_two_grievances": {"raised": 1, "decoys": 1}}
    lines = by_kind({"spillover": kinds})
    assert lines[1].split() == ["speed", "fast", "slow"] and lines[2].split() == ["spillover", "1/1", "(30)", "0/1"]
    assert lines[-1].split() == ["spillover", "two", "grievances", "1/1"]
    paths = lines.index(next(line for line in lines if line.startswith("path right")))
    assert lines[paths + 2].split() == ["spillover", "1.00", "/", "1.00", "-"]
    # Over several incidents of a kind, the median of their delays.
    later = dict(PLANTED, id="p3", brand="Bolt", speed="fast", strength="strong")
    both = score([dict(fast_weak, strength="strong"), later],
                 found[:1] + [event("i3", "opened", "2026-03-03T12:30:00Z", ["facebook", "twitter"],
                                    ["facebook:1", "facebook:2", "twitter:3"], brand="Bolt")]).summary()
    assert both["recall_by_kind"]["strength"]["strong"]["median_delay_min"] == 60.0  # of 30 and 90
    # Truth written before speed and strength were recorded is told apart by its platforms only.
    assert list(score([PLANTED], []).summary()["recall_by_kind"]["platforms"]) == ["2"]
    assert list(score([PLANTED], []).summary()["recall_by_kind"]["second"]) == ["twitter"]


def test_generated_truth_says_how_fast_and_strong_each_incident_is():
    from spillover.scenarios.generator import GAP_H, STRENGTH, suite_scenario

    incidents = [t for seed in (1, 2) for t in suite_scenario(seed)[1] if t["kind"] == "incident"]
    assert incidents and all(t["speed"] in GAP_H and t["strength"] in STRENGTH for t in incidents)
    assert all(t["id"].endswith(f"-{t['speed']}-{t['strength']}") for t in incidents)


def test_generated_truth_records_each_legs_first_post():
    from spillover.scenarios.generator import suite_scenario
    from spillover.timeutil import to_epoch

    lines, truth = suite_scenario(1)
    written = {p["id"]: (p["platform"], to_epoch(p["created_at"])) for p in map(json.loads, lines)
               if not p.get("is_brand_reply")}
    for planted in [t for t in truth if t["kind"] == "incident"]:
        firsts: dict[str, float] = {}
        for pid in planted["post_ids"]:
            platform, ts = written[pid]
            firsts[platform] = min(firsts.get(platform, ts), ts)
        # abs=1.0: created_at is to the second
        assert {p: to_epoch(t) for p, t in planted["first_posts"].items()} == pytest.approx(firsts, abs=1.0)


@pytest.mark.model
def test_throughput_at_k_times_the_volume_sends_every_post_k_times(model):
    # A replay packs days into seconds, so the benchmark can also load the detector as a busy
    # brand would: each post k times under new ids (repeats with the same id are not counted).
    from spillover.detection import Detector
    from spillover.evaluation import detector_throughput
    from spillover.replay import read_lines
    from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
    from spillover.settings import DetectionSettings
    from spillover.watchlist import Watchlist

    lines = list(read_lines(str(SAMPLE_POSTS)))[:400]
    watchlist = Watchlist.load(str(SAMPLE_WATCHLIST))
    detector = lambda: Detector(DetectionSettings(), watchlist.playbooks)
    once, thrice = (detector_throughput([(lines, [])], model, detector, watchlist, min_seconds=0.0, volume=k)
                    for k in (1, 3))
    assert thrice["posts"] == 3 * once["posts"] > 0
    assert once["agent_posts_per_second"] > 0  # the same posts decoded, each batch's states encoded
    assert thrice["posts_per_brand_bucket"] == pytest.approx(3 * once["posts_per_brand_bucket"], rel=0.01)
    # What kafka.max_message_bytes must hold: stored compressed, and larger on a busier brand.
    assert 0 < once["largest_state_bytes"] < once["largest_state_json_bytes"]
    assert thrice["largest_state_bytes"] > once["largest_state_bytes"]
    from spillover.enrichment import Rejection, enrich, parse
    from spillover.evaluation import _repeated

    skipped: list[str] = []
    posts = _repeated(enrich([p for p in (parse(None, l, watchlist) for l in lines)
                              if not isinstance(p, Rejection)][:50], model), 3)
    states, d = {}, detector()
    for post in posts:
        d.observe(states, post, skipped.append)
    assert skipped == []  # every copy counted, none dropped as a repeat


@pytest.mark.model
def test_evaluate_prints_json_figures_and_the_cases_of_each_seed(model, capsys):
    from spillover.cli.main import main

    assert main(["evaluate", "--seeds", "3", "--json", "--details"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seeds"] == [3] and set(out["results"]) == {"spillover", "hourly baseline"}
    ours, baseline = out["results"]["spillover"], out["results"]["hourly baseline"]
    assert ours["planted"] == baseline["planted"] > 0 and ours["recall"] >= baseline["recall"]
    # Every incident missed or found with a wrong path is listed, under its seed.
    assert all(case["seed"] == 3 and case["case"] in {"missed", "decoy_raised", "path_wrong", "false_alarm",
                                                       "duplicate"} for case in out["cases"])
    wrong = sum(1 for c in out["cases"] if c["case"] in ("missed", "path_wrong"))
    assert wrong == ours["planted"] - round(ours["path_right"] * ours["found"])


@pytest.mark.model
def test_evaluate_scores_a_file_of_ones_own_against_what_happened_in_it(model, tmp_path, capsys):
    """A backtest: the demo's sample and its truth, no watchlist (its posts name their brands).
    Its post dated in the year 2999 is set aside as replay sets it aside: taken as now, it
    would leave every later post of its brand too late to count, and a storm unseen. The
    truth may spell a brand its own way."""
    from spillover.cli.main import main
    from spillover.scenarios import SAMPLE_POSTS, SAMPLE_TRUTH

    truth = tmp_path / "truth.jsonl"
    truth.write_text(SAMPLE_TRUTH.read_text().replace('"brand": "Northwind Air"', '"brand": "northwind  air"'))
    assert main(["evaluate", "--input", str(SAMPLE_POSTS), "--truth", str(truth), "--json", "--details"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["input"] == str(SAMPLE_POSTS) and out["truth"] == str(truth)
    ours = out["results"]["spillover"]
    assert (ours["found"], ours["planted"], ours["decoys_raised"], ours["decoys"]) == (2, 2, 0, 2)
    assert ours["path_right"] == 1.0
    # The sample's one report that matches nothing planted, told without a seed.
    assert [(c["case"], c["brand"]) for c in out["cases"]] == [("false_alarm", "Northwind Air")]
    assert "seed" not in out["cases"][0]


@pytest.mark.parametrize("line, told", [
    ("not json", "line 2: not JSON"),
    ('{"id": "x", "brand": "Acme", "kind": "incident", "post_ids": ["a"]}', "line 2: an incident's 'path' must"),
    ('{"id": "x", "brand": "Acme", "kind": "incident", "post_ids": ["a"], "path": ["twitter", "blog"], '
     '"onsets": {"twitter": "2026-03-02T10:00:00Z"}}', "line 2: an incident's 'onsets' must give"),
    ('{"id": "x", "brand": "Acme", "kind": "incident", "post_ids": ["a"], "path": ["twitter", "blog"], '
     '"onsets": {"twitter": "2026-03-02T10:00:00Z", "blog": "noon"}}', "line 2: onset 'noon' on blog is not"),
    ('{"id": "x", "brand": "Acme", "kind": "decoy_single_platform", "post_ids": "a"}',
     "line 2: 'post_ids' must be a list"),
    ('{"id": "x", "kind": "incident", "post_ids": []}', "line 2: 'brand' must be a non-empty string"),
])
def test_evaluate_refuses_a_truth_file_it_cannot_score_naming_the_line(line, told, tmp_path, capsys):
    from spillover.cli.main import main
    from spillover.scenarios import SAMPLE_POSTS

    truth = tmp_path / "truth.jsonl"
    truth.write_text('{"id": "d", "brand": "Acme", "kind": "decoy_happy_spike", "post_ids": []}\n' + line + "\n")
    assert main(["evaluate", "--input", str(SAMPLE_POSTS), "--truth", str(truth)]) == 2
    assert f"{truth}, {told}" in capsys.readouterr().err


@pytest.mark.parametrize("argv, told", [
    (["--input", "posts.jsonl"], "--input and --truth go together"),
    (["--truth", "truth.jsonl"], "--input and --truth go together"),
    (["--input", "posts.jsonl", "--truth", "truth.jsonl", "--seeds", "3", "--rise", "sharp"],
     "--seeds, --rise describe generated scenarios, not --input"),
    (["--input", "no-such.jsonl", "--truth", "truth.jsonl"], "cannot read no-such.jsonl"),
])
def test_evaluate_of_a_file_refuses_what_does_not_go_with_it(argv, told, capsys):
    from spillover.cli.main import main

    assert main(["evaluate", *argv]) == 2
    assert told in capsys.readouterr().err


def test_evaluate_tries_a_watchlists_brand_settings_on_the_scenarios_brands_of_that_name(tmp_path, capsys):
    from spillover.cli.evaluate_cmd import brand_tuning
    from spillover.scenarios.generator import watchlist_yaml
    from spillover.watchlist import Watchlist

    path = tmp_path / "w.yaml"
    path.write_text("brands:\n- name: Helio Bank\n  detection: {min_negative: 6}\n"
                    "- name: Acme\n  detection: {min_ratio: 5}\n- name: Fjord Mobile\n")
    scenario_brands = {b.name for b in Watchlist.from_dict(watchlist_yaml()).brands}
    assert brand_tuning(str(path), scenario_brands) == {"Helio Bank": {"min_negative": 6}}
    assert "no brand 'Acme'" in capsys.readouterr().err
    assert brand_tuning("", scenario_brands) == {}


def test_evaluate_refuses_a_start_that_is_not_a_time_before_loading_anything(capsys):
    from spillover.cli.main import main

    assert main(["evaluate", "--start", "next friday"]) == 2
    assert "--start 'next friday' is not a time" in capsys.readouterr().err


def test_evaluate_refuses_no_traffic_before_loading_anything(capsys):
    from spillover.cli.main import main

    assert main(["evaluate", "--traffic", "0"]) == 2
    assert "--traffic must be more than 0" in capsys.readouterr().err


@pytest.mark.parametrize("seeds, told", [("x", "'x' is neither a seed nor a range"),
                                          ("3-1", "'3-1' runs backwards"),
                                          ("1-2,,4", "'' is neither a seed nor a range")])
def test_evaluate_refuses_seeds_it_cannot_read_before_loading_anything(seeds, told, capsys):
    from spillover.cli.main import main

    assert main(["evaluate", "--seeds", seeds]) == 2
    assert told in capsys.readouterr().err


def test_evaluate_refuses_to_begin_watching_after_the_plans_begin(capsys):
    from spillover.cli.main import main

    assert main(["evaluate", "--watched-from", "28"]) == 2
    assert "--watched-from must be at least 0 and less than 28" in capsys.readouterr().err


def test_a_suite_scenario_watched_from_later_is_the_same_scenario_without_its_first_hours():
    """`evaluate --watched-from H`: a brand added to the watchlist H hours in, the same storms."""
    from spillover.scenarios.generator import suite_scenario
    from spillover.timeutil import to_epoch

    full, truth = suite_scenario(3)
    late, late_truth = suite_scenario(3, watched_from_h=20)
    since = to_epoch("2026-03-02T20:00:00Z")
    assert late_truth == truth
    assert late == [line for line in full if to_epoch(json.loads(line)["created_at"]) >= since]
    assert 0 < len(late) < len(full)
    with pytest.raises(ValueError, match="less than 28"):
        suite_scenario(3, watched_from_h=30)


def test_a_sharply_rising_suite_scenario_has_the_same_posts_with_each_storm_front_loaded():
    """`evaluate --rise sharp`: the same plans and words; each planted post comes earlier in its
    leg, half of them in the leg's first sixth; ordinary traffic stays as it was."""
    from spillover.scenarios.generator import suite_scenario
    from spillover.timeutil import to_epoch

    made = {rise: suite_scenario(3, rise=rise) for rise in ("gradual", "sharp")}
    posts = {rise: {p["id"]: p for p in map(json.loads, lines)} for rise, (lines, _) in made.items()}
    truth = {rise: planted for rise, (_, planted) in made.items()}
    assert posts["sharp"].keys() == posts["gradual"].keys()
    assert all(posts["sharp"][i].get("text") == p.get("text") for i, p in posts["gradual"].items())
    planted = {i for t in truth["gradual"] for i in t["post_ids"]}
    when = {rise: {i: to_epoch(posts[rise][i]["created_at"]) for i in planted} for rise in posts}
    assert all(when["sharp"][i] <= when["gradual"][i] for i in planted)
    assert sum(when["sharp"][i] < when["gradual"][i] for i in planted) > 0.9 * len(planted)
    ordinary = [i for i, p in posts["gradual"].items() if i not in planted and not p.get("is_brand_reply")]
    assert all(posts["sharp"][i].get("created_at") == posts["gradual"][i].get("created_at") for i in ordinary)
    # Written within 20 minutes of their leg's start (legs last 2 to 6 hours): a third or more
    # of a sharp storm's posts, over three times as many as a gradual one's.
    early = {rise: sum(when[rise][i] - to_epoch(t["onsets"][posts[rise][i]["platform"]]) < 20 * 60
                       for t in truth[rise] for i in t["post_ids"]) for rise in posts}
    assert early["sharp"] > max(len(planted) / 3, 3 * early["gradual"])
    # The third planted post of each leg comes sooner, which is what a delay is measured after.
    assert all(to_epoch(sharp) <= to_epoch(gradual) for t_s, t_g in zip(truth["sharp"], truth["gradual"])
               for sharp, gradual in zip(t_s["evident"].values(), t_g["evident"].values()))


def test_a_suite_scenario_in_unseen_wordings_plans_the_same_storms_for_other_brands_in_other_words():
    """`evaluate --wordings unseen`: each seed's storms and decoys keep their shape (platforms,
    times, numbers of posts), told about four other brands, with no sentence of the suite's."""
    from spillover.scenarios.generator import WORDINGS, suite_scenario, watchlist_yaml
    from spillover.watchlist import Watchlist

    made = {w: suite_scenario(3, wordings=w) for w in ("suite", "unseen")}
    truth = {w: planted for w, (_, planted) in made.items()}
    shape = {w: [(t["kind"], t["path"], t["onsets"], len(t["post_ids"]), t["speed"], t["strength"])
                 for t in planted] for w, planted in truth.items()}
    assert shape["unseen"] == shape["suite"]
    unseen_brands = set(WORDINGS["unseen"].brands)
    assert {t["brand"] for t in truth["unseen"]} <= unseen_brands
    assert not unseen_brands & set(WORDINGS["suite"].brands)
    posts = {w: [json.loads(line) for line in lines] for w, (lines, _) in made.items()}
    texts = {w: {p["text"].lower() for p in ps} for w, ps in posts.items()}
    assert not texts["unseen"] & texts["suite"]
    suite_names = {n.lower() for spec in WORDINGS["suite"].brands.values() for n in spec["aliases"]}
    assert not any(name in text for text in texts["unseen"] for name in suite_names | {"northwind", "fjord"})
    # A post without a brand field is found by the scenario's own watchlist, as for the suite's
    # (a typo in the brand's name can hide it, as it would from a real watchlist).
    watchlist = Watchlist.from_dict(watchlist_yaml(WORDINGS["unseen"]))
    planted_brand = {i: t["brand"] for t in truth["unseen"] for i in t["post_ids"]}
    unbranded = [p for p in posts["unseen"] if "brand" not in p and p["id"] in planted_brand]
    assert unbranded
    assert sum(watchlist.resolve(p["text"]) == planted_brand[p["id"]] for p in unbranded) > 0.9 * len(unbranded)


@pytest.mark.model
def test_evaluate_on_busier_brands_scores_the_same_plans_and_says_how_busy(model, capsys):
    from spillover.cli.main import main
    from spillover.scenarios.generator import random_plans

    assert main(["evaluate", "--seeds", "3", "--traffic", "2.5"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    planted = sum(p.kind == "incident" for p in random_plans(3, 4.0))
    assert "brands 2.5 times as busy" in head and f"; {planted} planted incidents" in head


@pytest.mark.model
def test_evaluate_on_sharply_rising_storms_says_so_and_finds_them_sooner(model, capsys):
    from spillover.cli.main import main

    figures = {}
    for rise in ("gradual", "sharp"):
        assert main(["evaluate", "--seeds", "1", "--rise", rise, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["rise"] == rise
        figures[rise] = out["results"]["spillover"]
    # Seed 1's storms, found either way; taking off at once, they are found well sooner.
    assert figures["sharp"]["found"] == figures["gradual"]["found"] > 0
    assert figures["sharp"]["median_delay_min"] < figures["gradual"]["median_delay_min"] / 2


@pytest.mark.model
def test_evaluate_in_unseen_wordings_scores_other_brands_and_says_so(model, capsys):
    from spillover.cli.main import main
    from spillover.scenarios.generator import random_plans

    assert main(["evaluate", "--seeds", "1", "--wordings", "unseen", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["wordings"] == "unseen"
    figures = out["results"]["spillover"]
    assert figures["planted"] == sum(p.kind == "incident" for p in random_plans(1, 4.0))
    assert figures["found"] > 0  # storms told in words it was never tuned on are still found


def test_suite_scenarios_begin_where_they_are_asked_to():
    from spillover.scenarios.generator import suite_scenario
    from spillover.timeutil import to_epoch

    friday = "2026-03-06T00:00:00Z"
    lines, truth = suite_scenario(3, 4.0, friday)
    times = [to_epoch(json.loads(line)["created_at"]) for line in lines if line.startswith(b"{")]
    assert to_epoch(friday) <= min(times) < to_epoch(friday) + 3600
    assert all(to_epoch(t["onsets"][t["path"][0]]) >= to_epoch(friday) + 24 * 3600 for t in truth)


@pytest.mark.model
def test_two_problems_of_one_bank_at_once_stay_quiet_though_a_fragment_of_each_is_alike(model, tmp_path, capsys):
    """Seed 51: an app outage on reddit and frozen accounts on facebook, a quarter of an hour
    apart. One "locked my account" complaint, pooled into the facebook burst, is alike the
    outage's first complaints by chance; the two bursts behind them are not. Linked at 0.6 and
    grouped by words alone (the defaults until the burst join), which is where the check
    matters: at the stricter default link it is a second line, and so is the legs check, since
    it judges each leg on what its spike counted. `link_hours` 12: the bank's frozen-accounts
    storm, loud on facebook 30 hours later (17 after the decoy's incident was last loud), would
    otherwise be taken for that incident flaring up, and its blog leg would carry the decoy's
    report on as the storm's (`_last_loud`); this test is about the opening."""
    from spillover.cli.main import main

    def decoys(link: float, loud_groups: float, legs: float = 0.0):
        config = tmp_path / "detection.yaml"
        config.write_text(f"detection:\n  burst_join_similarity: 0\n  link_hours: 12\n  link_similarity: {link}\n"
                          f"  loud_groups_similarity: {loud_groups}\n  legs_similarity: {legs}\n")
        assert main(["evaluate", "--seeds", "51", "--json", "--details", "--config", str(config)]) == 0
        return [c["planted"] for c in json.loads(capsys.readouterr().out)["cases"] if c["case"] == "decoy_raised"]

    assert "s51-helio-decoy_two_grievances" not in decoys(0.6, 0.45)
    assert "s51-helio-decoy_two_grievances" in decoys(0.6, 0)  # what the check prevents
    assert "s51-helio-decoy_two_grievances" not in decoys(0.7, 0)  # the stricter link alone
    assert "s51-helio-decoy_two_grievances" not in decoys(0.6, 0, 0.8)  # the legs check alone
