import copy
import dataclasses
import random
import re

import pytest
from helpers import HOUR, T0, background, burst, by_time, post

from spillover.detection import Detector, traffic
from spillover.detection.significance import negative_binomial_sf, poisson_sf
from spillover.detection.terms import merge_terms
from spillover.settings import DetectionSettings
from spillover.timeutil import to_epoch
from spillover.watchlist import Watchlist

SETTINGS = DetectionSettings()


def run(posts, settings=SETTINGS):
    detector, states, events = Detector(settings), {}, []
    for p in posts:
        events.extend(detector.observe(states, p))
    return events, states


def incident_statuses(events):
    return [(e.status, tuple(e.path)) for e in events]


def test_poisson_tail_matches_closed_forms():
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - 2.718281828 ** -2)
    assert poisson_sf(3, 0.5) == pytest.approx(1 - sum(0.5 ** k / [1, 1, 2][k] for k in range(3)) * 2.718281828 ** -0.5)
    assert poisson_sf(60, 5.0) < 1e-30


def test_negative_binomial_tail_matches_closed_forms_and_tends_to_poisson():
    # Shape 1 is the geometric distribution: P(X >= k) = (1 - p) ** k, p = 1 / (1 + mean).
    assert negative_binomial_sf(3, 0.5, 1.0) == pytest.approx((0.5 / 1.5) ** 3)
    assert negative_binomial_sf(2, 3.0, 2.0) == pytest.approx(1 - 0.4 ** 2 - 2 * 0.4 ** 2 * 0.6)
    assert negative_binomial_sf(0, 3.0, 2.0) == 1.0
    assert negative_binomial_sf(5, 0.1, 0.0) == 1.0  # nothing learnt: nothing stands out
    # A rate learnt from many events is nearly certain; from few, the tail is much heavier.
    assert negative_binomial_sf(9, 2.0, 1e7) == pytest.approx(poisson_sf(9, 2.0), rel=1e-4)
    assert negative_binomial_sf(9, 0.8, 3.0) > 50 * poisson_sf(9, 0.8)


def test_ordinary_traffic_with_daily_rhythm_raises_nothing():
    events, _ = run(background(days=5))
    assert events == []


