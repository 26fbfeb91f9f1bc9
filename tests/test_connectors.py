"""Connectors against local servers that answer like the real APIs, publishing to the broker."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from fake_services import ATOM, FakeFeeds, FakeGraph, FakeMastodon, FakeReddit, FakeX
from tcp_proxy import TcpProxy

from spillover.agents.base import Runner, Target
from spillover.agents.checkpoint import CheckpointStore
from spillover.agents.facebook import FacebookConnector, throttle_wait
from spillover.agents.http import HttpClient
from spillover.agents.metrics import ConnectorMetrics
from spillover.agents.publisher import Publisher
from spillover.agents.registry import build
from spillover.agents.replay import Acknowledged
from spillover.broker import EmbeddedBroker, free_port
from spillover.cli.main import main
from spillover.kafka_io import ensure_topics, read_topic
from spillover.records import RawPost
from spillover.settings import load_settings

pytestmark = pytest.mark.broker
NOW = time.time()
SECRET = "EAAB-page-token-7f3a"


@pytest.fixture
def kafka(broker):
    tag = uuid.uuid4().hex[:8]
    settings = load_settings({"kafka.broker": broker}, env={}).replace("topics", raw=f"raw-{tag}")
    ensure_topics(settings, broker)
    return settings


def published(settings) -> list[dict]:
    posts = [json.loads(r.value) for r in read_topic(settings.kafka.broker, settings.topics.raw, idle_timeout=2)]
    for post in posts:
        RawPost.from_dict(post)  # every message is a valid RawPost
    return posts


class Harness:
    """A connector with its checkpoint file, publisher and metrics; `restart()` starts afresh."""

    def __init__(self, settings, tmp_path, connector_factory, targets):
        self.settings, self.path = settings, tmp_path / "state.sqlite"
        self.factory, self.targets = connector_factory, targets
        self.sleeps: list[float] = []
        self.metrics = ConnectorMetrics()
        self.restart()

    def restart(self):
        self.store = CheckpointStore(self.path)
        self.publisher = Publisher(self.settings.kafka.broker, self.settings.topics.raw, "test")
        self.runner = Runner(self.factory(self), self.targets, self.store, self.publisher, self.metrics, interval_s=0)

    def client(self, base, **kw):
        return HttpClient(base, sleep=self.sleeps.append, **kw)

    def poll(self):
        (report,) = self.runner.poll_once()
        return report


def by_id(posts):
    return {p["id"]: p for p in posts}


# -- facebook ---------------------------------------------------------------------------------

def graph_with_story():
    g = FakeGraph("555", SECRET)
    g.add_post("1", "Lost my bag on NW12 😡 — naïve café staff shrugged", NOW - 3600)
    g.add_comment("555_1", "c1", "Same here!! 🧳", NOW - 3000)
    g.add_comment("555_1", "c2", "We're sorry, please DM us your file number.", NOW - 2000,
                  author=("Northwind Air", "555"), parent="555_1_c1")
    for i in range(25):
        g.add_post(f"p{i}", f"ordinary post {i}", NOW - 7200 - i * 60)
    return g


def facebook_harness(kafka, tmp_path, g):
    return Harness(kafka, tmp_path, lambda h: FacebookConnector(
        h.client(g.base, throttle=throttle_wait), SECRET, page_size=10),
        [Target("page", "555", "Northwind Air", own=True, handle="555")])


def test_facebook_feed_comments_and_replies_published_once(kafka, tmp_path):
    g = graph_with_story()
    h = facebook_harness(kafka, tmp_path, g)
    report = h.poll()
    posts = by_id(published(kafka))
    assert report.published == len(posts) == 28  # 26 posts over three pages + 2 comments
    story, reply = posts["facebook:555_1"], posts["facebook:555_1_c2"]
    assert story["text"].startswith("Lost my bag on NW12 😡") and story["brand"] == "Northwind Air"
    assert story["created_at"].endswith("Z") and story["engagement"]["likes"] == 7
    assert posts["facebook:555_1_c1"]["parent_id"] == "facebook:555_1"
    assert reply["is_brand_reply"] is True and reply["parent_id"] == "facebook:555_1_c1"
    assert not posts["facebook:555_1_c1"].get("is_brand_reply")


def test_facebook_restart_repeats_nothing_and_429_mid_paging_loses_nothing(kafka, tmp_path):
    g = graph_with_story()
    h = facebook_harness(kafka, tmp_path, g)
    h.poll()
    h.restart()  # a new process: same checkpoint file
    assert h.poll().published == 0
    for i in range(12):
        g.add_comment("555_1", f"n{i}", f"new complaint {i}", NOW - 600 + i)
    g.fail_when = lambda path, query: path.endswith("/comments") and query.get("after") == "10"
    g.fail_next.append((429, {"Retry-After": "3"}, {"error": {"message": "slow down"}}))
    assert h.poll().published == 12
    assert 3.0 in h.sleeps
    posts = published(kafka)
    assert len(posts) == len(by_id(posts)) == 40  # every id exactly once


def test_facebook_deleted_comment_comes_back_marked_deleted(kafka, tmp_path):
    g = graph_with_story()
    h = facebook_harness(kafka, tmp_path, g)
    h.poll()
    g.delete("555_1_c1")
    report = h.poll()
    assert report.deleted == 1 and report.published == 0
    deleted = [p for p in published(kafka) if p.get("deleted")]
    assert [p["id"] for p in deleted] == ["facebook:555_1_c1"] and deleted[0]["text"] == "Same here!! 🧳"
    assert h.poll().deleted == 0  # reported once


def test_facebook_throttling_codes_wait_and_bad_tokens_fail_clearly(kafka, tmp_path):
    g = graph_with_story()
    h = facebook_harness(kafka, tmp_path, g)
    usage = json.dumps({"555": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 2}]})
    g.fail_next.append((400, {"X-Business-Use-Case-Usage": usage},
                        {"error": {"message": "User request limit reached", "type": "OAuthException", "code": 17}}))
    assert h.poll().published == 28
    assert h.sleeps == [120.0]
    g.token = "rotated"
    report = h.poll()
    assert report.error and "400" in report.error and SECRET not in report.error


# -- twitter ----------------------------------------------------------------------------------

def twitter_harness(kafka, tmp_path, x):
    return Harness(kafka, tmp_path, lambda h: __import__("spillover.agents.twitter", fromlist=["x"]).TwitterConnector(
        h.client(x.base, headers={"Authorization": "Bearer tok"})),
        [Target("query", "northwind -is:retweet", "Northwind Air", handle="NorthwindAir")])


def test_twitter_pages_through_a_429_and_polls_on_from_newest_id(kafka, tmp_path):
    x = FakeX("tok")
    for i in range(1, 251):
        x.add(1000 + i, f"tweet {i} about northwind ✈️", NOW - 3000 + i)
    x.add(2000, "@ann_flies we are sorry, DM us", NOW - 100, author="100", reply_to=1250)
    h = twitter_harness(kafka, tmp_path, x)
    x.fail_when = lambda path, query: query.get("next_token") == "200"
    # The reset lies far enough ahead that however slow the pages before it, the wait the
    # client sleeps is the header's, not a backoff guess (sleeps are recorded, not slept).
    x.fail_next.append((429, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + 120)},
                        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
                         "status": 429}))
    assert h.poll().published == 251
    assert any(90 <= s <= 120 for s in h.sleeps)
    first = [q for p, q, _ in x.requests if "next_token" not in q][0]
    assert "start_time" in first and "since_id" not in first
    posts = by_id(published(kafka))
    reply = posts["twitter:2000"]
    assert reply["is_brand_reply"] and reply["parent_id"] == "twitter:1250" and reply["author"] == "@NorthwindAir"
    assert posts["twitter:1001"]["author_followers"] == 310
    x.add(2001, "still no bag", NOW)
    h.restart()
    assert h.poll().published == 1
    assert x.requests[-1][1]["since_id"] == "2000"
    assert h.poll().published == 0  # an empty result is no error



def test_unreadable_items_are_skipped_and_an_unreadable_answer_fails_only_its_poll(kafka, tmp_path):
    x = FakeX("tok")
    x.add(1001, "northwind lost my bag", NOW - 300)
    x.add(1002, "a tweet whose date does not parse", NOW - 200)
    x.add(1003, "a tweet whose metrics are a list", NOW - 100)
    x.tweets[1]["created_at"] = "yesterday"
    x.tweets[2]["public_metrics"] = [1, 0, 3]
    h = twitter_harness(kafka, tmp_path, x)
    report = h.poll()
    # One malformed tweet must not hold the others back at every retry (the cursor only moves
    # past a poll that succeeds), nor stop the connector.
    assert (report.error, report.published, report.skipped) == (None, 1, 2)
    assert [p["id"] for p in published(kafka)] == ["twitter:1001"]
    assert h.metrics.skipped.labels("twitter", "query:northwind -is:retweet")._value.get() == 2
    # An answer shaped unlike the API's (a list, not an object): that poll fails, the next runs.
    x.add(1004, "still no bag", NOW)
    x.fail_next.append((200, {}, ["not", "a", "page"]))
    failed = h.poll()
    assert failed.error.startswith("unreadable answer") and failed.published == 0
    assert h.metrics.api_errors.labels("twitter", "unreadable")._value.get() == 1
    assert h.poll().published == 1
    assert sorted(p["id"] for p in published(kafka)) == ["twitter:1001", "twitter:1004"]


def test_a_tweet_found_by_two_of_a_brands_queries_is_published_once(kafka, tmp_path):
    x = FakeX("tok")
    for i in range(1, 6):
        x.add(1000 + i, f"@NorthwindAir #NorthwindAir tweet {i}: lost my bag", NOW - 600 + i)
    h = twitter_harness(kafka, tmp_path, x)
    h.targets.append(Target("query", "#NorthwindAir", "Northwind Air", handle="NorthwindAir"))
    h.restart()
    first, second = h.runner.poll_once()
    assert (first.published, second.published, second.repeated) == (5, 0, 5)
    assert "5 more already published by another target" in second.line("twitter")
    assert sorted(p["id"] for p in published(kafka)) == [f"twitter:{1000 + i}" for i in range(1, 6)]
    assert h.metrics.repeated.labels("twitter", "query:#NorthwindAir")._value.get() == 5
    # A new tweet found by both queries in the next round: still once.
    x.add(1010, "#NorthwindAir still no bag", NOW)
    assert [r.published for r in h.runner.poll_once()] == [1, 0]
    assert len(published(kafka)) == 6

# -- rss / WordPress --------------------------------------------------------------------------

WP_COMMENTS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Comments for Travel Notes</title><link>https://travel.example</link>
<item><title>Comment on Northwind lost my bag by Ann</title>
 <link>https://travel.example/2026/03/northwind-bag/#comment-12</link>
 <dc:creator><![CDATA[Ann]]></dc:creator><pubDate>Mon, 02 Mar 2026 10:15:00 +0000</pubDate>
 <guid isPermaLink="false">https://travel.example/?p=5#comment-12</guid>
 <content:encoded><![CDATA[<p>Same thing happened to me &amp; my kids&nbsp;&#x1F621;</p>]]></content:encoded></item>
<item><title>Comment on Northwind lost my bag by Northwind Air</title>
 <link>https://travel.example/2026/03/northwind-bag/#comment-13</link>
 <dc:creator><![CDATA[Northwind Air]]></dc:creator><pubDate>Mon, 02 Mar 2026 11:00:00 +0000</pubDate>
 <guid isPermaLink="false">https://travel.example/?p=5#comment-13</guid>
 <content:encoded><![CDATA[<p>We are sorry, please write to care@northwind.example</p>]]></content:encoded></item>
<item><title>Undated comment</title><link>https://travel.example/2026/03/northwind-bag/#comment-14</link>
 <description>no date, cannot be placed in time</description></item>
</channel></rss>"""


