"""`spillover model bench --pipeline`: the enrichment agent timed end to end on a real worker."""
from __future__ import annotations

import pytest
from helpers import isolated_settings

from spillover.agent_bench import AgentBench, usable_posts
from spillover.replay import read_lines
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from spillover.watchlist import Watchlist

pytestmark = [pytest.mark.broker, pytest.mark.model]


def test_sample_bad_lines_are_left_out_of_the_benchmark():
    lines = list(read_lines(str(SAMPLE_POSTS)))
    watchlist = Watchlist.load(str(SAMPLE_WATCHLIST))
    posts = usable_posts(lines, watchlist, max_future_s=3600)
    assert 0 < len(posts) < len(lines)  # the sample carries deliberately bad lines for the DLQ
    assert all(p.get("id") and p.get("text") for p in posts)
    # The post dated in 2999 parses, but a worker dead-letters it: it must not be sent and waited for.
    assert not any(p["created_at"].startswith("2999") for p in posts)
    assert any(p["created_at"].startswith("2999") for p in usable_posts(lines, watchlist))


def test_pipeline_bench_stops_at_once_when_the_worker_dead_letters_one_of_its_posts(broker):
    settings = isolated_settings(broker)
    posts = usable_posts(list(read_lines(str(SAMPLE_POSTS))), Watchlist.load(str(SAMPLE_WATCHLIST)))
    ahead = [p for p in posts if p["created_at"].startswith("2999")]
    bench = AgentBench(settings, ahead + posts[:50], burst=100, steady_s=1.0, timeout_s=120)
    with pytest.raises(RuntimeError, match=r"dead-lettered \d+ of the benchmark's posts .*ahead of this clock"):
        bench.run()


def test_pipeline_bench_times_every_post_through_a_real_worker(broker):
    settings = isolated_settings(broker)
    posts = usable_posts(list(read_lines(str(SAMPLE_POSTS))), Watchlist.load(str(SAMPLE_WATCHLIST)))
    result = AgentBench(settings, posts, burst=300, load=0.5, steady_s=4.0).run()
    assert result["posts_per_second"] > 0
    # Every post sent under steady load came back and was timed, at the rate asked for.
    assert result["steady_posts"] == pytest.approx(result["steady_rate"] * 4.0, rel=0.1, abs=3)
    lat = result["latency_ms"]
    assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
    # Under a burst the agent takes what is waiting, so its batches hold more than one post.
    assert result["mean_batch"] > 1 and result["model_seconds"] > 0


def test_pipeline_bench_spreads_posts_over_several_workers(broker):
    settings = isolated_settings(broker)
    posts = usable_posts(list(read_lines(str(SAMPLE_POSTS))), Watchlist.load(str(SAMPLE_WATCHLIST)))
    result = AgentBench(settings, posts, burst=300, load=0.5, steady_s=3.0, workers=2).run()
    assert result["workers"] == 2
    assert result["steady_posts"] == pytest.approx(result["steady_rate"] * 3.0, rel=0.1, abs=3)
    # Both workers took part, and between them enriched every post sent (warm-up included).
    assert all(n > 0 for n in result["enriched_by_worker"])
    assert sum(result["enriched_by_worker"]) >= 300 + result["steady_posts"]
