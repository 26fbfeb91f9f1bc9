"""Which connectors exist, what credentials and endpoints they use, and their targets."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Callable

from ..watchlist import Watchlist
from . import facebook, mastodon, reddit, rss, twitter
from .base import Connector, Target
from .http import HttpClient
from .metrics import ConnectorMetrics

USER_AGENT = "spillover/0.1 (+https://github.com/spillover/spillover)"


@dataclass(frozen=True)
class Source:
    name: str
    api_base: str
    token_env: str | None
    token_required: bool
    token_help: str = ""


SOURCES = {
    "facebook": Source("facebook", facebook.API_BASE, "SPILLOVER_FACEBOOK_TOKEN", True,
                       "a Graph API page access token with pages_read_engagement"),
    "twitter": Source("twitter", twitter.API_BASE, "SPILLOVER_TWITTER_BEARER_TOKEN", True,
                      "an X API v2 app bearer token (Basic tier or above for recent search)"),
    "rss": Source("rss", "", None, False),
    "reddit": Source("reddit", reddit.API_BASE, "SPILLOVER_REDDIT_TOKEN", False,
                     "an OAuth bearer token (script app); without it the public JSON is used"),
    "mastodon": Source("mastodon", mastodon.API_BASE, "SPILLOVER_MASTODON_TOKEN", False,
                       "an access token with read:statuses; public tag timelines need none"),
}


def credential(source: Source, env: dict[str, str] | None = None) -> str | None:
    env = os.environ if env is None else env
    token = env.get(source.token_env) if source.token_env else None
    if source.token_required and not token:
        raise ValueError(f"connect {source.name} needs {source.token_env}: {source.token_help}")
    return token or None


def build(name: str, api_base: str | None, metrics: ConnectorMetrics, *, lookback_s: float,
          env: dict[str, str] | None = None,
          sleep: Callable[[float], None] | None = None) -> tuple[Connector, HttpClient]:
    source = SOURCES[name]
    token = credential(source, env)
    base = api_base or (reddit.OAUTH_BASE if name == "reddit" and token else source.api_base)
    headers = {"User-Agent": USER_AGENT}
    if token and name != "facebook":  # the Graph API takes its token as a parameter
        headers["Authorization"] = f"Bearer {token}"
    def on_status(status: int) -> None:
        if status == 0 or status >= 400:
            metrics.api_errors.labels(name, str(status)).inc()

    def on_wait(seconds: float) -> None:
        metrics.rate_limit_waits.labels(name).inc()
        metrics.rate_limit_seconds.labels(name).inc(seconds)

    client = HttpClient(
        base, headers, on_status=on_status, on_wait=on_wait,
        throttle=facebook.throttle_wait if name == "facebook" else (lambda r: None),
        **({"sleep": sleep} if sleep else {}),
    )
    connector = {
        "facebook": lambda: facebook.FacebookConnector(client, token or "", lookback_s=lookback_s),
        "twitter": lambda: twitter.TwitterConnector(client),
        "rss": lambda: rss.RssConnector(client),
        "reddit": lambda: reddit.RedditConnector(client),
        "mastodon": lambda: mastodon.MastodonConnector(client, base),
    }[name]()
    return connector, client


def watchlist_targets(name: str, watchlist: Watchlist) -> list[Target]:
    """The targets the watchlist names for this connector.

        facebook: {pages: [ID]}          twitter: {queries: [Q]}
        rss: {feeds: [URL], own_feeds: [URL]}
        reddit: {subreddits: [NAME], queries: [Q]}     mastodon: {tags: [TAG]}
        handles: {facebook: PAGE_ID, twitter: NAME, reddit: NAME, mastodon: ACCT, blog: AUTHOR}
    """
    targets = []
    for brand in watchlist.brands:
        spec = brand.targets.get(name) or {}
        handles = brand.targets.get("handles") or {}
        handle = handles.get("blog" if name == "rss" else name)
        make = functools.partial(_target, brand=brand.name, handle=handle)
        if name == "facebook":
            targets += [make("page", p, own=True) for p in spec.get("pages", [])]
        elif name == "twitter":
            targets += [make("query", q) for q in spec.get("queries", [])]
        elif name == "rss":
            targets += [make("feed", u) for u in spec.get("feeds", [])]
            targets += [make("feed", u, own=True) for u in spec.get("own_feeds", [])]
        elif name == "reddit":
            targets += [make("subreddit", s) for s in spec.get("subreddits", [])]
            targets += [make("search", q) for q in spec.get("queries", [])]
        elif name == "mastodon":
            targets += [make("tag", t) for t in spec.get("tags", [])]
    return targets


def _target(kind: str, value, own: bool = False, *, brand: str, handle: str | None) -> Target:
    return Target(kind, str(value), brand, own, handle)
