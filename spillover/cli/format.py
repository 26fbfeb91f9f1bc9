"""How incident events look on a terminal."""
from __future__ import annotations

from ..records import IncidentEvent


def human(event: IncidentEvent) -> str:
    lines = [
        f"[{event.detected_at}] {event.status.upper():9} {event.brand}: {' -> '.join(event.path)}"
        f"  severity={event.severity} ({event.severity_score})  id={event.incident_id}",
        f"    {event.summary}",
        *(f"    {p.platform} {p.negative_posts}/{p.posts} neg since {p.first_seen}"
          + (f": {', '.join(p.terms)}" if p.terms else "") for p in event.platforms),
        f"    evidence: {', '.join(event.evidence[:6])}{' ...' if len(event.evidence) > 6 else ''}",
    ]
    if event.follows:
        lines.append(f"    takes up again: {event.follows}")
    if event.response:
        r = event.response
        lines.append(f"    brand replies: {r.get('brand_replies', 0)}; unanswered on: "
                     f"{', '.join(r.get('unanswered_on', [])) or 'none'}; deleted posts: {r.get('deleted_posts', 0)}")
    return "\n".join(lines)