@pytest.mark.parametrize("start_h, complaints", [(10, 12), (12, 8)])
def test_a_storm_on_a_newly_watched_brands_first_day_is_found(start_h, complaints):
    """Watched since midnight, the brand's platforms are still learning their usual at ten in
    the morning; a storm then (facebook, and twitter an hour later, half as loud again, over
    two hours each) is asked for more than once they are warm, but is found."""
    storm = burst("facebook", start_h, complaints, 2) + burst("twitter", start_h + 1, complaints * 3 // 2, 2)
    events, _ = run(by_time(background(days=2) + storm))
    opened = [e for e in events if e.status == "opened"]
    assert [tuple(e.path) for e in opened] == [("facebook", "twitter")]
    assert to_epoch(opened[0].detected_at) <= T0 + (start_h + 3) * HOUR


def test_a_first_morning_quiet_by_chance_does_not_make_the_brands_usual_complaint_a_storm():
    """The brand's one recurring complaint ("acme app is slow", a fifth of its posts) came to
    facebook three times in its first fourteen hours instead of eleven, by chance; the four
    afternoon hours then bring ten. Facebook alone, that is several times its own first
    morning, but the brand's other platforms have heard that complaint all along."""
    events, _ = run(background())
    assert events == []


def test_loud_complaints_on_one_platform_only_are_not_an_incident():
    events, _ = run(by_time(background() + burst("facebook", 40, 40, 2)))
    assert events == []


def test_happy_spike_across_platforms_is_not_an_incident():
    launch = burst("twitter", 36, 200, 3, "positive") + burst("facebook", 36.5, 80, 3, "positive")
    # A launch also brings the usual share of grumbling.
    grumble = burst("twitter", 36, 30, 3, "negative", tag="g") + burst("facebook", 36.5, 12, 3, "negative", tag="g")
    events, _ = run(by_time(background() + launch + grumble))
    assert events == []


def test_a_launch_whose_one_wording_reads_as_complaints_is_not_an_incident():
    """The model misreads one of a launch's wordings ("smashed it") as negative: a tight group,
    loud on every platform the launch reaches. Most of the launch's extra posts are not
    complaints, so its complaints do not spike; without that judgement they open an incident."""
    misread = "acme smashed it with the new app"
    # By chance, the misread posts come close together: in their half hour they are a quarter
    # of the platform's posts, as many as a storm would be.
    launch = (burst("twitter", 36, 240, 3, "positive") + burst("facebook", 36.5, 90, 3, "positive")
              + burst("twitter", 37, 16, 0.5, "negative", text=misread, tag="m")
              + burst("facebook", 37.5, 8, 0.5, "negative", text=misread, tag="m"))
    posts = by_time(background() + launch)
    assert run(posts)[0] == []
    events, _ = run(posts, dataclasses.replace(SETTINGS, surge_complaint_share=0.0))
    assert [e.status for e in events][:1] == ["opened"]


def test_a_storm_on_a_platform_twice_as_busy_as_usual_is_no_happy_surge():
    """Chatter can double a platform's posts for a few hours by chance; a storm's complaints
    there are a minority of the extra posts, yet no launch: it still opens."""
    chatter = burst("facebook", 32, 30, 4, "neutral", text="acme opening hours this weekend?", tag="c")
    fb = burst("facebook", 33, 12, 2)
    tw = burst("twitter", 35, 60, 3)
    events, _ = run(by_time(background() + chatter + fb + tw))
    assert [e.status for e in events][:1] == ["opened"] and events[0].path == ["facebook", "twitter"]


def test_two_unrelated_grievances_each_on_one_platform_are_not_an_incident():
    billing = burst("facebook", 33, 30, 2)
    outage = burst("twitter", 33.5, 60, 3, text="acme network down since morning, no signal at all", tag="o")
    events, _ = run(by_time(background() + billing + outage))
    assert events == []
    # The same two bursts about one grievance are one.
    same = burst("twitter", 33.5, 60, 3, tag="s")
    events, _ = run(by_time(background() + billing + same))
    assert [e.status for e in events][:1] == ["opened"] and events[0].path == ["facebook", "twitter"]


def test_grievance_spreading_facebook_twitter_blog_opens_escalates_and_resolves():
    fb, tw, blog = burst("facebook", 33, 30, 2), burst("twitter", 35, 60, 3), burst("blog", 40, 8, 2)
    events, _ = run(by_time(background() + fb + tw + blog))
    statuses = [e.status for e in events]
    assert statuses[0] == "opened" and events[0].path == ["facebook", "twitter"]
    assert "escalated" in statuses and events[-1].status == "resolved"
    assert events[-1].path == ["facebook", "twitter", "blog"]
    assert len({e.incident_id for e in events}) == 1
    opened = events[0]
    planted = {p.post.id for p in fb + tw}
    # Background grumbles at the same time may slip in; the evidence must be mostly the storm.
    assert len(opened.evidence) >= 10
    assert len(set(opened.evidence) & planted) >= 0.8 * len(opened.evidence)
    first_seen = {p.platform: p.first_seen for p in opened.platforms}
    assert first_seen["facebook"] < first_seen["twitter"]
    assert opened.detected_at <= "2026-03-03T11:30:00Z"  # within 30 minutes of the twitter take-off
    assert "charged" in opened.summary and opened.severity in ("low", "medium", "high", "critical")


def test_each_platform_of_an_incident_shows_what_people_write_there():
    """The team answering on each platform reads what is said there: a double charge told with
    ignored support on facebook and a refused refund on twitter gives each platform its own
    words beside the ones they share."""
    fb = burst("facebook", 33, 30, 2, text="acme charged me twice for my phone bill, support ignores me")
    tw = burst("twitter", 35, 60, 3, text="acme charged me twice for my phone bill, refund refused", tag="t")
    # Without embeddings, posts are hashed words, and these two share four of six: 0.63 alike,
    # under `legs_similarity`, which is about embeddings telling two problems apart.
    events, _ = run(by_time(background() + fb + tw), dataclasses.replace(SETTINGS, legs_similarity=0.0))
    assert events[0].status == "opened"
    words = {p.platform: set(p.terms) for p in events[0].platforms}
    assert {"support", "ignores"} <= words["facebook"] and not {"refund", "refused"} & words["facebook"]
    assert {"refund", "refused"} <= words["twitter"] and not {"support", "ignores"} & words["twitter"]
    assert {"charged", "twice"} <= words["facebook"] & words["twitter"]


def test_a_state_stored_before_words_were_kept_per_platform_goes_on_deciding():
    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    detector, states, events = Detector(SETTINGS), {}, []
    for i, p in enumerate(posts):
        if i == len(posts) // 2:  # as a worker restores a state an older version saved
            for g in states["Acme"]["grievances"].values():
                del g["pterms"]
        events.extend(detector.observe(states, p))
    assert [e.status for e in events][:1] == ["opened"] and events[0].platforms[0].terms


def test_arrival_order_within_the_allowed_lateness_does_not_change_anything():
    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    rng = random.Random(3)
    # Jitter arrival by up to 5 minutes (the default lateness is 10).
    shuffled = sorted(posts, key=lambda p: p.event_time + rng.uniform(0, 300))
    assert shuffled != posts
    assert [e.to_dict() for e in run(posts)[0]] == [e.to_dict() for e in run(shuffled)[0]]


def test_blog_posts_arriving_hours_late_still_join_with_their_true_onset():
    blog = burst("blog", 40, 8, 2)
    on_time = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    # The blog posts reach us four hours after they were written.
    arrival = lambda p: p.event_time + (4 * HOUR if p.post.platform == "blog" and p in blog else 0)
    late = sorted(on_time + blog, key=arrival)
    events, _ = run(late)
    escalated = [e for e in events if e.status == "escalated"]
    assert escalated and escalated[0].path[-1] == "blog"
    blog_seen = next(p.first_seen for p in escalated[0].platforms if p.platform == "blog")
    assert "2026-03-03T16:00" <= blog_seen <= "2026-03-03T17:00"


def test_a_post_older_than_anything_seen_on_its_platform_counts_in_what_is_usual_there():
    """A blog read hours late can bring a post older than any seen on the blog yet. What is
    usual there must then count from it, as if it had come in time: its bucket, the quiet
    buckets before the next post, and their hours of the day."""
    blog = [post(f"blog:{h}", "blog", T0 + h * HOUR, "neutral", text="acme opening hours?")
            for h in range(8, 48, 3)]
    early = post("blog:early", "blog", T0 + 1.5 * HOUR, "negative")
    ordinary = background(days=2, rates=(("twitter", 12.0), ("facebook", 4.0)))
    in_time = by_time(ordinary + blog + [early])
    # It reaches us at hour 20, twelve hours after the blog's first post seen.
    late = sorted(in_time, key=lambda p: p.event_time + (18.5 * HOUR if p is early else 0))
    detector = Detector(SETTINGS)

    def usual_on_the_blog(posts):
        _, states = run(posts)
        state = states["Acme"]
        return traffic.usual(state["platforms"]["blog"], state["evaluated"], detector.cfg)

    expected, got = usual_on_the_blog(in_time), usual_on_the_blog(late)
    assert expected.neg_per_bucket > 0  # the early post's complaint is still in the history
    assert got == expected


def test_the_baseline_carried_forward_bucket_by_bucket_holds_what_one_worked_out_afresh_holds():
    """What is usual comes from the buckets [b - history, b - longest], and its rates are
    divided by their number: the sums carried forward a bucket at a time must hold those
    buckets and no more, as a rebuild (after a long silence, or a post older than the
    platform's first) would."""
    _, states = run(background(days=5))
    state, cfg = states["Acme"], Detector(SETTINGS).cfg
    for plat in state["platforms"].values():
        afresh = copy.deepcopy(plat)
        afresh.pop("hist")
        assert traffic.usual(plat, state["evaluated"], cfg) == traffic.usual(afresh, state["evaluated"], cfg)


def test_early_complaints_that_reach_us_late_move_their_platform_forward_in_the_path():
    fb, tw = burst("facebook", 33, 30, 2), burst("twitter", 35, 60, 3)
    # Twitter complaints written before facebook's, delivered six hours late (a slow connector).
    early = burst("twitter", 31.5, 16, 1.5, tag="early")
    arrival = lambda p: p.event_time + (6 * HOUR if p in early else 0)
    events, _ = run(sorted(background() + fb + tw + early, key=arrival))
    assert events[0].status == "opened" and events[0].path == ["facebook", "twitter"]
    corrected = [e for e in events if e.path == ["twitter", "facebook"]]
    assert corrected and corrected[0].status == "updated"
    assert corrected[0].detected_at >= "2026-03-03T13:30:00Z"  # when the late posts came in
    assert len({e.incident_id for e in events}) == 1
    for e in events:  # the path is always the order in which the platforms took off
        seen = {p.platform: p.first_seen for p in e.platforms}
        assert e.path == sorted(e.path, key=lambda platform: seen[platform])
    assert next(p.first_seen for p in corrected[0].platforms if p.platform == "twitter") < "2026-03-03T09:00"


def test_a_platform_takes_off_with_its_burst_not_with_a_stray_complaint_hours_before():
    fb, tw = burst("facebook", 33, 30, 2), burst("twitter", 35, 60, 3)
    # The same complaint, said now and then on twitter before the storm got there.
    stray = burst("twitter", 31, 6, 4.2, tag="stray")
    events, _ = run(by_time(background() + fb + tw + stray))
    assert events[0].path == ["facebook", "twitter"]
    seen = {p.platform: p.first_seen for p in events[0].platforms}
    assert "2026-03-03T10:55" <= seen["twitter"] <= "2026-03-03T11:10", seen  # the burst began at 11:00
    assert "2026-03-03T09:00" <= seen["facebook"] <= "2026-03-03T09:05", seen


def test_grumbles_before_a_storm_do_not_put_its_platform_first_when_their_wording_spikes_late():
    charged = "acme charged me twice and support ignores me"
    outage = "acme network down for the whole street, no signal anywhere"
    storm = burst("facebook", 33, 30, 2, text=charged) + burst("twitter", 33.3, 40, 2, text=charged, tag="t")
    # Two complaints in the storm's other wording on twitter half an hour before facebook took
    # off; that wording is loud on twitter only later, and joins the incident there.
    grumbles = burst("twitter", 32.6, 2, 0.5, text=outage, tag="g")
    told_otherwise = burst("twitter", 33.4, 10, 2, text=outage, tag="o")
    events, _ = run(by_time(background() + storm + grumbles + told_otherwise))
    assert len({e.incident_id for e in events}) == 1, incident_statuses(events)
    assert set(events[-1].evidence) & {p.post.id for p in told_otherwise}  # it did join
    for e in events:
        seen = {p.platform: p.first_seen for p in e.platforms}
        assert e.path == ["facebook", "twitter"] and seen["twitter"] >= "2026-03-03T09:18", (e.status, seen)


def test_one_storm_told_two_ways_on_different_platforms_is_one_incident():
    charged = "acme charged me twice and support ignores me"
    other_words = "acme took two payments for one bill and nobody answers"
    # The second phrasing starts on the blogs, then reaches twitter while the first is loud
    # there: by then it is loud on two platforms itself, one of them not the incident's.
    storm = (burst("facebook", 33, 30, 2, text=charged) + burst("twitter", 35, 40, 3, text=charged)
             + burst("blog", 34, 10, 2, text=other_words, tag="b2")
             + burst("twitter", 35.5, 40, 3, text=other_words, tag="t2"))
    events, _ = run(by_time(background() + storm))
    assert len({e.incident_id for e in events}) == 1, incident_statuses(events)
    assert events[0].path == ["facebook", "twitter"] and events[-1].path == ["facebook", "blog", "twitter"]


@pytest.mark.parametrize("blog_text, joins", [
    ("acme billed my card twice and nobody answers", True),   # the same storm, other words
    ("locked out of the acme app, login loop with error code 5", False),  # another problem
])
def test_a_first_leg_told_in_other_words_heads_the_path(blog_text, joins):
    # The blogs begin it, loud enough to spike there, but too few and too differently put to
    # open anything or to be pooled with what twitter and facebook say an hour later.
    charged = "acme charged me twice and support ignores me"
    storm = (burst("blog", 32, 6, 2, text=blog_text, tag="g") + burst("twitter", 33.5, 60, 3, text=charged)
             + burst("facebook", 34, 30, 2, text=charged, tag="f"))
    events, _ = run(by_time(background() + storm))
    expected = ["blog", "twitter", "facebook"] if joins else ["twitter", "facebook"]
    # The same storm's blog leg is alike enough to its tweets for the long-form bar: it opens
    # with twitter, before facebook; another problem is never part of it.
    assert events[0].status == "opened" and events[0].path == expected[:len(events[0].path)], \
        incident_statuses(events)
    assert events[-1].path == expected and len({e.incident_id for e in events}) == 1


@pytest.mark.parametrize("hours_before, heads", [(8, True), (30, False)])
def test_a_first_leg_too_weak_to_spike_as_it_came_heads_the_path(hours_before, heads):
    # Two complaints on facebook in half an hour: a cold scan asks for three. Hours later the
    # storm takes off on twitter and the blogs; once it is an incident, facebook is asked
    # again, and its two complaints were the start. A day and more before, they are not.
    start = 52
    early = burst("facebook", start - hours_before, 2, 0.5, tag="early")
    storm = burst("twitter", start, 40, 3) + burst("blog", start + 1, 8, 3, tag="bl")
    events, _ = run(by_time(background() + early + storm))
    opened = events[0]
    assert opened.status == "opened", incident_statuses(events)
    assert opened.path == (["facebook", "twitter", "blog"] if heads else ["twitter", "blog"])
    if heads:
        assert opened.platforms[0].first_seen == early[0].post.created_at
        assert set(opened.evidence) >= {p.post.id for p in early}
    unaided, _ = run(by_time(background() + early + storm), dataclasses.replace(SETTINGS, look_back=False))
    assert unaided[0].path == ["twitter", "blog"]


def test_a_storm_reaching_a_platform_with_less_than_a_day_of_history_still_opens():
    # The brand's facebook page only came into view at 17:00 on the first day.
    posts = [p for p in background() if p.post.platform != "facebook" or p.event_time >= T0 + 17 * HOUR]
    storm = burst("twitter", 33, 60, 3) + burst("facebook", 35, 30, 2, tag="f")
    events, _ = run(by_time(posts + storm))
    assert events and events[0].status == "opened" and events[0].path == ["twitter", "facebook"]
    # Begun where the history is short, it is found once it reaches the next platform, and the
    # path still starts where it began.
    events, _ = run(by_time(posts + burst("facebook", 33, 40, 4, tag="f") + burst("twitter", 35, 60, 3)))
    assert events[0].status == "opened" and events[0].path == ["facebook", "twitter"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_newly_watched_brand_stays_calm_through_its_first_day(seed):
    # Watched from midnight: the first night is all it knows when the morning, five times as
    # busy, arrives; a few quiet hours by chance make any later hour look loud.
    events, _ = run(background(days=2, seed=seed, complaints=EVERYDAY))
    assert events == []


def test_a_learning_platform_with_no_complaint_seen_and_no_prior_judges_without_failing():
    # No complaint in its history and a prior of 0: its rate is learnt from nothing at all.
    quiet = [p for p in background(days=1) if p.sentiment.label != "negative"]
    events, _ = run(by_time(quiet + burst("facebook", 10, 10, 1)), DetectionSettings(prior_negative_per_hour=0))
    assert events == []


def test_a_newly_watched_brands_loud_storm_is_found_within_hours():
    storm = burst("facebook", 9, 30, 2) + burst("twitter", 10, 60, 3, tag="t")
    posts = by_time(background(days=2) + storm)
    events, _ = run(posts)
    assert [(e.status, e.path) for e in events][:1] == [("opened", ["facebook", "twitter"])]
    assert events[0].detected_at < "2026-03-02T14:00:00Z"  # the storm's first day, 14 hours in
    # Told to wait for a day of history, the brand misses it.
    events, _ = run(posts, DetectionSettings(min_history_hours=24))
    assert [e for e in events if e.detected_at < "2026-03-03T00:00:00Z"] == []


def test_a_storm_beginning_on_a_sparse_platform_heads_the_path_though_its_first_post_came_late():
    """The brand's blog had its first post at 14:00 on the first day, fourteen hours after
    the brand's first posts elsewhere: the morning after, it has had sixteen hours of its own
    and a brand watched for thirty. A storm that begins there, and reaches twitter ten hours
    later, begins there. A brand watched no longer than its blog is still learning what usual
    is there, and finds a storm that loud all the same; told to stay silent until it has a
    day of history, it misses the blog's part."""
    posts = [p for p in background() if p.post.platform != "blog" or p.event_time >= T0 + 14 * HOUR]
    storm = burst("blog", 30, 8, 3, tag="l") + burst("twitter", 40, 60, 3)
    events, _ = run(by_time(posts + storm))
    assert events and events[0].status == "opened" and events[0].path == ["blog", "twitter"]
    unwatched = [p for p in posts if p.event_time >= T0 + 14 * HOUR]
    events, _ = run(by_time(unwatched + storm))
    assert events and events[0].path == ["blog", "twitter"]
    events, _ = run(by_time(unwatched + storm), DetectionSettings(min_history_hours=24))
    assert not events or events[0].path[0] != "blog"


def test_two_grievances_taking_off_together_on_the_same_platforms_are_one_storm():
    charged = "acme charged me twice and support ignores me"
    locked = "locked out of the acme app, login loop with error code 5"
    # Different words, the same platforms at the same hours: one storm for the on-call team.
    storm = (burst("facebook", 33, 30, 2, text=charged) + burst("twitter", 35, 60, 3, text=charged)
             + burst("facebook", 33.2, 30, 2, text=locked, tag="l")
             + burst("twitter", 35.1, 60, 3, text=locked, tag="m"))
    events, _ = run(by_time(background() + storm))
    assert len({e.incident_id for e in events}) == 1, incident_statuses(events)
    # The same two grievances a day apart are two incidents.
    later = (burst("facebook", 33, 30, 2, text=charged) + burst("twitter", 35, 60, 3, text=charged)
             + burst("facebook", 57.2, 30, 2, text=locked, tag="l")
             + burst("twitter", 59.1, 60, 3, text=locked, tag="m"))
    events, _ = run(by_time(background(days=4) + later))
    assert len({e.incident_id for e in events}) == 2, incident_statuses(events)


def test_a_slow_storm_quiet_between_platforms_stays_one_incident():
    # facebook and twitter, then quiet past `quiet_hours`, then the blogs pick it up half a day later.
    fb, tw, blog = burst("facebook", 33, 30, 2), burst("twitter", 35, 60, 3), burst("blog", 50, 12, 3)
    events, _ = run(by_time(background() + fb + tw + blog))
    statuses = [e.status for e in events]
    assert statuses[0] == "opened" and "resolved" in statuses
    after = events[statuses.index("resolved") + 1:]
    assert after and after[0].status == "escalated" and after[0].path == ["facebook", "twitter", "blog"]
    assert len({e.incident_id for e in events}) == 1


def test_a_resolved_storm_is_taken_up_again_only_within_link_hours_of_its_last_spike():
    # Loud until about hour 38, resolved six quiet hours later: the blogs 20 hours after the
    # last spike are the slow storm reaching them; 26 hours after, they are a burst of their own
    # (one platform: no incident), even though that is within `link_hours` of the resolution.
    storm = burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3)
    for start_h, taken_up in ((58, True), (64, False)):
        events, _ = run(by_time(background() + storm + burst("blog", start_h, 12, 3)))
        statuses = [e.status for e in events]
        after = events[statuses.index("resolved") + 1:]
        assert bool(after) is taken_up, (start_h, incident_statuses(events))
        assert len({e.incident_id for e in events}) == 1


def test_a_storm_flaring_again_where_it_was_carries_its_link_hours_on_to_its_next_platform():
    """Loud on facebook and twitter until about hour 38, resolved six quiet hours later, then
    loud on facebook again at hour 54: the storm is not over. The blogs at hour 72, 34 hours
    after its first spikes ended but 18 after the flare, are the same storm spreading on: the
    incident goes on under its id, escalated, not a second incident. Without the flare the
    same blog posts are a burst of their own (`link_hours` after the last spike)."""
    storm = burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3)
    flare, blog = burst("facebook", 54, 30, 2, tag="f2"), burst("blog", 72, 12, 3)
    events, _ = run(by_time(background(days=4) + storm + flare + blog))
    statuses = [e.status for e in events]
    assert len({e.incident_id for e in events}) == 1, incident_statuses(events)
    after = events[statuses.index("resolved") + 1:]
    assert after and after[0].status == "escalated", incident_statuses(events)
    assert after[0].path == ["facebook", "twitter", "blog"]
    events, _ = run(by_time(background(days=4) + storm + blog))
    assert [e.status for e in events].count("escalated") == 0, incident_statuses(events)
    assert len({e.incident_id for e in events}) == 1, incident_statuses(events)


