"""The shipped dashboards and alerts must refer to metrics the workers really export."""
import json
import re
from pathlib import Path

import yaml

from spillover.agents.metrics import ConnectorMetrics
from spillover.metrics import PipelineMetrics

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
