"""Connector `replay`: publish a POSTS.jsonl file to posts.raw, as fast as possible or paced.

Every line goes out as its original bytes, keyed by the post id, so malformed lines reach the
worker too and end up, with their reason, on the dead-letter topic instead of vanishing here.
"""
from __future__ import annotations

import json
import time
from typing import Callable, Iterable

from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError

from ..kafka_io import abandon_producer
from ..kafka_refusals import Refusals
from ..timeutil import to_epoch


def post_key(line: bytes) -> str | None:
    try:
        obj = json.loads(line)
        return obj["id"] if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
    except (ValueError, UnicodeDecodeError):
        return None


def event_time(line: bytes) -> float | None:
    try:
        return to_epoch(json.loads(line)["created_at"])
    except Exception:
        return None


def publish_lines(
    lines: Iterable[bytes],
    producer: KafkaProducer,
    topic: str,
    speed: float = 0.0,
    on_sent: Callable[[int], None] = lambda n: None,
    refused_timeout_s: float = 0.0,
) -> int:
    """Send lines in order. speed 0: as fast as possible; N: N seconds of event time per second.

    Kafka refusing our credentials for `refused_timeout_s` (0: never) raises CredentialsRefused,
    saying from which post to replay again, rather than waiting out every record's delivery
    timeout, or pacing on for hours, unheard.
    """
    sent, first_event, started, failures, acks = 0, None, time.monotonic(), [], Acknowledged()
    with Refusals() as refusals:
        refused = _Refused(producer, refusals, refused_timeout_s, acks)
        for line in lines:
            if speed > 0:
                ts = event_time(line)
                if ts is not None:
                    first_event = ts if first_event is None else first_event
                    delay = (ts - first_event) / speed - (time.monotonic() - started)
                    if delay > 0:
                        time.sleep(delay)
            refused.check()
            future = producer.send(topic, key=post_key(line), value=line)
            future.add_callback(lambda _, i=sent: acks.add(i)).add_errback(failures.append)
            sent += 1
            on_sent(1)
        _flush(producer, refused)
    if failures:
        raise RuntimeError(f"{len(failures)} of {sent} posts were not acknowledged by Kafka: {failures[0]!r}")
    return sent


class Acknowledged:
    """Which records Kafka acknowledged, as the unbroken run from the first (acknowledgements
    come per partition, so not in order) and those beyond it."""

    def __init__(self) -> None:
        self.unbroken, self._beyond = 0, set()

    def add(self, i: int) -> None:
        self._beyond.add(i)
        while self.unbroken in self._beyond:
            self._beyond.remove(self.unbroken)
            self.unbroken += 1


class _Refused:
    def __init__(self, producer: KafkaProducer, refusals: Refusals, timeout_s: float, acks: Acknowledged) -> None:
        self.producer, self.refusals, self.timeout_s, self.acks = producer, refusals, timeout_s, acks

    def check(self) -> None:
        """Raise CredentialsRefused once Kafka has refused ours for `timeout_s`."""
        if not self.refusals.refused(self.timeout_s):
            return
        abandon_producer(self.producer)
        done, servers = self.acks.unbroken, self.producer.config["bootstrap_servers"]
        raise self.refusals.error(",".join(servers) if isinstance(servers, list) else str(servers),
                                  f"stopping: the file's first {done} posts (its lines that are not blank) "
                                  f"were acknowledged, so replay it from post {done + 1} with the current "
                                  "credentials") from None


def _flush(producer: KafkaProducer, refused: _Refused) -> None:
    """Wait for every acknowledgement, looking for refusals at least every `refused_timeout_s`."""
    while True:
        try:
            producer.flush(timeout=refused.timeout_s if refused.timeout_s > 0 else None)
            return
        except KafkaTimeoutError:
            refused.check()