def test_a_flare_later_than_link_hours_after_the_storm_does_not_carry_it_on():
    """The same flare 26 hours after the storm's last spike (hour 64, `link_hours` 24) is a new
    episode: the blogs 18 hours after it do not take the old incident up again, and the old
    incident is forgotten once `link_hours` have passed since it resolved."""
    storm = burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3)
    flare, blog = burst("facebook", 64, 30, 2, tag="f2"), burst("blog", 82, 12, 3)
    events, states = run(by_time(background(days=4.5) + storm + flare + blog))
    first = events[0].incident_id
    assert [e.status for e in events if e.incident_id == first][-1] == "resolved", incident_statuses(events)
    assert not [e for e in events if e.incident_id == first and e.status == "escalated"], incident_statuses(events)
    assert first not in states["Acme"]["resolved"]


def test_a_storm_taken_up_again_counts_each_complaint_once():
    charged = "acme charged me twice and support ignores me"
    locked = "locked out of the acme app, login loop with error code 5"
    storm = (burst("facebook", 33, 30, 2, text=charged) + burst("twitter", 35, 60, 3, text=charged)
             + burst("facebook", 33.2, 30, 2, text=locked, tag="l")
             + burst("twitter", 35.1, 60, 3, text=locked, tag="m"))
    # Resolved, then taken up again on the blogs; the second grievance is loud on twitter again.
    again = burst("blog", 50, 12, 3, text=charged, tag="g") + burst("twitter", 51, 60, 3, text=locked, tag="m2")
    events, _ = run(by_time(background() + storm + again))
    assert len({e.incident_id for e in events}) == 1 and "escalated" in [e.status for e in events]
    counts = [{p.platform: p.negative_posts for p in e.platforms} for e in events]
    # No facebook complaint came after the storm's 60, and twitter had 180 in all.
    assert max(c["facebook"] for c in counts) == 60, counts
    assert max(c["twitter"] for c in counts) <= 180, counts


def test_a_storm_loud_again_after_it_was_resolved_is_a_new_incident_that_names_the_old_one():
    first = burst("facebook", 30, 30, 2) + burst("twitter", 32, 60, 3)
    again = burst("facebook", 48, 30, 2, tag="f2") + burst("twitter", 50, 60, 3, tag="t2")
    other = burst("twitter", 50, 60, 3, text="locked out of the acme app, login loop with error code 5",
                  tag="o") + burst("facebook", 51, 30, 2, text="locked out of the acme app, login loop", tag="o2")
    events, _ = run(by_time(background() + first + again))
    opened = [e for e in events if e.status == "opened"]
    assert [e.status for e in events].count("resolved") >= 1 and len(opened) == 2, incident_statuses(events)
    assert opened[0].follows == "" and opened[1].follows == opened[0].incident_id
    # A different problem loud at the same hours does not claim the resolved one.
    events, _ = run(by_time(background() + first + other))
    opened = [e for e in events if e.status == "opened"]
    assert len(opened) == 2 and opened[1].follows == "", incident_statuses(events)


def test_severity_names_its_ingredients_and_counts_how_much_of_the_talk_the_storm_is():
    storm = burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3)
    alone, _ = run(by_time(background() + storm))
    # The same storm at a brand four times as talked about: a smaller part of what is said.
    busy, _ = run(by_time(background(rates=(("twitter", 48.0), ("facebook", 16.0), ("blog", 0.3))) + storm))
    a, b = ([e for e in events if e.status != "resolved"][-1] for events in (alone, busy))
    assert set(a.severity_factors) == {"platforms", "ratio", "reach", "velocity", "negativity"}
    assert a.path == b.path == ["facebook", "twitter"]
    assert a.severity_factors["negativity"] > b.severity_factors["negativity"] > 0
    assert a.severity_score > b.severity_score


def test_a_resolved_incident_whose_grievances_were_forgotten_is_not_taken_up_by_another():
    from spillover.detection.grievances import _forget
    locked = "locked out of the acme app, login loop with error code 5"
    before = by_time(background() + burst("facebook", 30, 30, 2) + burst("twitter", 32, 60, 3))
    after = by_time(burst("blog", 52, 12, 2, text=locked, tag="o") + burst("twitter", 53, 60, 3, text=locked, tag="o2"))
    detector, states, events = Detector(SETTINGS), {}, []
    for p in (p for p in before if p.event_time < T0 + 50 * HOUR):
        events += detector.observe(states, p)
    state = states["Acme"]
    (resolved,) = state["resolved"].values()
    for gid in resolved["members"]:  # as the grievance cap does to idle groups under pressure
        _forget(state, gid)
    for p in by_time([p for p in before if p.event_time >= T0 + 50 * HOUR] + after):
        events += detector.observe(states, p)
    # Another problem, loud on a platform the old incident never reached: its own incident.
    assert [(e.status, e.path) for e in events if e.incident_id != resolved["id"]][:1] == [
        ("opened", ["blog", "twitter"])], incident_statuses(events)
    assert all(e.status != "escalated" for e in events if e.incident_id == resolved["id"])


def test_memory_stays_bounded_on_a_long_run():
    # Many distinct complaints: every one a grievance of its own, more than the cap allows.
    noise = [post(f"twitter:n{i}", "twitter", T0 + i * 600, text=f"acme problem number{i} word{i * 7}")
             for i in range(8 * 24 * 6)]
    # Blog posts that reach us two days after they were written: still counted, never kept for ever.
    late = [post(f"blog:l{i}", "blog", T0 + i * 3 * HOUR, text=f"acme blog problem{i}") for i in range(8 * 8)]
    stream = by_time(background(days=8, rates=(("twitter", 6.0), ("facebook", 2.0))) + noise)
    for p in late:
        stream.insert(next((k for k, q in enumerate(stream) if q.event_time > p.event_time + 48 * HOUR),
                           len(stream)), p)
    events, states = run(stream)
    cfg, state = Detector(SETTINGS).cfg, states["Acme"]
    for plat in state["platforms"].values():
        assert len(plat["buckets"]) <= cfg.history + cfg.longest + 2
    assert len(state["grievances"]) <= cfg.max_grievances
    for g in state["grievances"].values():
        assert all(len(rows) <= cfg.history + cfg.longest + 2 for rows in g["plat"].values())
        assert len(g["ids"]) <= cfg.link + cfg.longest + 2
    assert len(state["pending"]) <= 2


def test_a_brand_is_heard_on_at_most_max_platforms_and_a_post_on_one_more_is_refused():
    """A producer that makes platform names up (a subreddit's, say) must not grow the state
    without bound: the post on a platform beyond the cap is refused, with the brand's platforms
    named, before it changes anything; the platforms the brand has, and other brands, go on."""
    from spillover.records import ValidationError
    from spillover.streams.codec import DetectorStateCodec

    stored = DetectorStateCodec(lambda size, seconds: None).dumps
    detector, states = Detector(dataclasses.replace(SETTINGS, max_platforms=3)), {}
    for i, name in enumerate(["twitter", "facebook", "reddit"]):
        detector.observe(states, post(f"{name}:1", name, T0 + i * 60))
    before = copy.deepcopy(states)
    with pytest.raises(ValidationError) as refused:
        detector.observe(states, post("r_acme:1", "r_acme", T0 + 300))
    assert refused.value.code == "too_many_platforms"
    assert "facebook, reddit, twitter" in str(refused.value) and "'r_acme'" in str(refused.value)
    assert stored(states["Acme"]) == stored(before["Acme"])
    detector.observe(states, post("twitter:2", "twitter", T0 + 400))  # a platform it has: counted
    detector.observe(states, post("r_other:1", "r_other", T0 + 500, brand="Other"))  # another brand's own
    assert set(states["Acme"]["platforms"]) == {"twitter", "facebook", "reddit"}
    assert states["Acme"]["platforms"]["twitter"] != before["Acme"]["platforms"]["twitter"]
    assert set(states["Other"]["platforms"]) == {"r_other"}


