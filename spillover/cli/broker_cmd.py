"""`spillover broker`: the embedded Kafka-compatible broker in the foreground."""
from __future__ import annotations

import sys

from ..broker import BrokerError, EmbeddedBroker
from .common import EXIT_BROKER, EXIT_OK, fail, interrupt_on_sigterm


def register(sub) -> None:
    p = sub.add_parser("broker", help="run the embedded Kafka-compatible broker (Tansu) in the foreground",
                       description="Runs Tansu on 127.0.0.1 with in-memory storage (topics are lost when it "
                                   "stops) and prints its address once it accepts Kafka requests.")
    p.add_argument("--port", type=int, default=9092, help="port to listen on (default 9092; 0 picks a free one)")
    p.set_defaults(run=run)


def run(args) -> int:
    broker = EmbeddedBroker(port=args.port)
    interrupt_on_sigterm()
    try:
        broker.start()
        print(broker.bootstrap, flush=True)
        print(f"embedded broker ready on {broker.bootstrap}; Ctrl-C to stop", file=sys.stderr)
        code = broker.wait()
    except BrokerError as exc:
        return fail(str(exc), EXIT_BROKER)
    except KeyboardInterrupt:
        code = 0  # asked to stop: not an error
    finally:
        broker.stop()
    return EXIT_OK if code in (0, -15, None) else fail(f"broker exited with {code}: {broker.log_tail()}", EXIT_BROKER)
