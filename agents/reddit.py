"""Connector `reddit`: listing JSON, newest first, paged with `after`.

    GET /r/{subreddit}/new.json?limit=100&raw_json=1&after=t3_...
    GET /search.json?q=...&sort=new&limit=100&raw_json=1&after=t3_...

Each poll walks back from the newest post until it reaches what the last poll had already
seen (by creation time), so a burst larger than one page leaves no gap.
"""
from __future__ import annotations

from typing import Any

from .base import Connector, Poll, Target, read_item
from .http import HttpClient
from .normalize import rfc3339

API_BASE = "https://www.reddit.com"
OAUTH_BASE = "https://oauth.reddit.com"
MAX_PAGES = 10  # 1,000 posts: Reddit lists no further back anyway


class RedditConnector(Connector):
    name = "reddit"
    platform = "reddit"

    def __init__(self, client: HttpClient, page_size: int = 100):
        self._http, self._page_size = client, page_size

    def poll(self, target: Target, cursor: Any) -> Poll:
        if target.kind == "subreddit":
            path, params = f"/r/{target.value}/new.json", {}
        else:
            path, params = "/search.json", {"q": target.value, "sort": "new", "type": "link"}
        params.update(limit=self._page_size, raw_json=1)
        since = (cursor or {}).get("newest_utc")
        posts, skipped, newest = [], 0, since
        for _ in range(MAX_PAGES):
            body, _ = self._http.get_json(path, params)
            data = (body or {}).get("data") or {}
            children = [c.get("data") or {} for c in data.get("children") or [] if c.get("kind") == "t3"]
            reached_known = False
            for item in children:
                created = item.get("created_utc")
                if since is not None and isinstance(created, (int, float)) and created < since:
                    reached_known = True
                    continue
                post = read_item(_post, item, target)
                skipped += post is None
                if post:
                    posts.append(post)
                    newest = max(newest or created, created)
            # First run: one page is enough; later runs: walk back to the last poll.
            if reached_known or since is None or not data.get("after"):
                break
            params = {**params, "after": data["after"]}
        return Poll(posts, {"newest_utc": newest}, skipped=skipped)


def _post(item: dict[str, Any], target: Target) -> dict[str, Any] | None:
    if not item.get("name") or not isinstance(item.get("created_utc"), (int, float)):
        return None
    text = "\n\n".join(x for x in (item.get("title"), item.get("selftext")) if x)
    author = item.get("author")
    post = {
        "id": f"reddit:{item['name']}", "platform": "reddit", "brand": target.brand, "text": text,
        "created_at": rfc3339(item["created_utc"]), "author": author,
        "url": f"https://www.reddit.com{item['permalink']}" if item.get("permalink") else item.get("url"),
        "is_brand_reply": bool(target.handle and author and author.lower() == target.handle.lower()),
        "engagement": {"likes": item.get("score", 0), "replies": item.get("num_comments", 0)},
        "subreddit": item.get("subreddit"),
    }
    return {k: v for k, v in post.items() if v is not None}
