"""`spillover connect SOURCE`: run one connector agent."""
from __future__ import annotations

import sys

from tqdm import tqdm

from ..agents.replay import publish_lines
from ..kafka_io import ensure_topics, json_producer
from ..replay import read_lines
from .common import EXIT_USAGE, add_common, fail, settings_from, setup_logging

SOURCES = ("replay",)


def register(sub) -> None:
    p = sub.add_parser("connect", help="run a connector agent that publishes posts to posts.raw",
                       description=f"Connectors available in this version: {', '.join(SOURCES)}.")
    p.add_argument("source", metavar="SOURCE", help=f"one of: {', '.join(SOURCES)}")
    add_common(p)
    p.add_argument("--input", metavar="POSTS.jsonl", help="replay: the file to publish")
    p.add_argument("--speed", type=float, default=0.0,
                   help="replay: seconds of event time per wall-clock second (0: as fast as possible)")
    p.add_argument("--once", action="store_true", help="poll once, publish, exit (replay always does)")
    p.add_argument("--api-base", metavar="URL", help="endpoint of the source's API")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.source not in SOURCES:
        return fail(f"unknown connector {args.source!r}; available: {', '.join(SOURCES)}", EXIT_USAGE)
    if not args.input:
        return fail("connect replay needs --input POSTS.jsonl", EXIT_USAGE)
    settings = settings_from(args)
    setup_logging(settings.app.log_level)
    if not settings.kafka.broker:
        return fail("connect needs --broker HOST:PORT (or SPILLOVER_BROKER)", EXIT_USAGE)
    lines = list(read_lines(args.input))
    ensure_topics(settings, settings.kafka.broker)
    producer = json_producer(settings.kafka.broker, client_id="spillover-replay")
    with tqdm(total=len(lines), unit="post", desc="publish", file=sys.stderr, disable=args.quiet) as bar:
        sent = publish_lines(lines, producer, settings.topics.raw, args.speed, bar.update)
    producer.close()
    print(f"connect replay: published {sent} posts to {settings.topics.raw}", file=sys.stderr)
    return 0
