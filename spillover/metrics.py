"""Prometheus metrics of the stream workers. One instance per process, passed to who needs it."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30)
STATE_BUCKETS = tuple(2 ** k * 1024 for k in range(4, 14))  # 16 KiB to 8 MiB
# A brand's state encodes in a few milliseconds (BENCHMARKS.md); the latency buckets start at 10.
ENCODE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)


# Any lower-case name is a valid platform, and each label value is a series Prometheus keeps:
# a producer that made up names would otherwise grow them without bound.
MAX_PLATFORM_LABELS = 32
OTHER_PLATFORMS = "other"


class PipelineMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        self._largest_state = 0
        self._platforms: set[str] = set()
        self._waiting_labels: set[tuple[str, str]] = set()
        r = self.registry
        self.posts_in = Counter("spillover_posts_in", "Valid posts read from posts.raw", ["platform"], registry=r)
        self.posts_out = Counter("spillover_posts_enriched", "Posts written to posts.enriched", ["platform"],
                                 registry=r)
        self.dlq = Counter("spillover_dlq", "Messages sent to the dead-letter topic", ["reason"], registry=r)
        self.model_batch_seconds = Histogram("spillover_model_batch_seconds", "Model time per batch",
                                             buckets=LATENCY_BUCKETS, registry=r)
        self.model_batch_size = Histogram("spillover_model_batch_size", "Posts per model batch",
                                          buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=r)
        self.enrich_latency = Histogram("spillover_enrich_latency_seconds",
                                        "From the post's arrival on posts.raw to its send on posts.enriched",
                                        buckets=LATENCY_BUCKETS, registry=r)
        self.detector_posts = Counter("spillover_detector_posts", "Enriched posts the detector processed",
                                      ["platform"], registry=r)
        self.detector_too_late = Counter("spillover_detector_too_late_posts",
                                         "Posts older than any detection window still kept", registry=r)
        self.detector_repeated = Counter("spillover_detector_repeated_posts",
                                         "Posts delivered again after being counted (ignored)", registry=r)
        self.incidents = Counter("spillover_incidents", "Incident events emitted", ["status"], registry=r)
        self.rebalance_rereads = Counter("spillover_rebalance_rereads",
                                         "Messages fetched before a rebalance, left to be read again after it",
                                         ["topic"], registry=r)
        self.offset_gaps = Counter("spillover_offset_gaps",
                                   "Offsets an agent was never given: read again directly, or unavailable",
                                   ["topic", "outcome"], registry=r)
        self.waiting = Gauge("spillover_consumer_waiting_messages",
                             "Messages on the worker's partitions its agents have not handled yet",
                             ["topic", "partition"], registry=r)
        self.event_time_lag = Gauge("spillover_detector_watermark_lag_seconds",
                                    "Wall clock minus the newest event time the detector has seen", registry=r)
        self.detector_state_bytes = Histogram("spillover_detector_state_bytes",
                                              "Size of each brand state written to the table's changelog",
                                              buckets=STATE_BUCKETS, registry=r)
        self.detector_state_largest = Gauge("spillover_detector_state_largest_bytes",
                                            "The largest brand state this worker has written", registry=r)
        self.detector_state_limit = Gauge("spillover_detector_state_limit_bytes",
                                          "kafka.max_message_bytes: a larger state cannot be written", registry=r)
        self.detector_state_not_saved = Counter("spillover_detector_state_not_saved",
                                                "Brand states too large for the changelog, not saved", registry=r)
        self.detector_state_unreadable = Counter("spillover_detector_state_unreadable",
                                                 "Stored brand states this worker could not read: started afresh",
                                                 registry=r)
        self.detector_state_encode = Histogram("spillover_detector_state_encode_seconds",
                                               "Time to encode one brand state for the changelog",
                                               buckets=ENCODE_BUCKETS, registry=r)

    def platform(self, name: str) -> str:
        """The label of a platform: its name for the first MAX_PLATFORM_LABELS names seen, then
        "other"."""
        if name in self._platforms:
            return name
        if len(self._platforms) < MAX_PLATFORM_LABELS:
            self._platforms.add(name)
            return name
        return OTHER_PLATFORMS

    def state_written(self, size: int, seconds: float = 0.0) -> None:
        self.detector_state_bytes.observe(size)
        self.detector_state_encode.observe(seconds)
        if size > self._largest_state:
            self._largest_state = size
            self.detector_state_largest.set(size)

    def set_waiting(self, waiting: dict[tuple[str, int], int]) -> None:
        """Messages waiting per partition; partitions the worker no longer has are dropped."""
        labels = {(topic, str(partition)): n for (topic, partition), n in waiting.items()}
        for gone in self._waiting_labels - labels.keys():
            self.waiting.remove(*gone)
        self._waiting_labels = set(labels)
        for (topic, partition), n in labels.items():
            self.waiting.labels(topic, partition).set(n)

    def serve(self, port: int, addr: str = "0.0.0.0") -> None:
        """Expose /metrics on `port` (0: do nothing)."""
        serve_metrics(self.registry, port, addr)


def serve_metrics(registry: CollectorRegistry, port: int, addr: str = "0.0.0.0") -> None:
    """Serve a registry's /metrics on `port` (0: do nothing); a port in use is an error that says
    which, not a bare "Address already in use"."""
    if not port:
        return
    try:
        start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        raise OSError(f"cannot serve metrics on port {port} ({exc.strerror or exc}); "
                      f"pick another with --metrics-port") from None
