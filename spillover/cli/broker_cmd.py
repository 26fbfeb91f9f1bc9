"""`spillover broker`: the embedded Kafka-compatible broker in the foreground."""
from __future__ import annotations

import signal
import sys

from ..broker import BrokerError, EmbeddedBroker
from .common import EXIT_BROKER, EXIT_OK, fail


def register(sub) -> None:
    p = sub.add_parser("broker", help="run the embedded Kafka-compatible broker (Tansu) in the foreground",
                       description="Runs Tansu on 127.0.0.1 with in-memory storage (topics are lost when it "
                                   "stops) and prints its address once it accepts Kafka requests.")
    p.add_argument("--port", type=int, default=9092, help="port to listen on (default 9092; 0 picks a free one)")
    p.set_defaults(run=run)


class _Stop(Exception):
    """SIGTERM: leave the wait, then stop the broker outside the signal handler."""


def _raise_stop(*_) -> None:
    raise _Stop()


def run(args) -> int:
    broker = EmbeddedBroker(port=args.port)
    # Before the broker starts: its process has a session of its own (so Ctrl-C reaches us
    # first), and a SIGTERM that killed us while it started would leave it running, orphaned.
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        broker.start()
        print(broker.bootstrap, flush=True)
        print(f"embedded broker ready on {broker.bootstrap}; Ctrl-C to stop", file=sys.stderr)
        code = broker.wait()
    except BrokerError as exc:
        return fail(str(exc), EXIT_BROKER)
    except (KeyboardInterrupt, _Stop):
        code = 0  # asked to stop: not an error
    finally:
        broker.stop()
    return EXIT_OK if code in (0, -15, None) else fail(f"broker exited with {code}: {broker.log_tail()}", EXIT_BROKER)
