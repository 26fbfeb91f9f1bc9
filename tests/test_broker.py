import json
import os
import socket

import pytest

from spillover.broker import BrokerError, EmbeddedBroker, free_port, kafka_api_versions_ok

pytestmark = pytest.mark.broker


def test_embedded_broker_answers_kafka_and_stops_cleanly():
    broker = EmbeddedBroker()
    broker.start()
    host, port = broker.bootstrap.split(":")
    assert kafka_api_versions_ok(host, int(port))
    broker.stop()
    assert not broker.alive()
    assert not kafka_api_versions_ok(host, int(port))


def test_a_busy_port_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port} .* already in use"):
            EmbeddedBroker(port=port).start()


def test_broker_command_prints_its_address(tmp_path):
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-m", "spillover.cli.main", "broker", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = proc.stdout.readline().strip()
        host, port = address.split(":")
        assert host == "127.0.0.1" and kafka_api_versions_ok(host, int(port))
    finally:
        proc.terminate()
        assert proc.wait(15) == 0


def test_a_broker_stopped_while_it_starts_stops_and_leaves_nothing_listening():
    # Tansu runs in a session of its own: a SIGTERM that killed the command before it had
    # set up its handler would leave the broker running, orphaned, on the port.
    import signal
    import subprocess
    import sys
    import time
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "spillover.cli.main", "broker", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not kafka_api_versions_ok("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        proc.send_signal(signal.SIGTERM)  # as soon as it answers: the command may not have said so yet
        assert proc.wait(15) == 0
        assert not kafka_api_versions_ok("127.0.0.1", port)
    finally:
        proc.kill()
        proc.wait()


def _children(pid: int) -> list[int]:
    from pathlib import Path
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may never reap an orphan)."""
    from pathlib import Path
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.exists(f"/proc/self/task/{os.getpid()}/children"),
                    reason="reads child processes from /proc")
def test_a_demo_stopped_by_sigterm_stops_its_broker_and_worker(tmp_path):
    # `timeout`, a cancelled CI job or Kubernetes stop a command with SIGTERM; Python's default
    # dies at once and would leave the demo's worker and broker running.
    import signal
    import subprocess
    import sys
    import time
    log = tmp_path / "demo.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "spillover.cli.main", "demo"],
                                stdout=subprocess.DEVNULL, stderr=out)
    started: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while proc.poll() is None and len(started) < 2 and time.monotonic() < deadline:  # broker, then worker
            time.sleep(0.05)
            started = _children(proc.pid) if proc.poll() is None else started
        assert len(started) == 2, f"the demo did not start its broker and worker: {log.read_text()[-2000:]}"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 130, log.read_text()[-2000:]  # interrupted, as by Ctrl-C
        assert not [pid for pid in started if _running(pid)]
    finally:  # on failure, leave nothing behind for the next tests
        _kill_all([proc.pid] + started)
        proc.wait()


def test_reading_a_topic_where_no_broker_answers_is_an_error_not_a_silent_wait():
    # `spillover incidents tail --broker` with a wrong address waited for ever, printing nothing:
    # kafka-python's consumer retries the bootstrap without end.
    import threading

    from spillover.kafka_io import read_topic
    port = free_port()  # nothing listens there
    outcome: list = []

    def read() -> None:
        try:
            outcome.append(list(read_topic(f"127.0.0.1:{port}", "spillover.incidents", idle_timeout=1,
                                           connect_timeout=2)))
        except Exception as exc:  # noqa: BLE001 - the outcome is the assertion
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(120)  # not a speed target: without the check the read never returns
    assert outcome, "reading from a broker that is not there never returned"
    assert isinstance(outcome[0], ConnectionError) and f"cannot reach Kafka at 127.0.0.1:{port}" in str(outcome[0])


def test_incidents_tail_skips_what_is_not_an_incident_event_and_goes_on(broker, monkeypatch, capsys):
    # The topic is compacted (a deleted incident leaves an empty record) and any producer can
    # write to it: the tail prints every event and says on stderr what it skipped.
    from helpers import isolated_settings

    from spillover.cli.main import main
    from spillover.kafka_io import ensure_topics, json_producer

    settings = isolated_settings(broker)
    ensure_topics(settings, broker)
    event = {"incident_id": "acme-1", "brand": "Acme", "status": "opened", "path": ["facebook", "twitter"],
             "platforms": [{"platform": "facebook", "first_seen": "2026-03-02T10:00:00Z", "posts": 9,
                            "negative_posts": 7}],
             "detected_at": "2026-03-02T11:00:00Z", "evidence": ["facebook:1"], "schema_version": 1}
    producer = json_producer(broker)
    for value in (b"not json", None, {"incident_id": "acme-2"}, ["a", "list"], event, {**event, "status": "resolved"}):
        producer.send(settings.topics.incidents, key="acme", value=value)
    producer.flush()
    monkeypatch.setenv("SPILLOVER_TOPICS_INCIDENTS", settings.topics.incidents)
    assert main(["incidents", "tail", "--broker", broker, "--json", "--timeout", "3"]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["status"] for line in out.splitlines()] == ["opened", "resolved"]
    assert err.count("skipped the record") == 3  # the tombstone is no error


def test_kafka_python_checks_records_with_compiled_crc32c():
    # Its fallback CRC-32C is pure Python, about 430 us for every 5 KB record produced or read
    # (an enriched post): a reader of posts.enriched was capped near 1,300 posts/s by it.
    from kafka.record import util

    assert util.crc32c_c is not None, "install kafka-python[crc32c]"
    assert util.calc_crc32c(memoryview(b"123456789")) == 0xE3069283  # the standard check value


def test_a_connectors_post_with_half_an_emoji_is_published_and_accepted(broker):
    # Text cut in UTF-16 units keeps a lone surrogate. No UTF-8 can carry it, and the producer's
    # JSON writer (ensure_ascii=False, then UTF-8) used to raise on it: the post never reached posts.raw.
    from helpers import new_topic

    from spillover.kafka_io import json_producer, read_topic
    from spillover.records import RawPost

    topic = new_topic(broker, "raw-surrogate")
    post = {"id": "twitter:7", "platform": "twitter", "created_at": "2026-03-02T10:00:00Z",
            "text": "Acme lost my bag \ud83d", "x_raw": "kept \ud83d"}
    producer = json_producer(broker)
    producer.send(topic, key=post["id"], value=post)
    producer.flush()
    producer.close()
    [record] = list(read_topic(broker, topic, idle_timeout=3))
    received = RawPost.from_bytes(record.value)
    assert received.text == "Acme lost my bag \ufffd" and received.extra == {"x_raw": "kept \ud83d"}


@pytest.mark.model
def test_a_demo_that_ends_well_leaves_no_files_behind(tmp_path, monkeypatch):
    """Its broker's log and its worker's folder (log, settings) used to stay in /tmp after
    every run."""
    import tempfile

    from helpers import isolated_settings

    from spillover.demo import Demo
    from spillover.replay import read_lines
    from spillover.scenarios import SAMPLE_POSTS

    settings = isolated_settings("").replace("kafka", broker="")  # the demo starts its own broker
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    lines = list(read_lines(str(SAMPLE_POSTS)))[:40]
    result = Demo(settings, lines, timeout_s=300).run()
    assert result.published == 40 and result.enriched + result.dead_lettered == 40
    assert list(tmp_path.iterdir()) == []


def test_a_demo_whose_worker_dies_keeps_its_log_and_says_where(broker, tmp_path, monkeypatch):
    import tempfile

    from helpers import isolated_settings

    from spillover.demo import Demo

    settings = isolated_settings(broker).replace("app", watchlist=str(tmp_path / "no-such-watchlist.yaml"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RuntimeError, match="the worker exited with code 1") as failure:
        Demo(settings, [b'{"id": "blog:1"}'], timeout_s=120).run()
    log = failure.value.args[0].rsplit("(the whole log: ", 1)[1].rstrip(")")
    assert log.startswith(str(tmp_path)) and "no-such-watchlist.yaml" in open(log).read()


@pytest.fixture
def ctrl_c():
    """Ctrl-C as an interactive Python takes it (a KeyboardInterrupt): a test run started in
    the background inherits SIGINT ignored, and Python then leaves it ignored."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _interrupted_as_it_starts(monkeypatch, which: str) -> list[int]:
    """Make Ctrl-C land inside subprocess.Popen, just after the child whose command holds
    `which` was started; returns where the started child's pid will be."""
    import signal
    import subprocess

    started: list[int] = []
    real = subprocess.Popen

    def popen(cmd, *args, **kwargs):
        proc = real(cmd, *args, **kwargs)
        if which in cmd:
            started.append(proc.pid)
            signal.raise_signal(signal.SIGINT)
        return proc

    monkeypatch.setattr(subprocess, "Popen", popen)
    return started


