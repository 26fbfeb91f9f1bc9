"""The shipped manifests: dashboards and alerts refer to metrics the workers really export, and
the config they mount is one the worker accepts."""
import json
import re
from pathlib import Path

import pytest
import yaml

from spillover.agents.metrics import ConnectorMetrics
from spillover.metrics import PipelineMetrics
from spillover.watchlist import Watchlist

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
METRIC = re.compile(r"\bspillover_[a-z_]+")


def exported_names() -> set[str]:
    names = set()
    families = [*PipelineMetrics().registry.collect(), *ConnectorMetrics().registry.collect()]
    for family in families:
        names.update(sample.name for sample in family.samples)
        names.update(f"{family.name}{suffix}" for suffix in ("_total", "_bucket", "_sum", "_count", ""))
    return names


def referenced(text: str) -> set[str]:
    return set(METRIC.findall(text))


def test_manifests_parse():
    for path in DEPLOY.rglob("*.yaml"):
        assert list(yaml.safe_load_all(path.read_text())), path
    json.loads((DEPLOY / "grafana" / "spillover-dashboard.json").read_text())


def test_alerts_and_dashboard_use_only_exported_metrics():
    exported = exported_names()
    alerts = (DEPLOY / "prometheus" / "alerts.yaml").read_text()
    dashboard = (DEPLOY / "grafana" / "spillover-dashboard.json").read_text()
    used = referenced(alerts) | referenced(dashboard)
    assert used and used <= exported, used - exported


def test_the_worker_pod_has_a_writable_data_dir():
    """The image runs as a non-root user in a root-owned /app, and Faust creates its data
    directory at start: the data dir must be one the image hands to that user and the pod
    mounts writable, or every worker pod crash-loops."""
    dockerfile = (DEPLOY.parent / "Dockerfile").read_text()
    data_dir = re.search(r"SPILLOVER_APP_DATA_DIR=(\S+)", dockerfile).group(1)
    assert re.search(rf"chown spillover {re.escape(data_dir)}\b", dockerfile)
    worker = next(d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / "worker.yaml").read_text())
                  if d["kind"] == "Deployment")
    pod = worker["spec"]["template"]["spec"]
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    volume = next(v for v in pod["volumes"] if v["name"] == mounts[data_dir])
    assert "emptyDir" in volume or "persistentVolumeClaim" in volume
    assert not next((m for m in pod["containers"][0]["volumeMounts"] if m["mountPath"] == data_dir)).get("readOnly")


def test_the_shipped_watchlist_is_one_the_worker_accepts():
    config = yaml.safe_load((DEPLOY / "kubernetes" / "configmap.yaml").read_text())
    watchlist = Watchlist.from_dict(yaml.safe_load(config["data"]["watchlist.yaml"]))
    assert watchlist.brands and watchlist.resolve("so @NorthwindAir lost my bag") == "Northwind Air"


def test_the_shipped_config_file_is_one_the_worker_accepts(tmp_path):
    from spillover.models.pipeline import compute_dtype
    from spillover.settings import load_settings

    config = yaml.safe_load((DEPLOY / "kubernetes" / "configmap.yaml").read_text())
    path = tmp_path / "spillover.yaml"
    path.write_text(config["data"]["spillover.yaml"])
    settings = load_settings({}, config_file=str(path), env={})  # an unknown or mistyped setting raises
    assert settings.kafka.replication_factor == 3 and settings.app.watchlist == "/etc/spillover/watchlist.yaml"
    compute_dtype(settings.model)  # a number format the model accepts


def test_the_state_size_alert_sees_the_largest_state_written_against_the_limit():
    metrics = PipelineMetrics()
    metrics.detector_state_limit.set(1_000_000)
    for size in (500_000, 850_000, 300_000):
        metrics.state_written(size, 0.02)
    value = metrics.registry.get_sample_value
    assert value("spillover_detector_state_largest_bytes") == 850_000  # over 80%: the alert fires
    assert value("spillover_detector_state_limit_bytes") == 1_000_000
    assert value("spillover_detector_state_bytes_count") == 3
    assert value("spillover_detector_state_encode_seconds_sum") == pytest.approx(0.06)
    # Encoding takes milliseconds: the histogram must tell 2 ms from 8 ms for the dashboard's p99.
    assert value("spillover_detector_state_encode_seconds_bucket", {"le": "0.0025"}) == 0
    assert value("spillover_detector_state_encode_seconds_bucket", {"le": "0.025"}) == 3


def test_platform_labels_stay_bounded_whatever_names_producers_send():
    from spillover.metrics import MAX_PLATFORM_LABELS, PipelineMetrics

    metrics = PipelineMetrics()
    for i in range(MAX_PLATFORM_LABELS + 10):
        metrics.posts_in.labels(metrics.platform(f"made_up_{i}")).inc()
    metrics.posts_in.labels(metrics.platform("made_up_0")).inc()  # a name already seen keeps its label
    samples = {s.labels["platform"]: s.value for s in next(iter(metrics.posts_in.collect())).samples
               if s.name.endswith("_total")}
    assert len(samples) == MAX_PLATFORM_LABELS + 1
    assert samples["other"] == 10 and samples["made_up_0"] == 2


