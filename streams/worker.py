"""`spillover worker`: load the model, create the topics, run the Faust agents until stopped."""
from __future__ import annotations

import asyncio
import logging

import faust

from ..detection import Detector
from ..kafka_cluster import Cluster
from ..kafka_io import ensure_topics, partition_counts
from ..kafka_refusals import Refusals
from ..metrics import PipelineMetrics
from ..settings import Settings
from ..watchlist import Watchlist
from .app import changelog_topic, create_app
from .credentials import exit_when_refused

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """Blocks until SIGINT/SIGTERM; Faust then commits offsets and leaves the group cleanly."""
    from ..models.pipeline import SentimentModel  # heavy import, only where a model is needed

    if not settings.kafka.broker:
        raise SystemExit("spillover worker needs --broker HOST:PORT (or SPILLOVER_BROKER)")
    # The watchlist and the settings first: a mistake in them is said at once, not after the
    # topics are made and the model is loaded.
    cluster = Cluster.from_settings(settings.kafka)
    watchlist = Watchlist.load(settings.app.watchlist)
    detector = Detector.for_watchlist(settings.detection, watchlist)
    ensure_topics(settings, cluster)
    check_copartitioned(settings, cluster)
    model = SentimentModel.load(settings.model)
    metrics = PipelineMetrics()
    metrics.serve(settings.app.metrics_port)
    log.info("model %s on %s; metrics on :%s", model.name, model.device, settings.app.metrics_port or "off")
    # Faust's worker wants a loop of its own; make one so it also works off the main thread's default.
    asyncio.set_event_loop(asyncio.new_event_loop())
    app = create_app(settings, model, metrics, watchlist, detector, cluster)
    worker = faust.Worker(app, loglevel=settings.app.log_level.upper(), quiet=True,
                          redirect_stdouts=False, override_logging=False)
    # Faust's start-up spinner is for terminals; in a container it writes cursor codes into the
    # log at every stop (before a JSON record, say), whether or not the output is a terminal.
    worker.spinner = None
    with Refusals() as refusals:
        if settings.kafka.refused_timeout_s > 0:
            exit_when_refused(refusals, settings.kafka.refused_timeout_s)
        worker.execute_from_commandline()


def check_copartitioned(settings: Settings, cluster: Cluster) -> None:
    """ValueError unless posts.enriched and the detector's changelog have `kafka.partitions`
    partitions. The table is co-partitioned with posts.enriched: a worker restores the states of
    the brands whose changelog partition has the number of the enriched partitions it reads. With
    other counts it would restore other brands' states, and detect each of its own brands from
    scratch after every rebalance, saying nothing (Faust does not check)."""
    want = settings.kafka.partitions
    enriched, changelog = settings.topics.enriched, changelog_topic(settings)
    counts = partition_counts(cluster, [enriched, changelog])
    if counts.get(enriched, want) != want:
        raise ValueError(f"{enriched} has {counts[enriched]} partitions, but kafka.partitions is {want}: the "
                         f"detector's state is co-partitioned with {enriched}, so they must match. Set "
                         f"kafka.partitions to {counts[enriched]}, or give the topic {want} partitions")
    if counts.get(changelog, want) != want:
        raise ValueError(f"{changelog} has {counts[changelog]} partitions, but kafka.partitions is {want}: it was "
                         f"made with the earlier setting. Set kafka.partitions back to {counts[changelog]}, or "
                         "delete that topic while every worker is stopped (each brand then learns its usual "
                         "traffic again)")
