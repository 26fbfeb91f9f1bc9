"""Publishing to posts.raw without ever losing a post: retry until Kafka acknowledges."""
from __future__ import annotations

import logging
import random
import time
from typing import Any, Callable

from kafka.errors import KafkaError

from ..kafka_cluster import Broker
from ..kafka_io import json_producer

log = logging.getLogger(__name__)


class Publisher:
    """Sends posts keyed by id (acks=all) and returns only once every one is acknowledged.

    While Kafka is away the records wait in the producer and we wait with them: a record in
    flight is never abandoned and sent again (that is how duplicates happen). Only a record
    that definitively failed (its delivery timed out unsent) is sent again, with capped,
    jittered backoff, for as long as it takes: a connector waits rather than dropping a post.
    """

    def __init__(self, broker: Broker, topic: str, client_id: str, *, cap_s: float = 30.0, flush_s: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep, producer_factory=json_producer):
        self._broker, self._client_id, self._topic = broker, client_id, topic
        self._cap_s, self._flush_s = cap_s, flush_s
        self._sleep = sleep
        self._factory = producer_factory
        self._producer = None
        self._rng = random.Random()

    def publish(self, posts: list[dict[str, Any]]) -> int:
        pending, attempt = list(posts), 0
        while pending:
            pending = self._send(pending)
            if pending:
                delay = self._rng.uniform(0.5, min(self._cap_s, 2 ** attempt))
                log.warning("Kafka did not take %d posts; sending them again in %.1fs", len(pending), delay)
                self._sleep(delay)
                attempt += 1
        return len(posts)

    def _send(self, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send in order, wait until each is acknowledged or failed; return the failed ones."""
        try:
            producer = self._producer or self._connect()
        except (KafkaError, OSError) as exc:
            log.warning("cannot reach Kafka: %s", exc)
            return posts
        futures = []
        for post in posts:
            try:
                futures.append((post, producer.send(self._topic, key=post["id"], value=post)))
            except KafkaError as exc:  # no metadata within max_block_ms: not queued at all
                log.warning("Kafka unavailable: %s", exc)
                futures.append((post, None))
        while not all(f is None or f.is_done for _, f in futures):
            try:
                producer.flush(timeout=self._flush_s)
            except KafkaError:
                waiting = sum(1 for _, f in futures if f is not None and not f.is_done)
                log.warning("Kafka has not acknowledged %d posts yet; waiting", waiting)
        return [post for post, f in futures if f is None or f.failed()]

    def _connect(self):
        # Short client timeouts: a dead broker shows up as failed futures, not a hung send().
        self._producer = self._factory(self._broker, client_id=self._client_id, max_block_ms=10_000,
                                       request_timeout_ms=10_000, delivery_timeout_ms=120_000)
        return self._producer

    def close(self) -> None:
        if self._producer is not None:
            self._producer.flush()
            self._producer.close()
            self._producer = None
