"""Connector `rss`: any RSS 0.9x/1.0/2.0 or Atom feed, WordPress post and comment feeds included.

Parsed with feedparser; fetched with conditional GET (ETag / Last-Modified), so an unchanged
feed costs one 304. A feed only shows its latest entries, so for the brand's own feeds an entry
counts as deleted only when newer entries than it are still listed.
"""
from __future__ import annotations

import logging
from typing import Any

import feedparser

from ..timeutil import to_epoch
from .base import Connector, Poll, Target, read_item
from .http import ApiError, HttpClient
from .normalize import html_to_text, rfc3339

log = logging.getLogger(__name__)


class RssConnector(Connector):
    name = "rss"
    platform = "blog"

    def __init__(self, client: HttpClient):
        self._http = client

    def poll(self, target: Target, cursor: Any) -> Poll:
        cursor = cursor or {}
        headers = {k: v for k, v in (("If-None-Match", cursor.get("etag")),
                                     ("If-Modified-Since", cursor.get("modified"))) if v}
        response = self._http.get(target.value, headers=headers)
        if response.status_code == 304:
            return Poll([], cursor)
        feed = feedparser.parse(response.content, response_headers=dict(response.headers))
        if feed.bozo and not feed.entries:
            raise ApiError(response.status_code, f"{target.value}: not a feed ({feed.get('bozo_exception')!r})")
        posts, skipped = [], 0
        for entry in feed.entries:
            post = read_item(_post, entry, target)
            skipped += post is None
            if post:
                posts.append(post)
        new_cursor = {"etag": response.headers.get("etag"), "modified": response.headers.get("last-modified")}
        oldest = min((to_epoch(p["created_at"]) for p in posts), default=None)
        return Poll(posts, new_cursor, listed_ids={p["id"] for p in posts},
                    listed_since=oldest, skipped=skipped)


def _post(entry: Any, target: Target) -> dict[str, Any] | None:
    link = entry.get("link")
    ident = link or entry.get("id")
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if not ident or not stamp:
        return None  # without a time it has no place in event time
    body = entry.get("content", [{}])[0].get("value") if entry.get("content") else entry.get("summary")
    text = "\n".join(x for x in (html_to_text(entry.get("title")), html_to_text(body)) if x)
    author = entry.get("author")
    # WordPress comment links are the post's link plus #comment-N.
    parent = link.split("#", 1)[0] if link and "#comment-" in link else None
    post = {
        "id": f"blog:{ident}", "platform": "blog", "brand": target.brand, "text": text,
        "created_at": rfc3339(stamp), "author": author, "url": link,
        "parent_id": f"blog:{parent}" if parent else None,
        "is_brand_reply": bool(target.handle and author and author.lower() == target.handle.lower()),
        "feed": target.value,
    }
    return {k: v for k, v in post.items() if v is not None}
