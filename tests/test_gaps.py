"""Offsets Faust never gave an agent are found and read straight from the partition."""
import asyncio
import uuid

import pytest
from helpers import transactional_topic

from spillover.kafka_io import json_producer
from spillover.streams.gaps import Gap, GapFiller, OffsetLedger, Record, RecordMessage, read_range


def event(offset: int, partition: int = 0, topic: str = "posts.raw") -> Record:
    return Record(None, f"post {offset}".encode(), RecordMessage(topic, partition, offset, 0.0))


def test_the_ledger_finds_offsets_skipped_before_and_inside_a_batch():
    ledger = OffsetLedger()
    assert ledger.gaps([event(0), event(1)]) == []  # nothing handled yet: nothing to compare with
    ledger.handled([event(0), event(1)])
    batch = [event(4), event(5), event(9), event(0, partition=1)]
    assert ledger.gaps(batch) == [Gap("posts.raw", 0, 2, 4), Gap("posts.raw", 0, 6, 9)]
    # Read again after a rebalance (a seek back to the committed offset): not a gap.
    ledger.handled(batch)
    assert ledger.gaps([event(3), event(10)]) == []


def test_a_partition_that_moved_away_is_forgotten():
    ledger = OffsetLedger()
    ledger.handled([event(5, partition=0), event(5, partition=1)])
    ledger.keep_only([("posts.raw", 1)])
    # Partition 0 was handled elsewhere meanwhile: starting further on is no gap.
    assert ledger.gaps([event(50, partition=0), event(7, partition=1)]) == [Gap("posts.raw", 1, 6, 7)]


@pytest.mark.broker
def test_skipped_messages_are_read_back_and_handled_first(broker):
    topic = f"gaps-{uuid.uuid4().hex[:8]}"
    producer = json_producer(broker, client_id="gap-test")
    for i in range(8):
        producer.send(topic, key=b"k", value={"n": i}, partition=0)
    producer.flush()
    producer.close()
    seen = []
    filler = GapFiller(broker, lambda gap, read, unavailable: seen.append((gap.size, read, unavailable)))
    filler.handled([event(1, topic=topic)])
    batch = [event(5, topic=topic), event(6, topic=topic)]
    completed = asyncio.run(filler.complete(batch))
    assert [e.message.offset for e in completed] == [2, 3, 4, 5, 6]
    assert [e.value for e in completed[:3]] == [b'{"n": 2}', b'{"n": 3}', b'{"n": 4}']
    assert seen == [(3, 3, 0)]
    # A read that gives up before getting past the gap cannot tell: what it did not find is
    # unavailable, not taken for transaction markers.
    found = read_range(broker, Gap(topic, 0, 6, 12), timeout_s=2)
    assert [r.message.offset for r in found.records] == [6, 7] and found.unavailable == 4


@pytest.mark.broker
def test_the_offsets_of_transaction_markers_are_no_missing_messages(broker):
    """A transactional producer ends each transaction with a marker that takes an offset and
    is given to no consumer: records at 0, 2 and 4, markers at 1, 3 and 5. The agent, given
    0, 2 and 4, has missed nothing."""
    topic = transactional_topic(broker, "gaps-tx")
    seen = []
    filler = GapFiller(broker, lambda gap, read, unavailable: seen.append((gap.start, read, unavailable)))
    filler.handled([event(0, topic=topic)])
    completed = asyncio.run(filler.complete([event(2, topic=topic), event(4, topic=topic)]))
    assert [e.message.offset for e in completed] == [2, 4]
    assert seen == [(1, 0, 0), (3, 0, 0)]  # looked at, nothing read, nothing unavailable


def test_a_partition_new_to_the_agent_starts_at_the_committed_offset():
    ledger = OffsetLedger()
    ledger.start_at({("posts.raw", 0): 100, ("posts.raw", 1): 0})
    # The first message given on partition 0 should have been 100.
    assert ledger.gaps([event(104), event(0, partition=1)]) == [Gap("posts.raw", 0, 100, 104)]
    ledger.handled([event(104)])
    ledger.start_at({("posts.raw", 0): 50})  # known partitions keep what was handled
    assert ledger.gaps([event(105)]) == []


@pytest.mark.broker
def test_committed_offsets_are_read_from_the_group(broker):
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    from spillover.kafka_io import API_VERSION
    from spillover.streams.gaps import committed_offsets

    topic, group = f"gaps-{uuid.uuid4().hex[:8]}", f"group-{uuid.uuid4().hex[:8]}"
    producer = json_producer(broker, client_id="gap-test")
    for i in range(3):
        producer.send(topic, value={"n": i}, partition=0)
    producer.flush()
    producer.close()
    assert committed_offsets(broker, group, [(topic, 0)]) == {}
    consumer = KafkaConsumer(bootstrap_servers=broker, api_version=API_VERSION, group_id=group,
                             enable_auto_commit=False)
    consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(2, "", -1)})
    consumer.close(autocommit=False)
    assert committed_offsets(broker, group, [(topic, 0)]) == {(topic, 0): 2}


@pytest.mark.broker
@pytest.mark.parametrize("which", ["enriched", "changelog"])
def test_a_worker_refuses_topics_whose_partitions_break_the_detectors_co_partitioning(broker, which):
    """A worker restores the states of the brands on the changelog partitions numbered as the
    posts.enriched partitions it reads. A topic made by hand with another count (or a
    changelog from before kafka.partitions changed) used to be taken silently."""
    from helpers import isolated_settings
    from kafka.admin import NewTopic

    from spillover.kafka_io import admin_client, ensure_topics
    from spillover.streams.app import changelog_topic
    from spillover.streams.worker import check_copartitioned

    settings = isolated_settings(broker)
    topic = settings.topics.enriched if which == "enriched" else changelog_topic(settings)
    admin = admin_client(broker)
    admin.create_topics([NewTopic(topic, 2, 1)])
    admin.close()
    ensure_topics(settings, broker)
    with pytest.raises(ValueError, match=f"^{topic} has 2 partitions, but kafka.partitions is 4"):
        check_copartitioned(settings, broker)
    if which == "enriched":
        check_copartitioned(settings.replace("kafka", partitions=2), broker)  # the count it has: fine


@pytest.mark.broker
def test_the_worker_command_says_so_and_exits_before_it_loads_the_model(broker, tmp_path):
    import os
    import subprocess
    import sys

    import yaml
    from helpers import isolated_settings
    from kafka.admin import NewTopic

    from spillover.kafka_io import admin_client

    settings = isolated_settings(broker)
    admin = admin_client(broker)
    admin.create_topics([NewTopic(settings.topics.enriched, 2, 1)])
    admin.close()
    config = tmp_path / "spillover.yaml"
    config.write_text(yaml.safe_dump(settings.to_dict()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPILLOVER_")}
    done = subprocess.run([sys.executable, "-m", "spillover.cli.main", "worker", "--config", str(config)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 1
    assert f"{settings.topics.enriched} has 2 partitions, but kafka.partitions is 4" in done.stderr
    assert "model spillover-minilm" not in done.stderr
