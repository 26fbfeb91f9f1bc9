"""`spillover worker`: the Faust stream workers (enrichment + detection)."""
from __future__ import annotations

from ..streams.worker import run_worker
from .common import add_common, settings_from, setup_logging


def register(sub) -> None:
    p = sub.add_parser("worker", help="run the stream workers against --broker / SPILLOVER_BROKER",
                       description="Runs enrichment (posts.raw -> posts.enriched) and detection "
                                   "(posts.enriched -> incidents) as one Faust worker. Start more for more "
                                   "throughput; they share partitions as one consumer group.")
    add_common(p)
    p.add_argument("--metrics-port", type=int, help="serve Prometheus /metrics on this port")
    p.add_argument("--model", help="model name: spillover-minilm (shipped) or a Hugging Face folder/hub id")
    p.add_argument("--device", help="torch device, e.g. cpu or cuda")
    p.set_defaults(run=run)


def run(args) -> int:
    settings = settings_from(args, **{"app.metrics_port": args.metrics_port, "model.name": args.model,
                                      "model.device": args.device})
    setup_logging(settings.app.log_level, settings.app.log_format)
    run_worker(settings)
    return 0
