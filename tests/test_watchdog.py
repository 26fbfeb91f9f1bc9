"""A worker that stops handling messages it has waiting is noticed, and exits to be restarted."""
import subprocess
import sys
import threading
from functools import partial

import pytest
from helpers import new_topic, transactional_topic
from prometheus_client import generate_latest
from tcp_proxy import TcpProxy

from spillover.broker import EmbeddedBroker, free_port
from spillover.kafka_io import json_producer
from spillover.metrics import PipelineMetrics
from spillover.streams import watchdog
from spillover.streams.gaps import OffsetLedger, Record, RecordMessage
from spillover.streams.watchdog import EXIT_STALLED, Progress, StallClock, Stuck, Watchdog

RAW = ("posts.raw", 0)


def test_a_partition_with_messages_waiting_and_no_progress_is_stuck_after_the_timeout():
    clock = StallClock(timeout_s=60)
    assert clock.observe(0, {RAW: 10}, {RAW: 25}) == []
    assert clock.observe(59, {RAW: 10}, {RAW: 30}) == []  # more arrive; still under a minute
    assert clock.observe(61, {RAW: 10}, {RAW: 30}) == [Stuck("posts.raw", 0, 10, 30, 61)]
    assert Stuck("posts.raw", 0, 10, 30, 61).waiting == 20


def test_progress_or_an_empty_partition_starts_the_clock_again():
    clock = StallClock(timeout_s=60)
    clock.observe(0, {RAW: 10}, {RAW: 25})
    assert clock.observe(50, {RAW: 11}, {RAW: 25}) == []   # slow, but moving
    assert clock.observe(100, {RAW: 11}, {RAW: 25}) == []  # 50 s since it moved
    assert clock.observe(111, {RAW: 11}, {RAW: 25}) != []
    # Nothing waiting: an idle partition is not a stuck one, however long it stays idle.
    clock = StallClock(timeout_s=60)
    assert clock.observe(0, {RAW: 25}, {RAW: 25}) == []
    assert clock.observe(500, {RAW: 25}, {RAW: 25}) == []
    # One offset past the last message handled can be a transaction's end marker, which no
    # consumer is ever given: nothing waiting.
    assert clock.observe(600, {RAW: 25}, {RAW: 26}) == []
    # New messages: the minute runs from the last look that found nothing waiting.
    assert clock.observe(630, {RAW: 25}, {RAW: 28}) == []
    assert clock.observe(655, {RAW: 25}, {RAW: 28}) == []
    assert clock.observe(661, {RAW: 25}, {RAW: 28}) != []


def test_a_partition_that_moved_to_another_worker_is_watched_afresh_when_it_comes_back():
    clock = StallClock(timeout_s=60)
    clock.observe(0, {RAW: 10}, {RAW: 25})
    clock.observe(30, {}, {})
    assert clock.observe(70, {RAW: 10}, {RAW: 25}) == []
    assert clock.observe(131, {RAW: 10}, {RAW: 25}) != []


def test_a_rebalance_or_state_restore_holds_the_clock_until_it_lasts_four_timeouts():
    clock = StallClock(timeout_s=60)
    clock.observe(0, {RAW: 10}, {RAW: 25})
    # Restoring a large detector state: nothing moves, and that is no stall ...
    assert clock.observe(200, {RAW: 10}, {RAW: 25}, settling=True) == []
    # ... and each partition's minute starts again from the last look that found it settling.
    assert clock.observe(230, {RAW: 10}, {RAW: 25}) == []
    assert clock.observe(259, {RAW: 10}, {RAW: 25}) == []
    assert clock.observe(261, {RAW: 10}, {RAW: 25}) != []
    # Settling for four timeouts is stuck too.
    clock = StallClock(timeout_s=60)
    assert clock.observe(0, {RAW: 10}, {RAW: 25}, settling=True) == []
    assert clock.observe(239, {RAW: 10}, {RAW: 25}, settling=True) == []
    assert clock.observe(241, {RAW: 10}, {RAW: 25}, settling=True) == [
        Stuck("posts.raw", 0, 10, 25, 241, settling=True)]


def _handled(ledger: OffsetLedger, topic: str, partition: int, offset: int) -> None:
    ledger.handled([Record(None, b"", RecordMessage(topic, partition, offset, 0.0))])


def test_progress_is_the_next_offset_to_handle_of_each_assigned_partition():
    raw, enriched = OffsetLedger(), OffsetLedger()
    progress = Progress({"posts.raw": raw, "posts.enriched": enriched})
    _handled(raw, "posts.raw", 0, 41)
    _handled(enriched, "posts.enriched", 2, 7)
    assert progress.positions() == {}  # nothing assigned yet
    progress.assign([("posts.raw", 0), ("posts.enriched", 2), ("posts.enriched", 3), ("other", 0)])
    assert progress.positions() == {("posts.raw", 0): 42, ("posts.enriched", 2): 8, ("posts.enriched", 3): None}


def test_the_waiting_gauge_drops_partitions_the_worker_no_longer_has():
    metrics = PipelineMetrics()
    metrics.set_waiting({("posts.raw", 0): 6, ("posts.raw", 1): 0})
    metrics.set_waiting({("posts.raw", 1): 2})
    text = generate_latest(metrics.registry).decode()
    assert 'spillover_consumer_waiting_messages{partition="1",topic="posts.raw"} 2.0' in text
    assert 'partition="0"' not in text


