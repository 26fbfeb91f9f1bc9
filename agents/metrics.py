"""Prometheus metrics of a connector process."""
from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily


class ConnectorMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r, labels = self.registry, ["connector", "target"]
        self.fetched = Counter("spillover_connector_posts_fetched", "Items fetched from the service", labels,
                               registry=r)
        self.published = Counter("spillover_connector_posts_published", "Posts published to posts.raw", labels,
                                 registry=r)
        self.deleted = Counter("spillover_connector_posts_deleted", "Own-page posts found deleted", labels, registry=r)
        self.repeated = Counter("spillover_connector_posts_repeated",
                                "New to a target but already published by another (not published again)",
                                labels, registry=r)
        self.skipped = Counter("spillover_connector_items_skipped", "Items that could not become posts", labels,
                               registry=r)
        self.api_errors = Counter("spillover_connector_api_errors",
                                  "Failed API responses by HTTP status (0: no response)",
                                  ["connector", "status"], registry=r)
        self.rate_limit_waits = Counter("spillover_connector_rate_limit_waits", "Waits for rate limits or retries",
                                        ["connector"], registry=r)
        self.rate_limit_seconds = Counter("spillover_connector_rate_limit_wait_seconds", "Seconds spent waiting",
                                          ["connector"], registry=r)
        self._last_success: dict[tuple[str, str], float] = {}
        r.register(_SinceSuccess(self._last_success))

    def mark_success(self, connector: str, target: str) -> None:
        self._last_success[(connector, target)] = time.time()


class _SinceSuccess:
    """`spillover_connector_seconds_since_success`, computed when scraped."""

    def __init__(self, last: dict[tuple[str, str], float]):
        self._last = last

    def collect(self):
        family = GaugeMetricFamily("spillover_connector_seconds_since_success",
                                   "Seconds since the last successful poll of a target", labels=["connector", "target"])
        now = time.time()
        for (connector, target), ts in sorted(self._last.items()):
            family.add_metric([connector, target], now - ts)
        yield family
