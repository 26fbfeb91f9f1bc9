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
    app.flow_control.resume()  # as after recovery: streams running
    app.consumer_generation_id = 2
    stale, current = message(41, generation=1), message(42, generation=2)
    # Faust acks the stale one when its stream skips it after the rebalance.
    assert consumer.ack(stale) is False
    assert consumer.ack(current) is True
    assert consumer._acked[stale.tp] == [42]  # what the next commit may cover
    assert reread == [stale]


def test_nothing_acked_while_a_rebalance_has_the_flow_suspended_is_committed(monkeypatch):
    app = faust.App("consumer-test-flow", broker="kafka://127.0.0.1:9")
    reread = []
    install(app, reread.append)
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)
    app.consumer_generation_id = 1
    skipped = message(7, generation=1)
    app.flow_control.suspend()
    assert app.consumer.ack(skipped) is False
    app.flow_control.resume()
    assert app.consumer.ack(message(8, generation=1)) is True
    assert app.consumer._acked[skipped.tp] == [8]
    assert reread == [skipped]
