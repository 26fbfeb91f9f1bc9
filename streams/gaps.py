"""Messages Faust passed over: find the offsets an agent was never given, read them from Kafka.

Faust 0.15 can drop messages around a rebalance and commit past them (see consumer.py; in
the kill test a replacement worker went on at offset 1537 after 1535, or at 1595 after 1535).
Every agent therefore keeps, per partition, the last offset it handled. When a batch starts
further on than the next offset, or jumps inside, the offsets in between are read straight
from the partition with a plain, group-less consumer and handled first, so the agent's own
order per partition is kept.

A partition the worker gives up is forgotten, so one that comes back after other workers had
it is not taken for a gap; a partition new to the worker starts at the group's committed
offset, read when it is assigned.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from kafka import TopicPartition

from ..kafka_cluster import Broker
from ..kafka_io import admin_client, plain_consumer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Gap:
    topic: str
    partition: int
    start: int  # first offset not given
    stop: int   # the offset that was given next

    @property
    def size(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class RecordMessage:
    """The parts of a Faust message the agents use (dead-letter headers, latency)."""
    topic: str
    partition: int
    offset: int
    timestamp: float


@dataclass(frozen=True)
class Record:
    """A message read directly from Kafka, shaped like a Faust event for the agents."""
    key: bytes | None
    value: bytes | None
    message: RecordMessage


class OffsetLedger:
    """The last offset handled per (topic, partition) of one agent."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, int], int] = {}

    def gaps(self, events: Sequence[Any]) -> list[Gap]:
        last, found = dict(self._last), []
        for event in events:
            m = event.message
            key = (m.topic, m.partition)
            prev = last.get(key)
            if prev is not None and m.offset > prev + 1:
                found.append(Gap(m.topic, m.partition, prev + 1, m.offset))
            if prev is None or m.offset > prev:
                last[key] = m.offset
        return found

    def handled(self, events: Iterable[Any]) -> None:
        for event in events:
            m = event.message
            key = (m.topic, m.partition)
            self._last[key] = max(self._last.get(key, m.offset), m.offset)

    def snapshot(self) -> dict[tuple[str, int], int]:
        """A copy, safe to take from another thread (CPython copies a dict under the GIL)."""
        return dict(self._last)

    def keep_only(self, assigned: Iterable[tuple[str, int]]) -> None:
        """After a rebalance: partitions no longer ours may be handled elsewhere meanwhile."""
        keep = set(assigned)
        self._last = {k: v for k, v in self._last.items() if k in keep}

    def start_at(self, committed: dict[tuple[str, int], int]) -> None:
        """Partitions new to this agent start at their committed offset: what comes first
        must be that offset, or the ones before it were dropped."""
        for key, offset in committed.items():
            if key not in self._last and offset >= 0:
                self._last[key] = offset - 1


@dataclass(frozen=True)
class GapRead:
    """What a direct read of a gap found."""
    records: list[Record]
    unavailable: int  # offsets gone to retention, or not reached before the read gave up
    # The rest of the gap held no message: a transaction's end marker takes an offset that no
    # consumer is ever given, so a transactional producer leaves such gaps between its records.


def read_range(broker: Broker, gap: Gap, timeout_s: float = 30.0) -> GapRead:
    """The messages at offsets [gap.start, gap.stop) of one partition (blocking)."""
    tp = TopicPartition(gap.topic, gap.partition)
    consumer = plain_consumer(broker, "spillover-gap-reader", consumer_timeout_ms=int(timeout_s * 1000),
                              auto_offset_reset="earliest")  # offsets gone to retention: from the oldest kept
    try:
        consumer.assign([tp])
        consumer.seek(tp, gap.start)
        records = []
        for r in consumer:
            if r.offset >= gap.stop:
                break
            records.append(Record(r.key, r.value, RecordMessage(r.topic, r.partition, r.offset, r.timestamp / 1000)))
            if r.offset == gap.stop - 1:
                break
        # Only a read that got past the gap can say that what it did not find was no message.
        if consumer.position(tp) < gap.stop:
            return GapRead(records, gap.size - len(records))
        if len(records) == gap.size:  # the usual case: all there, no need to ask what is kept
            return GapRead(records, 0)
        oldest = consumer.beginning_offsets([tp], timeout_ms=int(timeout_s * 1000))[tp]
        return GapRead(records, max(0, min(gap.stop, oldest) - gap.start))
    finally:
        consumer.close()


class GapFiller:
    """One agent's ledger, and the reads that fill what it was not given."""

    def __init__(self, broker: Broker, on_gap: Callable[[Gap, int, int], None]):
        self.broker = broker
        self.ledger = OffsetLedger()
        self._on_gap = on_gap  # (gap, messages read, offsets unavailable): metrics and a log line

    async def complete(self, events: Sequence[Any]) -> list[Any]:
        """The batch with the messages missing before or inside it put first."""
        gaps = self.ledger.gaps(events)
        if not gaps:
            return list(events)
        loop, missing = asyncio.get_running_loop(), []
        for gap in gaps:
            try:
                found = await loop.run_in_executor(None, read_range, self.broker, gap)
            except Exception:  # a broker error must not crash the agent: counted as unavailable
                log.exception("could not read %s/%d offsets %d-%d", gap.topic, gap.partition, gap.start, gap.stop - 1)
                found = GapRead([], gap.size)
            self._on_gap(gap, len(found.records), found.unavailable)
            missing.extend(found.records)
        return missing + list(events)

    def handled(self, events: Iterable[Any]) -> None:
        self.ledger.handled(events)


def committed_offsets(broker: Broker, group_id: str, tps: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The group's committed offsets of these partitions (blocking); none where it has none."""
    admin = admin_client(broker)
    try:
        found = admin.list_group_offsets({group_id: [TopicPartition(t, p) for t, p in tps]}).get(group_id, {})
    finally:
        admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in found.items() if meta.offset >= 0}
