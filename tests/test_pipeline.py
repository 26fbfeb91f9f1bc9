"""End to end on the embedded broker: a real `spillover worker` process and the real model."""
from __future__ import annotations

import itertools
import json
import os
import time
from collections import Counter

import pytest
import yaml
from helpers import isolated_settings

from spillover.demo import Demo, WorkerProcess
from spillover.detection import Detector
from spillover.enrichment import Rejection, parse
from spillover.kafka_io import ensure_topics, json_producer, read_topic
from spillover.records import IncidentEvent
from spillover.replay import read_lines, run_replay
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_TRUTH, SAMPLE_WATCHLIST
from spillover.watchlist import Watchlist

pytestmark = [pytest.mark.broker, pytest.mark.model]


def canonical(events) -> list[str]:
    return sorted(e.to_json() for e in events)


@pytest.fixture(scope="module")
def sample_run(broker):
    settings = isolated_settings(broker)
    lines = list(read_lines(str(SAMPLE_POSTS)))
    result = Demo(settings, lines, timeout_s=600).run()
    return settings, lines, result


def test_stream_finds_the_planted_incidents_and_no_decoys(sample_run):
    _, _, result = sample_run
    truth = [json.loads(l) for l in SAMPLE_TRUTH.read_text().splitlines()]
    opened = [e for e in result.incidents if e.status == "opened"]
    for planted in truth:
        hits = [e for e in opened if e.brand == planted["brand"] and set(e.evidence) & set(planted["post_ids"])]
        if planted["kind"] == "incident":
            assert hits, f"missed {planted['id']}"
            assert hits[0].path[:2] == planted["path"][:2]
        else:
            assert not hits, f"decoy {planted['id']} raised an incident"


def test_stream_and_replay_report_the_same_incidents(sample_run, model):
    settings, lines, result = sample_run
    watchlist = Watchlist.load(SAMPLE_WATCHLIST)
    replayed = []
    run_replay(lines, model, Detector.for_watchlist(settings.detection, watchlist), watchlist, replayed.append,
               max_future_s=settings.detection.max_future_minutes * 60)
    assert replayed and canonical(result.incidents) == canonical(replayed)


@pytest.fixture(scope="module")
def unwatched_replay(tmp_path_factory):
    """`spillover replay` of the sample with no watchlist, as of a file nobody wrote one for."""
    from spillover.cli.main import main

    folder = tmp_path_factory.mktemp("unwatched")
    out, dlq = folder / "incidents.jsonl", folder / "dlq.jsonl"
    assert main(["replay", "--input", str(SAMPLE_POSTS), "--output", str(out), "--dlq", str(dlq), "--quiet"]) == 0
    return out, dlq


def _events(lines) -> list[IncidentEvent]:
    return [IncidentEvent.from_dict(json.loads(line)) for line in lines if line.strip()]


def _but_playbook(events) -> list[str]:
    """The events as canonical() has them, less the on-call team, which only a watchlist names."""
    return sorted(json.dumps({k: v for k, v in json.loads(e.to_json()).items() if k != "playbook"}, sort_keys=True)
                  for e in events)


def test_replay_without_a_watchlist_finds_the_posts_without_brand_by_the_brands_the_file_names(sample_run,
                                                                                               unwatched_replay):
    # One post in ten of the sample has no `brand`; with the watchlist written for it and with
    # none, the same incidents (less the on-call team the watchlist names), and only the posts
    # that name no brand dead-lettered for it.
    _, _, result = sample_run
    out, dlq = unwatched_replay
    assert _but_playbook(_events(out.read_text().splitlines())) == _but_playbook(result.incidents)
    codes = Counter(json.loads(line)["code"] for line in dlq.read_text().splitlines())
    assert codes["unknown_brand"] == 3 and sum(codes.values()) == result.dead_lettered