def _documents(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((DEPLOY / "kubernetes" / name).read_text()) if d]


def test_every_pod_is_given_what_the_shipped_kafka_security_settings_name(tmp_path):
    """The config names a CA file and a SASL user; each Deployment must mount that file from a
    Secret and take the password from the Secret Strimzi writes for that user, or its pods
    fail at start with "cannot use ... as CA certificates" or "needs kafka.sasl_password"."""
    from secure_front import make_certificates

    from spillover.kafka_cluster import Cluster
    from spillover.settings import load_settings

    config = yaml.safe_load((DEPLOY / "kubernetes" / "configmap.yaml").read_text())
    path = tmp_path / "spillover.yaml"
    path.write_text(config["data"]["spillover.yaml"])
    kafka = load_settings({}, config_file=str(path), env={}).kafka
    [user] = _documents("user.yaml")
    assert kafka.security_protocol == "SASL_SSL" and kafka.sasl_username == user["metadata"]["name"]
    assert user["spec"]["authentication"]["type"] == kafka.sasl_mechanism.lower()
    for deployment in (d for name in ("worker.yaml", "connectors.yaml") for d in _documents(name)
                       if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        name = deployment["metadata"]["name"]
        password = next((e for e in container["env"] if e["name"] == "SPILLOVER_KAFKA_SASL_PASSWORD"), None)
        assert password, f"{name}: no SPILLOVER_KAFKA_SASL_PASSWORD"
        assert password["valueFrom"]["secretKeyRef"] == {"name": user["metadata"]["name"], "key": "password"}
        mount = next((m for m in container["volumeMounts"] if kafka.ssl_cafile.startswith(m["mountPath"] + "/")), None)
        assert mount, f"{name}: nothing mounted where {kafka.ssl_cafile} is"
        volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
        key = kafka.ssl_cafile[len(mount["mountPath"]) + 1:]
        assert key in [item["path"] for item in volume["secret"]["items"]], name
    # With those files and that password in place, the settings make a cluster.
    certs = make_certificates(tmp_path)
    placed = load_settings({"kafka.ssl_cafile": str(certs["ca"])}, config_file=str(path),
                           env={"SPILLOVER_KAFKA_SASL_PASSWORD": "from-the-secret"})
    assert Cluster.from_settings(placed.kafka).ssl_context is not None


def test_the_kafka_user_may_use_every_topic_and_the_group_the_worker_does():
    from spillover.settings import Settings

    [user] = _documents("user.yaml")
    acls = user["spec"]["authorization"]["acls"]
    settings = Settings()
    group = settings.kafka.group_id
    topics = [*vars(settings.topics).values(), f"{group}-detector-state-changelog", f"{group}-__assignor-__leader"]

    def allowed(kind: str, name: str, operation: str) -> bool:
        return any(acl["resource"]["type"] == kind and operation in acl["operations"] and
                   (name.startswith(acl["resource"]["name"]) if acl["resource"]["patternType"] == "prefix"
                    else name == acl["resource"]["name"]) for acl in acls)

    for topic in topics:
        for operation in ("Create", "Describe", "Read", "Write"):
            assert allowed("topic", topic, operation), (topic, operation)
    assert allowed("group", group, "Read") and allowed("group", group, "Describe")


def test_the_credentials_alert_watches_the_code_and_the_containers_that_exit_with_it():
    """A worker or connector that Kafka refuses exits with EXIT_REFUSED: the alert must look
    for that code, on containers named as the Deployments name them."""
    from spillover.kafka_refusals import EXIT_REFUSED

    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    rules = {rule["alert"]: rule for group in alerts["spec"]["groups"] for rule in group["rules"]}
    expr = rules["SpilloverKafkaRefusesCredentials"]["expr"]
    assert f"kube_pod_container_status_last_terminated_exitcode{{container=~\"worker|connect\"}} == {EXIT_REFUSED}" \
        in " ".join(expr.split())
    [watched] = set(re.findall(r'container=~"([^"]+)"', expr))
    containers = [c["name"] for name in ("worker.yaml", "connectors.yaml") for d in _documents(name)
                  if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]]
    assert containers and all(re.fullmatch(watched, name) for name in containers), containers


def test_the_workers_are_spread_over_nodes_and_drained_one_at_a_time():
    """A node drain must leave a worker detecting while another's partitions move, and must not
    hang: the budget selects the worker pods and always allows one to go."""
    docs = _documents("worker.yaml")
    [deployment] = [d for d in docs if d["kind"] == "Deployment"]
    [budget] = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]

    def selects(selector: dict) -> bool:
        return selector["matchLabels"].items() <= labels.items()

    assert selects(budget["spec"]["selector"]) and budget["spec"]["maxUnavailable"] == 1
    assert deployment["spec"]["replicas"] > budget["spec"]["maxUnavailable"]
    [spread] = pod["spec"]["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname" and selects(spread["labelSelector"])
