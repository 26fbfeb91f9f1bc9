import pytest

from spillover.settings import load_settings


def test_defaults_work_without_configuration():
    s = load_settings(env={})
    assert s.topics.raw == "spillover.posts.raw" and s.kafka.broker == ""


def test_flags_beat_env_beat_file(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("detection: {quiet_hours: 2, min_ratio: 4}\nkafka: {broker: 'file:1'}\n")
    env = {"SPILLOVER_DETECTION_QUIET_HOURS": "3", "SPILLOVER_BROKER": "env:2"}
    s = load_settings({"kafka.broker": "flag:3"}, config_file=str(cfg), env=env)
    assert (s.kafka.broker, s.detection.quiet_hours, s.detection.min_ratio) == ("flag:3", 3.0, 4.0)


def test_bad_values_and_unknown_settings_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="SPILLOVER_DETECTION_MIN_RATIO"):
        load_settings(env={"SPILLOVER_DETECTION_MIN_RATIO": "lots"})
    cfg = tmp_path / "c.yaml"
    cfg.write_text("detection: {no_such_thing: 1}\n")
    with pytest.raises(ValueError, match="unknown setting detection.no_such_thing"):
        load_settings(config_file=str(cfg), env={})


def test_label_map_from_env_is_parsed():
    s = load_settings(env={"SPILLOVER_MODEL_LABEL_MAP": '{"1 star": "negative"}'})
    assert s.model.label_map == {"1 star": "negative"}


def test_the_message_limit_reaches_the_producer_the_consumer_and_the_changelog_topic(tmp_path):
    # A brand's detector state is one changelog message: the worker must be able to send it,
    # the topic to take it, and a worker restoring the brand to fetch it back as stored bytes.
    from spillover.detection import Detector
    from spillover.metrics import PipelineMetrics
    from spillover.streams.app import create_app
    from spillover.watchlist import Watchlist

    settings = load_settings({"kafka.broker": "127.0.0.1:1", "kafka.max_message_bytes": 3_000_000,
                              "app.data_dir": str(tmp_path)}, env={})
    app = create_app(settings, None, PipelineMetrics(), Watchlist(), Detector(settings.detection))
    assert app.conf.producer_max_request_size == 3_000_000 <= app.conf.consumer_max_fetch_size
    changelog = app.tables["detector-state"].changelog_topic
    assert changelog.config == {"max.message.bytes": "3000000"} and changelog.value_serializer == "raw"


def test_every_detection_setting_is_explained_in_the_readme():
    """Operators tune detection from the README's account of it: a setting it does not name
    is one nobody can tune."""
    import dataclasses
    from pathlib import Path

    from spillover.settings import DetectionSettings

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    unexplained = [f.name for f in dataclasses.fields(DetectionSettings)
                   if f"`{f.name}`" not in readme and f"`detection.{f.name}`" not in readme]
    assert unexplained == []


def test_a_config_or_watchlist_that_is_not_yaml_is_a_clear_error_not_a_traceback(tmp_path, capsys):
    from spillover.cli.main import main

    posts = tmp_path / "posts.jsonl"
    posts.write_text("")
    config, watchlist = tmp_path / "c.yaml", tmp_path / "w.yaml"
    config.write_text("detection: {quiet_hours: 2\n")
    watchlist.write_text("brands:\n  - name: Acme\n    aliases: [acme\n")
    assert main(["replay", "--input", str(posts), "--config", str(config)]) == 1
    assert f"{config}: not valid YAML (" in capsys.readouterr().err
    assert main(["replay", "--input", str(posts), "--watchlist", str(watchlist)]) == 1
    assert f"{watchlist}: not valid YAML (" in capsys.readouterr().err
    with pytest.raises(ValueError, match="SPILLOVER_MODEL_LABEL_MAP: not valid YAML"):
        load_settings(env={"SPILLOVER_MODEL_LABEL_MAP": "{"})


@pytest.mark.parametrize("name, value, told", [
    ("bucket_minutes", "0", "bucket_minutes must be at least 1"),  # was a ZeroDivisionError
    ("usual_complaints", "0", "usual_complaints must be at least 1"),  # was every complaint dead-lettered
    ("alpha", "2", "alpha must be more than 0 and at most 1"),
    ("negative_threshold", "-1", "negative_threshold must be from 0 to 1"),
    ("baseline_hours", "4", "baseline_hours must be longer than max_window_minutes (240)"),
    ("utc_offset_hours", "30", "utc_offset_hours must be from -12 to 14"),
    ("legs_wait_minutes", "-5", "legs_wait_minutes must be 0 or more"),
])
def test_a_worker_refuses_detection_settings_that_make_no_sense_before_it_asks_kafka(name, value, told,
                                                                                       monkeypatch, capsys):
    from spillover.cli.main import main

    monkeypatch.setenv(f"SPILLOVER_DETECTION_{name.upper()}", value)
    assert main(["worker", "--broker", "127.0.0.1:9"]) == 1
    assert f"detection.{told}" in capsys.readouterr().err


def test_a_brands_own_settings_are_checked_too_and_named_by_brand(tmp_path):
    from spillover.detection import Detector
    from spillover.settings import DetectionSettings
    from spillover.watchlist import Watchlist

    path = tmp_path / "w.yaml"
    path.write_text("brands:\n  - name: Acme\n    detection: {min_negative: 0}\n")
    with pytest.raises(ValueError, match="brand 'Acme': detection.min_negative must be at least 1"):
        Detector.for_watchlist(DetectionSettings(), Watchlist.load(path))