def test_rss_wordpress_comments_and_atom_with_etags(kafka, tmp_path):
    feeds = FakeFeeds()
    feeds.feeds["/comments/feed/"] = WP_COMMENTS.encode()
    feeds.feeds["/atom.xml"] = ATOM.encode()
    targets = [Target("feed", f"{feeds.base}/comments/feed/", "Northwind Air", handle="Northwind Air"),
               Target("feed", f"{feeds.base}/atom.xml", "Northwind Air")]
    h = Harness(kafka, tmp_path, lambda h: __import__("spillover.agents.rss", fromlist=["x"]).RssConnector(
        h.client("")), targets)
    wp, atom = h.runner.poll_once()
    assert (wp.published, wp.skipped, atom.published) == (2, 1, 1)
    posts = by_id(published(kafka))
    ann = posts["blog:https://travel.example/2026/03/northwind-bag/#comment-12"]
    assert ann["text"].endswith("Same thing happened to me & my kids 😡")
    assert ann["created_at"] == "2026-03-02T10:15:00Z"
    assert ann["parent_id"] == "blog:https://travel.example/2026/03/northwind-bag/"
    assert posts["blog:https://travel.example/2026/03/northwind-bag/#comment-13"]["is_brand_reply"]
    assert "Customers report lost luggage" in posts["blog:https://news.example/a1"]["text"]
    h.restart()
    wp, atom = h.runner.poll_once()
    assert wp.published == atom.published == 0
    assert feeds.requests[-1][2].get("if-none-match")  # conditional GET: the feed answered 304


