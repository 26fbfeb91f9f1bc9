"""Connector `replay`: publish a POSTS.jsonl file to posts.raw, as fast as possible or paced.

Every line goes out as its original bytes, keyed by the post id, so malformed lines reach the
worker too and end up, with their reason, on the dead-letter topic instead of vanishing here.
"""
from __future__ import annotations

import json
import time
from typing import Callable, Iterable

from kafka import KafkaProducer

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
) -> int:
    """Send lines in order. speed 0: as fast as possible; N: N seconds of event time per second."""
    sent, first_event, started, failures = 0, None, time.monotonic(), []
    for line in lines:
        if speed > 0:
            ts = event_time(line)
            if ts is not None:
                first_event = ts if first_event is None else first_event
                delay = (ts - first_event) / speed - (time.monotonic() - started)
                if delay > 0:
                    time.sleep(delay)
        producer.send(topic, key=post_key(line), value=line).add_errback(failures.append)
        sent += 1
        on_sent(1)
    producer.flush()
    if failures:
        raise RuntimeError(f"{len(failures)} of {sent} posts were not acknowledged by Kafka: {failures[0]!r}")
    return sent
