"""The Faust application: topics, the detector's table, and the two agents wired together.

Nothing here decides anything: enrichment and detection live in plain modules that `replay`
calls too. This layer moves bytes between topics and keeps detector state in a table.
"""
from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import faust

from ..detection import Detector
from ..enrichment import Model
from ..kafka_cluster import Cluster
from ..metrics import PipelineMetrics
from ..settings import Settings
from ..watchlist import Watchlist
from .codec import DetectorStateCodec
from .consumer import install as install_consumer
from .detect_agent import detect_agent
from .enrich_agent import enrich_agent
from .gaps import Gap, GapFiller, committed_offsets
from .watchdog import Progress, Watchdog, exit_stalled

log = logging.getLogger(__name__)


TABLE = "detector-state"


def changelog_topic(settings: Settings) -> str:
    """The detector table's changelog, as Faust names it."""
    return f"{settings.kafka.group_id}-{TABLE}-changelog"


@dataclass
class Topics:
    raw: faust.TopicT
    enriched: faust.TopicT
    dlq: faust.TopicT
    incidents: faust.TopicT


def create_app(settings: Settings, model: Model, metrics: PipelineMetrics, watchlist: Watchlist,
               detector: Detector, cluster: Cluster | None = None) -> faust.App:
    k = settings.kafka
    cluster = cluster or Cluster.from_settings(k)
    # Faust's default datadir is `{id}-data` in the working directory; it creates only the leaf.
    datadir = Path(settings.app.data_dir) / "faust" / k.group_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        k.group_id,
        broker=[f"kafka://{server}" for server in cluster.servers.split(",")],
        broker_credentials=cluster.faust_credentials(),
        store="memory://",
        datadir=str(datadir),
        topic_partitions=k.partitions,
        topic_replication_factor=k.replication_factor,
        producer_acks=-1,
        broker_session_timeout=k.session_timeout_s,
        broker_heartbeat_interval=k.heartbeat_interval_s,
        broker_rebalance_timeout=k.rebalance_timeout_s,
        producer_max_request_size=k.max_message_bytes,
        # Per partition; Faust says it must hold the largest message, or a worker restoring
        # a brand's state from the changelog could not fetch it (1 MiB is Faust's default).
        consumer_max_fetch_size=max(1024**2, k.max_message_bytes),
        consumer_auto_offset_reset="earliest",
        web_enabled=False,
        # Faust's default: on a rebalance, wait until the batches in hand are processed and
        # acked before offsets are committed and partitions move. Without it a killed worker's
        # replacement lost posts in about one run in four (tests/test_faults.py).
        stream_wait_empty=True,
        logging_config=None,
    )
    install_consumer(app, lambda message: metrics.rebalance_rereads.labels(message.topic).inc())
    topics = Topics(
        raw=app.topic(settings.topics.raw, key_serializer="raw", value_serializer="raw"),
        enriched=app.topic(settings.topics.enriched, key_serializer="raw", value_serializer="raw"),
        dlq=app.topic(settings.topics.dlq, key_serializer="raw", value_serializer="raw"),
        incidents=app.topic(settings.topics.incidents, key_serializer="raw", value_serializer="raw"),
    )
    # Keys are the brand's bytes, as on posts.enriched, so each brand's changelog partition is
    # the partition its posts arrive on, and a worker that takes a partition over restores the
    # states of exactly its brands (see BatchedStates). Faust takes a table's serializers from
    # key_type and value_type and ignores a schema's: bytes gives raw keys (a str key would be
    # written JSON-quoted and hash to another partition). Values are bytes too, so that
    # recovery reads the stored states back as they are, for BatchedStates to decode (a json
    # fallback would fail on compressed bytes).
    table = app.Table(TABLE, default=None, partitions=k.partitions, use_partitioner=True,
                      key_type=bytes, value_type=bytes,
                      extra_topic_configs={"max.message.bytes": str(k.max_message_bytes)})
    # Written in the core's own compressed form (state.encode).
    table.value_serializer = DetectorStateCodec(metrics.state_written, k.max_message_bytes,
                                                lambda size: metrics.detector_state_not_saved.inc())
    metrics.detector_state_limit.set(k.max_message_bytes)
    if settings.detection.max_state_kib * 1024 > k.max_message_bytes:
        log.warning("detection.max_state_kib (%d) is over kafka.max_message_bytes (%d bytes): a brand's state "
                    "can outgrow what the changelog takes", settings.detection.max_state_kib, k.max_message_bytes)
    # One thread: the model already uses every core, and order must be kept.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spillover-model")
    enrich_gaps, detect_gaps = (GapFiller(cluster, partial(_gap_found, metrics)) for _ in range(2))
    app.agent(topics.raw, name="enrich")(
        enrich_agent(topics, model, watchlist, settings.model, metrics, executor, enrich_gaps,
                     settings.detection.max_future_minutes * 60))
    app.agent(topics.enriched, name="detect")(detect_agent(topics, table, detector, metrics, detect_gaps))
    fillers = {topics.raw.get_topic_name(): enrich_gaps, topics.enriched.get_topic_name(): detect_gaps}
    progress = Progress({topic: gaps.ledger for topic, gaps in fillers.items()})
    if k.stall_timeout_s:
        watchdog = Watchdog(cluster, progress.positions, k.stall_timeout_s, exit_stalled, metrics.set_waiting,
                            settling=lambda: bool(app.rebalancing or getattr(app, "in_recovery", False)))

        @app.task
        async def watch_for_stalls() -> None:
            watchdog.start()

    @app.on_partitions_assigned.connect
    async def track_assigned_partitions(sender, assigned, **kwargs) -> None:
        mine = [(tp.topic, tp.partition) for tp in assigned if tp.topic in fillers]
        progress.assign(mine)
        for gaps in fillers.values():
            gaps.ledger.keep_only(mine)
        try:
            committed = await asyncio.get_running_loop().run_in_executor(
                None, committed_offsets, cluster, k.group_id, mine)
        except Exception as exc:  # without them only gaps after the first batch are seen
            log.warning("could not read the group's committed offsets: %s", exc)
            return
        for topic, gaps in fillers.items():
            gaps.ledger.start_at({tp: offset for tp, offset in committed.items() if tp[0] == topic})

    return app


def _gap_found(metrics: PipelineMetrics, gap: Gap, read: int, unavailable: int) -> None:
    if not read and not unavailable:  # transaction markers only: nothing was missed
        return
    log.warning("%s/%d: offsets %d-%d were never given to the agent; read %d of them directly, %d unavailable",
                gap.topic, gap.partition, gap.start, gap.stop - 1, read, unavailable)
    metrics.offset_gaps.labels(gap.topic, "read_again").inc(read)
    metrics.offset_gaps.labels(gap.topic, "unavailable").inc(unavailable)