def test_memory_stays_bounded_after_a_restart_with_a_longer_history():
    """A post older than the last prune's bound counts again once the history is longer: the
    next prune must find it, even when it comes after a silence, and not look only above the
    bound left by the shorter history."""
    short = Detector(DetectionSettings(baseline_hours=24))
    states: dict = {}
    for p in background(days=3, rates=(("twitter", 4.0),)):
        short.observe(states, p)
    longer = Detector(DetectionSettings(baseline_hours=72))
    # Written 36 hours before the latest post: older than the short history, within the long one.
    old = post("twitter:old", "twitter", T0 + 36 * HOUR, label="neutral")
    assert not longer.too_late(states["Acme"], old)
    longer.observe(states, old)
    # The brand is quiet for two days; by the next prune that post is older than any window.
    for p in background(days=6, seed=2, rates=(("twitter", 4.0),)):
        if p.event_time > T0 + 122 * HOUR:
            longer.observe(states, p)
    buckets = states["Acme"]["platforms"]["twitter"]["buckets"]
    assert min(buckets) > int(old.event_time // longer.cfg.bucket_s)


def test_pruning_forgets_every_bucket_before_the_cut_and_nothing_after():
    from spillover.detection.state import drop_before
    # An hourly prune (a few buckets to go) and one after a long silence (most of them).
    for keys, cut in (([3, 5, 6, 7, 9, 12], 8), ([1, 2, 40, 900, 901], 900), ([5, 6], 1)):
        for first in (None, min(keys), min(keys) - 5):  # unknown, or a bound at or below the oldest key
            rows = {k: [k] for k in keys}
            drop_before(rows, cut, first)
            assert sorted(rows) == [k for k in keys if k >= cut]


def test_posts_older_than_the_history_are_ignored_not_counted():
    detector, states = Detector(SETTINGS), {}
    for p in background(days=4, rates=(("twitter", 4.0),)):
        detector.observe(states, p)
    ancient = post("twitter:old", "twitter", T0 - 10 * 24 * HOUR)
    assert detector.too_late(states["Acme"], ancient)
    skipped = []
    assert detector.observe(states, ancient, skipped.append) == []
    assert skipped == ["too_late"]


def test_brand_replies_are_not_complaints():
    replies = burst("facebook", 33, 30, 2, text="We are sorry, please DM us", tag="r")
    replies = [post(p.post.id, "facebook", p.event_time, "negative", is_brand_reply=True) for p in replies]
    events, _ = run(by_time(background() + replies + burst("twitter", 35, 60, 3)))
    assert events == []


def test_state_survives_a_json_round_trip():
    """What the Faust table does to it on recovery must not change the outcome."""
    from spillover.detection.state import dumps, loads
    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    half = len(posts) // 2
    detector, states, events = Detector(SETTINGS), {}, []
    for p in posts[:half]:
        events.extend(detector.observe(states, p))
    states = {brand: loads(dumps(state)) for brand, state in states.items()}
    for p in posts[half:]:
        events.extend(detector.observe(states, p))
    assert [e.to_dict() for e in events] == [e.to_dict() for e in run(posts)[0]]


def test_deletion_notices_count_as_deletions_not_as_more_complaints():
    fb, tw = burst("facebook", 33, 30, 2), burst("twitter", 35, 60, 3)
    base = by_time(background() + fb + tw)
    # The brand deletes five Facebook complaints; the connector re-emits them, hours later.
    notices = [post(p.post.id, "facebook", p.event_time, "negative", deleted=True) for p in fb[-5:]]
    arrival = lambda p: p.event_time + (HOUR if p.post.deleted else 0)
    events, _ = run(sorted(base + notices, key=arrival))
    quiet_events, _ = run(base)
    volume = lambda evs: [(e.status, e.detected_at, [(p.platform, p.posts, p.negative_posts) for p in e.platforms])
                          for e in evs]
    assert volume(events) == volume(quiet_events)  # no extra volume, same decisions
    last = events[-1]
    assert last.response["deleted_posts"] == 5
    assert next(p for p in last.platforms if p.platform == "facebook").deleted_posts == 5


def test_centring_tells_two_problems_of_one_brand_apart():
    """Raw embeddings of one brand's complaints share a big common part; centred, they do not."""
    import numpy as np

    from spillover.detection.vectors import centred, unit

    rng = np.random.default_rng(4)
    common, billing, outage = (unit(rng.normal(size=64)) for _ in range(3))
    sample = lambda topic: unit(2.0 * common + topic + 0.05 * rng.normal(size=64))
    usual: dict = {}
    for i in range(300):  # the brand's ordinary complaining, about both problems
        centred(usual, sample(billing if i % 2 else outage), horizon=500)
    a, b = sample(billing), sample(outage)
    assert a @ b > 0.7  # raw: two different problems look alike
    ca, cb = centred(usual, a, 500), centred(usual, b, 500)
    assert ca @ cb < 0.3
    assert ca @ centred(usual, sample(billing), 500) > 0.5  # one problem stays alike


def test_one_storm_told_in_different_words_is_one_incident():
    phrasings = ["acme charged me twice this month", "double billing from acme again",
                 "two payments taken for one acme bill"]
    storm = []
    for k, text in enumerate(phrasings):
        storm += burst("facebook", 33 + 0.1 * k, 20, 2, text=text, tag=f"f{k}")
        storm += burst("twitter", 35 + 0.1 * k, 40, 3, text=text, tag=f"t{k}")
    events, _ = run(by_time(background() + storm))
    assert events and events[0].status == "opened" and events[0].path == ["facebook", "twitter"]
    assert len({e.incident_id for e in events}) == 1


def test_a_storm_loud_on_one_platform_is_found_early_on_the_next():
    """Once the grievance is loud on facebook, a few twitter complaints about it are enough."""
    fb = burst("facebook", 33, 30, 2)
    tw = burst("twitter", 35, 4, 0.5)  # four complaints in half an hour, amid normal twitter traffic
    events, _ = run(by_time(background() + fb + tw))
    assert [e.status for e in events][:1] == ["opened"] and events[0].path == ["facebook", "twitter"]
    assert events[0].detected_at <= "2026-03-03T11:40:00Z"  # within 40 minutes of the twitter onset


# The same grievance was loud on twitter alone, then quiet; today it flares up there again
# and spreads. Hour 26: past `link_hours`, long forgotten. Hour 40: yesterday evening, quiet
# all night (past `quiet_hours`, within `link_hours`): a new burst all the same.
@pytest.mark.parametrize("old_burst_hour", [26, 40])
def test_an_old_spike_does_not_lend_its_onset_to_a_new_burst_on_its_platform(old_burst_hour):
    old = burst("twitter", old_burst_hour, 40, 2, tag="old")
    tw, fb = burst("twitter", 55, 60, 3), burst("facebook", 56, 30, 2)
    events, _ = run(by_time(background(days=3) + old + tw + fb))
    opened = [e for e in events if e.status == "opened"]
    assert len(opened) == 1 and opened[0].path == ["twitter", "facebook"]
    twitter_seen = next(p.first_seen for p in opened[0].platforms if p.platform == "twitter")
    assert twitter_seen >= "2026-03-04T06:30"  # hour 54.5 at the earliest


def test_a_state_restored_by_a_plain_json_decoder_decides_as_the_saved_one():
    # Faust's changelog recovery decodes table values with its json codec: bucket and
    # grievance ids come back as strings. revive() must give the detector its own form back.
    import json

    from spillover.detection.state import dumps, revive

    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    cut = len(posts) // 2 + 40
    straight, _ = run(posts)
    detector, states, events = Detector(SETTINGS), {}, []
    for p in posts[:cut]:
        events.extend(detector.observe(states, p))
    states = {brand: revive(json.loads(dumps(s))) for brand, s in states.items()}
    assert all(isinstance(g, int) for s in states.values() for g in s["grievances"])
    for p in posts[cut:]:
        events.extend(detector.observe(states, p))
    assert [e.to_dict() for e in events] == [e.to_dict() for e in straight] and straight


def test_a_state_stored_compressed_decides_as_the_saved_one_and_older_forms_still_read():
    # One Kafka message holds a brand's whole state, and the broker limits a message's size:
    # stored compressed, it takes half the room or less. A changelog written by an older
    # release holds plain JSON, or all of it compressed with the vectors as base64.
    import zlib

    from spillover.detection.state import COMPRESSED, dumps, revive
    from spillover.streams.codec import DetectorStateCodec

    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    cut = len(posts) // 2 + 40
    straight, _ = run(posts)
    sizes: list[int] = []
    codec = DetectorStateCodec(lambda size, seconds: sizes.append(size))
    older = {"plain": lambda s: dumps(s).encode(),
             "compressed, vectors inside": lambda s: COMPRESSED + zlib.compress(dumps(s).encode(), 1)}
    for stored_as in ("compressed", *older):
        detector, states, events = Detector(SETTINGS), {}, []
        for p in posts[:cut]:
            events.extend(detector.observe(states, p))
        write = older.get(stored_as, lambda s: codec.loads(codec.dumps(s)))
        stored = {brand: write(s) for brand, s in states.items()}
        if stored_as == "compressed":
            plain = sum(len(dumps(s)) for s in states.values())
            assert sum(sizes) == sum(len(v) for v in stored.values()) < plain / 2
        states = {brand: revive(value) for brand, value in stored.items()}
        for p in posts[cut:]:
            events.extend(detector.observe(states, p))
        assert [e.to_dict() for e in events] == [e.to_dict() for e in straight] and straight, stored_as


@pytest.mark.parametrize("stored", [b"\x00spz9 a form from a newer release", b"\x00spz2\x00\x00\x00\x09broken",
                                    b'{"watermark": '])
def test_a_stored_state_this_worker_cannot_read_starts_the_brand_afresh(stored):
    # Every post of the brand would otherwise fail in the detector and go to the DLQ: after a
    # rollback to an older release, or with a damaged changelog, for good.
    from spillover.streams.state import BatchedStates

    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    table, told = {b"Acme": stored}, []
    detector, events = Detector(SETTINGS), []
    for first in range(0, len(posts), 500):  # in batches, as the detect agent does
        states = BatchedStates(table, lambda brand, exc: told.append(brand))
        for p in posts[first:first + 500]:
            events.extend(detector.observe(states, p))
        states.flush()
    assert told == ["Acme"]  # said once: the first batch's flush replaced it
    assert [e.to_dict() for e in events] == [e.to_dict() for e in run(posts)[0]] and events


def test_a_state_holding_half_an_emoji_is_stored_all_the_same():
    # The fast JSON encoder refuses a lone surrogate (half an emoji). Posts are cleaned of them
    # when parsed, but whatever reaches a state, storing it must not be what stops a worker.
    from spillover.detection.state import decode, encode, new_brand_state

    state = new_brand_state()
    state["recent"] = ["twitter:17\ud83d", "twitter:18"]
    state["usual_complaint"] = {"n": 3, "terms": {"caf\ud83d": 2}}
    back = decode(encode(state))
    assert back["recent"] == ["twitter:17\ud83d", "twitter:18"]
    assert back["usual_complaint"] == {"n": 3, "terms": {"caf\ud83d": 2}}


def test_a_brand_over_its_state_budget_lets_go_of_quiet_evidence_and_decides_the_same():
    # A busy brand's state nears the size of a Kafka message: the detector first lets go of
    # what no decision needs, the evidence ids of grievances nobody is loud about.
    from spillover.detection.state import encode

    rng = random.Random(3)
    words = ("refund signal bill roaming contract router outage porting sim invoice upgrade engineer broadband "
             "speed cancel fee login app store manager queue delivery warranty screen battery charger").split()
    complaints = tuple("acme " + " ".join(rng.sample(words, 3)) for _ in range(60))
    posts = by_time(background(days=4, complaints=complaints, rates=(("twitter", 40.0), ("facebook", 12.0)))
                    + burst("facebook", 57, 30, 2) + burst("twitter", 59, 60, 3))
    free, free_states = run(posts)
    held, held_states = run(posts, dataclasses.replace(SETTINGS, max_state_kib=40))
    assert [e.to_dict() for e in held] == [e.to_dict() for e in free] and free[0].status == "opened"

    def ids(state):
        return sum(len(v) for g in state["grievances"].values() for v in g["ids"].values())

    assert ids(held_states["Acme"]) < ids(free_states["Acme"]) / 2
    assert len(encode(held_states["Acme"])) < len(encode(free_states["Acme"])) > 40 * 1024


def test_a_state_too_large_for_the_changelog_is_not_sent_and_the_brand_restores_afresh():
    # Sent anyway, the producer would crash the worker, every brand with it, after each restart.
    from spillover.detection.state import NOT_SAVED, encode, revive
    from spillover.streams.codec import DetectorStateCodec

    _, states = run(by_time(background() + burst("facebook", 33, 30, 2)))
    size = len(encode(states["Acme"]))
    refused: list[int] = []
    codec = DetectorStateCodec(limit=size, refused=refused.append)
    assert codec.dumps(states["Acme"]) == NOT_SAVED and refused == [size]
    assert revive(codec.loads(NOT_SAVED))["grievances"] == {}
    assert revive(DetectorStateCodec(limit=size + 2048).dumps(states["Acme"]))["grievances"]


def test_posts_delivered_twice_count_once():
    # A replaced worker reads again what its predecessor had not committed: a stretch of the
    # stream arrives a second time, right after the first.
    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    start = next(i for i, p in enumerate(posts) if p.post.id == "twitter:b10")
    again = posts[: start + 200] + posts[start - 300: start + 200] + posts[start + 200:]
    once, _ = run(posts)
    twice, _ = run(again)
    assert [e.to_dict() for e in twice] == [e.to_dict() for e in once] and once
    # Each repeat is reported as such (the worker counts them in a metric).
    detector, states, skipped = Detector(SETTINGS), {}, []
    for p in again:
        detector.observe(states, p, skipped.append)
    assert skipped == ["repeated"] * 500


def test_evidence_is_the_earliest_complaints_of_the_incident_on_the_platform():
    # Two grievances with complaints on two platforms spread over many buckets, in no order.
    from spillover.detection.config import DetectorConfig
    from spillover.detection.incidents import _evidence

    cfg = DetectorConfig.from_settings(DetectionSettings())
    rng = random.Random(5)
    state = {"grievances": {gid: {"ids": {}} for gid in (0, 1)}}
    for i in range(300):
        b = rng.randrange(100, 160)
        ts = b * cfg.bucket_s + rng.uniform(0, cfg.bucket_s)
        state["grievances"][rng.choice((0, 1))]["ids"].setdefault(b, []).append(
            [ts, f"post-{i}", rng.choice(("twitter", "reddit"))])
    shown = [[100 * cfg.bucket_s + 1.0, "shown-before"]]  # evidence an earlier event gave stays
    inc = {"members": [0, 1], "evidence": {"twitter": shown}}
    got = _evidence(state, inc, "twitter", 120, 150, cfg)
    every = sorted([ts, pid] for g in state["grievances"].values() for k, ids in g["ids"].items()
                   if 120 <= k <= 150 for ts, pid, where in ids if where == "twitter")
    assert got == (shown + every)[: cfg.evidence_per_platform]
    assert len(got) == cfg.evidence_per_platform < len(every)


def test_a_burst_begins_with_its_first_complaint_not_with_its_last_alone():
    # A sparse platform (a blog): one complaint, then a second one 90 minutes later. The most
    # likely change point for two posts used to be the last one alone (one post in one bucket
    # is a high rate), which put the blog after platforms it had reached first.
    from spillover.detection.config import DetectorConfig
    from spillover.detection.spikes import onset

    cfg = DetectorConfig.from_settings(DetectionSettings())
    row = lambda k, n=1: [n, k * cfg.bucket_s + 7.0, 0, 0]
    start, b = 1000, 1018  # the second complaint is in the bucket just closed
    assert onset({start: row(start), b: row(b)}, b, 0.0006, cfg) == (start * cfg.bucket_s + 7.0, start)
    # A stray complaint hours before a burst of several still stays out of it.
    burst_rows = {k: row(k) for k in range(1010, 1016)}
    assert onset({950: row(950), **burst_rows}, 1016, 0.0002, cfg)[1] == 1010


def test_a_brand_with_its_own_settings_is_judged_by_them_and_the_others_are_not(tmp_path):
    def storm(brand, seed):
        return (background(brand, seed=seed) + burst("facebook", 33, 30, 2, brand=brand, tag=brand)
                + burst("twitter", 35, 60, 3, brand=brand, tag=brand))
    posts = by_time(storm("Acme", 1) + storm("Bigco", 2))
    path = tmp_path / "w.yaml"
    # A very busy brand: a hundred complaints before a platform counts as loud.
    path.write_text("brands:\n- name: Acme\n- name: Bigco\n"
                    "  detection: {min_negative: '100', min_negative_spread: 100,\n"
                    "              platform_burst_min_complaints: 100}\n")
    detector, states, events = Detector.for_watchlist(SETTINGS, Watchlist.load(path)), {}, []
    for p in posts:
        events.extend(detector.observe(states, p))
    assert {e.brand for e in events} == {"Acme"}
    # The same posts with the defaults for everyone: both brands' storms are incidents.
    events, _ = run(posts)
    assert {e.brand for e in events if e.status == "opened"} == {"Acme", "Bigco"}


@pytest.mark.parametrize("detection, complaint", [
    ("{min_negtive: 5}", "unknown per-brand setting detection.min_negtive"),
    ("{max_future_minutes: 5}", "applies to every brand"),
    ("{alpha: lots}", "'lots' is not a valid float"),
    ("[5]", "expected a mapping"),
])
def test_a_brand_setting_that_cannot_apply_is_refused_when_the_watchlist_loads(tmp_path, detection, complaint):
    path = tmp_path / "w.yaml"
    path.write_text(f"brands:\n- name: Bigco\n  detection: {detection}\n")
    with pytest.raises(ValueError, match=re.escape(complaint)) as caught:
        Watchlist.load(path)
    assert "Bigco" in str(caught.value)


def test_brand_settings_that_contradict_each_other_are_refused_naming_the_brand():
    with pytest.raises(ValueError, match="brand 'Bigco'.*min_window_minutes"):
        Detector(SETTINGS, tuning={"Bigco": {"min_window_minutes": 300}})


EVERYDAY = ("acme app is slow", "acme charged me twice", "acme support never answers", "acme delivery late again")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_brand_quiet_at_weekends_raises_nothing_when_the_week_begins(seed):
    # Three weeks of a brand nobody talks about at weekends. Measured against a quiet weekend
    # (the last three days), a Monday looks nearly three times as loud as it is.
    events, _ = run(background(days=21, seed=seed, weekend=0.05, complaints=EVERYDAY))
    assert [(e.status, e.detected_at) for e in events] == []


@pytest.mark.parametrize("offset,seed", [(5.5, 3), (5.5, 5), (5.5, 8), (9.0, 6)])
def test_a_brand_whose_weekends_are_not_utcs_learns_them_at_its_own_offset(offset, seed):
    # An audience in India: its Saturday begins at 18:30 UTC on Friday. Counted in UTC days,
    # part of each weekend passes for a weekday and part of Monday for Sunday. The history
    # then holds some hours of the day only on the quiet weekend: learnt as if every day
    # were alike, a Monday or Tuesday morning there looks several times as loud.
    posts = background(days=21, seed=seed, weekend=0.05, complaints=EVERYDAY, utc_offset=offset)
    events, _ = run(posts, DetectionSettings(utc_offset_hours=offset))
    assert [(e.status, e.detected_at) for e in events] == []


def test_a_storm_on_a_quiet_sunday_is_still_found():
    storm = burst("facebook", 20 * 24 + 10, 12, 2) + burst("twitter", 20 * 24 + 11, 20, 2)
    events, _ = run(by_time(background(days=21, weekend=0.2, complaints=EVERYDAY) + storm))
    assert [(e.status, e.path) for e in events][:1] == [("opened", ["facebook", "twitter"])]
    assert events[0].detected_at.startswith("2026-03-22")  # the third Sunday


def test_a_state_saved_before_weekdays_were_learnt_decides_as_before():
    # A rolling upgrade: states written by a version that kept no weekday profile go on.
    posts = by_time(background() + burst("facebook", 33, 30, 2) + burst("twitter", 35, 60, 3))
    detector, states, events = Detector(SETTINGS), {}, []
    for i, p in enumerate(posts):
        if i == len(posts) // 3:
            for plat in states["Acme"]["platforms"].values():
                plat.pop("week", None)
                plat["hist"]["slots"] = plat["hist"].pop("week_slots")[:24]
        events.extend(detector.observe(states, p))
    expected, _ = run(posts)
    assert events and [e.to_json() for e in events] == [e.to_json() for e in expected]


# A storm told in several wordings: its complaints embed as the grievance plus the wording,
# so the groups of one wording are alike but stay apart (as the model's embeddings of
# "denied boarding" and "sold too many seats" do). Background complaints are about other things.
DIM = 48


def _axis(i: int) -> tuple[float, ...]:
    return tuple(1.0 if k == i else 0.0 for k in range(DIM))


def _embedding(*parts: tuple[float, int]) -> tuple[float, ...]:
    v = [0.0] * DIM
    for weight, axis in parts:
        v[axis] += weight
    norm = sum(x * x for x in v) ** 0.5
    return tuple(round(x / norm, 4) for x in v)


def _complaints(tag: str, platform: str, start_h: float, n: int, hours: float, parts: tuple, noise: float,
                rng) -> list:
    """n complaints spread evenly over the hours, each embedded as `parts` plus `noise` on a
    random one of axes 36-47 (what makes two complaints in one wording differ)."""
    out = []
    for k in range(n):
        p = post(f"{platform}:{tag}{k}", platform, T0 + (start_h + k * hours / n) * HOUR)
        out.append(dataclasses.replace(p, embedding=_embedding(*parts, (noise, rng.randrange(36, 48)))))
    return out


def _told(tag: str, grievance: int, wordings: range, platforms: list[str], start_h: float, rng) -> list:
    """Three complaints in each wording on each platform, an hour apart."""
    return [p for i, platform in enumerate(platforms) for j, wording in enumerate(wordings)
            for p in _complaints(f"{tag}{j}-", platform, start_h + i * 0.5 + j * 0.1, 3, 3,
                                 ((0.38, grievance), (0.8, wording)), 0.2, rng)]


def _embedded_background(seed: int) -> list:
    rng = random.Random(seed)
    return [dataclasses.replace(p, embedding=_embedding((0.7, rng.randrange(0, 4)), (0.7, rng.randrange(36, 48))))
            if p.sentiment.label == "negative" else p for p in background(days=3, seed=seed)]


@pytest.mark.parametrize("toward_the_storm, reached", [(0.6, True), (0.5, True), (0.4, False)])
def test_two_blog_posts_of_an_open_storm_framed_in_their_own_words_escalate_it(toward_the_storm, reached):
    """A storm is open on twitter and facebook; six hours after it took off two blog posts tell
    it, each wrapped in the blog's own framing (axis 20), so they are a grievance of their own,
    less like the storm's tweets than its kin are. At the long-form bar (`long_form_link_similarity`)
    they are asked the targeted question of a platform the storm may be reaching (two
    complaints are enough), not a cold scan, which wants three: the storm escalates to the
    blog. Unlike the storm, they are a blog's own business."""
    from spillover.detection import grievances
    from spillover.detection.config import DetectorConfig

    rng = random.Random(3)
    storm = (_complaints("tw", "twitter", 50, 30, 3, ((1.0, 10),), 0.2, rng)
             + _complaints("fb", "facebook", 50.5, 20, 3, ((1.0, 10),), 0.2, rng))
    blog = _complaints("bl", "blog", 56, 2, 0.6, ((toward_the_storm, 10), (1.0, 20)), 0.2, rng)
    events, states = run(by_time(_embedded_background(4) + storm + blog))
    assert incident_statuses(events)[0] == ("opened", ("twitter", "facebook"))
    assert len({e.incident_id for e in events}) == 1
    assert (events[-1].path == ["twitter", "facebook", "blog"]) is reached
    if reached:
        assert {p.post.id for p in blog} <= set(events[-1].evidence)
    else:  # the likeness the test is about: under the long-form bar
        state, cfg = states["Acme"], DetectorConfig.from_settings(SETTINGS)
        holding = lambda post: [g for g, gr in sorted(state["grievances"].items())  # noqa: E731
                                for ids in gr["ids"].values() for _, pid, _ in ids if pid == post.post.id]
        assert grievances.likeness(state, holding(blog[0]), holding(storm[0]), cfg) \
            < SETTINGS.long_form_link_similarity


@pytest.mark.parametrize("seed", [4, 5])
def test_a_storm_told_in_many_wordings_is_found_when_each_wording_spreads(seed):
    """Five wordings, each too quiet to spike alone and too unlike the others to be pooled or
    linked by likeness (on seeds 1-3 they happen to be, and the storm is found either way),
    but each on both platforms: together they are one storm."""
    rng = random.Random(seed)
    storm = _told("s", 10, range(20, 25), ["twitter", "facebook"], 50, rng)
    events, _ = run(by_time(_embedded_background(seed) + storm))
    assert incident_statuses(events)[:1] == [("opened", ("twitter", "facebook"))]
    assert len({e.incident_id for e in events}) == 1  # both routes find it: one incident
    # What pooling by platforms adds; a burst join would also take the wordings in, and the
    # platform bursts route (bursts.py) would find the storm as a whole, so they are off too.
    off = dataclasses.replace(SETTINGS, shared_platforms_similarity=0.0, burst_join_similarity=0.0,
                              platform_burst_similarity=0.0)
    assert run(by_time(_embedded_background(seed) + storm), off)[0] == []


@pytest.mark.parametrize("seed", [4, 5])
def test_a_storm_whose_wordings_stay_apart_is_found_by_its_platforms_bursting(seed):
    """The storm above with every way of pooling its wordings off: each platform's complaints
    as a whole burst, and what the two bursts say is alike, so it is one storm all the same.
    A state stored and read back in the middle of the storm decides as the one kept in memory."""
    from spillover.detection.state import revive
    from spillover.streams.codec import DetectorStateCodec

    rng = random.Random(seed)
    posts = by_time(_embedded_background(seed) + _told("s", 10, range(20, 25), ["twitter", "facebook"], 50, rng))
    apart = dataclasses.replace(SETTINGS, shared_platforms_similarity=0.0, burst_join_similarity=0.0)
    straight, _ = run(posts, apart)
    opened = [e for e in straight if e.status == "opened"]
    assert [tuple(e.path[:2]) for e in opened] == [("twitter", "facebook")]
    assert len({e.incident_id for e in straight}) == 1
    assert sum(pid.startswith(("twitter:s", "facebook:s")) for pid in opened[0].evidence) >= 6

    codec, cut = DetectorStateCodec(lambda size, seconds: None), next(
        i for i, p in enumerate(posts) if p.event_time >= T0 + 51 * HOUR)
    detector, states, events = Detector(apart), {}, []
    for p in posts[:cut]:
        events.extend(detector.observe(states, p))
    assert all(s.get("heard") for s in states.values())  # the platforms' recent complaint vectors
    states = {brand: revive(codec.loads(codec.dumps(s))) for brand, s in states.items()}
    for p in posts[cut:]:
        events.extend(detector.observe(states, p))
    assert [e.to_dict() for e in events] == [e.to_dict() for e in straight]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_two_grievances_told_in_many_wordings_one_platform_each_stay_quiet(seed):
    """As many complaints, in as many wordings, but two grievances, each on a platform of its
    own: nothing says they are one storm spreading."""
    rng = random.Random(seed)
    decoy = (_told("a", 11, range(26, 31), ["twitter"], 50, rng)
             + _told("b", 12, range(31, 36), ["facebook"], 50.3, rng))
    events, _ = run(by_time(_embedded_background(seed) + decoy))
    assert events == []


def _wording(tag: str, wording: int, platform: str, start_h: float, n: int, hours: float, rng) -> list:
    """n complaints over the hours in one wording of grievance 10, a little alike to its others."""
    return _complaints(tag, platform, start_h, n, hours, ((0.45, 10), (0.75, wording)), 0.2, rng)


@pytest.mark.parametrize("seed", range(1, 9))
def test_a_wording_that_took_off_with_a_resolved_storm_takes_it_up_again_on_a_new_platform(seed):
    """One storm in two wordings, loud together on twitter; the first wording reaches facebook
    and opens the incident, which resolves. When the second wording reaches the blogs, it is
    the storm spreading, not a second incident: it took off with the storm on twitter."""
    rng = random.Random(seed)
    storm = _wording("a", 20, "twitter", 33, 40, 3, rng) + _wording("b", 20, "facebook", 40, 20, 2, rng)
    other = _wording("c", 21, "twitter", 33.2, 40, 3, rng) + _wording("d", 21, "blog", 56, 10, 3, rng)
    events, _ = run(by_time(_embedded_background(seed) + storm + other))
    assert len({e.incident_id for e in events}) == 1, incident_statuses(events)
    assert events[-1].path == ["twitter", "facebook", "blog"], incident_statuses(events)


def _one_wording(tag: str, grievance: int, platform: str, start_h: float, rng) -> list:
    """Eight complaints over two hours; every grievance here shares a little of axis 13 (what
    two problems of one brand have in common once the brand is taken away)."""
    return _complaints(tag, platform, start_h, 8, 2, ((0.75, grievance), (0.45, 13)), 0.3, rng)


@pytest.mark.parametrize("seed", range(1, 9))
def test_one_complaint_taken_in_by_chance_does_not_carry_a_grievance_to_another_platform(seed):
    """Two problems a little alike, each loud on its own platform a quarter of an hour apart:
    a complaint of one joining the other's group by chance would make one grievance loud on
    two platforms. The same storm on both platforms is still found."""
    rng = random.Random(seed)
    two = _one_wording("a", 11, "twitter", 50, rng) + _one_wording("b", 12, "facebook", 50.25, rng)
    assert run(by_time(_embedded_background(seed) + two))[0] == []
    # What the stricter join prevents (the next test: what each platform says tells them apart too).
    lenient = dataclasses.replace(SETTINGS, cross_platform_join_similarity=SETTINGS.join_similarity,
                                  legs_similarity=0.0)
    assert run(by_time(_embedded_background(seed) + two), lenient)[0]
    rng = random.Random(seed)
    storm = _one_wording("s", 14, "twitter", 50, rng) + _one_wording("t", 14, "facebook", 50.25, rng)
    events, _ = run(by_time(_embedded_background(seed) + storm))
    assert incident_statuses(events)[:1] == [("opened", ("twitter", "facebook"))]


@pytest.mark.parametrize("seed", range(1, 9))
def test_two_problems_that_fell_into_one_grievance_are_told_apart_by_what_each_platform_says(seed):
    """The two problems above, where complaints do cross (a lenient join: a complaint merged
    across by chance, and the rest of its platform's complaints follow it): one grievance loud
    on two platforms, but what it says on twitter is one problem and on facebook another, so
    no incident opens. The same storm on both platforms says the same on each, and opens."""
    lenient = dataclasses.replace(SETTINGS, cross_platform_join_similarity=SETTINGS.join_similarity)
    rng = random.Random(seed)
    two = by_time(_embedded_background(seed) + _one_wording("a", 11, "twitter", 50, rng)
                  + _one_wording("b", 12, "facebook", 50.25, rng))
    assert not _about_both(run(two, lenient)[0])
    assert _about_both(run(two, dataclasses.replace(lenient, legs_similarity=0.0))[0])  # what the check prevents
    rng = random.Random(seed)
    storm = _one_wording("s", 14, "twitter", 50, rng) + _one_wording("t", 14, "facebook", 50.25, rng)
    events, _ = run(by_time(_embedded_background(seed) + storm), lenient)
    assert incident_statuses(events)[:1] == [("opened", ("twitter", "facebook"))]


def _framed(tag: str, grievance: int, platform: str, start_h: float, rng) -> list:
    """Six complaints over three hours, told as _one_wording's are, with a framing of their own
    on axis 15, weighing most: "My week with Acme, a cautionary tale. In short: ..."."""
    return _complaints(tag, platform, start_h, 6, 3, ((0.75, grievance), (0.45, 13), (2.5, 15)), 0.3, rng)


@pytest.mark.parametrize("seed", range(1, 9))
def test_a_storm_reaching_the_blogs_links_though_their_framing_makes_them_less_alike(seed):
    """A blog post's embedding is the whole post's, framing and all: the storm's blog posts come
    out about 0.6 alike its tweets, under `link_similarity` (0.7), and over the long-form bar
    (`long_form_link_similarity`, 0.5). The same framing around another problem stays quiet, and
    two short-form platforms 0.6 alike are still not linked."""
    rng = random.Random(seed)
    storm = by_time(_embedded_background(seed) + _one_wording("s", 14, "twitter", 50, rng)
                    + _framed("b", 14, "blog", 50.5, rng))
    assert incident_statuses(run(storm)[0])[:1] == [("opened", ("twitter", "blog"))]
    strict = dataclasses.replace(SETTINGS, long_form_link_similarity=SETTINGS.link_similarity)
    assert run(storm, strict)[0] == []
    rng = random.Random(seed)
    two = by_time(_embedded_background(seed) + _one_wording("s", 14, "twitter", 50, rng)
                  + _framed("b", 12, "blog", 50.5, rng))
    assert run(two)[0] == []
    rng = random.Random(seed)
    short = by_time(_embedded_background(seed) + _one_wording("s", 14, "twitter", 50, rng)
                    + _framed("b", 14, "facebook", 50.5, rng))
    assert run(short)[0] == []


def test_what_each_platform_says_is_stored_in_half_floats_and_read_back_exactly():
    """Grievances heard on several platforms keep each one's share (but their first's) in
    float16: stored and read back, a state decides as the one kept in memory."""
    import numpy as np

    from spillover.detection.state import revive
    from spillover.streams.codec import DetectorStateCodec

    rng = random.Random(3)
    posts = by_time(_embedded_background(3) + _one_wording("s", 14, "twitter", 50, rng)
                    + _one_wording("t", 14, "facebook", 50.25, rng))
    cut = next(i for i, p in enumerate(posts) if p.event_time >= T0 + 51 * HOUR)
    straight, _ = run(posts)
    detector, states, events = Detector(SETTINGS), {}, []
    for p in posts[:cut]:
        events.extend(detector.observe(states, p))
    shares = [v for s in states.values() for g in s["grievances"].values() for _, v in (g["away"] or {}).values()]
    assert shares and all(v.dtype == np.float16 for v in shares)
    codec = DetectorStateCodec(lambda size, seconds: None)
    states = {brand: revive(codec.loads(codec.dumps(s))) for brand, s in states.items()}
    restored = [v for s in states.values() for g in s["grievances"].values() for _, v in (g["away"] or {}).values()]
    assert len(restored) == len(shares) and all(np.array_equal(a, b) for a, b in zip(shares, restored))
    for p in posts[cut:]:
        events.extend(detector.observe(states, p))
    assert [e.to_dict() for e in events] == [e.to_dict() for e in straight] and straight


@pytest.mark.parametrize("seed", [1, 2])
def test_a_state_stored_before_each_platforms_share_was_kept_goes_on_deciding(seed):
    """A state an older version saved has grievances without their per-platform shares: what
    they say on each platform is unknown, so they open as before the check (the two problems
    too, under a lenient join), and new grievances are checked."""
    lenient = dataclasses.replace(SETTINGS, cross_platform_join_similarity=SETTINGS.join_similarity)

    def restored_at(posts, hour):
        detector, states, events = Detector(lenient), {}, []
        for p in posts:
            if hour is not None and p.event_time >= T0 + hour * HOUR:
                for g in states["Acme"]["grievances"].values():
                    del g["home"], g["away"]
                hour = None
            events.extend(detector.observe(states, p))
        return events

    rng = random.Random(seed)
    two = by_time(_embedded_background(seed) + _one_wording("a", 11, "twitter", 50, rng)
                  + _one_wording("b", 12, "facebook", 50.25, rng))
    assert _about_both(restored_at(two, 50.5))  # its grievance formed before: unknown
    assert not _about_both(restored_at(two, 40))  # formed after the restore: checked


def test_a_wording_of_an_open_storm_from_its_onset_joins_it_whatever_its_platforms_say():
    """A group placed with the onset an open incident was opened from is that storm, already
    open: it joins, even if what it says on its two platforms is too unalike to open one."""
    import numpy as np

    from spillover.detection import incidents
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    state = new_brand_state()
    g = _fragment(0, [1.0, 0, 0, 0], 4, "twitter", b, True)
    g["plat"]["facebook"] = {b: [4, b * 300.0 + 60, 1, 0]}
    g["spikes"]["facebook"] = dict(g["spikes"]["twitter"], onset=b * 300.0 + 60)
    # Four complaints a platform, one problem on twitter and another on facebook.
    g["v"], g["n"], g["home"] = np.array([4.0, 4.0, 0, 0]), 8, "twitter"
    g["away"] = {"facebook": [4, np.array([0, 4.0, 0, 0], dtype=np.float16)]}
    state["grievances"], state["next_gid"] = {0: g}, 1
    assert not incidents._legs_alike(state, [0], "twitter", "facebook", b, cfg)
    incidents._open(state, "Acme", [0], b, cfg)
    assert state["incidents"] == {} and g["incident"] is None  # too unalike to open

    iid = incidents.incident_id("Acme", "twitter", b * 300.0)
    state["incidents"][iid] = {"id": iid, "members": [], "path": ["twitter", "facebook"]}
    incidents._open(state, "Acme", [0], b, cfg)
    assert g["incident"] == iid and state["incidents"][iid]["members"] == [0]


def _about_both(events) -> bool:
    """Whether an incident holds complaints of both problems (a lenient join can also link
    background grumbles, which is not what these tests are about)."""
    return any(any(p.startswith("twitter:a") for p in e.evidence)
               and any(p.startswith("facebook:b") for p in e.evidence) for e in events)


def _fragment(gid: int, vector: list[float], n: int, platform: str, b: int, spiked: bool) -> dict:
    """A grievance of n complaints in bucket b on one platform, spiking there if `spiked`."""
    g = {"v": [x * n for x in vector], "n": n, "last": b, "plat": {platform: {b: [n, b * 300.0, 1, 0]}},
         "ids": {b: [[b * 300.0, f"{platform}:{gid}-{k}", platform] for k in range(n)]}, "terms": {},
         "spikes": {}, "incident": None}
    if spiked:
        g["spikes"][platform] = {"onset": b * 300.0, "onset_bucket": b, "first_bucket": b, "last_bucket": b,
                                 "peak_ratio": 5.0, "expected": 0.1}
    return g


@pytest.mark.parametrize("alike_bursts", [False, True])
def test_fragments_alike_by_chance_open_nothing_when_the_bursts_behind_them_are_not(alike_bursts):
    """An outage's first complaints spike on reddit; on facebook one complaint, alike them by
    chance, spikes pooled into a burst about something else. The two fragments are alike enough
    to link; the bursts behind them are not, so nothing opens. When the facebook burst is about
    the outage too, the same fragments open the incident."""
    from spillover.detection.config import DetectorConfig
    from spillover.detection.incidents import decide
    from spillover.detection.state import new_brand_state
    from spillover.detection.traffic import count

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    outage, other, between = [1.0, 0, 0, 0], [0, 1.0, 0, 0], [0.7071, 0.7071, 0, 0]
    state = new_brand_state()
    for platform in ("reddit", "facebook"):
        count(state, platform, b, True, 0, False, False, cfg)
    state["grievances"] = {0: _fragment(0, outage, 4, "reddit", b, True),
                           1: _fragment(1, outage, 6, "reddit", b, False),
                           2: _fragment(2, between, 1, "facebook", b, True),
                           3: _fragment(3, outage if alike_bursts else other, 12, "facebook", b, False)}
    state["next_gid"] = 4
    events = decide(state, "Acme", b, [0, 2], cfg, {})
    assert [e.status for e in events] == (["opened"] if alike_bursts else [])
    unchecked = DetectorConfig.from_settings(dataclasses.replace(SETTINGS, loud_groups_similarity=0.0))
    state.pop("_centroids", None)
    if not alike_bursts:  # what the check prevents
        assert [e.status for e in decide(state, "Acme", b, [0, 2], unchecked, {})] == ["opened"]


@pytest.mark.parametrize("burst_toward_the_storm, platform, opens", [
    (0.3, "blog", True), (0.3, "facebook", False), (0.1, "blog", False)])
def test_the_bursts_behind_a_blog_leg_are_judged_at_the_long_form_scale(burst_toward_the_storm, platform, opens):
    """A storm's fragment spikes on twitter, its kin loud there too; one complaint alike it
    spikes on another platform, pooled into a burst of twelve that leans partly towards the
    storm. The groups behind the two are 0.44 alike: under `loud_groups_similarity` (0.45), so
    on facebook two problems, but on the blogs, whose posts carry their framing, the bar is
    scaled as the link bar is (0.45 x 0.5 / 0.7 = 0.32) and it is the storm spreading. A burst
    further off (0.2) is another problem there too."""
    from spillover.detection.config import DetectorConfig
    from spillover.detection.incidents import decide
    from spillover.detection.state import new_brand_state
    from spillover.detection.traffic import count

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    t = burst_toward_the_storm
    state = new_brand_state()
    for p in ("twitter", platform):
        count(state, p, b, True, 0, False, False, cfg)
    state["grievances"] = {0: _fragment(0, [1.0, 0, 0, 0], 4, "twitter", b, True),
                           1: _fragment(1, [1.0, 0, 0, 0], 6, "twitter", b, False),
                           2: _fragment(2, [0.8, 0.6, 0, 0], 1, platform, b, True),
                           3: _fragment(3, [t, (1 - t * t) ** 0.5 * 0.6, (1 - t * t) ** 0.5 * 0.8, 0], 12,
                                        platform, b, False)}
    state["next_gid"] = 4
    events = decide(state, "Acme", b, [0, 2], cfg, {})
    assert [e.status for e in events] == (["opened"] if opens else [])


def test_a_complaint_joins_the_burst_on_its_platform_at_less_likeness_than_it_takes_to_group_by_words():
    """A storm's wordings are less alike each other than one wording's complaints: at one time
    on one platform they are taken as one burst, elsewhere or later they are not."""
    import numpy as np

    from spillover.detection import grievances
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state

    cfg = DetectorConfig.from_settings(SETTINGS)
    state, b = new_brand_state(), 1000
    heard = grievances.assign(state, np.eye(8)[0], b, cfg, "twitter")
    grievances.record(state["grievances"][heard], "twitter", b, b * cfg.bucket_s, "twitter:1", 1, [])
    # cos 0.2: 0.4 on the chance-corrected scale against one complaint, under join_similarity.
    other_wording = 0.2 * np.eye(8)[0] + np.sqrt(1 - 0.04) * np.eye(8)[1]

    def joins(bucket: int, platform: str, settings=SETTINGS) -> bool:
        trial = copy.deepcopy(state)
        cfg = DetectorConfig.from_settings(settings)
        return grievances.assign(trial, other_wording, bucket, cfg, platform) == heard

    assert joins(b + 11, "twitter")                     # within the hour, on the same platform
    assert not joins(b + cfg.burst_join, "twitter")     # an hour later: a group of its own
    assert not joins(b + 1, "reddit")                   # another platform: a group of its own
    assert not joins(b + 1, "twitter", dataclasses.replace(SETTINGS, burst_join_similarity=0.0))
    assert not joins(b + 1, "twitter", dataclasses.replace(SETTINGS, burst_join_similarity=0.45))


def _loud(gid: int, vector: list[float], n: int, spiked_at: dict[str, int]) -> dict:
    """A grievance of n complaints spiking on each platform at its bucket."""
    g = None
    for platform, b in spiked_at.items():
        one = _fragment(gid, vector, n, platform, b, True)
        if g is None:
            g = one
            continue
        g["plat"].update(one["plat"])
        g["spikes"].update(one["spikes"])
        for bucket, ids in one["ids"].items():
            g["ids"].setdefault(bucket, []).extend(ids)
    return g


def _brand_state(grievances_by_id: dict, cfg) -> dict:
    """A brand's state holding these grievances, with ordinary history on every platform."""
    from spillover.detection.state import new_brand_state
    from spillover.detection.traffic import count

    state = new_brand_state()
    for g in grievances_by_id.values():
        for platform, rows_by_bucket in g["plat"].items():
            for b in rows_by_bucket:
                count(state, platform, b, True, 0, False, False, cfg)
    state["grievances"] = grievances_by_id
    state["next_gid"] = max(grievances_by_id) + 1
    return state


def _alike_axis0(likeness: float, n: int, m: int, cfg) -> list[float]:
    """A unit vector whose grievance of m complaints is `likeness` alike one of n on axis 0: the
    cosine chosen for it, as the scale corrects for how sure each centroid is."""
    from spillover.detection import grievances

    c = likeness * max(grievances.LEAST_EXPECTED, grievances.expected(n, m, cfg.complaint_likeness))
    return [c, (1 - c * c) ** 0.5] + [0.0] * (DIM - 2)


def _incident(iid: str, members: list[int], onsets: dict[str, int], cfg) -> dict:
    path = sorted(onsets, key=lambda p: onsets[p])
    return {"id": iid, "opened_at": min(onsets.values()), "members": members, "path": path,
            "onsets": {p: b * cfg.bucket_s for p, b in onsets.items()}, "counts": {}, "evidence": {},
            "complaints_at_event": 0, "level_at_event": "", "follows": ""}


@pytest.mark.parametrize("resolved", [True, False])
@pytest.mark.parametrize("platform, likeness, taken_up", [
    ("reddit", 0.65, True), ("reddit", 0.55, False), ("blog", 0.55, True), ("blog", 0.45, False)])
def test_a_storm_reaching_a_new_platform_in_other_words_goes_on_under_its_id(resolved, platform, likeness, taken_up):
    """A storm loud on facebook and twitter, still open or resolved; hours later (past the
    longest window, so not as its first leg beside it) a grievance spikes on another platform.
    As alike the storm as it would have to be to join it while open (`pool_similarity`, 0.6;
    on the blogs at most `long_form_link_similarity`, 0.5, as it would take to open one with
    it: a blog post's embedding holds its writer's framing too, and a storm's blog posts come
    out less like its tweets than its tweets are like each other), it is the storm spreading,
    under its id; less alike, it is a burst of its own, on one platform: nothing."""
    from spillover.detection import grievances
    from spillover.detection.config import DetectorConfig
    from spillover.detection.incidents import _close, decide

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    later = b + (12 if resolved else 5) * int(cfg.per_hour)
    storm = _loud(0, _axis(0), 40, {"facebook": b, "twitter": b + 6})
    state = _brand_state({0: storm, 1: _loud(1, _alike_axis0(likeness, 40, 10, cfg), 10, {platform: later})}, cfg)
    state["grievances"][0]["incident"] = "acme-storm"
    state["incidents"]["acme-storm"] = _incident("acme-storm", [0], {"facebook": b, "twitter": b + 6}, cfg)
    if resolved:
        _close(state, "acme-storm", b + 6 + cfg.quiet)
    assert round(grievances.likeness(state, [1], [0], cfg), 3) == likeness
    events = decide(state, "Acme", later, [1], cfg, {})
    if taken_up:
        assert [(e.status, e.incident_id, e.path) for e in events] == [
            ("escalated", "acme-storm", ["facebook", "twitter", platform])]
    else:
        assert events == [] and state["grievances"][1]["incident"] is None
        assert ("acme-storm" in state["resolved"]) is resolved


@pytest.mark.parametrize("platform, likeness, joins", [("reddit", 0.3, False), ("blog", 0.3, True),
                                                       ("blog", 0.2, False)])
def test_a_first_leg_on_the_blogs_beside_an_open_storm_joins_at_the_long_form_scale(platform, likeness, joins):
    """An incident is open on facebook and twitter; within the longest window of its first
    onset a grievance took off on another platform, told in other words: often the storm's own
    first leg. It joins at `beside_similarity` (0.35), on the blogs scaled as the link bar is
    (0.35 x 0.5 / 0.7 = 0.25): their posts carry their writers' framing."""
    from spillover.detection import grievances
    from spillover.detection.config import DetectorConfig
    from spillover.detection.incidents import decide

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    storm = _loud(0, _axis(0), 40, {"facebook": b, "twitter": b + 6})
    state = _brand_state({0: storm, 1: _loud(1, _alike_axis0(likeness, 40, 10, cfg), 10, {platform: b - 12})}, cfg)
    state["grievances"][0]["incident"] = "acme-storm"
    state["incidents"]["acme-storm"] = _incident("acme-storm", [0], {"facebook": b, "twitter": b + 6}, cfg)
    assert round(grievances.likeness(state, [1], [0], cfg), 3) == likeness
    events = decide(state, "Acme", b + 8, [1], cfg, {})
    if joins:
        assert [(e.status, e.path) for e in events] == [("escalated", [platform, "facebook", "twitter"])]
    else:
        assert events == [] and state["grievances"][1]["incident"] is None


@pytest.mark.parametrize("minutes_after", [15, 6 * 60])
def test_a_wording_loud_with_an_open_incident_takes_its_kin_on_a_new_platform_into_it(minutes_after):
    """An incident is open, loud on twitter and the blogs. Another wording of the storm, unlike
    the incident's words, spikes on twitter a quarter of an hour after the incident took off
    there, and its kin spikes on facebook: the storm reaching facebook, not a second incident.
    Six hours after, a wording loud on twitter is a storm of its own."""
    from spillover.detection.config import DetectorConfig
    from spillover.detection.incidents import decide

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    later = b + minutes_after * 60 // cfg.bucket_s
    state = _brand_state({0: _loud(0, _axis(0), 30, {"twitter": b, "blog": b + 2}),
                          1: _loud(1, _axis(1), 12, {"twitter": later}),
                          2: _loud(2, _axis(1), 8, {"facebook": later + 3})}, cfg)
    state["grievances"][0]["incident"] = "acme-storm"
    state["incidents"]["acme-storm"] = _incident("acme-storm", [0], {"twitter": b, "blog": b + 2}, cfg)
    state["incidents"]["acme-storm"]["path"] = ["twitter", "blog"]
    events = decide(state, "Acme", later + 3, [2], cfg, {})
    if minutes_after <= cfg.longest * cfg.bucket_s // 60:
        assert [(e.status, e.incident_id, e.path) for e in events] == [
            ("escalated", "acme-storm", ["twitter", "blog", "facebook"])]
    else:
        assert {(e.status, tuple(e.path)) for e in events if e.incident_id != "acme-storm"} == {
            ("opened", ("twitter", "facebook"))}


def test_a_storm_both_routes_find_in_the_same_bucket_pages_once():
    """A storm's loudest wording spikes on twitter and facebook and opens an incident; in the
    same bucket its platforms' bursts (bursts.py) tie two other wordings of it, one loud on
    each platform, taken off a minute later. They join the incident just opened: the burst
    route must not open a second incident for the same storm."""
    from spillover.detection.config import DetectorConfig
    from spillover.detection.incidents import decide

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    state = _brand_state({0: _loud(0, _axis(1), 6, {"twitter": b}),
                          1: _loud(1, _axis(2), 6, {"facebook": b}),
                          2: _loud(2, _axis(0), 30, {"twitter": b, "facebook": b})}, cfg)
    for gid in (0, 1):
        for spike in state["grievances"][gid]["spikes"].values():
            spike["onset"] += 60.0
    events = decide(state, "Acme", b, [0, 1, 2], cfg, {}, burst=[0, 1])
    assert [(e.status, e.path) for e in events] == [("opened", ["facebook", "twitter"])]
    assert {state["grievances"][gid]["incident"] for gid in (0, 1, 2)} == {events[0].incident_id}


def test_posts_without_an_embedding_amid_those_with_one_do_not_stop_the_detector():
    """A producer that sends no embedding (an older release, a model giving none) mixed with
    one that does: the platforms' complaint vectors (bursts.py) are of two sizes in one hour.
    The detector goes on, and the storm told with embeddings is still found (its path is not
    asserted: a burst's vector starts again whenever the size changes, which costs precision)."""
    rng = random.Random(4)
    storm = _told("s", 10, range(20, 25), ["twitter", "facebook"], 50, rng)
    plain = [dataclasses.replace(p, embedding=()) if p.sentiment.label == "negative" and i % 3 == 0 else p
             for i, p in enumerate(_embedded_background(4))]
    apart = dataclasses.replace(SETTINGS, shared_platforms_similarity=0.0, burst_join_similarity=0.0)
    events, states = run(by_time(plain + storm), apart)
    assert {len(v) for s in states.values() for hours in s["heard"].values() for v in hours.values()} >= {DIM}
    assert [set(e.path[:2]) for e in events if e.status == "opened"] == [{"twitter", "facebook"}]


def test_a_grievance_keeps_its_most_said_words_ties_broken_by_the_word():
    """The words kept for a summary are the most frequent, ties by word: deterministic, so
    replay and stream summarise alike, and a word said once never pushes out a common one."""
    kept: dict[str, int] = {}
    for words in (["refund", "late", "zebra"], ["refund", "apple"], ["refund", "late"], ["mango", "kiwi"]):
        merge_terms(kept, words, 3)
    assert kept == {"refund": 3, "late": 2, "apple": 1}
    merge_terms(kept, {"kiwi": 2, "mango": 2}, 3)  # a merged grievance's counts: all outnumber "apple"
    assert kept == {"refund": 3, "kiwi": 2, "late": 2}
    rng = random.Random(7)
    vocabulary = [f"word{i:03d}" for i in range(120)]
    for _ in range(400):
        new = rng.sample(vocabulary, rng.randint(1, 9))
        if rng.random() < 0.2:
            new = {w: rng.randint(1, 6) for w in new}
        counts = dict(kept)
        for w in new:
            counts[w] = counts.get(w, 0) + (new[w] if isinstance(new, dict) else 1)
        merge_terms(kept, new, 24)
        assert kept == dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:24])


