"""Local HTTP servers that answer like the real APIs (shapes from their public documentation).

Each keeps its data in memory so a test can add, delete and page through posts, and can be
told to answer the next request(s) with a rate-limit error.
"""
from __future__ import annotations

import calendar
import json
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse


class FakeService:
    """Routes GET requests to `self.handle(path, query, headers) -> (status, headers, body)`."""

    def __init__(self):
        self.requests: list[tuple[str, dict, dict]] = []
        self.fail_next: list[tuple[int, dict, object]] = []  # (status, headers, body) queued errors
        self.fail_when = None  # predicate(path, query) for which to pop fail_next
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                service.requests.append((url.path, query, headers))
                if service.fail_next and (service.fail_when is None or service.fail_when(url.path, query)):
                    status, extra, body = service.fail_next.pop(0)
                else:
                    status, extra, body = service.handle(url.path, query, headers)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, path, query, headers):
        return 404, {}, {"error": "not found"}

    def close(self):
        self.server.shutdown()


def iso(ts: float, facebook: bool = False) -> str:
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return text + ("+0000" if facebook else ".000Z")


class FakeGraph(FakeService):
    """Graph API: /{page}/feed and /{post}/comments with cursor paging."""

    def __init__(self, page_id: str, token: str):
        super().__init__()
        self.page_id, self.token = page_id, token
        self.posts: list[dict] = []          # newest first, as the feed lists them
        self.comments: dict[str, list[dict]] = {}

    def add_post(self, pid, message, ts, author=("Jane Doe", "u1")):
        self.posts.insert(0, {"id": f"{self.page_id}_{pid}", "message": message, "created_time": iso(ts, True),
                              "from": {"name": author[0], "id": author[1]},
                              "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/{pid}",
                              "shares": {"count": 2},
                              "reactions": {"data": [], "summary": {"total_count": 7}},
                              "comments": {"data": [], "summary": {"total_count": 0}}})
        self.comments[f"{self.page_id}_{pid}"] = []

    def add_comment(self, post, cid, message, ts, author=("Sam Roe", "u2"), parent=None):
        comment = {"id": f"{post}_{cid}", "message": message, "created_time": iso(ts, True),
                   "from": {"name": author[0], "id": author[1]}, "like_count": 1, "comment_count": 0}
        if parent:
            comment["parent"] = {"id": parent}
        self.comments[post].append(comment)

    def delete(self, object_id):
        self.posts = [p for p in self.posts if p["id"] != object_id]
        for post, items in self.comments.items():
            self.comments[post] = [c for c in items if c["id"] != object_id]

    def handle(self, path, query, headers):
        if query.get("access_token") != self.token:
            return 400, {}, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                       "code": 190, "fbtrace_id": "AbCdEf"}}
        parts = path.strip("/").split("/")
        if parts[-1] == "feed" and parts[-2] == self.page_id:
            since = float(query.get("since", 0))
            items = [p for p in self.posts
                     if calendar.timegm(time.strptime(p["created_time"], "%Y-%m-%dT%H:%M:%S+0000")) >= since]
        elif parts[-1] == "comments" and parts[-2] in self.comments:
            items = self.comments[parts[-2]]
        else:
            return 404, {}, {"error": {"message": "Unsupported get request.", "type": "GraphMethodException",
                                       "code": 100}}
        return 200, {}, self._page(path, query, items)

    def _page(self, path, query, items):
        limit, offset = int(query.get("limit", 25)), int(query.get("after", 0))
        chunk = items[offset:offset + limit]
        body = {"data": chunk, "paging": {"cursors": {"before": str(offset), "after": str(offset + limit)}}}
        if offset + limit < len(items):
            body["paging"]["next"] = f"{self.base}{path}?" + urlencode({**query, "after": offset + limit})
        return body


