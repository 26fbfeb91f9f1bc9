"""A worker with messages waiting that makes no progress on them is stuck: say so, and stop.

Faust can leave a partition unconsumed, with no error, after a rebalance (faust-streaming
#175, "consumers slowly die over time"; in one run of tests/test_faults.py a replacement worker
read one batch of posts.raw and then nothing for three minutes). Nothing else notices: the
worker heartbeats, its other partitions move on, its metrics port answers Kubernetes' probe.

The watchdog compares, per partition assigned to the worker, the next offset its agent would
handle with the partition's end offset, from a thread of its own, so that a stuck event loop
cannot silence it. A partition with messages waiting whose position has not moved for
`kafka.stall_timeout_s` is stuck, and the watchdog hands it to `on_stuck`; the worker logs it
and exits with EXIT_STALLED, so Kubernetes (or any supervisor) starts it again. The new worker
reads on from the group's committed offsets: nothing is lost, a few posts are read twice (the
detector counts a repeat once). While the worker rebalances or restores the detector's state
from its changelog, nothing moves by design: that time starts each partition's clock afresh,
and only a rebalance or restore lasting SETTLING_FACTOR times the timeout is stuck.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from kafka import KafkaConsumer, TopicPartition

from ..kafka_cluster import Broker
from ..kafka_io import plain_consumer
from .gaps import OffsetLedger

log = logging.getLogger(__name__)

EXIT_STALLED = 75  # EX_TEMPFAIL: a temporary failure, start me again
# A rebalance, and the detector-state restore after it, hold every stream partition still, and
# restoring a large changelog can take minutes: that much longer before it counts as stuck.
SETTLING_FACTOR = 4
# kafka-python waits request_timeout_ms (305 s) for offsets by default, and for ever for a
# partition that does not exist: a round that cannot answer sooner is skipped instead.
OFFSETS_TIMEOUT_MS = 30_000
# A transactional producer ends each transaction with a marker that takes an offset and that
# no consumer is given: a partition's last offset can be one nobody will ever handle.
MARKER_ROOM = 1
TP = tuple[str, int]


@dataclass(frozen=True)
class Stuck:
    topic: str
    partition: int
    position: int   # the next offset the agent would handle
    end: int        # the partition's end offset
    idle_s: float   # since the position last moved (or nothing was waiting)
    settling: bool = False  # stuck in a rebalance or a state restore

    @property
    def waiting(self) -> int:
        return self.end - self.position


class StallClock:
    """When each partition's position last moved, or last had nothing waiting; and since when
    the worker has been settling (rebalancing, restoring state), which nothing moves during."""

    def __init__(self, timeout_s: float):
        self.timeout_s = timeout_s
        self._since: dict[TP, tuple[int, float]] = {}
        self._settling_since: float | None = None

    def observe(self, now: float, positions: Mapping[TP, int], ends: Mapping[TP, int],
                settling: bool = False) -> list[Stuck]:
        """The partitions stuck at `now`. Partitions left out are forgotten (no longer assigned).

        While settling, each partition's time starts again when settling ends; settling itself
        is stuck after SETTLING_FACTOR times the timeout."""
        if settling:
            return self._settling(now, positions, ends)
        self._settling_since = None
        since, stuck = {}, []
        for tp, position in positions.items():
            end = ends.get(tp)
            if end is None:
                continue
            last = self._since.get(tp)
            waiting = _waiting(position, end)
            since[tp] = last if last is not None and last[0] == position and waiting else (position, now)
            idle = now - since[tp][1]
            if waiting and idle >= self.timeout_s:
                stuck.append(Stuck(tp[0], tp[1], position, end, idle))
        self._since = since
        return stuck

    def _settling(self, now: float, positions: Mapping[TP, int], ends: Mapping[TP, int]) -> list[Stuck]:
        if self._settling_since is None:
            self._settling_since = now
        self._since = {tp: (position, now) for tp, position in positions.items()}
        idle = now - self._settling_since
        if idle < self.timeout_s * SETTLING_FACTOR:
            return []
        return [Stuck(tp[0], tp[1], position, ends[tp], idle, settling=True)
                for tp, position in positions.items() if tp in ends and _waiting(position, ends[tp])]

    def reset(self) -> None:
        """Forget every partition: what comes next is watched afresh."""
        self._since = {}
        self._settling_since = None


def _waiting(position: int, end: int) -> bool:
    """Whether messages wait past the position (a last offset alone may be a marker)."""
    return end - position > MARKER_ROOM


class Progress:
    """What the worker's agents have handled of the partitions assigned to it, per topic.

    Written on the event loop, read from the watchdog's thread: the assignment is replaced
    whole, and the ledgers are copied in one step (`OffsetLedger.snapshot`)."""

    def __init__(self, ledgers: Mapping[str, OffsetLedger]):
        self._ledgers = dict(ledgers)
        self._assigned: frozenset[TP] = frozenset()

    def assign(self, tps: Iterable[TP]) -> None:
        self._assigned = frozenset(tp for tp in tps if tp[0] in self._ledgers)

    def positions(self) -> dict[TP, int | None]:
        """The next offset to handle per assigned partition; None where nothing is known yet
        (no message handled, and the group had no committed offset)."""
        assigned = self._assigned
        handled = {topic: ledger.snapshot() for topic, ledger in self._ledgers.items()}
        out: dict[TP, int | None] = {}
        for tp in assigned:
            last = handled[tp[0]].get(tp)
            out[tp] = None if last is None else last + 1
        return out


class Watchdog:
    """Polls the end offsets of the worker's partitions and reports the first stuck ones."""

    def __init__(self, broker: Broker, positions: Callable[[], Mapping[TP, int | None]], timeout_s: float,
                 on_stuck: Callable[[list[Stuck]], None],
                 on_waiting: Callable[[dict[TP, int]], None] = lambda waiting: None,
                 settling: Callable[[], bool] = lambda: False, interval_s: float | None = None):
        self.broker = broker
        self._positions = positions
        self._clock = StallClock(timeout_s)
        self._on_stuck = on_stuck
        self._on_waiting = on_waiting  # messages waiting per partition, each round (a metric)
        self._settling = settling  # whether the worker is rebalancing or restoring state now
        self.interval_s = interval_s or min(15.0, max(1.0, timeout_s / 4))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="spillover-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        reader = None
        try:
            while not self._stop.wait(self.interval_s):
                try:
                    reader = reader or _offsets_reader(self.broker)
                    stuck = self.check(reader)
                except Exception as exc:  # the broker away is no fault of the worker's
                    log.warning("watchdog: could not read the partitions' end offsets (%s); watching afresh", exc)
                    self._clock.reset()
                    continue
                if stuck:
                    self._on_stuck(stuck)
                    return
        finally:
            if reader is not None:
                reader.close()

    def check(self, reader: KafkaConsumer) -> list[Stuck]:
        """One round: read the end offsets, update the clock, return what is stuck."""
        positions = dict(self._positions())
        if not positions:
            self._clock.reset()
            self._on_waiting({})
            return []
        tps = {tp: TopicPartition(*tp) for tp in positions}
        by_tp = reader.end_offsets(list(tps.values()), timeout_ms=OFFSETS_TIMEOUT_MS)
        ends = {tp: by_tp[k] for tp, k in tps.items()}
        unknown = [tps[tp] for tp, p in positions.items() if p is None]
        # Nothing handled and nothing committed: the agent starts at the oldest message kept.
        begins = reader.beginning_offsets(unknown, timeout_ms=OFFSETS_TIMEOUT_MS) if unknown else {}
        known = {tp: begins[tps[tp]] if p is None else p for tp, p in positions.items()}
        self._on_waiting({tp: max(0, ends[tp] - known[tp]) for tp in known})
        return self._clock.observe(time.monotonic(), known, ends, self._settling())


def _offsets_reader(broker: Broker) -> KafkaConsumer:
    """A group-less consumer, only to ask for offsets."""
    return plain_consumer(broker, "spillover-watchdog")


def exit_stalled(stuck: list[Stuck]) -> None:
    """Log what is stuck and end the process at once: its event loop may be what is stuck, so
    no clean shutdown is tried; the group's committed offsets are where the next worker starts."""
    for s in stuck:
        log.error("%s/%d: %d messages waiting and none handled for %.0f s%s (at offset %d of %d); the worker "
                  "exits with code %d to be started again", s.topic, s.partition, s.waiting, s.idle_s,
                  " of rebalancing or restoring state" if s.settling else "", s.position, s.end, EXIT_STALLED)
    logging.shutdown()
    os._exit(EXIT_STALLED)
