"""Connector `mastodon`: hashtag timelines, read forward with `min_id` so nothing is skipped.

    GET /api/v1/timelines/tag/{tag}?limit=40&min_id=...

`since_id` would return the newest page and silently skip whatever lies between; `min_id`
returns the statuses immediately after the cursor, so we page forward until a page is empty.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from .base import Connector, Poll, Target, read_item
from .http import HttpClient
from .normalize import html_to_text, rfc3339

API_BASE = "https://mastodon.social"
MAX_PAGES = 25


class MastodonConnector(Connector):
    name = "mastodon"
    platform = "mastodon"

    def __init__(self, client: HttpClient, api_base: str, page_size: int = 40):
        self._http, self._page_size = client, page_size
        self._host = urlparse(api_base).netloc or "mastodon"

    def poll(self, target: Target, cursor: Any) -> Poll:
        posts, skipped, newest = [], 0, cursor
        for _ in range(MAX_PAGES):
            params = {"limit": self._page_size, "min_id": newest}
            statuses, _ = self._http.get_json(f"/api/v1/timelines/tag/{target.value.lstrip('#')}", params)
            if not statuses:
                break
            for status in statuses:
                post = read_item(self._post, status, target)
                skipped += post is None
                if post:
                    posts.append(post)
            newest = max((s["id"] for s in statuses if s.get("id")), key=int, default=newest)
            if cursor is None:
                break  # first run: the newest page only
        return Poll(posts, newest, skipped=skipped)

    def _post(self, status: dict[str, Any], target: Target) -> dict[str, Any] | None:
        if status.get("reblog") or not status.get("id") or not status.get("created_at"):
            return None  # a boost repeats someone else's status
        account = status.get("account") or {}
        acct = account.get("acct")
        text = html_to_text(status.get("content"))
        if status.get("spoiler_text"):
            text = f"{status['spoiler_text']}\n{text}"
        reply_to = status.get("in_reply_to_id")
        post = {
            "id": f"mastodon:{self._host}:{status['id']}", "platform": "mastodon", "brand": target.brand,
            "text": text, "created_at": rfc3339(status["created_at"]), "lang": status.get("language"),
            "author": acct, "url": status.get("url") or status.get("uri"),
            "author_followers": account.get("followers_count"),
            "parent_id": f"mastodon:{self._host}:{reply_to}" if reply_to else None,
            "is_brand_reply": bool(target.handle and acct and acct.lower() == target.handle.lstrip("@").lower()),
            "engagement": {"likes": status.get("favourites_count", 0), "shares": status.get("reblogs_count", 0),
                           "replies": status.get("replies_count", 0)},
        }
        return {k: v for k, v in post.items() if v is not None}
