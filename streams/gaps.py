"""Messages Faust passed over: find the offsets an agent was never given, read them from Kafka.

Faust 0.15 can drop messages around a rebalance without committing them as unread (see
consumer.py; in the kill test a replacement worker went on at offset 1537 after 1535, or at
1595 after 1535). Every agent therefore keeps, per partition, the last offset it handled. When
a batch starts further on than the next offset, or jumps inside, the offsets in between are
read straight from the partition with a plain, group-less consumer and handled first, so the
agent's own order per partition is kept.

A partition the worker gives up is forgotten, so one that comes back after other workers had
it is not taken for a gap. What this cannot see: messages dropped before the first one a
process handles on a partition.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from kafka import KafkaConsumer, TopicPartition

from ..kafka_io import API_VERSION


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

    def keep_only(self, assigned: Iterable[tuple[str, int]]) -> None:
        """After a rebalance: partitions no longer ours may be handled elsewhere meanwhile."""
        keep = set(assigned)
        self._last = {k: v for k, v in self._last.items() if k in keep}


def read_range(broker: str, gap: Gap, timeout_s: float = 30.0) -> list[Record]:
    """The messages at offsets [gap.start, gap.stop) of one partition (blocking)."""
    tp = TopicPartition(gap.topic, gap.partition)
    consumer = KafkaConsumer(bootstrap_servers=broker, api_version=API_VERSION, enable_auto_commit=False,
                             client_id="spillover-gap-reader", consumer_timeout_ms=int(timeout_s * 1000))
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
        return records
    finally:
        consumer.close()


class GapFiller:
    """One agent's ledger, and the reads that fill what it was not given."""

    def __init__(self, broker: str, on_gap: Callable[[Gap, int], None]):
        self.broker = broker
        self.ledger = OffsetLedger()
        self._on_gap = on_gap  # (gap, messages read): metrics and a log line

    async def complete(self, events: Sequence[Any]) -> list[Any]:
        """The batch with the messages missing before or inside it put first."""
        gaps = self.ledger.gaps(events)
        if not gaps:
            return list(events)
        loop, missing = asyncio.get_running_loop(), []
        for gap in gaps:
            records = await loop.run_in_executor(None, read_range, self.broker, gap)
            self._on_gap(gap, len(records))
            missing.extend(records)
        return missing + list(events)

    def handled(self, events: Iterable[Any]) -> None:
        self.ledger.handled(events)
