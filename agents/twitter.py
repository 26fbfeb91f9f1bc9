"""Connector `twitter`: X API v2 recent search, polled with since_id, paged with next_token.

    GET /2/tweets/search/recent?query=...&since_id=...&max_results=100
        &tweet.fields=...&expansions=author_id&user.fields=...&next_token=...

Results come newest first; the cursor moves to the first page's `meta.newest_id` only after
every page has been read and published, so a crash or a 429 mid-paging leaves no gap.
"""
from __future__ import annotations

import time
from typing import Any

from ..timeutil import format_epoch
from .base import Connector, Poll, Target, read_item
from .http import HttpClient
from .normalize import rfc3339

API_BASE = "https://api.x.com"
TWEET_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,lang"
USER_FIELDS = "username,name,public_metrics"


class TwitterConnector(Connector):
    name = "twitter"
    platform = "twitter"

    def __init__(self, client: HttpClient, backfill_s: float = 3600, page_size: int = 100):
        self._http, self._backfill_s, self._page_size = client, backfill_s, page_size

    def poll(self, target: Target, cursor: Any) -> Poll:
        params: dict[str, Any] = {
            "query": target.value, "max_results": self._page_size, "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id", "user.fields": USER_FIELDS,
        }
        if cursor:
            params["since_id"] = cursor
        else:  # first run: a short backfill rather than the whole week
            params["start_time"] = format_epoch(int(time.time() - self._backfill_s))
        posts, skipped, newest = [], 0, cursor
        while True:
            body, _ = self._http.get_json("/2/tweets/search/recent", params)
            meta = body.get("meta") or {}
            if newest == cursor and meta.get("newest_id"):
                newest = meta["newest_id"]  # the first page holds the newest tweet
            users = {u["id"]: u for u in (body.get("includes") or {}).get("users", [])}
            for tweet in body.get("data") or []:
                post = read_item(_post, tweet, users, target)
                skipped += post is None
                if post:
                    posts.append(post)
            if not meta.get("next_token"):
                return Poll(posts, newest, skipped=skipped)
            params = {**params, "next_token": meta["next_token"]}


def _post(tweet: dict[str, Any], users: dict[str, dict], target: Target) -> dict[str, Any] | None:
    if not tweet.get("id") or not tweet.get("created_at") or tweet.get("text") is None:
        return None
    user = users.get(tweet.get("author_id"), {})
    username = user.get("username")
    metrics = tweet.get("public_metrics") or {}
    replied = next((r["id"] for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None)
    post = {
        "id": f"twitter:{tweet['id']}", "platform": "twitter", "brand": target.brand,
        "text": tweet["text"], "created_at": rfc3339(tweet["created_at"]), "lang": tweet.get("lang"),
        "author": f"@{username}" if username else tweet.get("author_id"),
        "url": f"https://x.com/{username or 'i'}/status/{tweet['id']}",
        "author_followers": (user.get("public_metrics") or {}).get("followers_count"),
        "parent_id": f"twitter:{replied}" if replied else None,
        "is_brand_reply": bool(target.handle and username and username.lower() == target.handle.lstrip("@").lower()),
        "engagement": {
            "likes": metrics.get("like_count", 0), "replies": metrics.get("reply_count", 0),
            "shares": metrics.get("retweet_count", 0) + metrics.get("quote_count", 0),
        },
    }
    return {k: v for k, v in post.items() if v is not None}
