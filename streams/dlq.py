"""Dead-letter messages: the original bytes untouched, the reason in headers."""
from __future__ import annotations

import time

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