OLDER_ITEM = """<item><title>Comment on Northwind lost my bag by Bo</title>
 <link>https://travel.example/2026/03/northwind-bag/#comment-11</link><dc:creator>Bo</dc:creator>
 <pubDate>Mon, 02 Mar 2026 09:00:00 +0000</pubDate><description>First!</description></item>
</channel>"""


def test_rss_own_feed_notices_a_removed_comment_but_not_one_that_rolled_off(kafka, tmp_path):
    feeds = FakeFeeds()
    full = WP_COMMENTS.replace("</channel>", OLDER_ITEM)
    feeds.feeds["/comments/feed/"] = full.encode()
    rss = __import__("spillover.agents.rss", fromlist=["x"])
    h = Harness(kafka, tmp_path, lambda h: rss.RssConnector(h.client("")),
                [Target("feed", f"{feeds.base}/comments/feed/", "Northwind Air", own=True)])
    assert h.poll().published == 3
    ann = full.index("<item><title>Comment on Northwind lost my bag by Ann")
    brand = full.index("<item><title>Comment on Northwind lost my bag by Northwind Air")
    feeds.feeds["/comments/feed/"] = (full[:ann] + full[brand:]).encode()  # Ann's comment removed
    assert h.poll().deleted == 1
    oldest = full.index("<item><title>Comment on Northwind lost my bag by Bo")
    feeds.feeds["/comments/feed/"] = (full[:ann] + full[brand:oldest] + "</channel></rss>").encode()
    assert h.poll().deleted == 0  # the oldest entry left the feed's window: not a deletion
    assert [p["id"] for p in published(kafka) if p.get("deleted")] == [
        "blog:https://travel.example/2026/03/northwind-bag/#comment-12"]


