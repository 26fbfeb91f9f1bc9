"""`spillover model eval|bench|export`: quality and speed of the configured sentiment model."""
from __future__ import annotations

import json

from ..scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from .common import add_common, interrupt_on_sigterm, more_than_zero, settings_from


def register(sub) -> None:
    p = sub.add_parser("model", help="evaluate, benchmark or export the sentiment model")
    inner = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    e = inner.add_parser("eval", help="macro recall, accuracy, per-class figures and confusion matrix")
    e.add_argument("--data", required=True, metavar="FILE", help='JSON lines of {"text", "label"}')
    b = inner.add_parser("bench", help="posts per second of the model step")
    b.add_argument("--data", metavar="FILE", help="JSON lines with a text field (default: the demo scenario)")
    b.add_argument("--posts", type=more_than_zero(int), default=2000, help="how many posts to time (default 2000)")
    b.add_argument("--pipeline", action="store_true",
                   help="time the whole enrichment agent instead: a real worker, posts.raw in, "
                        "posts.enriched out, on the embedded broker unless --broker is given")
    b.add_argument("--broker", metavar="HOST:PORT", help="with --pipeline: an existing Kafka to use")
    b.add_argument("--load", type=more_than_zero(), default=0.8,
                   help="with --pipeline: steady load as a fraction of the measured rate (default 0.8)")
    b.add_argument("--seconds", type=more_than_zero(), default=30.0,
                   help="with --pipeline: how long the steady load runs (default 30)")
    b.add_argument("--workers", type=more_than_zero(int), default=1,
                   help="with --pipeline: worker processes sharing posts.raw, a partition each (default 1)")
    x = inner.add_parser("export", help="write the model as a standard Hugging Face folder",
                         description="Config, tokenizer and weights that transformers.pipeline("
                                     "'text-classification', model=DIR) loads, with the same labels as Spillover.")
    x.add_argument("dir", metavar="DIR", help="output folder (created)")
    for q in (e, b, x):
        add_common(q, broker=False)
        q.add_argument("--json", action="store_true", help="one JSON object on stdout")
        q.add_argument("--model", help="spillover-minilm (shipped) or a Hugging Face folder/hub id")
        q.add_argument("--device", help="torch device, e.g. cpu or cuda")
        q.add_argument("--batch", type=int, help="maximum batch size")
        q.add_argument("--quantize", action="store_true", default=None,
                       help="dynamic int8 on CPU (about a point less macro recall)")
        q.add_argument("--dtype", choices=("auto", "float32", "bfloat16"),
                       help="number format of the forward pass (default auto: bfloat16 on a CPU that has it natively)")
    e.set_defaults(run=run_eval)
    x.set_defaults(run=run_export)
    b.set_defaults(run=run_bench)


def _settings(args):
    return settings_from(args, **{"model.name": args.model, "model.device": args.device,
                                  "model.max_batch": args.batch, "model.quantize": args.quantize,
                                  "model.dtype": args.dtype})


def _model(args, **overrides):
    from dataclasses import replace

    from ..models.pipeline import SentimentModel

    return SentimentModel.load(replace(_settings(args).model, **overrides))


def run_eval(args) -> int:
    from ..models.evaluate import evaluate

    report = evaluate(_model(args), args.data)
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"model {report['model']} on {report['data']} (n={report['n']})")
    print(f"macro recall {report['macro_recall']:.4f}   accuracy {report['accuracy']:.4f}")
    print(f"{'class':>10} {'precision':>10} {'recall':>8} {'support':>8}")
    for label, c in report["per_class"].items():
        print(f"{label:>10} {c['precision']:>10.4f} {c['recall']:>8.4f} {c['support']:>8}")
    labels = report["confusion"]["labels"]
    print("confusion (rows gold, columns predicted):")
    print(" " * 10 + "".join(f"{l:>10}" for l in labels))
    for label, row in zip(labels, report["confusion"]["matrix"]):
        print(f"{label:>10}" + "".join(f"{n:>10}" for n in row))
    return 0


def run_bench(args) -> int:
    if args.pipeline:
        return run_pipeline_bench(args)
    from ..models.data import read_texts
    from ..models.evaluate import bench

    result = bench(_model(args), read_texts(args.data or SAMPLE_POSTS), args.posts)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['posts_per_second']} posts/s  ({result['posts']} posts in {result['seconds']} s, "
              f"batches up to {result['batch_size_max']}, device {result['device']}, "
              f"{result['lanes']} lanes x {result['threads']} threads)")
    return 0


def run_pipeline_bench(args) -> int:
    from ..agent_bench import AgentBench, usable_posts
    from ..replay import read_lines
    from ..watchlist import Watchlist

    if not args.watchlist and not args.data:
        args.watchlist = str(SAMPLE_WATCHLIST)
    settings = _settings(args)
    posts = usable_posts(list(read_lines(args.data or str(SAMPLE_POSTS))), Watchlist.load(settings.app.watchlist),
                         settings.detection.max_future_minutes * 60)
    interrupt_on_sigterm()
    result = AgentBench(settings, posts, burst=args.posts, load=args.load, steady_s=args.seconds,
                        workers=args.workers).run()
    if args.json:
        print(json.dumps(result))
    else:
        lat = result["latency_ms"]
        print(f"{result['posts_per_second']} posts/s through the enrichment agent (burst of "
              f"{result['burst_posts']} posts, raw -> enriched, model {result['model']} on {result['device']}, "
              f"{result['workers']} worker{'s' if result['workers'] > 1 else ''})")
        print(f"at {result['steady_rate']} posts/s for {result['steady_seconds']:.0f} s: latency p50 "
              f"{lat['p50']} ms, p95 {lat['p95']} ms, p99 {lat['p99']} ms, max {lat['max']} ms")
    return 0


def run_export(args) -> int:
    import sys

    from ..models.export import export

    # Full precision, whatever the CPU: the folder is the model, not this machine's fast copy of it.
    out = export(_model(args, dtype="float32"), args.dir)
    print(f"model: exported to {out}", file=sys.stderr)
    if args.json:
        print(json.dumps({"dir": str(out)}))
    return 0
