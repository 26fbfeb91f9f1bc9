"""Building posts for tests without the model: sentiment is given, everything else is real."""
from __future__ import annotations

import random
import tempfile
import uuid

from spillover.records import EnrichedPost, RawPost, Sentiment
from spillover.scenarios import SAMPLE_WATCHLIST
from spillover.settings import Settings, load_settings
from spillover.timeutil import format_epoch, to_epoch

T0 = to_epoch("2026-03-02T00:00:00Z")
HOUR = 3600.0


def post(pid: str, platform: str, ts: float, label: str = "negative", brand: str = "Acme",
         text: str = "acme charged me twice", **extra) -> EnrichedPost:
    raw = RawPost.from_dict({"id": pid, "platform": platform, "text": text,
                             "created_at": format_epoch(ts), "brand": brand, **extra})
    return EnrichedPost(raw, brand, Sentiment(label, {label: 1.0}), (), "test")


def background(brand: str = "Acme", days: float = 3, seed: int = 1,
               rates=(("twitter", 12.0), ("facebook", 4.0), ("blog", 0.3)), weekend: float = 1.0,
               complaints: tuple[str, ...] = ("acme app is slow",), utc_offset: float = 0.0) -> list[EnrichedPost]:
    """Ordinary traffic with a daily rhythm (and `weekend` times as much on Saturdays and
    Sundays; T0 is a Monday), both in the audience's time, `utc_offset` hours from UTC: 20%
    negative (each one of `complaints`), the rest neutral or positive."""
    rng, posts, n = random.Random(seed), [], 0
    for platform, per_hour in rates:
        for hour in range(int(days * 24)):
            local = hour + utc_offset
            rhythm = (0.3 + 1.4 * (7 <= local % 24 <= 22)) * (weekend if local // 24 % 7 >= 5 else 1.0)
            for _ in range(_poisson(rng, per_hour * rhythm)):
                n += 1
                label = rng.choices(["negative", "neutral", "positive"], [0.2, 0.45, 0.35])[0]
                text = {"negative": complaints[0], "neutral": "acme opening hours?", "positive": "love acme"}[label]
                if label == "negative" and len(complaints) > 1:
                    text = rng.choice(complaints)
                posts.append(post(f"{platform}:bg{seed}-{n}", platform, T0 + (hour + rng.random()) * HOUR,
                                  label, brand, text))
    return sorted(posts, key=lambda p: (p.event_time, p.post.id))


def burst(platform: str, start_h: float, count: int, hours: float, label: str = "negative",
          brand: str = "Acme", text: str = "acme charged me twice and support ignores me",
          tag: str = "b") -> list[EnrichedPost]:
    step = hours * HOUR / count
    return [post(f"{platform}:{tag}{i}", platform, T0 + start_h * HOUR + i * step, label, brand, text)
            for i in range(count)]


def by_time(posts):
    return sorted(posts, key=lambda p: (p.event_time, p.post.id))


def _poisson(rng: random.Random, lam: float) -> int:
    import math
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def isolated_settings(broker: str) -> Settings:
    """Own topics and consumer group per test, on the shared session broker."""
    tag = uuid.uuid4().hex[:8]
    s = load_settings({"kafka.broker": broker, "kafka.group_id": f"spillover-{tag}",
                       "app.watchlist": str(SAMPLE_WATCHLIST),
                       # Every test's workers watch for stalls, at a minute: a false alarm fails it.
                       "kafka.stall_timeout_s": 60,
                       "app.data_dir": tempfile.mkdtemp(prefix=f"spillover-{tag}-")}, env={})
    return s.replace("topics", raw=f"raw-{tag}", enriched=f"enriched-{tag}", dlq=f"dlq-{tag}",
                     incidents=f"incidents-{tag}")


def new_topic(broker: str, prefix: str, partitions: int = 1) -> str:
    """A topic of its own for one test, created on the broker."""
    from kafka.admin import NewTopic

    from spillover.kafka_io import admin_client

    topic = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin = admin_client(broker)
    admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    admin.close()
    return topic


def transactional_topic(broker: str, prefix: str, transactions: int = 3) -> str:
    """A new one-partition topic holding `transactions` one-record transactions: records at
    offsets 0, 2, 4, ..., each followed by its transaction's end marker, which no consumer is
    given."""
    from kafka import KafkaProducer

    from spillover.kafka_io import API_VERSION

    topic = new_topic(broker, prefix)
    producer = KafkaProducer(bootstrap_servers=broker, api_version=API_VERSION, transactional_id=topic)
    producer.init_transactions()
    for i in range(transactions):
        producer.begin_transaction()
        producer.send(topic, value=b"post %d" % i, partition=0)
        producer.commit_transaction()
    producer.close()
    return topic