# -- reddit -----------------------------------------------------------------------------------

def test_reddit_walks_back_through_pages_to_the_last_poll(kafka, tmp_path):
    r = FakeReddit()
    for i in range(30):
        r.add(f"a{i:03d}", f"old thread {i}", NOW - 10_000 + i)
    h = Harness(kafka, tmp_path, lambda h: __import__("spillover.agents.reddit", fromlist=["x"]).RedditConnector(
        h.client(r.base), page_size=10), [Target("subreddit", "travel", "Northwind Air", handle="NorthwindAir")])
    assert h.poll().published == 10  # first run: the newest page only
    for i in range(25):
        r.add(f"b{i:03d}", f"Northwind lost my bag {i}", NOW - 1000 + i, selftext="Día 3 sin maleta 😤")
    r.add("c000", "Update from Northwind Air", NOW, author="NorthwindAir")
    h.restart()
    assert h.poll().published == 26
    posts = by_id(published(kafka))
    assert posts["reddit:t3_b003"]["text"] == "Northwind lost my bag 3\n\nDía 3 sin maleta 😤"
    assert posts["reddit:t3_c000"]["is_brand_reply"] and posts["reddit:t3_c000"]["url"].startswith("https://www.reddit.com/r/travel/")
    assert all(q.get("raw_json") == "1" for _, q, _ in r.requests)


# -- mastodon ---------------------------------------------------------------------------------

def test_mastodon_reads_forward_with_min_id_and_strips_html(kafka, tmp_path):
    m = FakeMastodon()
    for i in range(1, 11):
        m.add(100 + i, f"<p>old {i}</p>", NOW - 5000 + i)
    h = Harness(kafka, tmp_path, lambda h: __import__("spillover.agents.mastodon", fromlist=["x"]).MastodonConnector(
        h.client(m.base), m.base, page_size=4), [Target("tag", "northwindair", "Northwind Air")])
    assert h.poll().published == 4
    for i in range(1, 12):
        tag = '<a href="https://example.social/tags/northwindair">#<span>northwindair</span></a>'
        m.add(200 + i, f"<p>Lost bag {tag} {i} &amp; no reply 😞</p>", NOW - 500 + i)
    m.add(300, "<p>boost</p>", NOW, reblog={"id": "201"})
    h.restart()
    report = h.poll()
    assert (report.published, report.skipped) == (11, 1)
    posts = by_id(published(kafka))
    assert posts["mastodon:" + m.base.split("//")[1] + ":205"]["text"] == "Lost bag #northwindair 5 & no reply 😞"
    assert [q.get("min_id") for _, q, _ in m.requests[1:4]] == ["110", "204", "208"]


# -- Kafka outage, CLI, metrics ---------------------------------------------------------------

