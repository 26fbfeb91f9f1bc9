"""kafka-python plumbing shared by connectors, `incidents tail`, demo and tests.

kafka-python is used for producing, admin and group-less reading only: its consumer groups
hang on the embedded broker, and the stream workers use Faust/aiokafka for groups anyway.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Iterator

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.serializer import Serializer

from .kafka_cluster import Broker, cluster_of
from .kafka_refusals import CredentialsRefused, Refusals
from .settings import Settings

log = logging.getLogger(__name__)
API_VERSION = (2, 5)  # skip version probing: faster start, and it behaves on Tansu and Kafka


def topic_specs(settings: Settings) -> list[NewTopic]:
    t, k = settings.topics, settings.kafka
    compact = {"cleanup.policy": "compact"}
    return [
        NewTopic(t.raw, k.raw_partitions or k.partitions, k.replication_factor),
        NewTopic(t.enriched, k.partitions, k.replication_factor),
        NewTopic(t.dlq, 1, k.replication_factor),
        # The latest event per incident_id is its state, so compaction keeps every incident.
        NewTopic(t.incidents, k.partitions, k.replication_factor, topic_configs=compact),
    ]


def admin_client(broker: Broker, timeout: float = 30.0) -> KafkaAdminClient:
    """An admin client of the cluster at `broker`; ConnectionError if none of it answers
    within `timeout` seconds, CredentialsRefused (one) if it refused our credentials."""
    cluster = cluster_of(broker)
    deadline = time.monotonic() + timeout
    with Refusals() as refusal:
        while True:
            try:
                return KafkaAdminClient(**cluster.client_options(), api_version=API_VERSION,
                                        client_id="spillover-admin", request_timeout_ms=10_000,
                                        bootstrap_timeout_ms=max(1, int(1000 * (deadline - time.monotonic()))))
            except (KafkaError, OSError) as exc:
                if time.monotonic() > deadline:
                    why = f" (the last attempt: {refusal.reason})" if refusal.reason else ""
                    # Refused from the start (a password that never matched): the same exit code,
                    # and alert, as refused later on.
                    error = CredentialsRefused if refusal.credentials else ConnectionError
                    raise error(f"cannot reach Kafka at {cluster.servers}: {exc}{why}") from None
                time.sleep(0.5)


def ensure_topics(settings: Settings, broker: Broker) -> None:
    """Create the pipeline's topics that are missing (idempotent).

    Only missing ones are asked for, as Faust does for its own: a Kafka user allowed to use its
    topics but not to create them (topics kept by Strimzi's Topic Operator) is refused every
    CreateTopics, even one for a topic that exists. One request per topic, "already exists"
    counting as success: safe with several starters.
    """
    admin = admin_client(broker)
    try:
        specs = topic_specs(settings)
        existing = partition_counts(broker, [spec.name for spec in specs])
        for spec in specs:
            if spec.name in existing:
                continue
            try:
                admin.create_topics([spec])
                log.info("created topic %s (%d partitions)", spec.name, spec.num_partitions)
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


def plain_consumer(broker: Broker, client_id: str, **options: Any) -> KafkaConsumer:
    """A consumer in no group, committing nothing: for reading records and offsets."""
    return KafkaConsumer(**cluster_of(broker).client_options(), api_version=API_VERSION, enable_auto_commit=False,
                         group_id=None, client_id=client_id, **options)


def partition_counts(broker: Broker, topics: list[str]) -> dict[str, int]:
    """How many partitions each of `topics` has; a topic that does not exist is left out."""
    consumer = plain_consumer(broker, "spillover-admin")
    try:
        return {topic: len(parts) for topic in topics if (parts := consumer.partitions_for_topic(topic))}
    finally:
        consumer.close()


class _KeySerializer(Serializer):
    def serialize(self, topic, headers, data):
        return data.encode() if isinstance(data, str) else data


class _JsonSerializer(Serializer):
    """Objects become UTF-8 JSON; bytes pass through untouched (replay keeps the original)."""

    def serialize(self, topic, headers, data):
        if data is None or isinstance(data, bytes):
            return data
        try:
            return json.dumps(data, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate (half an emoji): JSON can spell it, UTF-8 cannot
            return json.dumps(data).encode()


def json_producer(broker: Broker, client_id: str = "spillover", **overrides: Any) -> KafkaProducer:
    """A producer that never drops quietly: acks from all replicas, retries, ordered per key."""
    return KafkaProducer(**{
        **cluster_of(broker).client_options(),
        "api_version": API_VERSION,
        "client_id": client_id,
        "acks": "all",
        "retries": 10,
        "max_in_flight_requests_per_connection": 1,
        "linger_ms": 20,
        "key_serializer": _KeySerializer(),
        "value_serializer": _JsonSerializer(),
        **overrides,
    })


def abandon_producer(producer: KafkaProducer) -> None:
    """Close a producer without waiting for what it still holds (Kafka refuses our credentials:
    no wait can help). kafka-python's close() flushes first and raises when that times out,
    leaving its sender running; its own finaliser and exit hook then raise again at exit. So
    its sender is stopped first, which fails what waits, and close() then has nothing to wait
    for."""
    sender = getattr(producer, "_sender", None)  # not public: without it, only noise at exit
    if sender is not None:
        sender.force_close()
        sender.join(5)
    try:
        producer.close(timeout=0)
    except KafkaError:
        pass


def read_topic(
    broker: Broker,
    topic: str,
    from_beginning: bool = True,
    idle_timeout: float | None = None,
    stop: threading.Event | None = None,
    connect_timeout: float = 30.0,
    refused_timeout_s: float = 0.0,
) -> Iterator[Any]:
    """Yield the records of every partition of `topic`, without a consumer group.

    Stops after `idle_timeout` seconds with nothing new (None: follow), or once `stop` is set.
    A broker that does not answer within `connect_timeout` seconds is a ConnectionError:
    kafka-python's consumer would wait for it, silently, for ever; so is being refused our
    credentials for `refused_timeout_s` (CredentialsRefused; 0: wait).
    """
    admin_client(broker, connect_timeout).close()
    consumer = plain_consumer(broker, "spillover-reader")
    try:
        partitions = _wait_for_partitions(consumer, topic)
        consumer.assign(partitions)
        (consumer.seek_to_beginning if from_beginning else consumer.seek_to_end)(*partitions)
        last = time.monotonic()
        with Refusals() as refusals:
            while (idle_timeout is None or time.monotonic() - last < idle_timeout) and not (stop and stop.is_set()):
                batch = consumer.poll(timeout_ms=200)
                for records in batch.values():
                    last = time.monotonic()
                    yield from records
                if refusals.refused(refused_timeout_s):
                    raise refusals.error(cluster_of(broker).servers)
    finally:
        consumer.close()


def _wait_for_partitions(consumer: KafkaConsumer, topic: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        time.sleep(0.3)
    raise LookupError(f"topic {topic!r} does not exist on the broker")
