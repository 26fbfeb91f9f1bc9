"""A worker whose credentials Kafka keeps refusing stops, to be started with the current ones.

After a SASL password is changed, or the cluster CA renewed, every new connection of the worker
is refused. aiokafka retries many times a second for ever: the worker would stay up, log errors
and handle nothing, and neither the stall watchdog (its own reads are refused too, and with no
new posts nothing is waiting) nor a liveness probe (the metrics port answers) would notice.
The credentials are read once, at start, so no retry can help: the worker exits with
EXIT_REFUSED, and Kubernetes starts it again with the Secret's current password and the CA
file as now mounted. The group's committed offsets are where it goes on: nothing is lost.
"""
from __future__ import annotations

import logging
import os
import threading
import time

from ..kafka_refusals import EXIT_REFUSED, Refusals

log = logging.getLogger(__name__)

CHECK_S = 5.0


def exit_when_refused(refusals: Refusals, timeout_s: float, check_s: float = CHECK_S) -> None:
    """Watch `refusals` from a thread of its own (the event loop is busy retrying), and end the
    process once Kafka has refused the credentials for `timeout_s` (`kafka.refused_timeout_s`)."""

    def watch() -> None:
        while True:
            time.sleep(check_s)
            if refusals.refused(timeout_s):
                log.error("Kafka has refused the worker's credentials for %.0f s (%s); the worker exits with code "
                          "%d, to be started again with the current ones", refusals.refused_for(),
                          refusals.credentials, EXIT_REFUSED)
                logging.shutdown()
                os._exit(EXIT_REFUSED)

    threading.Thread(target=watch, name="spillover-credentials", daemon=True).start()
