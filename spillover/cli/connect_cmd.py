"""`spillover connect SOURCE`: run one connector agent."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

from ..agents.base import Runner, Target, no_targets
from ..agents.checkpoint import CheckpointStore
from ..agents.metrics import ConnectorMetrics
from ..agents.publisher import Publisher
from ..agents.registry import SOURCES, build, watchlist_targets
from ..agents.replay import publish_lines
from ..kafka_cluster import Cluster
from ..kafka_io import ensure_topics, json_producer
from ..metrics import serve_metrics
from ..replay import read_lines
from ..watchlist import Watchlist
from .common import EXIT_USAGE, add_common, fail, more_than_zero, not_negative, say, settings_from, setup_logging
from .progress import progress

NAMES = (*SOURCES, "replay")
# Which command-line target each connector takes.
TARGET_FLAGS = {"facebook": ("page", "page"), "twitter": ("query", "query"), "rss": ("url", "feed"),
                "reddit": ("subreddit", "subreddit"), "mastodon": ("tag", "tag")}


def register(sub) -> None:
    p = sub.add_parser(
        "connect", help="run a connector agent that publishes posts to posts.raw",
        description="Connectors: facebook (Graph API page feed + comments), twitter (X API v2 recent "
                    "search), rss (RSS/Atom, WordPress post and comment feeds), reddit (listings, "
                    "search), mastodon (hashtag timelines), replay (a POSTS.jsonl file). Targets come "
                    "from the watchlist, or one from the command line; credentials from the "
                    "environment only.")
    p.add_argument("source", metavar="SOURCE", choices=NAMES, help=" | ".join(NAMES))
    add_common(p)
    p.add_argument("--once", action="store_true", help="poll once, publish, exit (for cron jobs and checks)")
    p.add_argument("--api-base", metavar="URL", help="the service's endpoint (a proxy, or a local test server)")
    p.add_argument("--interval", type=more_than_zero(), default=60.0, help="seconds between polls (default 60)")
    p.add_argument("--state", metavar="FILE", help="checkpoint database (default DATA_DIR/connectors/SOURCE.sqlite)")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus /metrics on this port")
    p.add_argument("--lookback-hours", type=not_negative, default=48.0,
                   help="how far back own pages are re-listed to notice deleted posts (default 48)")
    target = p.add_argument_group("one target instead of (or besides) the watchlist")
    target.add_argument("--page", help="facebook: a page id (the brand's own page)")
    target.add_argument("--query", help="twitter: a search query; reddit: a search")
    target.add_argument("--url", help="rss: a feed URL")
    target.add_argument("--subreddit", help="reddit: a subreddit name")
    target.add_argument("--tag", help="mastodon: a hashtag")
    target.add_argument("--brand", help="the brand these posts are about")
    target.add_argument("--handle", help="the brand's own account on this platform (marks its replies)")
    target.add_argument("--own", action="store_true", help="rss: the brand's own feed (watch for deletions)")
    replay = p.add_argument_group("replay")
    replay.add_argument("--input", metavar="POSTS.jsonl", help="the file to publish")
    replay.add_argument("--speed", type=not_negative, default=0.0,
                        help="seconds of event time per second (0: as fast as possible)")
    replay.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    settings = settings_from(args, **{"app.metrics_port": args.metrics_port})
    setup_logging(settings.app.log_level, settings.app.log_format)
    if not settings.kafka.broker:
        return fail("connect needs --broker HOST:PORT (or SPILLOVER_BROKER)", EXIT_USAGE)
    cluster = Cluster.from_settings(settings.kafka)
    if args.source == "replay":
        return _replay(args, settings, cluster)
    targets = watchlist_targets(args.source, Watchlist.load(settings.app.watchlist)) + _cli_target(args)
    if not targets:  # said before Kafka is asked: a broker that is down would hide it for 30 s
        return fail(no_targets(args.source), EXIT_USAGE)
    metrics = ConnectorMetrics()
    connector, client = build(args.source, args.api_base, metrics, lookback_s=args.lookback_hours * 3600)
    state = Path(args.state or Path(settings.app.data_dir) / "connectors" / f"{args.source}.sqlite")
    store = CheckpointStore(state)
    ensure_topics(settings, cluster)
    publisher = Publisher(cluster, settings.topics.raw, client_id=f"spillover-{args.source}",
                          refused_timeout_s=settings.kafka.refused_timeout_s)
    runner = Runner(connector, targets, store, publisher, metrics, interval_s=args.interval)
    serve_metrics(metrics.registry, settings.app.metrics_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        runner.run(once=args.once, stop=stop)
    except KeyboardInterrupt:
        pass
    finally:
        publisher.close()
        store.close()
        client.close()
    return 0


def _cli_target(args) -> list[Target]:
    flag, kind = TARGET_FLAGS[args.source]
    value = getattr(args, flag)
    if args.source == "reddit" and args.query:
        return [Target("search", args.query, args.brand, False, args.handle)]
    if not value:
        return []
    own = args.source == "facebook" or args.own
    handle = args.handle or (value if args.source == "facebook" else None)
    return [Target(kind, value, args.brand, own, handle)]


def _replay(args, settings, cluster: Cluster) -> int:
    if not args.input:
        return fail("connect replay needs --input POSTS.jsonl", EXIT_USAGE)
    lines = list(read_lines(args.input))
    ensure_topics(settings, cluster)
    producer = json_producer(cluster, client_id="spillover-replay")
    with progress(len(lines), "publish", quiet=args.quiet) as bar:
        sent = publish_lines(lines, producer, settings.topics.raw, args.speed, bar.update,
                             settings.kafka.refused_timeout_s)
    producer.close()
    say(f"connect replay: published {sent} posts to {settings.topics.raw}")
    return 0
