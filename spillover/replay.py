"""`spillover replay`: the stream's enrichment and detection, driven straight from a file.

Posts are taken in file order, as the stream would receive them from a replay connector, and
every window uses their `created_at`. A file in event-time order is replayed in event-time
order; rows that arrive late in the file are treated as late, exactly as in the stream.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .detection import Detector
from .enrichment import Model, Rejection, enrich, parse
from .records import IncidentEvent, RawPost, ValidationError, encode_json
from .watchlist import Watchlist


@dataclass
class ReplayStats:
    read: int = 0
    enriched: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    incidents: int = 0


def read_lines(path: str) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        for line in fh:
            line = line.rstrip(b"\r\n")
            if line.strip():
                yield line


def run_replay(
    lines: Iterable[bytes],
    model: Model,
    detector: Detector,
    watchlist: Watchlist,
    on_incident: Callable[[IncidentEvent], None],
    on_reject: Callable[[Rejection], None] = lambda r: None,
    batch_size: int = 64,
    on_progress: Callable[[int], None] = lambda n: None,
    max_future_s: float = 0.0,
) -> ReplayStats:
    stats, states, batch = ReplayStats(), {}, []

    def reject(rejection: Rejection) -> None:
        stats.rejected[rejection.code] = stats.rejected.get(rejection.code, 0) + 1
        on_reject(rejection)

    def flush() -> None:
        for post in enrich(batch, model):
            stats.enriched += 1
            try:
                events = detector.observe(states, post)
            except ValidationError as exc:  # refused, as the detect agent refuses it
                reject(Rejection(post.brand.encode(), encode_json(post.to_dict()), exc.code, str(exc)))
                continue
            except Exception as exc:  # as the detect agent does: the post is set aside, the run goes on
                reject(Rejection(post.brand.encode(), encode_json(post.to_dict()), "detector_error",
                                 f"{type(exc).__name__}: {exc}"))
                continue
            for event in events:
                stats.incidents += 1
                on_incident(event)
        on_progress(len(batch))
        batch.clear()

    for line in lines:
        stats.read += 1
        parsed = parse(None, line, watchlist, max_future_s)
        if isinstance(parsed, Rejection):
            reject(parsed)
            on_progress(1)
            continue
        batch.append(parsed)
        if len(batch) >= batch_size:
            flush()
    flush()
    return stats


def sort_by_event_time(lines: Iterable[bytes]) -> list[bytes]:
    """For what-if backtests: every post as if it had arrived on time (bad rows kept, first)."""
    def key(line: bytes):
        try:
            return (1, RawPost.from_bytes(line).event_time)
        except Exception:
            return (0, 0.0)
    return sorted(lines, key=key)


def incident_line(event: IncidentEvent) -> str:
    return json.dumps(event.to_dict(), ensure_ascii=False, sort_keys=True)