def test_the_centroid_cache_stays_what_a_rebuild_from_the_grievances_gives():
    """The cache of centroids is kept in step as complaints join, grievances come, are evicted
    at `max_grievances` and, when every one is in an incident, grow past it and past the cache's
    spare rows: at each step it holds exactly what rebuilding it from the state would, in id
    order (ties go to the oldest)."""
    import numpy as np

    from spillover.detection import grievances
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state

    cfg = DetectorConfig.from_settings(dataclasses.replace(SETTINGS, max_grievances=4, burst_join_similarity=0.0))
    rng = np.random.default_rng(7)
    topics = rng.normal(size=(9, 16))
    state = new_brand_state()
    for step in range(240):
        if step >= 160:  # from now on nothing may be evicted: the matrix must grow
            for g in state["grievances"].values():
                g["incident"] = "held"
        # Then problems never heard before: each a grievance of its own.
        vec = topics[rng.integers(9)] + 0.3 * rng.normal(size=16) if step < 160 else rng.normal(size=16)
        grievances.assign(state, vec / np.linalg.norm(vec), 1000 + step, cfg, "twitter")
        kept = state["_centroids"]
        fresh = grievances._Centroids(state, 16, cfg)
        assert kept.gids == fresh.gids == sorted(state["grievances"])
        assert np.array_equal(kept.matrix, fresh.matrix)
        assert np.array_equal(kept.counts, fresh.counts) and np.array_equal(kept.sure, fresh.sure)
    assert len(state["grievances"]) > 2 * grievances.SPARE_ROWS  # it grew past its spare rows twice


