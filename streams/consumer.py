"""The Kafka consumer the workers use: Faust's, guarded against losing messages on a rebalance.

Faust (faust-streaming 0.15) skips a message that reaches a stream while a rebalance has the
flow suspended, or after it, from an earlier consumer-group generation, and acks it as if it
had been processed, so its offset can be committed and a worker that keeps the partition
never reads it again. This consumer refuses the commit for any message acked while the flow
is suspended or after its generation ended: it is read again from the committed offset
instead (at least once; downstream stages ignore the repeat).

Other ways Faust drops messages around a rebalance are caught downstream: gaps.py.
"""
from __future__ import annotations

from typing import Callable

from faust.transport.drivers.aiokafka import Consumer
from faust.types import Message


class GenerationSafeConsumer(Consumer):
    @staticmethod
    def on_reread(message: Message) -> None:
        """Called for each message left to be read again (a metric)."""


    def ack(self, message: Message) -> bool:
        # While a rebalance has the flow suspended, streams skip what they take and ack it.
        if message.generation_id != self.app.consumer_generation_id or not self.app.flow_control.is_active():
            message.acked = True  # done with it here; never counted as safe to commit
            self._unacked_messages.discard(message)
            self.on_reread(message)
            return False
        return super().ack(message)


def install(app, on_reread: Callable[[Message], None]) -> None:
    """Make the app's Kafka transport build a GenerationSafeConsumer (before it is first used)."""
    app.transport.Consumer = type("SpilloverConsumer", (GenerationSafeConsumer,), {
        "on_reread": staticmethod(on_reread), "__module__": __name__})