def _kill_all(pids: list[int]) -> None:
    import signal

    for pid in pids:
        if _running(pid):
            os.kill(pid, signal.SIGKILL)


def test_an_interrupt_as_the_broker_starts_stops_it(monkeypatch, ctrl_c):
    """Ctrl-C landing after the broker's process was forked, before Popen returned, left it
    running with nothing to stop it (in its own session, not even the terminal's Ctrl-C)."""
    started = _interrupted_as_it_starts(monkeypatch, "broker")
    try:
        with pytest.raises(KeyboardInterrupt):
            EmbeddedBroker().start()
        assert started and not _running(started[0])
    finally:
        _kill_all(started)


def test_an_interrupt_as_the_demo_starts_its_worker_stops_the_worker(broker, tmp_path, monkeypatch, ctrl_c):
    """A demo stopped (Ctrl-C, or SIGTERM from `timeout` or Kubernetes) just as it started its
    worker left the worker running for good: the interrupt landed before the demo held it."""
    import tempfile

    from helpers import isolated_settings

    from spillover.demo import Demo

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started = _interrupted_as_it_starts(monkeypatch, "worker")
    try:
        with pytest.raises(KeyboardInterrupt):
            Demo(isolated_settings(broker), [b'{"id": "blog:1"}'], timeout_s=120).run()
        assert started and not _running(started[0])
    finally:
        _kill_all(started)
