"""The enrichment agent end to end: posts.raw -> a real worker -> posts.enriched, timed.

`spillover model bench --pipeline` runs this. A `spillover worker` process (the one production
runs) on a broker, embedded unless one is given. Three phases:

1. warm-up: a few posts at a time, until every worker has joined the group and enriched some;
2. burst: many posts sent at once, timed from the first send to the last enriched post read
   back: the agent's posts per second, Kafka and batching included;
3. steady load: posts sent at a fraction (default 80%) of that rate, each post's latency
   measured from its send to its enriched copy arriving at a reader.

Posts are the bundled scenario's, each given a fresh id, so runs never mix on a shared broker.
With `workers` > 1, that many worker processes share `posts.raw`, one partition each: on a GPU
the model is no longer what bounds a worker (its own event loop and interpreter are), and
scaling out is how a machine's accelerator is put to use.
"""
from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from .broker import configured_or_embedded
from .demo import WorkerProcess
from .enrichment import Rejection, parse
from .kafka_cluster import Broker, Cluster
from .kafka_io import ensure_topics, json_producer, read_topic
from .models.pipeline import model_name
from .records import ValidationError, decode_json
from .settings import Settings
from .streams.dlq import HEADER_REASON
from .watchlist import Watchlist


@dataclass
class Arrivals:
    """Benchmark post ids as a reader sees them: the wall time each came back enriched, or why
    the worker dead-lettered it (a post that will never come back must not be waited for)."""

    prefix: str
    seen: dict[str, float] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def follow(self, broker: Broker, topic: str, stop: threading.Event) -> None:
        for record in read_topic(broker, topic, stop=stop):
            post_id = _post_id(record.value)
            if post_id.startswith(self.prefix):
                with self.lock:
                    self.seen.setdefault(post_id, time.time())

    def follow_rejections(self, broker: Broker, dlq_topic: str, stop: threading.Event) -> None:
        for record in read_topic(broker, dlq_topic, stop=stop):
            post_id = _post_id(record.value)
            if post_id.startswith(self.prefix):
                reason = dict(record.headers or []).get(HEADER_REASON, b"").decode(errors="replace")
                with self.lock:
                    self.rejected.setdefault(post_id, reason)

    def wait_for(self, ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                lost = [i for i in ids if i in self.rejected]
                if lost:
                    raise RuntimeError(f"the worker dead-lettered {len(lost)} of the benchmark's posts "
                                       f"({lost[0]}: {self.rejected[lost[0]]})")
                if all(i in self.seen for i in ids):
                    return
            time.sleep(0.05)
        with self.lock:
            missing = sum(i not in self.seen for i in ids)
        raise TimeoutError(f"{missing} of {len(ids)} posts did not come back enriched within {timeout:.0f}s")

    def times(self, ids: list[str]) -> list[float]:
        with self.lock:
            return [self.seen[i] for i in ids]


def _post_id(value: bytes | None) -> str:
    try:
        post = decode_json(value)  # orjson: this reader keeps up with several workers' output
    except ValidationError:
        return ""
    return str(post.get("id", "")) if isinstance(post, dict) else ""


def usable_posts(lines: list[bytes], watchlist: Watchlist, max_future_s: float = 0.0) -> list[dict]:
    """The scenario posts the agent accepts (the sample's deliberately bad lines left out).

    `max_future_s` must be the worker's: the sample's post dated in 2999 parses, but the worker
    dead-letters it, and the benchmark would otherwise wait for it."""
    return [json.loads(line) for line in lines
            if not isinstance(parse(None, line, watchlist, max_future_s), Rejection)]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class AgentBench:
    def __init__(self, settings: Settings, posts: list[dict], burst: int = 3000,
                 load: float = 0.8, steady_s: float = 30.0, timeout_s: float = 600.0, workers: int = 1):
        if not posts:
            raise ValueError("no usable posts to benchmark")
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.settings = settings.replace("kafka", raw_partitions=workers)
        self.workers = workers
        self.posts, self.burst, self.load, self.steady_s = posts, burst, load, steady_s
        self.timeout_s = timeout_s
        self.arrivals = Arrivals(prefix=f"bench-{uuid.uuid4().hex[:8]}:")
        self._sent = 0

    def run(self) -> dict:
        with configured_or_embedded(self.settings.kafka) as cluster:
            return self._run(cluster)

    def _run(self, cluster: Cluster) -> dict:
        ensure_topics(self.settings, cluster)
        stop = threading.Event()
        for follow, topic in ((self.arrivals.follow, self.settings.topics.enriched),
                              (self.arrivals.follow_rejections, self.settings.topics.dlq)):
            threading.Thread(target=follow, daemon=True, args=(cluster, topic, stop)).start()
        workers = [WorkerProcess(cluster, self.settings) for _ in range(self.workers)]
        producer, failed = json_producer(cluster, client_id="spillover-bench", linger_ms=5), True
        try:
            self._warm_up(producer, workers)
            rate = self._burst(producer)
            latencies = self._steady(producer, rate * self.load)
            each = [worker.counters() for worker in workers]
            failed = False
        finally:
            stop.set()
            producer.close()
            for worker in workers:
                worker.stop(keep_files=failed)
        total: Counter[str] = Counter()
        for counters in each:
            total.update(counters)
        return self._report(rate, latencies, total, [int(c.get("spillover_posts_enriched_total", 0)) for c in each])

    def _warm_up(self, producer, workers: list[WorkerProcess]) -> None:
        """Until every worker has enriched posts: the group is then whole, and a late joiner's
        rebalance cannot fall inside the timed phases."""
        deadline = time.monotonic() + self.timeout_s
        while True:
            self.arrivals.wait_for(list(self._send(producer, 128)), self.timeout_s)
            if all(w.counters().get("spillover_posts_enriched_total", 0) > 0 for w in workers):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"not every one of {len(workers)} workers took posts within {self.timeout_s:.0f}s")

    def _send(self, producer, count: int) -> dict[str, float]:
        """Send `count` posts now; their ids with the wall time each was handed to the producer."""
        sent = {}
        for _ in range(count):
            post = dict(self.posts[self._sent % len(self.posts)], id=f"{self.arrivals.prefix}{self._sent}")
            self._sent += 1
            sent[post["id"]] = time.time()
            producer.send(self.settings.topics.raw, key=post["id"], value=post)
        producer.flush()
        return sent

    def _burst(self, producer) -> float:
        sent = self._send(producer, self.burst)
        self.arrivals.wait_for(list(sent), self.timeout_s)
        return len(sent) / (max(self.arrivals.times(list(sent))) - min(sent.values()))

    def _steady(self, producer, rate: float) -> list[float]:
        """Send at `rate` posts/s for steady_s seconds; each post's latency in seconds."""
        sent: dict[str, float] = {}
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < self.steady_s:
            due = int(elapsed * rate) + 1 - len(sent)
            if due > 0:
                sent |= self._send(producer, due)
            time.sleep(0.01)
        self.arrivals.wait_for(list(sent), self.timeout_s)
        return [arrived - sent[i] for i, arrived in zip(sent, self.arrivals.times(list(sent)))]

    def _report(self, rate: float, latencies: list[float], counters: dict[str, float],
                enriched_by_worker: list[int]) -> dict:
        ms = [x * 1000 for x in latencies]
        batches = counters.get("spillover_model_batch_size_count") or 1
        return {
            "posts_per_second": round(rate, 1), "burst_posts": self.burst,
            "steady_rate": round(rate * self.load, 1), "steady_posts": len(ms), "steady_seconds": self.steady_s,
            "latency_ms": {"p50": round(statistics.median(ms)), "p95": round(percentile(ms, 0.95)),
                           "p99": round(percentile(ms, 0.99)), "max": round(max(ms))},
            "max_batch": self.settings.model.max_batch, "batch_wait_s": self.settings.model.batch_wait_s,
            "mean_batch": round(counters.get("spillover_model_batch_size_sum", 0) / batches, 1),
            "model_seconds": round(counters.get("spillover_model_batch_seconds_sum", 0), 1),
            "model": model_name(self.settings.model),
            "device": self.settings.model.device, "workers": self.workers,
            "enriched_by_worker": enriched_by_worker,
        }