def test_a_stuck_worker_says_what_is_stuck_and_exits_to_be_started_again():
    code = ("import logging; logging.basicConfig(); from spillover.streams.watchdog import Stuck, exit_stalled; "
            "exit_stalled([Stuck('spillover.posts.raw', 0, 1663, 2764, 61.2)]); print('still running')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_STALLED
    assert "spillover.posts.raw/0: 1101 messages waiting and none handled for 61 s (at offset 1663" in done.stderr
    assert "still running" not in done.stdout


def _topic_with_messages(broker: str, per_partition: dict[int, int]) -> str:
    topic = new_topic(broker, "watch", partitions=3)
    producer = json_producer(broker, client_id="watchdog-test")
    # One message per batch: the embedded broker answers a partition's end offset with its
    # last batch's first offset plus one (Kafka: the last offset plus one). The watchdog then
    # sees less waiting than there is, never more: no false alarm, and a backlog longer than
    # one batch is still seen.
    for partition, n in per_partition.items():
        for i in range(n):
            producer.send(topic, value={"n": i}, partition=partition)
            producer.flush()
    producer.close()
    return topic


def _watch(broker: str, positions: dict, seconds: float, settling: bool = False,
           until: threading.Event | None = None) -> tuple[list, list]:
    """Watch at a 1.5 s timeout for `seconds` (or until something is stuck)."""
    stuck, waiting, done = [], [], until or threading.Event()
    dog = Watchdog(broker, lambda: positions, timeout_s=1.5,
                   on_stuck=lambda s: (stuck.extend(s), done.set()), on_waiting=waiting.append,
                   settling=lambda: settling, interval_s=0.3)
    dog.start()
    done.wait(seconds)
    dog.stop()
    return stuck, waiting


@pytest.mark.broker
def test_the_watchdog_reads_the_broker_and_reports_a_partition_left_behind(broker):
    topic = _topic_with_messages(broker, {0: 10, 2: 3})
    watch = partial(_watch, broker)

    # Partition 0 handled up to offset 4 and no further; partition 1 empty; partition 2 never
    # handled, nothing committed: its three messages wait too.
    stuck, waiting = watch({(topic, 0): 4, (topic, 1): None, (topic, 2): None}, 20)
    assert sorted((s.partition, s.position, s.end) for s in stuck) == [(0, 4, 10), (2, 0, 3)]
    assert waiting[0] == {(topic, 0): 6, (topic, 1): 0, (topic, 2): 3}
    # The same while the worker restores its state: not stuck within four timeouts.
    stuck, waiting = watch({(topic, 0): 4, (topic, 1): None, (topic, 2): None}, 4, settling=True)
    assert stuck == [] and waiting[-1][(topic, 0)] == 6
    # Everything handled: nothing is stuck, however long it is watched.
    stuck, waiting = watch({(topic, 0): 10, (topic, 1): None, (topic, 2): 3}, 4)
    assert stuck == [] and waiting[-1] == {(topic, 0): 0, (topic, 1): 0, (topic, 2): 0}


@pytest.mark.broker
def test_a_broker_out_of_reach_is_not_a_stuck_worker(monkeypatch):
    """With the broker away the worker cannot move either, and a restart would not help: the
    watchdog waits. Once the broker answers again, a partition still left behind is stuck."""
    monkeypatch.setattr(watchdog, "OFFSETS_TIMEOUT_MS", 500)
    real, front = free_port(), free_port()
    with EmbeddedBroker(port=real, advertised_port=front):
        proxy = TcpProxy(front, ("127.0.0.1", real))
        address = f"127.0.0.1:{front}"
        topic = _topic_with_messages(address, {0: 10})
        proxy.pause()
        stuck, waiting, done = [], [], threading.Event()
        dog = Watchdog(address, lambda: {(topic, 0): 4}, timeout_s=1.5, interval_s=0.3,
                       on_stuck=lambda s: (stuck.extend(s), done.set()), on_waiting=waiting.append)
        dog.start()
        try:
            assert not done.wait(5) and waiting == []
            proxy.resume()  # the same watchdog goes on
            assert done.wait(30) and [(s.position, s.end) for s in stuck] == [(4, 10)]
        finally:
            dog.stop()
            proxy.pause()


@pytest.mark.broker
def test_a_partition_written_in_transactions_is_not_stuck_on_its_last_marker(broker):
    """Each transaction ends with a marker that takes an offset no consumer is given: after
    the last record is handled, the partition's end is one further, and nothing waits."""
    topic = transactional_topic(broker, "watch-tx")
    # Records at offsets 0, 2 and 4, markers at 1, 3 and 5: the last record handled is 4.
    stuck, waiting = _watch(broker, {(topic, 0): 5}, 4)
    assert stuck == [] and waiting[-1] == {(topic, 0): 1}
    # Stopped after the second record, it is stuck.
    stuck, waiting = _watch(broker, {(topic, 0): 3}, 20)
    assert [(s.position, s.end) for s in stuck] == [(3, 6)]