def _two_legged(twitter: list[float], facebook: list[float], n_facebook: int, b: int) -> dict:
    """A grievance of four complaints on twitter and n_facebook on facebook, spiking on both."""
    import numpy as np

    g = _fragment(0, twitter, 4, "twitter", b, True)
    g["plat"]["facebook"] = {b: [n_facebook, b * 300.0 + 60, 1, 0]}
    g["spikes"]["facebook"] = dict(g["spikes"]["twitter"], onset=b * 300.0 + 60)
    away = np.array(facebook) * n_facebook
    g["v"], g["n"], g["home"] = np.array(twitter) * 4 + away, 4 + n_facebook, "twitter"
    g["away"] = {"facebook": [n_facebook, away.astype(np.float16)]}
    return g


def _loud_through_kin(kin: list[float], b: int) -> dict:
    """Twitter's four complaints about one problem, one complaint of theirs on facebook, and
    facebook's spike counted with a facebook grievance of four complaints (`kin`) alongside."""
    g = _two_legged([1.0, 0, 0, 0], [1.0, 0, 0, 0], 1, b)
    other = _fragment(1, kin, 4, "facebook", b, False)
    other["home"], other["away"] = "facebook", {}
    g["spikes"]["facebook"]["group"] = [0, 1]
    return {0: g, 1: other}


