"""`spillover incidents tail`: print incident events from the incidents topic."""
from __future__ import annotations

import logging

from ..kafka_cluster import Cluster
from ..kafka_io import read_topic
from ..records import IncidentEvent, decode_json
from .common import EXIT_USAGE, add_common, fail, say, settings_from, setup_logging
from .format import human


def register(sub) -> None:
    p = sub.add_parser("incidents", help="read incident events from the incidents topic")
    inner = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    t = inner.add_parser("tail", help="print incident events (from the start of the topic, then follow)")
    add_common(t)
    t.add_argument("--json", action="store_true", help="one JSON object per line, nothing else on stdout")
    t.add_argument("--new", action="store_true", help="only events that arrive from now on")
    t.add_argument("--timeout", type=float, help="exit after this many seconds without a new event")
    t.set_defaults(run=run)


def run(args) -> int:
    settings = settings_from(args)
    setup_logging(settings.app.log_level if args.log_level else "warning", settings.app.log_format)
    if not settings.kafka.broker:
        return fail("incidents tail needs --broker HOST:PORT (or SPILLOVER_BROKER)", EXIT_USAGE)
    for record in read_topic(Cluster.from_settings(settings.kafka), settings.topics.incidents,
                             from_beginning=not args.new, idle_timeout=args.timeout,
                             refused_timeout_s=settings.kafka.refused_timeout_s):
        event = _event(record)
        if event is not None:
            print(event.to_json() if args.json else human(event), flush=True)
    return 0


def _event(record) -> IncidentEvent | None:
    """The record's incident event, or None after saying on stderr why it cannot be read. The
    topic is compacted (a deleted incident leaves an empty record) and any producer can write
    to it: one bad record must not end the tail."""
    if record.value is None:
        return None  # a tombstone: the incident was deleted
    try:
        return IncidentEvent.from_dict(decode_json(record.value))
    except (ValueError, TypeError, AttributeError) as exc:  # ValidationError is a ValueError
        say(f"spillover incidents tail: skipped the record at partition {record.partition} offset "
            f"{record.offset}: not an incident event ({type(exc).__name__}: {exc})", logging.WARNING)
        return None
