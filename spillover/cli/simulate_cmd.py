"""`spillover simulate`: write a synthetic scenario, its ground truth and its watchlist."""
from __future__ import annotations

import json
import math
import sys

import yaml

from ..scenarios.generator import SAMPLE_PLANS, generate, watchlist_yaml
from .common import EXIT_USAGE, fail

# Where the sample plans' last leg ends, and the days that holds (rounded up as --help prints
# them): a shorter scenario would plant storms past its end.
PLANS_END_H = max(leg.start_h + leg.duration_h for plan in SAMPLE_PLANS for leg in plan.legs)
SAMPLE_DAYS = math.ceil(PLANS_END_H / 24 * 100) / 100

BAD_LINES = (
    b"this line is not JSON at all",
    b'{"id": "twitter:bad-1", "platform": "twitter", "text": "no timestamp here"}',
    b'{"id": "twitter:bad-2", "platform": "twitter", "text": "when?", "created_at": "yesterday"}',
    # Dated centuries ahead: accepted, it would silence Fjord Mobile's detection for good.
    b'{"id": "twitter:bad-3", "platform": "twitter", "brand": "Fjord Mobile", "text": "Fjord billed me twice", '
    b'"created_at": "2999-01-01T00:00:00Z"}',
)


def register(sub) -> None:
    p = sub.add_parser("simulate", help="generate a multi-day, multi-brand scenario with planted incidents",
                       description="Writes posts in arrival order (some blog posts arrive hours late), a "
                                   "ground-truth file of planted incidents and decoys, and a watchlist.")
    p.add_argument("--out", required=True, metavar="POSTS.jsonl")
    p.add_argument("--truth", metavar="TRUTH.jsonl", help="planted incidents and decoys")
    p.add_argument("--watchlist-out", metavar="WATCHLIST.yaml", help="the brands of the scenario")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--days", type=float, default=3.0,
                   help=f"how long (default 3; at least {SAMPLE_DAYS:.2f}, where its planted storms end)")
    p.add_argument("--start", default="2026-03-02T00:00:00Z", help="RFC 3339 start of the scenario")
    p.add_argument("--bad-lines", action="store_true", help="mix in malformed lines (they must reach the DLQ)")
    p.set_defaults(run=run)


def run(args) -> int:
    if args.days < SAMPLE_DAYS:
        return fail(f"--days must be at least {SAMPLE_DAYS:.2f}: the scenario's planted storms and decoys run "
                    f"until hour {PLANS_END_H:g}", EXIT_USAGE)
    posts, truth = generate(args.seed, args.start, args.days)
    lines = [json.dumps(p, ensure_ascii=False).encode() for p in posts]
    if args.bad_lines:
        for i, bad in enumerate(BAD_LINES):
            lines.insert((i + 1) * len(lines) // (len(BAD_LINES) + 1), bad)
    with open(args.out, "wb") as fh:
        fh.writelines(line + b"\n" for line in lines)
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(t) + "\n" for t in truth)
    if args.watchlist_out:
        with open(args.watchlist_out, "w", encoding="utf-8") as fh:
            yaml.safe_dump(watchlist_yaml(), fh, sort_keys=False, allow_unicode=True)
    planted = sum(t["kind"] == "incident" for t in truth)
    print(f"simulate: {len(lines)} lines, {planted} planted incidents, {len(truth) - planted} decoys", file=sys.stderr)
    return 0
