"""`spillover replay`: enrichment and detection straight from a file, no broker."""
from __future__ import annotations

import json
import sys

from ..detection import Detector
from ..replay import incident_line, read_lines, run_replay, sort_by_event_time
from .common import EXIT_OK, add_common, say, settings_from, setup_logging, watchlist_for
from .progress import progress


def register(sub) -> None:
    p = sub.add_parser("replay", help="run enrichment + detection over a POSTS.jsonl file (no broker)",
                       description="Same code as the stream workers, driven from a file: posts are taken "
                                   "in file order (the order the stream would receive them) and every "
                                   "window uses created_at. Writes incident events as JSON lines. Without "
                                   "--watchlist, the brands the file's `brand` fields name are watched, so "
                                   "a post without `brand` that names one of them is attributed to it.")
    add_common(p, broker=False)
    p.add_argument("--input", required=True, metavar="POSTS.jsonl", help="posts, one JSON object per line")
    p.add_argument("--output", metavar="INCIDENTS.jsonl", help="where to write incident events (default stdout)")
    p.add_argument("--dlq", metavar="FILE", help="write rejected lines here with their reason (JSON lines)")
    p.add_argument("--sort", action="store_true",
                   help="sort by created_at first: what-if every post had arrived on time")
    p.add_argument("--model", help="model name: spillover-minilm (shipped) or a Hugging Face folder/hub id")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..models.pipeline import SentimentModel

    settings = settings_from(args, **{"model.name": args.model})
    setup_logging(settings.app.log_level if args.log_level else "warning", settings.app.log_format)
    lines = list(read_lines(args.input))
    if args.sort:
        lines = sort_by_event_time(lines)
    watchlist = watchlist_for(settings.app.watchlist, lines, "replay")
    model = SentimentModel.load(settings.model)
    detector = Detector.for_watchlist(settings.detection, watchlist)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    dlq = open(args.dlq, "w", encoding="utf-8") if args.dlq else None
    bar = progress(len(lines), "replay", quiet=args.quiet)
    try:
        stats = run_replay(
            lines, model, detector, watchlist,
            on_incident=lambda e: (out.write(incident_line(e) + "\n"), out.flush()),
            on_reject=lambda r: dlq and dlq.write(json.dumps(
                {"code": r.code, "reason": r.reason, "value": r.value.decode("utf-8", "replace")}) + "\n"),
            batch_size=settings.model.max_batch, on_progress=bar.update,
            max_future_s=settings.detection.max_future_minutes * 60,
        )
    finally:
        bar.close()
        if out is not sys.stdout:
            out.close()
        if dlq:
            dlq.close()
    rejected = ", ".join(f"{n} {code}" for code, n in sorted(stats.rejected.items())) or "none"
    say(f"replay: {stats.read} lines, {stats.enriched} posts enriched, rejected: {rejected}; "
        f"{stats.incidents} incident events")
    return EXIT_OK