@pytest.mark.parametrize("kin_says_the_same", [True, False])
def test_a_leg_is_judged_on_the_complaints_its_spike_counted(kin_says_the_same):
    """A complaint about one problem strays into another problem's group on facebook, and the
    group's spike there counts that other problem's complaints alongside it. Judged on its own
    one complaint the facebook leg was too thin to tell and the incident opened unchecked (two
    problems, one on each platform, paged as one storm); judged on what the spike counted, it
    says what the other problem says: it opens only when that is twitter's problem too."""
    from spillover.detection import incidents
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    state = new_brand_state()
    state["grievances"] = _loud_through_kin([1.0, 0, 0, 0] if kin_says_the_same else [0, 1.0, 0, 0], b)
    state["next_gid"] = 2
    assert incidents._leg(state, [0], "facebook") == [0, 1]
    incidents._open(state, "Acme", [0], b, cfg)
    assert bool(state["incidents"]) == kin_says_the_same
    # A spike stored before spikes kept what they counted: the leg is its own grievance's.
    state = new_brand_state()
    state["grievances"], state["next_gid"] = _loud_through_kin([0, 1.0, 0, 0], b), 2
    del state["grievances"][0]["spikes"]["facebook"]["group"]
    assert incidents._leg(state, [0], "facebook") == [0]


