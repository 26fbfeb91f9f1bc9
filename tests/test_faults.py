"""Workers come and go mid-stream: one is killed (SIGKILL: no clean shutdown, no last commit)
and replaced, or a second one joins and takes over half the brands. Either way the incident
events are those replay reports: nothing lost, nothing counted twice (an event may repeat)."""
from __future__ import annotations

import json
import threading
import time
import warnings

import pytest
from helpers import isolated_settings

from spillover.agents.replay import publish_lines
from spillover.demo import WorkerProcess
from spillover.detection import Detector
from spillover.enrichment import Rejection, parse
from spillover.kafka_io import ensure_topics, json_producer, read_topic
from spillover.records import IncidentEvent
from spillover.replay import read_lines, run_replay
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from spillover.streams.watchdog import EXIT_STALLED
from spillover.watchlist import Watchlist

pytestmark = [pytest.mark.broker, pytest.mark.model]


def wait_for(condition, timeout_s: float, what) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what())
        time.sleep(0.5)


class Run:
    """The bundled sample through workers on the embedded broker, and what replay makes of it."""

    def __init__(self, broker: str, model):
        self.broker = broker
        # One posts.raw partition keeps the backfill in order; posts.enriched keeps four, so
        # a second worker takes some brands' detector state over.
        self.settings = isolated_settings(broker).replace("kafka", raw_partitions=1)
        ensure_topics(self.settings, broker)
        self.lines = list(read_lines(str(SAMPLE_POSTS)))
        watchlist = Watchlist.load(SAMPLE_WATCHLIST)
        self.expected: list[IncidentEvent] = []
        max_future_s = self.settings.detection.max_future_minutes * 60
        run_replay(self.lines, model, Detector.for_watchlist(self.settings.detection, watchlist), watchlist,
                   self.expected.append, max_future_s=max_future_s)
        accepted = (parse(None, line, watchlist, max_future_s) for line in self.lines)
        self.accepted = {(p.id, bool(p.deleted)) for p in accepted if not isinstance(p, Rejection)}
        self.seen: list[IncidentEvent] = []
        self.workers: list[WorkerProcess] = []
        self.restarted: list[WorkerProcess] = []
        self._stop = threading.Event()
        self._follower = threading.Thread(target=self._follow, daemon=True)
        self._follower.start()

    def _follow(self) -> None:
        for record in read_topic(self.broker, self.settings.topics.incidents, stop=self._stop):
            self.seen.append(IncidentEvent.from_dict(json.loads(record.value)))

    def worker(self) -> WorkerProcess:
        self.workers.append(WorkerProcess(self.broker, self.settings))
        return self.workers[-1]

    def live_workers(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.proc.poll() is None]

    def restart_stalled(self) -> None:
        """What Kubernetes does: a worker that exits because it is stuck is started again."""
        for w in list(self.workers):
            if w.proc.poll() == EXIT_STALLED and w not in self.restarted:
                self.restarted.append(w)
                warnings.warn(f"a worker stalled and was started again:\n{w.log_tail(5)}", stacklevel=2)
                self.worker()

    def publish(self, lines: list[bytes]) -> None:
        producer = json_producer(self.broker, client_id="fault-test")
        publish_lines(lines, producer, self.settings.topics.raw)
        producer.close()

    def detected(self) -> int:
        return sum(int(w.counters().get("spillover_detector_posts_total", 0)) for w in self.workers)

    def finish(self) -> None:
        """Wait until replay's events have all come (or 180 s), then a little longer for extras.

        No error on a timeout here: the test's assertions say what is lost or wrong."""
        final = {(e.incident_id, e.status, e.detected_at) for e in self.expected}
        deadline = time.monotonic() + 180
        while not final <= {(e.incident_id, e.status, e.detected_at) for e in self.seen}:
            self.restart_stalled()
            if time.monotonic() > deadline:
                for w in self.workers:
                    print(f"{w.counters()}\n{w.log_tail(80)}\n=====")
                return
            time.sleep(0.5)
        time.sleep(5)  # anything still to come would be a duplicate or an extra incident

    def close(self) -> None:
        self._stop.set()
        self._follower.join(10)
        for worker in self.workers:
            worker.stop()

    def lost_posts(self) -> list[tuple[str, bool]]:
        """Accepted posts that never reached posts.enriched."""
        enriched = {(post["id"], bool(post.get("deleted"))) for post in (
            json.loads(r.value) for r in read_topic(self.broker, self.settings.topics.enriched, idle_timeout=3))}
        return sorted(self.accepted - enriched)

    def distinct_events(self) -> list[str]:
        return sorted({e.to_json() for e in self.seen})


@pytest.fixture
def run(broker, model):
    r = Run(broker, model)
    yield r
    r.close()


def test_a_killed_worker_is_replaced_and_reports_what_replay_reports(run):
    first = run.worker()
    run.publish(run.lines)
    wait_for(lambda: run.detected() >= len(run.lines) // 2, 150,
             lambda: f"the first worker did not get halfway:\n{first.log_tail(30)}")
    first.proc.kill()
    first.proc.wait()
    run.worker()
    run.finish()
    # Nothing accepted is lost: the replacement re-reads what its predecessor had not
    # committed, so some posts are enriched twice, and none is skipped.
    assert run.lost_posts() == []
    # Every event replay reports, with the same counts inside; one may come twice.
    assert run.distinct_events() == sorted(e.to_json() for e in run.expected)


@pytest.mark.rebalance
def test_a_second_worker_joining_mid_stream_changes_nothing(run):
    first = run.worker()
    half = len(run.lines) // 2
    run.publish(run.lines[:half])
    wait_for(lambda: run.detected() >= half - 10, 150,
             lambda: f"the first worker did not take the first half:\n{first.log_tail(30)}")
    second = run.worker()
    wait_for(lambda: second.counters(), 120, lambda: f"the second worker did not start:\n{second.log_tail(30)}")
    run.publish(run.lines[half:])
    run.finish()
    assert run.lost_posts() == []
    assert run.distinct_events() == sorted(e.to_json() for e in run.expected)
    # Both worked: the second took over some brands' detection.
    live = run.live_workers()
    assert len(live) == 2 and all(w.counters().get("spillover_detector_posts_total", 0) > 0 for w in live)
