"""Kafka with TLS and SASL: every client Spillover makes reaches a secured cluster, and a
mistake in how it is told to is said plainly.

The secured cluster is the embedded broker behind tests/secure_front.py (TLS and SASL ended
there; the embedded broker has neither working), advertising the front door's port, so every
connection a client makes after its bootstrap goes through it too."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest
from fake_services import ATOM, FakeFeeds
from helpers import isolated_settings
from secure_front import SecureFront, make_certificates, server_context

from spillover.broker import EmbeddedBroker, configured_or_embedded, free_port
from spillover.cli.main import main
from spillover.demo import Demo, WorkerProcess
from spillover.detection import Detector
from spillover.kafka_cluster import Cluster
from spillover.kafka_io import admin_client, ensure_topics, json_producer, read_topic
from spillover.kafka_refusals import EXIT_REFUSED, CredentialsRefused
from spillover.replay import read_lines, run_replay
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from spillover.settings import KafkaSettings, load_settings
from spillover.streams.gaps import Gap, committed_offsets, read_range
from spillover.streams.watchdog import Watchdog
from spillover.watchlist import Watchlist

USER, PASSWORD = "spillover", "n0t-in-any-file"
CREATE_TOPICS = 19  # the Kafka API key


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def tansu_behind_front():
    """The embedded broker, telling clients to come back through the front door's port."""
    front_port = free_port()
    with EmbeddedBroker(advertised_port=front_port) as broker:
        yield broker, front_port


@pytest.fixture
def front(tansu_behind_front, certs, request):
    """A front door: TLS, plus SASL with the mechanism the test is parametrized with (if any)."""
    broker, port = tansu_behind_front
    mechanism = getattr(request, "param", "SCRAM-SHA-512")
    door = SecureFront(port, ("127.0.0.1", broker.port), tls=server_context(certs["broker"]),
                       mechanism=mechanism, users={USER: PASSWORD})
    yield door
    door.close()


def secured(settings, certs, **changes):
    """`settings` as a SASL_SSL client of the front door."""
    return settings.replace("kafka", **{"security_protocol": "SASL_SSL", "ssl_cafile": str(certs["ca"]),
                                        "sasl_mechanism": "SCRAM-SHA-512", "sasl_username": USER,
                                        "sasl_password": PASSWORD, **changes})


def address(front) -> str:
    return f"127.0.0.1:{front.port}"


# What the settings refuse, before any connection.

@pytest.mark.parametrize("settings, told", [
    ({"security_protocol": "TLS"}, "kafka.security_protocol: 'TLS' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT"),
    ({"security_protocol": "SASL_SSL", "sasl_username": "u"}, "SASL_SSL needs kafka.sasl_password"),
    ({"security_protocol": "SASL_SSL", "sasl_password": "p"}, "SASL_SSL needs kafka.sasl_username"),
    ({"security_protocol": "SASL_SSL", "sasl_username": "u", "sasl_password": "p", "sasl_mechanism": "GSSAPI"},
     "kafka.sasl_mechanism: 'GSSAPI' is not one of SCRAM-SHA-512, SCRAM-SHA-256, PLAIN"),
    # Set, but the protocol would ignore them: the connection would go out in the clear.
    ({"sasl_username": "u", "sasl_password": "p"}, "but kafka.security_protocol is PLAINTEXT: set it to SASL_SSL"),
    ({"ssl_cafile": "ca.pem"}, "kafka.ssl_cafile is set, but kafka.security_protocol is PLAINTEXT"),
    ({"security_protocol": "SASL_PLAINTEXT", "ssl_cafile": "ca.pem", "sasl_username": "u", "sasl_password": "p"},
     "which does not use TLS: set it to SSL or SASL_SSL"),
    ({"security_protocol": "SSL", "ssl_cafile": "/nonexistent/ca.pem"},
     "kafka.ssl_cafile: cannot use '/nonexistent/ca.pem' as CA certificates"),
    ({"security_protocol": "SSL", "ssl_keyfile": "user.key"}, "kafka.ssl_keyfile is set without kafka.ssl_certfile"),
])
def test_security_settings_that_cannot_work_are_refused_by_name(settings, told):
    with pytest.raises(ValueError, match=re.escape(told)):
        Cluster.from_settings(KafkaSettings(broker="kafka:9093", **settings))