def test_a_briefly_unreachable_broker_delays_but_loses_and_repeats_nothing(tmp_path):
    real, front = free_port(), free_port()
    with EmbeddedBroker(port=real, advertised_port=front):
        proxy = TcpProxy(front, ("127.0.0.1", real))
        settings = load_settings({"kafka.broker": f"127.0.0.1:{front}"}, env={})
        ensure_topics(settings, settings.kafka.broker)
        proxy.pause()
        posts = [{"id": f"twitter:{i}", "platform": "twitter", "text": f"post {i} 🚀",
                  "created_at": "2026-03-02T10:00:00Z"} for i in range(50)]
        publisher = Publisher(settings.kafka.broker, settings.topics.raw, "test", cap_s=2, flush_s=5)
        done = threading.Thread(target=publisher.publish, args=(posts,))
        done.start()
        time.sleep(4)
        assert done.is_alive(), "publish must wait for Kafka, not give up"
        proxy.resume()
        done.join(120)
        assert not done.is_alive()
        raw = read_topic(settings.kafka.broker, settings.topics.raw, idle_timeout=3)
        got = [json.loads(r.value)["id"] for r in raw]
        assert sorted(got) == sorted(p["id"] for p in posts)
        publisher.close()
        proxy.pause()


def test_connect_command_polls_once_logs_one_line_and_never_logs_the_token(kafka, tmp_path, monkeypatch, caplog):
    g = graph_with_story()
    g.token = "s3cr3t-page-token"
    monkeypatch.setenv("SPILLOVER_FACEBOOK_TOKEN", g.token)
    g.fail_when = lambda path, query: path.endswith("/feed")
    g.fail_next.append((503, {}, {"error": {"message": "Service temporarily unavailable", "code": 2}}))
    caplog.set_level("INFO")
    code = main(["connect", "facebook", "--once", "--page", "555", "--brand", "Northwind Air",
                 "--api-base", g.base, "--broker", kafka.kafka.broker, "--state", str(tmp_path / "fb.sqlite")]
                + ["--config", str(_topics_config(kafka, tmp_path))])
    assert code == 0
    assert len(published(kafka)) == 28
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("facebook page 555")]
    assert lines == ["facebook page 555 (Northwind Air): fetched 28, published 28 new, 0 deleted, 0 skipped"]
    assert "503" in caplog.text and g.token not in caplog.text


def test_a_connector_with_nothing_to_poll_says_so_without_waiting_for_kafka(tmp_path, capsys):
    # A connector deployed without targets is a configuration mistake: it must say so at once,
    # not after 30 s of "cannot reach Kafka" from a broker that happens to be down.
    code = main(["connect", "rss", "--once", "--broker", "127.0.0.1:9", "--state", str(tmp_path / "rss.sqlite")])
    assert code == 2
    assert "no rss targets: add them to the watchlist or pass one on the command line" in capsys.readouterr().err


def test_connector_metrics_count_posts_errors_and_waits(kafka, tmp_path):
    x = FakeX("tok")
    x.add(1, "hello", NOW)
    metrics = ConnectorMetrics()
    sleeps = []
    connector, client = build("twitter", x.base, metrics, lookback_s=0, env={"SPILLOVER_TWITTER_BEARER_TOKEN": "tok"},
                              sleep=sleeps.append)
    x.fail_next.append((429, {"Retry-After": "1"}, {"title": "Too Many Requests"}))
    runner = Runner(connector, [Target("query", "q", "B")], CheckpointStore(tmp_path / "s.sqlite"),
                    Publisher(kafka.kafka.broker, kafka.topics.raw, "t"), metrics)
    runner.poll_once()
    value = lambda name, **labels: metrics.registry.get_sample_value(name, labels)
    assert value("spillover_connector_posts_published_total", connector="twitter", target="query:q") == 1
    assert value("spillover_connector_api_errors_total", connector="twitter", status="429") == 1
    assert value("spillover_connector_rate_limit_waits_total", connector="twitter") == 1
    assert value("spillover_connector_seconds_since_success", connector="twitter", target="query:q") < 60
    assert sleeps == [1.0]


def _topics_config(settings, tmp_path):
    path = tmp_path / "topics.yaml"
    path.write_text(f"topics: {{raw: {settings.topics.raw}}}\n")
    return path


def test_a_replay_counts_as_published_only_the_posts_acknowledged_without_a_gap():
    """Acknowledgements come per partition, out of order: told where to replay from after a
    refusal, the operator must not skip a post whose partition had not answered yet."""
    acks = Acknowledged()
    for i in (1, 2, 4):
        acks.add(i)
    assert acks.unbroken == 0
    acks.add(0)
    assert acks.unbroken == 3
    acks.add(3)
    assert acks.unbroken == 5