def test_a_spike_keeps_every_grievance_its_readings_counted_through_a_merge():
    """The group a spike was tested with grows as later readings count more kin; two
    grievances merged keep both their spikes' groups, and a group that counted the one merged
    away names the one kept instead."""
    from spillover.detection import grievances, incidents, spikes
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state
    from spillover.detection.traffic import count

    cfg, b = DetectorConfig.from_settings(SETTINGS), 1000
    state = new_brand_state()
    count(state, "facebook", b, True, 0, False, False, cfg)
    state["grievances"] = {gid: _fragment(gid, [1.0, 0, 0, 0], 3, "facebook", b, False) for gid in range(4)}
    state["next_gid"] = 4
    spikes.record(state, spikes.Reading(0, "facebook", b, 6, 6, 0.5, 12.0, (0, 1)), cfg)
    spikes.record(state, spikes.Reading(0, "facebook", b + 1, 6, 9, 0.5, 18.0, (0, 2)), cfg)
    assert state["grievances"][0]["spikes"]["facebook"]["group"] == [0, 1, 2]
    spikes.record(state, spikes.Reading(3, "facebook", b + 1, 6, 6, 0.5, 12.0, (3,)), cfg)
    grievances._fold(state["grievances"][0], state["grievances"].pop(3))  # as merge_similar does
    assert state["grievances"][0]["spikes"]["facebook"]["group"] == [0, 1, 2, 3]
    assert incidents._leg(state, [0], "facebook") == [0, 1, 2]
    state["grievances"][1]["v"] = [0, 3.0, 0, 0]
    state["grievances"][2]["v"] = [0, 3.0, 0, 0]  # the same problem as 1, in other words
    assert grievances.merge_similar(state, [2], cfg) == {2: 1}
    assert state["grievances"][0]["spikes"]["facebook"]["group"] == [0, 1, 3]
    assert incidents._leg(state, [0], "facebook") == [0, 1]


@pytest.mark.parametrize("wait_minutes", [0, 30])
def test_an_opening_too_thin_to_judge_waits_legs_wait_minutes_and_then_opens(wait_minutes):
    """Two complaints on facebook are too few to tell whether they say what twitter's four say:
    by default the incident opens at once; with `legs_wait_minutes` it waits that long (six
    five-minute buckets) for more, and opens then if its grievance is still loud."""
    from spillover.detection import incidents
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state

    cfg, b = DetectorConfig.from_settings(dataclasses.replace(SETTINGS, legs_wait_minutes=wait_minutes)), 1000
    state = new_brand_state()
    state["grievances"], state["next_gid"] = {0: _two_legged([1.0, 0, 0, 0], [1.0, 0, 0, 0], 2, b)}, 1
    opened_at = None
    for k in range(b, b + 8):
        incidents._open(state, "Acme", [0], k, cfg)
        if state["incidents"] and opened_at is None:
            opened_at = k
    assert opened_at == b + cfg.legs_wait and cfg.legs_wait == wait_minutes // 5


@pytest.mark.parametrize("alike", [True, False])
def test_a_waiting_opening_is_judged_as_soon_as_its_legs_can_be(alike):
    """While it waits, facebook's complaints reach four: saying what twitter's say, the incident
    opens at once; saying something else (another problem of the brand), it never opens."""
    from spillover.detection import incidents
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state

    cfg, b = DetectorConfig.from_settings(dataclasses.replace(SETTINGS, legs_wait_minutes=30)), 1000
    state = new_brand_state()
    g = _two_legged([1.0, 0, 0, 0], [1.0, 0, 0, 0] if alike else [0, 1.0, 0, 0], 2, b)
    state["grievances"], state["next_gid"] = {0: g}, 1
    incidents._open(state, "Acme", [0], b, cfg)
    assert state["incidents"] == {}
    more = _two_legged([1.0, 0, 0, 0], [1.0, 0, 0, 0] if alike else [0, 1.0, 0, 0], 4, b)
    g["v"], g["n"], g["away"] = more["v"], more["n"], more["away"]
    for k in range(b + 1, b + 10):
        incidents._open(state, "Acme", [0], k, cfg)
        if state["incidents"]:
            break
    assert bool(state["incidents"]) == alike and (not alike or k == b + 1)


def test_a_wait_for_the_legs_begun_before_the_longest_window_begins_again():
    """An opening that waited, then went quiet, and is tried again hours later is about another
    burst of the grievance: it waits afresh rather than opening at once on the old wait."""
    from spillover.detection import incidents
    from spillover.detection.config import DetectorConfig
    from spillover.detection.state import new_brand_state

    cfg, b = DetectorConfig.from_settings(dataclasses.replace(SETTINGS, legs_wait_minutes=30)), 1000
    state = new_brand_state()
    state["grievances"], state["next_gid"] = {0: _two_legged([1.0, 0, 0, 0], [1.0, 0, 0, 0], 2, b)}, 1
    incidents._open(state, "Acme", [0], b, cfg)  # the wait begins; then the grievance is not loud
    later = b + cfg.longest + 1
    incidents._open(state, "Acme", [0], later, cfg)
    assert state["incidents"] == {}
    incidents._open(state, "Acme", [0], later + cfg.legs_wait, cfg)
    assert len(state["incidents"]) == 1
