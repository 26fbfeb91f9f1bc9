"""Publishing to posts.raw without ever losing a post: retry until Kafka acknowledges, or stop
the process when Kafka refuses its credentials."""
from __future__ import annotations

import logging
import random
import time
from typing import Any, Callable

from kafka.errors import KafkaError

from ..kafka_cluster import Broker, cluster_of
from ..kafka_io import abandon_producer, json_producer
from ..kafka_refusals import Refusals

log = logging.getLogger(__name__)


class Publisher:
    """Sends posts keyed by id (acks=all) and returns only once every one is acknowledged.

    While Kafka is away the records wait in the producer and we wait with them: a record in
    flight is never abandoned and sent again (that is how duplicates happen). Only a record
    that definitively failed (its delivery timed out unsent) is sent again, with capped,
    jittered backoff, for as long as it takes: a connector waits rather than dropping a post.

    Except when Kafka refuses the credentials (a changed password, a renewed CA) for
    `refused_timeout_s` (0: never): then no wait can help, and `publish` raises
    CredentialsRefused. The connector ends, its supervisor starts it again with the current
    credentials, and it polls again from its last checkpoint, which moves only past posts Kafka
    acknowledged: nothing is lost.
    """

    def __init__(self, broker: Broker, topic: str, client_id: str, *, cap_s: float = 30.0, flush_s: float = 30.0,
                 refused_timeout_s: float = 60.0, sleep: Callable[[float], None] = time.sleep,
                 producer_factory=json_producer):
        self._broker, self._client_id, self._topic = broker, client_id, topic
        self._cap_s, self._flush_s = cap_s, flush_s
        self._refused_timeout_s = refused_timeout_s
        self._sleep = sleep
        self._factory = producer_factory
        self._producer = None
        self._rng = random.Random()

    def publish(self, posts: list[dict[str, Any]]) -> int:
        pending, attempt = list(posts), 0
        with Refusals() as refusals:
            while pending:
                pending = self._send(pending, refusals)
                if pending:
                    self._refused(refusals)
                    delay = self._rng.uniform(0.5, min(self._cap_s, 2 ** attempt))
                    log.warning("Kafka did not take %d posts; sending them again in %.1fs", len(pending), delay)
                    self._sleep(delay)
                    attempt += 1
        return len(posts)

    def _send(self, posts: list[dict[str, Any]], refusals: Refusals) -> list[dict[str, Any]]:
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
                producer.flush(timeout=self._wait_s())
            except KafkaError:
                self._refused(refusals)  # sends wait up to delivery_timeout_ms: do not wait that out
                waiting = sum(1 for _, f in futures if f is not None and not f.is_done)
                log.warning("Kafka has not acknowledged %d posts yet; waiting", waiting)
        return [post for post, f in futures if f is None or f.failed()]

    def _wait_s(self) -> float:
        """How long to wait for acknowledgements before looking again: no longer than Kafka may
        refuse the credentials before the publisher gives up."""
        return min(self._flush_s, self._refused_timeout_s) if self._refused_timeout_s > 0 else self._flush_s

    def _refused(self, refusals: Refusals) -> None:
        """Raise CredentialsRefused if Kafka has refused ours for long enough while posts wait."""
        if refusals.refused(self._refused_timeout_s):
            self._abandon()  # what waits is not acknowledged: the caller still holds it
            raise refusals.error(cluster_of(self._broker).servers,
                                 "stopping, to be started again with the current ones") from None

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

    def _abandon(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            abandon_producer(producer)
