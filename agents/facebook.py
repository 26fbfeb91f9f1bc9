"""Connector `facebook`: a page's feed and every post's comments (replies included), Graph API.

    GET /{page-id}/feed?fields=...&since=...&limit=100      then paging.next
    GET /{post-id}/comments?filter=stream&fields=...         then paging.next

The page is the brand's own, so each poll re-lists the last `lookback` window: posts and
comments that were published before and are no longer listed come back with `deleted: true`.
"""
from __future__ import annotations

import json
import time
from typing import Any, Iterator

import httpx

from ..timeutil import to_epoch
from .base import Connector, Poll, Target, read_item
from .http import HttpClient
from .normalize import rfc3339

API_BASE = "https://graph.facebook.com/v19.0"
POST_FIELDS = ("id,message,created_time,from,permalink_url,shares,"
               "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)")
COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url,like_count,comment_count"
# Graph API throttling codes: application, user, page, and custom-level limits.
THROTTLE_CODES = {4, 17, 32, 613, 80001}


def throttle_wait(response: httpx.Response) -> float | None:
    """Seconds to wait when the Graph API says we are throttled (it answers 400/403, not 429)."""
    if response.status_code not in (400, 403):
        return None
    try:
        code = response.json().get("error", {}).get("code")
    except ValueError:
        return None
    if code not in THROTTLE_CODES:
        return None
    usage = response.headers.get("x-business-use-case-usage") or response.headers.get("x-app-usage") or ""
    minutes = [v for v in _regain_minutes(usage) if v]
    return 60.0 * max(minutes) if minutes else 60.0


def _regain_minutes(usage: str) -> Iterator[float]:
    try:
        data = json.loads(usage)
    except ValueError:
        return
    for entries in (data.values() if isinstance(data, dict) else []):
        for entry in entries if isinstance(entries, list) else []:
            yield float(entry.get("estimated_time_to_regain_access") or 0)


class FacebookConnector(Connector):
    name = "facebook"
    platform = "facebook"

    def __init__(self, client: HttpClient, token: str, lookback_s: float = 2 * 86400, page_size: int = 100):
        self._http, self._token = client, token
        self._lookback_s, self._page_size = lookback_s, page_size

    def poll(self, target: Target, cursor: Any) -> Poll:
        since = int(time.time() - self._lookback_s)
        if cursor and cursor.get("newest"):  # down for longer than the lookback: no gap either
            since = min(since, int(to_epoch(cursor["newest"])))
        posts, skipped = [], 0
        for item in self._pages(f"/{target.value}/feed", {"fields": POST_FIELDS, "since": since}):
            post = read_item(self._post, item, target)
            if post is None:
                skipped += 1
                continue
            posts.append(post)
            for comment in self._pages(f"/{item['id']}/comments", {"fields": COMMENT_FIELDS, "filter": "stream"}):
                converted = read_item(self._comment, comment, item["id"], target)
                if converted is None:
                    skipped += 1
                else:
                    posts.append(converted)
        newest = max((p["created_at"] for p in posts), default=(cursor or {}).get("newest"))
        # The whole window was listed, so anything we published from it and do not see is gone.
        return Poll(posts, {"newest": newest}, listed_ids={p["id"] for p in posts},
                    listed_since=float(since), skipped=skipped)

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        url, params = path, {**params, "limit": self._page_size, "access_token": self._token}
        while url:
            body, _ = self._http.get_json(url, params)
            yield from body.get("data", [])
            url = (body.get("paging") or {}).get("next")
            params = None  # the next URL carries every parameter (and the token)

    def _post(self, item: dict[str, Any], target: Target) -> dict[str, Any] | None:
        if not item.get("id") or not item.get("created_time"):
            return None
        author = item.get("from") or {}
        return _clean({
            "id": f"facebook:{item['id']}", "platform": "facebook", "brand": target.brand,
            "text": item.get("message") or "", "created_at": rfc3339(item["created_time"]),
            "author": author.get("name"), "url": item.get("permalink_url"),
            "is_brand_reply": author.get("id") == target.value or None,
            "engagement": {
                "likes": _total(item.get("reactions")), "replies": _total(item.get("comments")),
                "shares": (item.get("shares") or {}).get("count", 0),
            },
        })

    def _comment(self, item: dict[str, Any], post_id: str, target: Target) -> dict[str, Any] | None:
        if not item.get("id") or not item.get("created_time"):
            return None
        author = item.get("from") or {}
        parent = (item.get("parent") or {}).get("id") or post_id
        return _clean({
            "id": f"facebook:{item['id']}", "platform": "facebook", "brand": target.brand,
            "text": item.get("message") or "", "created_at": rfc3339(item["created_time"]),
            "author": author.get("name"), "url": item.get("permalink_url"),
            "parent_id": f"facebook:{parent}",
            # The page answering its own commenters: the brand's reply.
            "is_brand_reply": author.get("id") == target.value,
            "engagement": {"likes": item.get("like_count", 0), "replies": item.get("comment_count", 0)},
        })


def _total(edge: dict[str, Any] | None) -> int:
    return ((edge or {}).get("summary") or {}).get("total_count", 0)


def _clean(post: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in post.items() if v is not None}
