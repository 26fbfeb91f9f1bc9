"""`spillover model bench --pipeline`: the enrichment agent timed end to end on a real worker."""
from __future__ import annotations

import pytest

from spillover.agent_bench import AgentBench, usable_posts
from spillover.replay import read_lines
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from spillover.watchlist import Watchlist

from helpers import isolated_settings

pytestmark = [pytest.mark.broker, pytest.mark.model]


def test_sample_bad_lines_are_left_out_of_the_benchmark():
    lines = list(read_lines(str(SAMPLE_POSTS)))
    posts = usable_posts(lines, Watchlist.load(str(SAMPLE_WATCHLIST)))
    assert 0 < len(posts) < len(lines)  # the sample carries deliberately bad lines for the DLQ
    assert all(p.get("id") and p.get("text") for p in posts)


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