class FakeX(FakeService):
    """X API v2 recent search: newest first, since_id, max_results, next_token, includes.users."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token
        self.tweets: list[dict] = []  # any order; served newest first
        self.users = {"100": {"id": "100", "name": "Northwind Air", "username": "NorthwindAir",
                              "public_metrics": {"followers_count": 52000}},
                      "200": {"id": "200", "name": "Ann", "username": "ann_flies",
                              "public_metrics": {"followers_count": 310}}}

    def add(self, tid: int, text: str, ts: float, author="200", reply_to=None):
        tweet = {"id": str(tid), "text": text, "created_at": iso(ts), "author_id": author, "lang": "en",
                 "conversation_id": str(reply_to or tid), "edit_history_tweet_ids": [str(tid)],
                 "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 3, "quote_count": 0,
                                    "bookmark_count": 0, "impression_count": 50}}
        if reply_to:
            tweet["referenced_tweets"] = [{"type": "replied_to", "id": str(reply_to)}]
        self.tweets.append(tweet)

    def handle(self, path, query, headers):
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {}, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
        if path != "/2/tweets/search/recent":
            return 404, {}, {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
        matches = sorted((t for t in self.tweets if int(t["id"]) > int(query.get("since_id", 0))),
                         key=lambda t: -int(t["id"]))
        size, offset = int(query.get("max_results", 10)), int(query.get("next_token", "0") or 0)
        chunk = matches[offset:offset + size]
        headers = {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                   "x-rate-limit-reset": str(int(time.time()) + 900)}
        if not chunk:
            return 200, headers, {"meta": {"result_count": 0}}
        meta = {"newest_id": chunk[0]["id"], "oldest_id": chunk[-1]["id"], "result_count": len(chunk)}
        if offset + size < len(matches):
            meta["next_token"] = str(offset + size)
        authors = {t["author_id"] for t in chunk}
        return 200, headers, {"data": chunk, "includes": {"users": [self.users[a] for a in sorted(authors)]},
                              "meta": meta}


class FakeReddit(FakeService):
    """Reddit listings: /r/{sub}/new.json and /search.json, newest first, `after` paging."""

    def __init__(self):
        super().__init__()
        self.posts: list[dict] = []

    def add(self, pid: str, title: str, ts: float, author="traveller", selftext="", sub="travel"):
        self.posts.append({"id": pid, "name": f"t3_{pid}", "title": title, "selftext": selftext, "author": author,
                           "created_utc": float(ts), "subreddit": sub, "score": 12, "num_comments": 4,
                           "permalink": f"/r/{sub}/comments/{pid}/x/", "url": f"https://www.reddit.com/r/{sub}/comments/{pid}/x/"})

    def handle(self, path, query, headers):
        if path.startswith("/r/") and path.endswith("/new.json"):
            items = [p for p in self.posts if p["subreddit"] == path.split("/")[2]]
        elif path == "/search.json":
            items = [p for p in self.posts if query.get("q", "").lower() in (p["title"] + p["selftext"]).lower()]
        else:
            return 404, {}, {"message": "Not Found", "error": 404}
        items = sorted(items, key=lambda p: -p["created_utc"])
        limit = int(query.get("limit", 25))
        start = 0
        if query.get("after"):
            start = next(i for i, p in enumerate(items) if p["name"] == query["after"]) + 1
        chunk = items[start:start + limit]
        after = chunk[-1]["name"] if start + limit < len(items) and chunk else None
        headers = {"x-ratelimit-remaining": "99.0", "x-ratelimit-used": "1", "x-ratelimit-reset": "420"}
        return 200, headers, {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(chunk),
                                                          "children": [{"kind": "t3", "data": p} for p in chunk]}}


class FakeMastodon(FakeService):
    """Mastodon: /api/v1/timelines/tag/{tag} with min_id / since_id / max_id and Link headers."""

    def __init__(self):
        super().__init__()
        self.statuses: list[dict] = []

    def add(self, sid: int, html: str, ts: float, acct="ann@example.social", reblog=None, reply_to=None):
        self.statuses.append({
            "id": str(sid), "created_at": iso(ts), "in_reply_to_id": str(reply_to) if reply_to else None,
            "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "", "visibility": "public",
            "language": "en", "uri": f"https://example.social/users/x/statuses/{sid}",
            "url": f"https://example.social/@x/{sid}", "replies_count": 0, "reblogs_count": 2,
            "favourites_count": 5, "content": html, "reblog": reblog,
            "account": {"id": "9", "username": acct.split("@")[0], "acct": acct, "display_name": "Ann",
                        "followers_count": 120},
            "media_attachments": [], "mentions": [], "tags": [], "emojis": []})

    def handle(self, path, query, headers):
        if not path.startswith("/api/v1/timelines/tag/"):
            return 404, {}, {"error": "Record not found"}
        limit = int(query.get("limit", 20))
        items = sorted(self.statuses, key=lambda s: int(s["id"]))
        if query.get("min_id"):  # the statuses immediately newer than min_id
            chunk = [s for s in items if int(s["id"]) > int(query["min_id"])][:limit]
        else:
            chunk = [s for s in items if int(s["id"]) > int(query.get("since_id", 0))][-limit:]
        chunk = sorted(chunk, key=lambda s: -int(s["id"]))  # always served newest first
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                   "X-RateLimit-Reset": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 300))}
        if chunk:
            headers["Link"] = (f'<{self.base}{path}?max_id={chunk[-1]["id"]}>; rel="next", '
                               f'<{self.base}{path}?min_id={chunk[0]["id"]}>; rel="prev"')
        return 200, headers, chunk


class FakeFeeds(FakeService):
    """Static feeds by path, with ETag / Last-Modified and 304."""

    def __init__(self):
        super().__init__()
        self.feeds: dict[str, bytes] = {}

    def handle(self, path, query, headers):
        if path not in self.feeds:
            return 404, {"Content-Type": "text/html"}, b"<html>not found</html>"
        body = self.feeds[path]
        etag = f'"{hash(body) & 0xffffffff:x}"'
        if headers.get("if-none-match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": "application/rss+xml; charset=UTF-8", "ETag": etag,
                     "Last-Modified": formatdate(usegmt=True)}, body


# An Atom feed as a news site serves it.
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Consumer news</title><id>urn:x</id>
<updated>2026-03-02T12:00:00Z</updated>
<entry><title>Northwind faces backlash</title><link href="https://news.example/a1"/><id>urn:a1</id>
 <updated>2026-03-02T12:00:00Z</updated><author><name>Desk</name></author>
 <summary type="html">&lt;b&gt;Customers&lt;/b&gt; report lost luggage</summary></entry>
</feed>"""
