"""`spillover demo`: the whole pipeline on one machine, over a scenario, until it has drained.

Broker (embedded unless given), a real `spillover worker` process, the replay connector, and a
follower that prints incident events as the worker emits them. Drained means the worker's own
counters show every published post enriched or dead-lettered, and every enriched post detected.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml
from prometheus_client.parser import text_string_to_metric_families

from .agents.replay import publish_lines
from .broker import configured_or_embedded, free_port
from .kafka_cluster import Broker, Cluster, cluster_of
from .kafka_io import ensure_topics, json_producer, read_topic
from .records import IncidentEvent
from .settings import Settings
from .spawn import interrupts_held


@dataclass
class DemoResult:
    published: int = 0
    enriched: int = 0
    dead_lettered: int = 0
    incidents: list[IncidentEvent] = field(default_factory=list)


class WorkerProcess:
    """A `spillover worker` child process with its metrics endpoint and log file."""

    def __init__(self, broker: Broker, settings: Settings):
        self.metrics_port = free_port()
        self.workdir = workdir = Path(tempfile.mkdtemp(prefix="spillover-worker-"))
        self.log_path = workdir / "worker.log"
        # The child gets exactly our settings: a config file, and no SPILLOVER_* that could differ;
        # a SASL password goes in its environment rather than in a file.
        config = workdir / "settings.yaml"
        config.write_text(yaml.safe_dump(settings.replace("kafka", sasl_password="").to_dict()))
        env = {k: v for k, v in os.environ.items() if not k.startswith("SPILLOVER_")}
        if settings.kafka.sasl_password:
            env["SPILLOVER_KAFKA_SASL_PASSWORD"] = settings.kafka.sasl_password
        cmd = [sys.executable, "-m", "spillover.cli.main", "worker", "--config", str(config),
               "--broker", cluster_of(broker).servers, "--metrics-port", str(self.metrics_port), "--log-level", "info"]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)

    def counters(self) -> dict[str, float]:
        """Sums of the worker's counters and histogram totals, or {} while its metrics server is not up yet."""
        sums: dict[str, float] = {}
        for sample in self._samples():
            if sample.name.endswith(("_total", "_sum", "_count")):
                sums[sample.name] = sums.get(sample.name, 0.0) + sample.value
        return sums

    def gauge(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        """One gauge's values by their sorted labels ({} while the metrics server is not up)."""
        return {tuple(sorted(s.labels.items())): s.value for s in self._samples() if s.name == name}

    def _samples(self) -> list:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=2) as resp:
                text = resp.read().decode()
        except OSError:
            return []
        return [sample for family in text_string_to_metric_families(text) for sample in family.samples]

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:] + [f"(the whole log: {self.log_path})"])

    def stop(self, grace: float = 20.0, keep_files: bool = False) -> None:
        """Stop the worker. Its folder (log, settings) goes with it, unless asked to keep it or
        the worker had exited by itself: then it is what tells why."""
        exited_by_itself = self.proc.poll() is not None
        if not exited_by_itself:
            self.proc.terminate()
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        if not (keep_files or exited_by_itself):
            shutil.rmtree(self.workdir, ignore_errors=True)


class Demo:
    def __init__(self, settings: Settings, lines: list[bytes],
                 on_incident: Callable[[IncidentEvent], None] = lambda e: None,
                 on_progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
                 timeout_s: float = 900.0):
        self.settings = settings.replace("kafka", raw_partitions=1)
        self.lines = lines
        self.on_incident = on_incident
        self.on_progress = on_progress
        self.timeout_s = timeout_s

    def run(self) -> DemoResult:
        with configured_or_embedded(self.settings.kafka) as cluster:
            return self._run(cluster)

    def _run(self, cluster: Cluster) -> DemoResult:
        ensure_topics(self.settings, cluster)
        result, stop = DemoResult(), threading.Event()
        follower = threading.Thread(target=self._follow, args=(cluster, result, stop), daemon=True)
        follower.start()
        worker, failed = None, True
        try:
            with interrupts_held():  # an interrupt as it starts must still find it here to stop
                worker = WorkerProcess(cluster, self.settings)
            producer = json_producer(cluster, client_id="spillover-demo-replay")
            result.published = publish_lines(self.lines, producer, self.settings.topics.raw,
                                              on_sent=lambda n: self.on_progress("publish", n, len(self.lines)))
            producer.close()
            self._wait_drained(worker, result)
            failed = False
        finally:
            stop.set()
            follower.join(10)
            if worker is not None:
                worker.stop(keep_files=failed)
        return result

    def _follow(self, cluster: Cluster, result: DemoResult, stop: threading.Event) -> None:
        for record in read_topic(cluster, self.settings.topics.incidents, stop=stop):
            event = IncidentEvent.from_dict(json.loads(record.value))
            result.incidents.append(event)
            self.on_incident(event)

    def _wait_drained(self, worker: WorkerProcess, result: DemoResult) -> None:
        deadline, done = time.monotonic() + self.timeout_s, 0
        while time.monotonic() < deadline:
            if worker.proc.poll() is not None:
                raise RuntimeError(f"the worker exited with code {worker.proc.returncode}:\n{worker.log_tail()}")
            c = worker.counters()
            result.enriched = int(c.get("spillover_posts_enriched_total", 0))
            result.dead_lettered = int(c.get("spillover_dlq_total", 0))
            detected = int(c.get("spillover_detector_posts_total", 0))
            emitted = int(c.get("spillover_incidents_total", 0))
            progress = min(result.enriched + result.dead_lettered, detected + result.dead_lettered)
            self.on_progress("process", progress - done, result.published)
            done = progress
            if (result.enriched + result.dead_lettered >= result.published and detected >= result.enriched
                    and len(result.incidents) >= emitted):
                return
            time.sleep(0.5)
        raise TimeoutError(f"the scenario did not drain within {self.timeout_s:.0f}s:\n{worker.log_tail()}")
