"""Dead-letter messages: the original bytes untouched, the reason in headers."""
from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

HEADER_REASON = "spillover.error.reason"
HEADER_CODE = "spillover.error.code"
HEADER_SOURCE = "spillover.error.source"
HEADER_TIME = "spillover.error.time"


def dlq_headers(code: str, reason: str, topic: str, partition: int, offset: int) -> list[tuple[str, bytes]]:
    return [
        (HEADER_CODE, code.encode()),
        (HEADER_REASON, reason.encode()),
        (HEADER_SOURCE, f"{topic}/{partition}/{offset}".encode()),
        (HEADER_TIME, str(int(time.time() * 1000)).encode()),
    ]


async def dead_letter(dlq_topic, metrics, key: bytes | None, value: bytes | None, code: str, reason: str,
                      message) -> None:
    """Send the original bytes to the dead-letter topic with the reason, log and count it."""
    metrics.dlq.labels(code).inc()
    log.warning("dead-letter %s/%s/%s: %s", message.topic, message.partition, message.offset, reason)
    await dlq_topic.send(key=key, value=value,
                         headers=dlq_headers(code, reason, message.topic, message.partition, message.offset))
