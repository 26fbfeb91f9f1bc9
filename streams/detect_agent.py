"""Agent: posts.enriched (keyed by brand) -> detection core -> incidents. State in a table.

At least once, never twice: a post delivered again is ignored by the detector (its state
remembers the latest ids), and a batch's incident events are delivered before its state is
saved, so a killed worker's replacement may repeat an event but never loses one."""
from __future__ import annotations

import asyncio
import logging
import time

from ..detection import Detector
from ..detection.detector import REPEATED, TOO_LATE
from ..metrics import PipelineMetrics
from ..records import EnrichedPost, ValidationError, decode_json
from .dlq import dead_letter
from .gaps import GapFiller
from .state import BatchedStates

log = logging.getLogger(__name__)
BATCH, WITHIN_S = 500, 0.2


def detect_agent(topics, table, detector: Detector, metrics: PipelineMetrics, gaps: GapFiller):
    async def send_dlq(event, code: str, reason: str) -> None:
        await dead_letter(topics.dlq, metrics, event.key, event.value, code, reason, event.message)

    skipped = {TOO_LATE: metrics.detector_too_late, REPEATED: metrics.detector_repeated}

    def unreadable(brand: str, exc: Exception) -> None:
        metrics.detector_state_unreadable.inc()
        log.error("the stored detector state of %s cannot be read (%s: %s); the brand starts afresh and "
                  "warms up again (a state written by a newer release, or a damaged changelog)",
                  brand, type(exc).__name__, exc)

    def count_skip(reason: str) -> None:
        skipped[reason].inc()

    async def agent(stream):
        async for batch in stream.take_events(BATCH, within=WITHIN_S):
            events = await gaps.complete(batch)
            states, incidents, newest = BatchedStates(table, unreadable), [], None
            for event in events:
                try:
                    post = EnrichedPost.from_dict(decode_json(event.value))
                except ValidationError as exc:
                    await send_dlq(event, exc.code, str(exc))
                    continue
                try:
                    incidents.extend(detector.observe(states, post, count_skip))
                except ValidationError as exc:  # refused as it stands (a platform too many), not a bug
                    await send_dlq(event, exc.code, str(exc))
                    continue
                except Exception as exc:  # a detector bug must not crash-loop the worker on one post
                    log.exception("detector failed on %s (%s)", post.post.id, post.brand)
                    await send_dlq(event, "detector_error", f"{type(exc).__name__}: {exc}")
                    continue
                metrics.detector_posts.labels(metrics.platform(post.post.platform)).inc()
                newest = max(newest or 0.0, post.event_time)
            delivered = []
            for incident in incidents:
                delivered.append(await topics.incidents.send(
                    key=incident.incident_id.encode(), value=incident.to_json().encode()))
                metrics.incidents.labels(incident.status).inc()
                log.info("incident %s %s %s path=%s", incident.incident_id, incident.status,
                         incident.brand, "->".join(incident.path))
            # The events are on the broker before the state that emitted them is saved: a worker
            # killed in between leaves a replacement that emits them again (at least once); the
            # other way round, the restored state would know them and they would be lost.
            await asyncio.gather(*delivered)
            states.flush()
            gaps.handled(events)
            if newest:
                metrics.event_time_lag.set(time.time() - newest)

    return agent
