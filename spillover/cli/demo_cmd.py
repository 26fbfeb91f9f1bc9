"""`spillover demo`: broker, workers and a replay of a scenario, printing every incident."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml
from tqdm import tqdm

from ..broker import BrokerError
from ..demo import Demo
from ..replay import read_lines
from ..scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from .common import (
    EXIT_BROKER,
    EXIT_OK,
    add_common,
    fail,
    interrupt_on_sigterm,
    more_than_zero,
    say,
    settings_from,
    setup_logging,
    watchlist_for,
)
from .format import human
from .progress import progress


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline over a scenario on the embedded broker",
                       description="Starts a local Kafka-compatible broker (unless --broker is given), a "
                                   "stream worker and a replay connector over the bundled scenario (or "
                                   "--input), prints every incident event, and exits 0 once drained. "
                                   "With --input and no --watchlist, the brands the file's `brand` fields "
                                   "name are watched, as replay watches them.")
    add_common(p)
    p.add_argument("--input", metavar="POSTS.jsonl", help="scenario to replay (default: the bundled sample)")
    p.add_argument("--json", action="store_true", help="incident events as JSON lines on stdout, nothing else")
    p.add_argument("--timeout", type=more_than_zero(), default=900.0,
                   help="give up after this many seconds (default 900)")
    p.set_defaults(run=run)


def run(args) -> int:
    if not args.input and not args.watchlist:
        args.watchlist = str(SAMPLE_WATCHLIST)
    settings = settings_from(args)
    setup_logging(settings.app.log_level if args.log_level else "warning", settings.app.log_format)
    lines = list(read_lines(args.input or str(SAMPLE_POSTS)))
    if settings.app.watchlist:
        return _run(args, settings, lines)
    # The worker reads its watchlist from a file: the one the input implies, as replay's.
    with tempfile.TemporaryDirectory(prefix="spillover-watchlist-") as folder:
        path = Path(folder) / "watchlist.yaml"
        path.write_text(yaml.safe_dump(watchlist_for("", lines, "demo").to_dict()), encoding="utf-8")
        return _run(args, settings.replace("app", watchlist=str(path)), lines)


def _run(args, settings, lines: list[bytes]) -> int:
    bars = {stage: progress(len(lines), stage, position=i)
            for i, stage in enumerate(("publish", "process"))}

    def on_incident(event) -> None:
        text = event.to_json() if args.json else human(event) + "\n"
        (tqdm.write(text, file=sys.stdout) if not args.json else print(text, flush=True))

    say(f"demo: {len(lines)} posts; starting broker and worker (the model takes a few seconds to load)")
    interrupt_on_sigterm()
    demo = Demo(settings, lines, on_incident=on_incident,
                on_progress=lambda stage, n, total: bars[stage].update(n), timeout_s=args.timeout)
    try:
        result = demo.run()
    except BrokerError as exc:
        return fail(str(exc), EXIT_BROKER)
    finally:
        for bar in bars.values():
            bar.close()
    ids = {e.incident_id for e in result.incidents}
    say(f"demo: drained. {result.published} posts published, {result.enriched} enriched, "
        f"{result.dead_lettered} dead-lettered; {len(result.incidents)} incident events about "
        f"{len(ids)} incidents")
    return EXIT_OK