def test_demo_of_a_file_without_a_watchlist_reports_what_replay_reports(broker, unwatched_replay, tmp_path):
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    settings = isolated_settings(broker).replace("app", watchlist="")
    config = tmp_path / "settings.yaml"
    config.write_text(yaml.safe_dump(settings.to_dict()))
    litter = set(Path(tempfile.gettempdir()).glob("spillover-watchlist-*"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPILLOVER_")}
    demo = subprocess.run([sys.executable, "-m", "spillover.cli.main", "demo", "--input", str(SAMPLE_POSTS),
                           "--json", "--config", str(config)], capture_output=True, text=True, env=env, timeout=600)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "no --watchlist; watching the brands the input's posts name: Fjord Mobile, Kettle & Crumb, " \
           "Northwind Air" in demo.stderr
    out, _ = unwatched_replay
    assert canonical(_events(demo.stdout.splitlines())) == canonical(_events(out.read_text().splitlines()))
    assert set(Path(tempfile.gettempdir()).glob("spillover-watchlist-*")) == litter  # the file it wrote, removed


def test_a_brands_own_detection_settings_apply_in_the_stream_as_in_replay(broker, model, tmp_path):
    """The worker builds its detector from the watchlist's per-brand `detection:` settings."""
    doc = yaml.safe_load(SAMPLE_WATCHLIST.read_text())
    for brand in doc["brands"]:
        if brand["name"] == "Fjord Mobile":
            brand["detection"] = {"min_negative": 1000}  # deaf to Fjord's storm
    watchlist_path = tmp_path / "watchlist.yaml"
    watchlist_path.write_text(yaml.safe_dump(doc))
    settings = isolated_settings(broker).replace("app", watchlist=str(watchlist_path))
    lines = list(read_lines(str(SAMPLE_POSTS)))
    streamed = Demo(settings, lines, timeout_s=600).run().incidents
    assert {e.brand for e in streamed} == {"Northwind Air"}  # Fjord's planted storm silenced, Northwind's kept
    watchlist = Watchlist.load(watchlist_path)
    replayed = []
    run_replay(lines, model, Detector.for_watchlist(settings.detection, watchlist), watchlist, replayed.append,
               max_future_s=settings.detection.max_future_minutes * 60)
    assert canonical(streamed) == canonical(replayed)


def test_a_state_too_large_for_the_changelog_neither_crashes_the_worker_nor_changes_what_it_reports(broker, model):
    """Two of the sample's three brands end with states of over 110 kB as stored, so with a 20 kB
    message limit they cannot be saved: Faust's producer used to crash the worker on them."""
    settings = isolated_settings(broker).replace("kafka", max_message_bytes=20_000)
    lines = list(read_lines(str(SAMPLE_POSTS)))
    streamed = Demo(settings, lines, timeout_s=600).run().incidents  # raises if the worker exits
    watchlist = Watchlist.load(SAMPLE_WATCHLIST)
    replayed = []
    run_replay(lines, model, Detector.for_watchlist(settings.detection, watchlist), watchlist, replayed.append,
               max_future_s=settings.detection.max_future_minutes * 60)
    assert replayed and canonical(streamed) == canonical(replayed)


def test_malformed_messages_reach_the_dlq_with_their_reason(sample_run):
    settings, lines, result = sample_run
    watchlist = Watchlist.load(SAMPLE_WATCHLIST)
    # What replay rejects, and why, is what the stream must dead-letter.
    ahead = settings.detection.max_future_minutes * 60
    parsed = (parse(None, line, watchlist, ahead) for line in lines)
    expected = sorted(r.code for r in parsed if isinstance(r, Rejection))
    records = list(read_topic(settings.kafka.broker, settings.topics.dlq, idle_timeout=3))
    codes = sorted(dict(r.headers)["spillover.error.code"].decode() for r in records)
    assert codes == expected and result.dead_lettered == len(expected)
    assert {"not_json", "missing_field", "bad_timestamp", "future_timestamp"} <= set(codes)
    originals = {r.value for r in records}
    assert b"this line is not JSON at all" in originals and originals <= set(lines)
    assert result.enriched + result.dead_lettered == len(lines)


def test_worker_enriches_counts_and_dead_letters(broker):
    # A brand heard on one platform at most: a post on a second is refused by the detect agent.
    settings = isolated_settings(broker).replace("detection", max_platforms=1)
    ensure_topics(settings, broker)
    worker = WorkerProcess(broker, settings)
    try:
        producer = json_producer(broker)
        good = {"id": "twitter:1", "platform": "twitter", "brand": "Fjord Mobile", "x_extra": "kept",
                "text": "I hate Fjord, worst service ever, they billed me twice 😡",
                "created_at": "2026-03-02T10:00:00Z"}
        producer.send(settings.topics.raw, key="twitter:1", value=good)
        producer.send(settings.topics.raw, key="b1", value=b"\x00\x01 not json")
        producer.send(settings.topics.raw, key="b2", value={**good, "id": "twitter:2", "brand": None,
                                                            "text": "no brand named here"})
        # Nested deeper than the JSON parser recurses: a poison message unless it is caught.
        producer.send(settings.topics.raw, key="b3", value=json.dumps(good)[:-1].encode() + b', "x_deep": '
                      + b"[" * 100_000 + b"]" * 100_000 + b"}")
        # Half an emoji (a lone surrogate) in the text: a real post all the same.
        cut = {**good, "id": "twitter:4", "text": "Fjord billed me twice again \ud83d"}
        producer.send(settings.topics.raw, key="twitter:4", value=json.dumps(cut).encode())
        producer.flush()
        enriched = list(itertools.islice(read_topic(broker, settings.topics.enriched, idle_timeout=120), 2))
        posts = {json.loads(r.value)["id"]: json.loads(r.value) for r in enriched}
        post = posts["twitter:1"]
        assert enriched[0].key == b"Fjord Mobile" and post["sentiment"] == "negative"
        assert post["x_extra"] == "kept" and len(post["embedding"]) == 384
        assert posts["twitter:4"]["text"] == "Fjord billed me twice again \ufffd"
        # Sent once twitter's posts are on posts.enriched, so the detect agent has counted them first.
        producer.send(settings.topics.raw, key="reddit:5", value={**good, "id": "reddit:5", "platform": "reddit"})
        producer.flush()
        dead = list(itertools.islice(read_topic(broker, settings.topics.dlq, idle_timeout=60), 4))
        assert sorted(dict(r.headers)["spillover.error.code"] for r in dead) == [
            b"not_json", b"not_json", b"too_many_platforms", b"unknown_brand"]
        [refused] = [r for r in dead if dict(r.headers)["spillover.error.code"] == b"too_many_platforms"]
        assert json.loads(refused.value)["id"] == "reddit:5"
        deadline = time.monotonic() + 30
        while worker.counters().get("spillover_dlq_total", 0) < 4 and time.monotonic() < deadline:
            time.sleep(0.5)
        counters = worker.counters()
        assert counters["spillover_dlq_total"] == 4 and counters["spillover_posts_enriched_total"] == 3
        assert worker.proc.poll() is None, "bad input must not stop the worker"
        # Its watchdog reports the partitions it has, with nothing left waiting.
        raw = [(("partition", str(p)), ("topic", settings.topics.raw)) for p in range(settings.kafka.partitions)]
        deadline = time.monotonic() + 60
        while set(worker.gauge("spillover_consumer_waiting_messages")) < set(raw) and time.monotonic() < deadline:
            time.sleep(1)
        waiting = worker.gauge("spillover_consumer_waiting_messages")
        assert {k: waiting.get(k) for k in raw} == {k: 0.0 for k in raw}, waiting
    finally:
        worker.stop(keep_files=True)
    # Stopped, it leaves its log as plain lines: no terminal codes from Faust's spinner, which
    # a log collector would show as garbage at the start of a record.
    log = worker.log_path.read_bytes()
    assert b"Consumer shutting down" in log and b"\x1b[" not in log and b"\x08" not in log
