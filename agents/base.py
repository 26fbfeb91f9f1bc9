"""The contract every connector fulfils, and the runner that does the rest for all of them.

A connector only knows its service: `poll(target, cursor)` fetches what is new (following the
service's paging) and turns it into RawPost dicts. The runner de-duplicates (within a target
and across the connector's targets), notices deleted posts on the brand's own pages,
publishes (waiting out Kafka outages), and only then commits the checkpoint, so a restart
neither skips nor repeats posts.
"""
from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

from ..timeutil import to_epoch
from .checkpoint import CheckpointStore
from .http import ApiError
from .metrics import ConnectorMetrics
from .publisher import Publisher

log = logging.getLogger(__name__)
# What reading an answer shaped unlike the API's raises: a field missing, a list where an
# object belongs, a date that does not parse.
UNREADABLE = (KeyError, IndexError, TypeError, ValueError, AttributeError)


def read_item(to_post: Callable[..., dict[str, Any] | None], item: Any, *args: Any) -> dict[str, Any] | None:
    """The post `to_post` makes of one item of an answer, or None (skipped, and counted so)
    when the item cannot be read. One malformed item would otherwise fail its target's poll
    at every retry, since the cursor moves only past a poll that succeeds."""
    try:
        return to_post(item, *args)
    except UNREADABLE as exc:
        log.warning("skipped an unreadable item (%s: %s): %.200r", type(exc).__name__, exc, item)
        return None


@dataclass(frozen=True)
class Target:
    """One thing to poll: a page, a query, a feed, a subreddit, a tag."""

    kind: str                 # page | query | feed | subreddit | search | tag
    value: str
    brand: str | None = None
    own: bool = False         # the brand's own page: watch it for deleted posts
    handle: str | None = None  # the brand's account here, to mark its replies

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass
class Poll:
    """What one poll of one target found."""

    posts: list[dict[str, Any]]
    cursor: Any
    # For own pages: every id still visible for posts written since `listed_since` (epoch).
    listed_ids: set[str] | None = None
    listed_since: float | None = None
    skipped: int = 0          # items the service returned that could not become posts


class Connector(ABC):
    name: str = ""       # the command's name: facebook, twitter, rss, ...
    platform: str = ""   # what its posts say in `platform`

    @abstractmethod
    def poll(self, target: Target, cursor: Any) -> Poll:
        """Fetch what is new for `target` since `cursor`; raise ApiError when the service fails."""


@dataclass
class PollReport:
    target: Target
    fetched: int = 0
    published: int = 0
    deleted: int = 0
    skipped: int = 0
    repeated: int = 0        # new here, but another target already published them
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self, connector: str) -> str:
        brand = f" ({self.target.brand})" if self.target.brand else ""
        if self.error:
            return f"{connector} {self.target.kind} {self.target.value}{brand}: poll failed: {self.error}"
        repeated = f" ({self.repeated} more already published by another target)" if self.repeated else ""
        return (f"{connector} {self.target.kind} {self.target.value}{brand}: fetched {self.fetched}, "
                f"published {self.published} new{repeated}, {self.deleted} deleted, {self.skipped} skipped")


def no_targets(connector: str) -> str:
    return f"no {connector} targets: add them to the watchlist or pass one on the command line"


class Runner:
    def __init__(self, connector: Connector, targets: list[Target], store: CheckpointStore,
                 publisher: Publisher, metrics: ConnectorMetrics, interval_s: float = 60.0):
        if not targets:
            raise ValueError(no_targets(connector.name))
        self.connector, self.targets = connector, targets
        self.store, self.publisher, self.metrics = store, publisher, metrics
        self.interval_s = interval_s

    def poll_once(self) -> list[PollReport]:
        reports = [self._poll_target(t) for t in self.targets]
        for report in reports:
            (log.error if report.error else log.info)("%s", report.line(self.connector.name))
        return reports

    def run(self, once: bool = False, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            started = time.monotonic()
            self.poll_once()
            if once:
                return
            stop.wait(max(0.0, self.interval_s - (time.monotonic() - started)))

    def _poll_target(self, target: Target) -> PollReport:
        report = PollReport(target)
        labels = (self.connector.name, target.key)
        try:
            poll = self.connector.poll(target, self.store.cursor(target.key))
        except ApiError as exc:
            report.error = str(exc)
            return report
        except UNREADABLE as exc:  # an answer shaped unlike the API's: this target fails, not the process
            log.exception("%s %s: unreadable answer", self.connector.name, target.key)
            self.metrics.api_errors.labels(self.connector.name, "unreadable").inc()
            report.error = f"unreadable answer ({type(exc).__name__}: {exc})"
            return report
        report.fetched, report.skipped = len(poll.posts), poll.skipped
        fresh = self._fresh(target, poll.posts)
        # A tweet that matches two of a brand's queries, a post in a watched subreddit that a
        # search finds too: published once, or the detector would count one complaint twice.
        # This target still records it, so its own-page deletion watch sees it.
        elsewhere = set(p["id"] for p in fresh) - self.store.unseen(None, (p["id"] for p in fresh))
        new = [p for p in fresh if p["id"] not in elsewhere]
        gone = self._deleted(target, poll)
        self.publisher.publish(new + gone)
        self.store.commit(target.key, poll.cursor, fresh, owned=target.own, deleted=[p["id"] for p in gone])
        report.published, report.deleted, report.repeated = len(new), len(gone), len(elsewhere)
        self.metrics.fetched.labels(*labels).inc(report.fetched)
        self.metrics.published.labels(*labels).inc(report.published + report.deleted)
        self.metrics.repeated.labels(*labels).inc(report.repeated)
        self.metrics.deleted.labels(*labels).inc(report.deleted)
        self.metrics.skipped.labels(*labels).inc(report.skipped)
        self.metrics.mark_success(*labels)
        return report

    def _fresh(self, target: Target, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """New posts only, once each, oldest first (a reader sees them in event-time order)."""
        by_id = {p["id"]: p for p in posts}
        unseen = self.store.unseen(target.key, by_id)
        return sorted((by_id[i] for i in unseen), key=lambda p: (to_epoch(p["created_at"]), p["id"]))

    def _deleted(self, target: Target, poll: Poll) -> list[dict[str, Any]]:
        """Posts we published from the brand's own page that the page no longer shows."""
        if not target.own or poll.listed_ids is None or poll.listed_since is None:
            return []
        owned = self.store.owned_since(target.key, poll.listed_since)
        return [{**post, "deleted": True} for pid, post in sorted(owned.items()) if pid not in poll.listed_ids]
