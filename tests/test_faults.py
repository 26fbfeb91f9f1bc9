"""A worker killed mid-stream (SIGKILL: no clean shutdown, no last commit) is replaced, and
the incidents come out as replay reports them: nothing lost, nothing counted twice."""
from __future__ import annotations

import json
import threading
import time

import pytest

from spillover.agents.replay import publish_lines
from spillover.demo import WorkerProcess
from spillover.detection import Detector
from spillover.kafka_io import ensure_topics, json_producer, read_topic
from spillover.records import IncidentEvent
from spillover.replay import read_lines, run_replay
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from spillover.watchlist import Watchlist

from helpers import isolated_settings

pytestmark = [pytest.mark.broker, pytest.mark.model]


def wait_for(condition, timeout_s: float, what) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what())
        time.sleep(0.5)


def test_a_killed_worker_is_replaced_and_reports_what_replay_reports(broker, model):
    settings = isolated_settings(broker).replace("kafka", raw_partitions=1)
    ensure_topics(settings, broker)
    lines = list(read_lines(str(SAMPLE_POSTS)))
    watchlist = Watchlist.load(SAMPLE_WATCHLIST)
    expected = []
    run_replay(lines, model, Detector(settings.detection, watchlist.playbooks), watchlist, expected.append,
               max_future_s=settings.detection.max_future_minutes * 60)

    seen, stop = [], threading.Event()
    follower = threading.Thread(target=lambda: seen.extend(
        IncidentEvent.from_dict(json.loads(r.value))
        for r in read_topic(broker, settings.topics.incidents, stop=stop)), daemon=True)
    follower.start()
    first = WorkerProcess(broker, settings)
    second = None
    try:
        producer = json_producer(broker, client_id="fault-test")
        publish_lines(lines, producer, settings.topics.raw)
        producer.close()
        wait_for(lambda: first.counters().get("spillover_detector_posts_total", 0) >= len(lines) // 2, 150,
                 lambda: f"the first worker did not get halfway:\n{first.log_tail(30)}")
        first.proc.kill()
        first.proc.wait()
        second = WorkerProcess(broker, settings)
        final = {(e.incident_id, e.status, e.detected_at) for e in expected}
        wait_for(lambda: final <= {(e.incident_id, e.status, e.detected_at) for e in seen}, 150,
                 lambda: f"the replacement did not finish: {second.counters()}\n{second.log_tail(60)}\n"
                         f"missing {sorted(final - {(e.incident_id, e.status, e.detected_at) for e in seen})}")
        time.sleep(5)  # anything still to come would be a duplicate or an extra incident
    finally:
        stop.set()
        follower.join(10)
        for worker in (first, second):
            if worker:
                worker.stop()
    # Events emitted by the first worker may come again from its replacement (at least once);
    # each must be exactly what replay emits: a post counted twice would change the counts.
    got = sorted({e.to_json() for e in seen})
    assert got == sorted(e.to_json() for e in expected)