def test_a_ca_file_that_holds_no_certificate_is_refused(tmp_path):
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    with pytest.raises(ValueError, match="kafka.ssl_cafile: cannot use .* as CA certificates"):
        Cluster.from_settings(KafkaSettings(broker="kafka:9093", security_protocol="SSL", ssl_cafile=str(bogus)))


def test_a_client_certificate_without_its_key_is_refused(certs):
    with pytest.raises(ValueError, match="kafka.ssl_certfile: cannot load the client certificate"):
        Cluster.from_settings(KafkaSettings(broker="kafka:9093", security_protocol="SSL",
                                            ssl_cafile=str(certs["ca"]), ssl_certfile=str(certs["user_crt"])))


def test_the_password_is_in_no_printed_settings():
    settings = load_settings(env={"SPILLOVER_KAFKA_SASL_PASSWORD": PASSWORD, "SPILLOVER_KAFKA_SASL_USERNAME": USER,
                                  "SPILLOVER_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "SPILLOVER_BROKER": "kafka:9093"})
    cluster = Cluster.from_settings(settings.kafka)
    assert cluster.password == PASSWORD and cluster.protocol == "SASL_SSL"
    assert PASSWORD not in repr(settings) and PASSWORD not in repr(cluster)


def test_the_embedded_broker_is_not_started_for_tls_settings(monkeypatch):
    monkeypatch.setattr(EmbeddedBroker, "start", lambda self: pytest.fail("the embedded broker was started"))
    with pytest.raises(ValueError, match="the embedded broker speaks PLAINTEXT only: name your cluster with --broker"):
        with configured_or_embedded(KafkaSettings(security_protocol="SSL")):
            pass


# The clients against a secured cluster.

@pytest.mark.broker
@pytest.mark.parametrize("front", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"], indirect=True)
def test_producer_admin_and_reader_work_over_tls_with_each_sasl_mechanism(front, certs):
    settings = secured(isolated_settings(address(front)), certs, sasl_mechanism=front.mechanism)
    cluster = Cluster.from_settings(settings.kafka)
    ensure_topics(settings, cluster)
    producer = json_producer(cluster)
    producer.send(settings.topics.raw, key="twitter:1", value={"id": "twitter:1"}).get(10)
    producer.close()
    read = [json.loads(r.value) for r in read_topic(cluster, settings.topics.raw, idle_timeout=2)]
    assert read == [{"id": "twitter:1"}]
    assert front.authenticated and set(front.authenticated) == {USER} and not front.refused


@pytest.mark.broker
def test_a_client_certificate_is_presented_where_the_cluster_asks_for_one(tansu_behind_front, certs):
    broker, port = tansu_behind_front
    door = SecureFront(port, ("127.0.0.1", broker.port), tls=server_context(certs["broker"], client_ca=certs["ca"]))
    try:
        kafka = KafkaSettings(broker=f"127.0.0.1:{port}", security_protocol="SSL", ssl_cafile=str(certs["ca"]))
        admin_client(Cluster.from_settings(dataclasses.replace(
            kafka, ssl_certfile=str(certs["user_crt"]), ssl_keyfile=str(certs["user_key"]))), 10).close()
        assert not door.refused
        with pytest.raises(ConnectionError):
            admin_client(Cluster.from_settings(kafka), timeout=3).close()
        assert door.refused and all("certificate" in reason.lower() for reason in door.refused)
    finally:
        door.close()


@pytest.mark.broker
@pytest.mark.parametrize("change, cause, error", [
    ({"sasl_password": "wrong"}, "SaslAuthenticationFailedError", CredentialsRefused),
    ({"sasl_mechanism": "PLAIN"}, "UnsupportedSaslMechanismError", ConnectionError),
    ("other_ca", "CERTIFICATE_VERIFY_FAILED", CredentialsRefused),
])
def test_a_refused_connection_says_why(front, certs, change, cause, error):
    """kafka-python only logs why, and times out with "Unable to bootstrap". Credentials refused
    from the start end a command as they do later on (EXIT_REFUSED); a mechanism the listener
    does not take is a mistake in the settings."""
    change = {"ssl_cafile": str(certs["other_ca"])} if change == "other_ca" else change
    cluster = Cluster.from_settings(secured(isolated_settings(address(front)), certs, **change).kafka)
    said = f"cannot reach Kafka at {address(front)}: .*the last attempt: .*{cause}"
    with pytest.raises(ConnectionError, match=said) as raised:
        admin_client(cluster, timeout=4)
    assert type(raised.value) is error
    assert front.refused and not front.authenticated, front.refused


@pytest.mark.broker
def test_a_plaintext_client_gets_nothing_from_a_tls_cluster(front):
    with pytest.raises(ConnectionError, match=f"cannot reach Kafka at {address(front)}"):
        admin_client(address(front), timeout=3)
    assert front.refused and all(reason.startswith("tls:") for reason in front.refused)


@pytest.mark.broker
def test_connect_and_incidents_tail_take_the_security_settings_from_the_environment(front, certs, tmp_path,
                                                                                   monkeypatch, capsys):
    settings = isolated_settings(address(front))
    for name, value in {"SECURITY_PROTOCOL": "SASL_SSL", "SSL_CAFILE": str(certs["ca"]), "SASL_USERNAME": USER,
                        "SASL_PASSWORD": PASSWORD, "TOPICS_RAW": settings.topics.raw,
                        "TOPICS_INCIDENTS": settings.topics.incidents}.items():
        monkeypatch.setenv(f"SPILLOVER_KAFKA_{name}" if not name.startswith("TOPICS") else f"SPILLOVER_{name}", value)
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "blog:1", "platform": "blog", "text": "x", "created_at": "2026-03-02T10:00:00Z"}\n')
    assert main(["connect", "replay", "--input", str(posts), "--broker", address(front), "--quiet"]) == 0
    feeds = FakeFeeds()  # and a connector proper, with its publisher
    feeds.feeds["/atom.xml"] = ATOM.encode()
    try:
        assert main(["connect", "rss", "--once", "--url", f"{feeds.base}/atom.xml", "--brand", "Northwind Air",
                     "--broker", address(front), "--state", str(tmp_path / "rss.sqlite")]) == 0
    finally:
        feeds.close()
    cluster = Cluster.from_settings(secured(settings, certs).kafka)
    published = [json.loads(r.value)["platform"] for r in read_topic(cluster, settings.topics.raw, idle_timeout=2)]
    assert published == ["blog", "blog"]
    ensure_topics(settings, cluster)
    capsys.readouterr()
    assert main(["incidents", "tail", "--broker", address(front), "--json", "--timeout", "2"]) == 0
    assert capsys.readouterr().out == ""  # an empty topic, read through TLS and SCRAM
    assert set(front.authenticated) == {USER} and not front.refused


@pytest.mark.broker
def test_the_workers_own_readers_reach_a_secured_cluster(front, certs):
    """Beside Faust, a worker reads offsets for its watchdog, committed offsets and skipped
    ranges with kafka-python: each through TLS and SCRAM too (a plaintext attempt would be
    refused by the front door, and only logged by the worker)."""
    settings = secured(isolated_settings(address(front)), certs)
    cluster = Cluster.from_settings(settings.kafka)
    topic = settings.topics.raw
    ensure_topics(settings, cluster)
    producer = json_producer(cluster)
    for n in range(3):
        producer.send(topic, value={"n": n}, partition=0).get(10)
    producer.close()
    assert [r.value for r in read_range(cluster, Gap(topic, 0, 0, 3), timeout_s=10).records] == \
        [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert committed_offsets(cluster, settings.kafka.group_id, [(topic, 0)]) == {}
    stuck, done = [], threading.Event()
    dog = Watchdog(cluster, lambda: {(topic, 0): 0}, timeout_s=1.5, on_stuck=lambda s: (stuck.extend(s), done.set()),
                   on_waiting=lambda waiting: None, interval_s=0.3)
    dog.start()
    done.wait(20)
    dog.stop()
    assert [(s.topic, s.partition) for s in stuck] == [(topic, 0)]
    assert set(front.authenticated) == {USER} and not front.refused


@pytest.mark.broker
@pytest.mark.model
def test_the_worker_detects_over_tls_and_scram_as_replay_does(front, certs, model):
    """The worker's Faust (aiokafka) consumers, producer and changelog, its offset watchdog and
    gap reader all go through the front door: one brand of the sample scenario in, its
    planted reddit -> twitter storm out, as replay finds it."""
    lines = [line for line in read_lines(str(SAMPLE_POSTS)) if b'"brand": "Fjord Mobile"' in line]
    settings = secured(isolated_settings(address(front)), certs)
    result = Demo(settings, lines, timeout_s=300).run()
    assert result.published == len(lines) == result.enriched + result.dead_lettered
    watchlist = Watchlist.load(SAMPLE_WATCHLIST)
    replayed = []
    run_replay(lines, model, Detector.for_watchlist(settings.detection, watchlist), watchlist, replayed.append,
               max_future_s=settings.detection.max_future_minutes * 60)
    opened = [e for e in result.incidents if e.status == "opened"]
    assert [e.path[:2] for e in opened] == [["reddit", "twitter"]]
    assert sorted(e.to_json() for e in result.incidents) == sorted(e.to_json() for e in replayed)
    assert set(front.authenticated) == {USER} and not front.refused


@pytest.mark.broker
def test_topics_that_exist_are_not_asked_for_again(tansu_behind_front):
    """A Kafka user allowed to use its topics but not to create them (topics kept by Strimzi's
    Topic Operator) is refused every CreateTopics, even for a topic that exists: the worker and
    the connectors used to ask for all four at every start, and fail there."""
    broker, port = tansu_behind_front
    door = SecureFront(port, ("127.0.0.1", broker.port))  # neither TLS nor SASL: it only watches
    try:
        settings = isolated_settings(address(door))
        ensure_topics(settings, address(door))
        assert door.api_keys.count(CREATE_TOPICS) == 4
        door.api_keys.clear()
        ensure_topics(settings, address(door))
        assert door.api_keys and CREATE_TOPICS not in door.api_keys
    finally:
        door.close()


# A changed password (or a renewed cluster CA): Kafka refuses every new connection, and the
# clients, which read their credentials at start, would retry for ever.
ROTATED = "the-new-one"


def _secured_env(certs, **settings: str) -> dict[str, str]:
    """A command's environment as a pod's: the security settings, a password as from the Secret,
    refusals given up on after 5 s, and `settings` (SPILLOVER_ names without the prefix)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SPILLOVER_")},
            "SPILLOVER_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "SPILLOVER_KAFKA_SSL_CAFILE": str(certs["ca"]),
            "SPILLOVER_KAFKA_SASL_USERNAME": USER, "SPILLOVER_KAFKA_SASL_PASSWORD": PASSWORD,
            "SPILLOVER_KAFKA_REFUSED_TIMEOUT_S": "5", **{f"SPILLOVER_{k}": v for k, v in settings.items()}}


def _second_entry(feed: str) -> str:
    return feed.replace("</feed>", "<entry><title>Northwind answers</title><link href=\"https://news.example/a2\"/>"
                        "<id>urn:a2</id><updated>2026-03-02T13:00:00Z</updated><summary>We are sorry</summary>"
                        "</entry></feed>")


@pytest.mark.broker
def test_a_connector_whose_credentials_are_refused_stops_and_loses_nothing(front, certs, tmp_path):
    """The connector exits with EXIT_REFUSED, saying why, instead of retrying for ever; started
    again with the current password, as Kubernetes would with the Secret's, it publishes what
    it could not, and nothing twice."""
    settings = isolated_settings(address(front))
    env = _secured_env(certs, TOPICS_RAW=settings.topics.raw)
    feeds = FakeFeeds()
    feeds.feeds["/atom.xml"] = ATOM.encode()
    connect = [sys.executable, "-m", "spillover.cli.main", "connect", "rss", "--url", f"{feeds.base}/atom.xml",
               "--brand", "Northwind Air", "--broker", address(front), "--state", str(tmp_path / "rss.sqlite")]
    log = tmp_path / "connect.log"  # not a pipe: kafka-python logs every refusal, and a full pipe blocks
    with log.open("w") as stderr:
        proc = subprocess.Popen([*connect, "--interval", "1"], env=env, stderr=stderr)
    try:
        published = _ids(front, settings, certs, PASSWORD, until=1)
        front.users[USER] = ROTATED
        front.cut_connections()
        feeds.feeds["/atom.xml"] = _second_entry(ATOM).encode()
        assert proc.wait(timeout=120) == EXIT_REFUSED
        said = log.read_text()
        assert "has refused our credentials" in said and "SaslAuthenticationFailedError" in said, said[-2000:]
        again = subprocess.run([*connect, "--once"], env={**env, "SPILLOVER_KAFKA_SASL_PASSWORD": ROTATED},
                               capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr[-2000:]
        assert len(published) == 1
        assert _ids(front, settings, certs, ROTATED, until=2) == [published[0], "blog:https://news.example/a2"]
    finally:
        proc.kill()
        feeds.close()


@pytest.mark.broker
def test_incidents_tail_ends_when_its_credentials_are_refused(front, certs, tmp_path):
    """A tail that follows the incidents topic (a downstream system's feed) ends with
    EXIT_REFUSED rather than waiting for ever on a cluster that refuses it."""
    settings = secured(isolated_settings(address(front)), certs)
    ensure_topics(settings, Cluster.from_settings(settings.kafka))
    front.authenticated.clear()
    env, log = _secured_env(certs, TOPICS_INCIDENTS=settings.topics.incidents), tmp_path / "tail.log"
    with log.open("w") as stderr:
        tail = subprocess.Popen([sys.executable, "-m", "spillover.cli.main", "incidents", "tail", "--json",
                                 "--broker", address(front)], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 60
        while USER not in front.authenticated and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # its reader's connections are let in too, and it follows the topic
        assert tail.poll() is None, log.read_text()[-2000:]
        front.users[USER] = ROTATED
        front.cut_connections()
        assert tail.wait(timeout=60) == EXIT_REFUSED
        assert "has refused our credentials" in log.read_text()
    finally:
        tail.kill()


@pytest.mark.broker
def test_a_paced_replay_whose_credentials_are_refused_ends_saying_so(front, certs, tmp_path):
    """`connect replay --speed` runs for as long as its file's event time lasts: refused midway,
    it ends with EXIT_REFUSED once Kafka has refused it for `kafka.refused_timeout_s`, saying
    what to do, instead of pacing on unheard and failing at the end."""
    settings = isolated_settings(address(front))
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps({"id": f"p{i}", "platform": "twitter", "text": "late again",
                                         "created_at": f"2026-03-02T12:{i // 60:02d}:{i % 60:02d}Z"}) + "\n"
                             for i in range(600)))
    env, log = _secured_env(certs, TOPICS_RAW=settings.topics.raw), tmp_path / "replay.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "spillover.cli.main", "connect", "replay", "--quiet",
                                 "--input", str(posts), "--speed", "1", "--broker", address(front)],
                                env=env, stderr=stderr)
    try:
        assert len(_ids(front, settings, certs, PASSWORD, until=3)) >= 3, log.read_text()[-2000:]
        front.users[USER] = ROTATED
        front.cut_connections()
        assert proc.wait(timeout=90) == EXIT_REFUSED, log.read_text()[-2000:]
        said = log.read_text()
        told = re.search(r"the file's first (\d+) posts \(its lines that are not blank\) were acknowledged", said)
        assert "has refused our credentials" in said and told, said[-2000:]
        done = int(told.group(1))  # at least the three read back before the password changed
        published = sorted(_ids(front, settings, certs, ROTATED, until=done), key=lambda i: int(i[1:]))
        assert done >= 3 and published[:done] == [f"p{i}" for i in range(done)]
    finally:
        proc.kill()


def _ids(front, settings, certs, password: str, until: int, timeout_s: float = 60) -> list[str]:
    """The ids on posts.raw, once `until` are there (or after `timeout_s`)."""
    cluster = Cluster.from_settings(secured(settings, certs, sasl_password=password).kafka)
    deadline, ids = time.monotonic() + timeout_s, []
    while len(ids) < until and time.monotonic() < deadline:
        ids = [json.loads(r.value)["id"] for r in read_topic(cluster, settings.topics.raw, idle_timeout=1)]
    return ids


@pytest.mark.broker
@pytest.mark.model
def test_a_worker_whose_credentials_are_refused_exits_to_be_started_again(front, certs):
    """aiokafka retries a refused connection many times a second, for ever: the worker exits
    with EXIT_REFUSED once Kafka has refused it for `kafka.refused_timeout_s`, naming why."""
    settings = secured(isolated_settings(address(front)), certs).replace("kafka", refused_timeout_s=5)
    worker = WorkerProcess(Cluster.from_settings(settings.kafka), settings)
    try:
        deadline = time.monotonic() + 120
        while not worker.counters() and time.monotonic() < deadline:  # its metrics: the model is loaded
            assert worker.proc.poll() is None, worker.log_tail()
            time.sleep(0.5)
        time.sleep(10)  # Faust joins the group; more than the timeout with every client let in
        assert worker.proc.poll() is None, worker.log_tail()
        front.users[USER] = ROTATED
        front.cut_connections()
        assert worker.proc.wait(timeout=90) == EXIT_REFUSED, worker.log_tail()
        said = worker.log_path.read_text(errors="replace")
        assert "has refused the worker's credentials" in said and "SaslAuthenticationFailed" in said, worker.log_tail()
    finally:
        worker.stop()
