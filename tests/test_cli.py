"""What the command line refuses before it starts anything: numbers outside their sense, data it
cannot read."""
import pytest

from spillover.cli.main import main


@pytest.mark.parametrize("argv, told", [
    (["model", "bench", "--posts", "0"], "argument --posts: must be more than 0, not 0"),  # timed every post
    (["model", "bench", "--posts", "-3"], "argument --posts: must be more than 0, not -3"),  # IndexError
    (["model", "bench", "--pipeline", "--seconds", "-1"], "argument --seconds: must be more than 0"),
    (["model", "bench", "--pipeline", "--workers", "0"], "argument --workers: must be more than 0"),
    (["demo", "--timeout", "0"], "argument --timeout: must be more than 0"),
    (["connect", "rss", "--interval", "0"], "argument --interval: must be more than 0"),
    (["connect", "replay", "--input", "x.jsonl", "--speed", "-1"], "argument --speed: must be 0 or more, not -1"),
    (["model", "bench", "--posts", "many"], "argument --posts: 'many' is not an integer"),
])
def test_a_number_outside_its_sense_is_a_usage_error(argv, told, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert told in capsys.readouterr().err


def test_simulate_refuses_fewer_days_than_its_planted_storms_need(tmp_path, capsys):
    out = tmp_path / "s.jsonl"
    assert main(["simulate", "--out", str(out), "--days", "2"]) == 2
    assert "--days must be at least 2.78: the scenario's planted storms and decoys run until hour 66.5" \
        in capsys.readouterr().err
    assert not out.exists()
    assert main(["simulate", "--out", str(out), "--days", "2.78"]) == 0


@pytest.mark.parametrize("content, told", [
    (b'{"text": "fine", "label": "negative"}\nnot json\n', ":2: not JSON ("),
    (b'["a list"]\n', ":1: not an object with a text"),  # was an AttributeError traceback
    (b'{"label": "negative"}\n', ":1: not an object with a text"),  # was "error: 'text'"
    (b'{"text": "x", "label": "angry"}\n', ":1: label 'angry' is not one of"),
    (b'\xff\xfe{"text"}\n', ": not UTF-8 text (invalid start byte at byte 0)"),
])
def test_labelled_data_it_cannot_read_is_named_by_file_and_line(content, told, tmp_path):
    from spillover.models.data import read_labelled

    path = tmp_path / "eval.jsonl"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        read_labelled(path)
    assert str(error.value).startswith(str(path)) and told in str(error.value)


def test_a_metrics_port_in_use_is_named_in_the_error():
    import socket

    from spillover.metrics import PipelineMetrics

    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(OSError) as error:
            PipelineMetrics().serve(port)
    assert str(error.value) == (f"cannot serve metrics on port {port} (Address already in use); "
                                f"pick another with --metrics-port")


def test_kafka_pythons_warning_about_a_busy_producer_is_not_shown_but_its_others_are(caplog):
    """A burst of sends from a producer with one request in flight made kafka-python warn "No
    node available for metadata refresh" in the middle of every demo's progress bar."""
    import logging

    from spillover.cli.common import setup_logging

    setup_logging("warning")
    cluster = logging.getLogger("kafka.cluster")
    try:
        cluster.warning("No node available for metadata refresh - backoff/retry")
        cluster.warning("Topic spillover.posts.raw is not available during auto-create initialization")
        said = caplog.text
        assert "No node available" not in said and "is not available during auto-create" in said
    finally:
        cluster.filters.clear()


def _json_log_env(**more: str) -> dict[str, str]:
    import os

    return {**{k: v for k, v in os.environ.items() if not k.startswith("SPILLOVER_")},
            "SPILLOVER_APP_LOG_FORMAT": "json", **more}


@pytest.mark.broker
def test_json_logs_are_one_object_per_line_with_the_traceback_inside(broker, tmp_path):
    """app.log_format json, for log collectors that would split a multi-line traceback into
    records of its own: here a connector's poll, and an exception logged with its traceback."""
    import json
    import subprocess
    import sys

    from fake_services import ATOM, FakeFeeds

    feeds = FakeFeeds()
    feeds.feeds["/atom.xml"] = ATOM.encode()
    env = _json_log_env()
    try:
        done = subprocess.run([sys.executable, "-m", "spillover.cli.main", "connect", "rss", "--once",
                               "--url", f"{feeds.base}/atom.xml", "--brand", "Acme", "--broker", broker,
                               "--state", str(tmp_path / "rss.sqlite")], capture_output=True, text=True,
                              timeout=120, env=env)
    finally:
        feeds.close()
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert done.returncode == 0 and records
    assert all(set(r) >= {"time", "level", "logger", "message"} for r in records)
    assert any(r["message"].startswith("rss feed") and "published 1 new" in r["message"] for r in records)
    code = ("import logging; from spillover.cli.common import setup_logging; setup_logging('info', 'json')\n"
            "try:\n    {}['brand']\nexcept KeyError:\n    logging.getLogger('spillover.x').exception('post %s', 7)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    [record] = [json.loads(line) for line in done.stderr.splitlines()]
    assert record["message"] == "post 7" and record["level"] == "ERROR" and record["time"].endswith("+00:00")
    assert "Traceback" in record["exception"] and "KeyError: 'brand'" in record["exception"]


def test_an_unknown_log_format_is_refused(capsys, monkeypatch):
    monkeypatch.setenv("SPILLOVER_APP_LOG_FORMAT", "xml")
    assert main(["replay", "--input", "x.jsonl"]) == 1
    assert "app.log_format: 'xml' is not one of text, json" in capsys.readouterr().err


@pytest.mark.parametrize("level", ["info", "critical"])
def test_with_json_logs_the_error_a_command_ends_on_is_a_json_record_too(tmp_path, level):
    """The line that says why a command gave up is the one an operator looks for first. At
    log level critical it used to be dropped, leaving an exit code and nothing else."""
    import json
    import subprocess
    import sys

    env = _json_log_env(SPILLOVER_APP_LOG_LEVEL=level)
    done = subprocess.run([sys.executable, "-m", "spillover.cli.main", "connect", "rss", "--once",
                           "--url", "http://127.0.0.1:9/feed.xml", "--broker", "127.0.0.1:9",
                           "--state", "/proc/no-such-folder/rss.sqlite"], capture_output=True, text=True,
                          timeout=120, env=env)
    [record] = [json.loads(line) for line in done.stderr.splitlines()]
    assert done.returncode == 1 and record["level"] == "ERROR" and "/proc/no-such-folder" in record["message"]


def test_with_json_logs_a_mistake_in_evaluates_arguments_is_a_json_record():
    """evaluate checks its own arguments: it used to print those errors before setting up the
    log format, so they were the one plain line in a JSON log."""
    import json
    import subprocess
    import sys

    env = _json_log_env()
    done = subprocess.run([sys.executable, "-m", "spillover.cli.main", "evaluate", "--traffic", "0"],
                          capture_output=True, text=True, timeout=120, env=env)
    [record] = [json.loads(line) for line in done.stderr.splitlines()]
    assert done.returncode == 2 and record["level"] == "ERROR" and "--traffic must be more than 0" in record["message"]


@pytest.mark.broker
def test_with_json_logs_a_replay_into_kafka_and_an_incidents_tail_write_json_lines_only(broker, tmp_path):
    """`connect replay` runs as a Kubernetes Job and `incidents tail` beside downstream
    systems: their logs go to a collector that reads one JSON object per line. The replay
    drew a progress bar there and ended on a plain line; the tail printed what it skipped
    as plain text."""
    import json
    import subprocess
    import sys

    from helpers import isolated_settings

    from spillover.kafka_io import ensure_topics, json_producer

    settings = isolated_settings(broker)
    ensure_topics(settings, broker)
    posts = tmp_path / "posts.jsonl"
    posts.write_text("".join(json.dumps({"id": f"p{i}", "platform": "twitter", "text": "late again",
                                         "created_at": "2026-03-02T10:00:00Z"}) + "\n" for i in range(30)))
    producer = json_producer(broker)
    producer.send(settings.topics.incidents, key="acme", value=b"not json")
    producer.flush()
    env = _json_log_env(SPILLOVER_TOPICS_RAW=settings.topics.raw, SPILLOVER_TOPICS_INCIDENTS=settings.topics.incidents)
    replay = subprocess.run([sys.executable, "-m", "spillover.cli.main", "connect", "replay", "--input", str(posts),
                             "--broker", broker], capture_output=True, text=True, timeout=120, env=env)
    tail = subprocess.run([sys.executable, "-m", "spillover.cli.main", "incidents", "tail", "--broker", broker,
                           "--timeout", "3"], capture_output=True, text=True, timeout=120, env=env)
    assert replay.returncode == 0 and tail.returncode == 0, replay.stderr + tail.stderr
    said = [json.loads(line)["message"] for line in replay.stderr.splitlines()]
    assert any(line.startswith("publish: 30 of 30 posts in ") for line in said)
    assert f"connect replay: published 30 posts to {settings.topics.raw}" in said
    [skipped] = [json.loads(line) for line in tail.stderr.splitlines()]
    assert skipped["level"] == "WARNING" and "skipped the record at partition 0 offset 0" in skipped["message"]


def test_progress_off_a_terminal_is_logged_now_and_then_and_at_the_end(caplog):
    """A bar's carriage returns make one endless line of a pod's log; a replay paced over
    hours still says how far it is."""
    import io
    import logging

    from spillover.cli.progress import progress

    now = [0.0]
    with caplog.at_level(logging.INFO, logger="spillover.progress"):
        with progress(1000, "publish", stream=io.StringIO(), every_s=30, clock=lambda: now[0]) as bar:
            for _ in range(100):
                now[0] += 1
                bar.update(10)
    said = [r.getMessage() for r in caplog.records if r.name == "spillover.progress"]
    assert said == ["publish: 300 of 1,000 posts in 30 s", "publish: 600 of 1,000 posts in 60 s",
                    "publish: 900 of 1,000 posts in 90 s", "publish: 1,000 of 1,000 posts in 100 s"]


def test_progress_on_a_terminal_is_a_bar_and_quiet_is_nothing(caplog):
    import io
    import logging

    from spillover.cli.progress import progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    with caplog.at_level(logging.INFO, logger="spillover.progress"):
        shown, hidden = Terminal(), Terminal()
        with progress(10, "replay", stream=shown) as bar:
            bar.update(10)
        with progress(10, "replay", stream=hidden, quiet=True) as bar:
            bar.update(10)
    assert "replay: 100%" in shown.getvalue() and "10/10" in shown.getvalue()
    assert hidden.getvalue() == "" and not [r for r in caplog.records if r.name == "spillover.progress"]
