"""Repeat the worker-kill scenario of tests/test_faults.py and print what each run lost.

    .venv/bin/python scripts/kill_loop.py [RUNS]

Each run: one worker takes the bundled sample, is killed (SIGKILL) halfway through, and a
replacement finishes it. Printed per run: whether its incident events equal replay's, how many
accepted posts never reached posts.enriched, how many copies it holds (at least once), and the
gaps the workers' offset ledgers filled (their "never given" warnings). The figures behind
BENCHMARKS.md's kill-scenario row.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_faults import Run, wait_for  # noqa: E402

from spillover.broker import EmbeddedBroker  # noqa: E402
from spillover.kafka_io import read_topic  # noqa: E402
from spillover.models.pipeline import SentimentModel  # noqa: E402
from spillover.settings import ModelSettings  # noqa: E402


def one_run(broker: str, model) -> str:
    run = Run(broker, model)
    try:
        first = run.worker()
        run.publish(run.lines)
        wait_for(lambda: run.detected() >= len(run.lines) // 2, 150, lambda: first.log_tail(30))
        first.proc.kill()
        first.proc.wait()
        run.worker()
        run.finish()
        same = run.distinct_events() == sorted(e.to_json() for e in run.expected)
        copies = sum(1 for _ in read_topic(broker, run.settings.topics.enriched, idle_timeout=3))
        gaps = [line.split("WARNING ", 1)[-1] for w in run.workers
                for line in w.log_path.read_text(errors="replace").splitlines() if "never given" in line]
        return (f"events {'as replay' if same else 'DIFFERENT'}; lost {len(run.lost_posts())} of "
                f"{len(run.accepted)} accepted; {copies} messages on posts.enriched; gaps filled: "
                + ("; ".join(gaps) or "none"))
    finally:
        run.close()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    model = SentimentModel.load(ModelSettings())
    with EmbeddedBroker() as broker:
        for i in range(runs):
            print(f"run {i + 1}: {one_run(broker.bootstrap, model)}", flush=True)


if __name__ == "__main__":
    main()
