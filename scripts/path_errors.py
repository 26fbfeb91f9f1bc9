"""Why a found storm's path is wrong: the figures behind BENCHMARKS.md's "Where the path goes
wrong".

    .venv/bin/python scripts/path_errors.py [--seeds 1-60] [--start TIME] [--wordings unseen]

For each storm `spillover evaluate` finds with the wrong first two platforms (as last
reported), the order in which its platforms' first planted posts that the pipeline reads as
complaints were written: each post parsed and enriched as the stream worker does it (the
shipped model, long-form posts read sentence by sentence) and judged by the detector's own
rule (`Detector.is_complaint`). Printed per storm, then counted:

- shown: the report follows that order, which is not the planted one. The detector reported
  what the complaints it was given show: the model read a leg's first posts as something else,
  or a sparse leg's first post was written after a busier leg's.
- detector: that order is the planted one and the report is not.
- both: neither is the planted order, and the report differs from what the complaints show.
"""
from __future__ import annotations

import argparse
import os
from collections import Counter

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from spillover.cli.evaluate_cmd import parse_seeds  # noqa: E402
from spillover.detection import Detector  # noqa: E402
from spillover.enrichment import Rejection, enrich, parse  # noqa: E402
from spillover.evaluation import CachedModel, evaluate  # noqa: E402
from spillover.models.pipeline import SentimentModel  # noqa: E402
from spillover.scenarios.generator import SUITE_START, WORDINGS, suite_scenario, watchlist_yaml  # noqa: E402
from spillover.settings import load_settings  # noqa: E402
from spillover.watchlist import Watchlist  # noqa: E402


def _first_complaints(lines: list[bytes], post_ids: set[str], model, watchlist, judge: Detector) -> list[str]:
    """The planted platforms in the order of their first post read as a complaint."""
    parsed = [p for p in (parse(None, line, watchlist) for line in lines)
              if not isinstance(p, Rejection) and p.id in post_ids]
    first: dict[str, float] = {}
    for post in enrich(parsed, model):
        if judge.is_complaint(post):
            platform = post.post.platform
            first[platform] = min(first.get(platform, post.event_time), post.event_time)
    return sorted(first, key=lambda p: (first[p], p))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", default="1-60")
    ap.add_argument("--start", default=SUITE_START)
    ap.add_argument("--wordings", choices=sorted(WORDINGS), default="suite")
    args = ap.parse_args()
    settings = load_settings({})
    watchlist = Watchlist.from_dict(watchlist_yaml(WORDINGS[args.wordings]))
    model = CachedModel(SentimentModel.load(settings.model))
    scenarios = [suite_scenario(seed, 4, args.start, 1.0, 0.0, "gradual", args.wordings)
                 for seed in parse_seeds(args.seeds)]
    score = evaluate(scenarios, model, {"spillover": lambda: Detector(settings.detection, watchlist.playbooks, {})},
                     watchlist)["spillover"]
    judge, kinds = Detector(settings.detection), Counter()
    for case in score.cases:
        if case["case"] != "path_wrong":
            continue
        lines, truth = scenarios[case["scenario"]]
        planted = next(t for t in truth if t["id"] == case["planted"])
        shown = _first_complaints(lines, set(planted["post_ids"]), model, watchlist, judge)[:2]
        reported = case["reported_path"][:2]
        kind = "detector" if shown == planted["path"][:2] else "shown" if reported == shown else "both"
        kinds[kind] += 1
        first_seen = {p: case["first_seen"][p][5:16] for p in reported}
        print(f"{kind:8} {planted['id']}: planted {planted['path'][:2]}, first complaints {shown}, "
              f"reported {reported} {first_seen}, opened {case['detected_at'][5:16]}")
    print(f"found {score.found} of {score.planted}; path wrong {sum(kinds.values())}: "
          + ", ".join(f"{k} {kinds[k]}" for k in ("shown", "detector", "both")))


if __name__ == "__main__":
    main()
