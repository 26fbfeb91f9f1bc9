"""The workers' Kafka consumer never commits a message it only skipped after a rebalance."""
import faust
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from spillover.streams.consumer import install


def message(offset: int, generation: int) -> ConsumerMessage:
    tp = TP("posts.raw", 0)
    return ConsumerMessage(tp.topic, tp.partition, offset, 0.0, 0, [], b"k", b"v", None, 1, 1, tp,
                           generation_id=generation)


def test_a_message_from_before_a_rebalance_is_read_again_not_committed(monkeypatch):
    app = faust.App("consumer-test", broker="kafka://127.0.0.1:9")  # built, never started
    reread = []
    install(app, reread.append)
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)
    consumer = app.consumer
    app.consumer_generation_id = 2
    stale, current = message(41, generation=1), message(42, generation=2)
    # Faust acks the stale one when its stream skips it after the rebalance.
    assert consumer.ack(stale) is False
    assert consumer.ack(current) is True
    assert consumer._acked[stale.tp] == [42]  # what the next commit may cover
    assert reread == [stale]
