"""Where a storm and two problems of one brand part: the figures behind BENCHMARKS.md's
"Two problems of one brand at once".

    .venv/bin/python scripts/two_problems.py [--seeds 1-60] [--start TIME] [--wordings unseen]

Every decoy the suite's detector raises is two unrelated grievances of one brand, each loud on
a platform of its own, taken for one storm. Two measurements:

1. What the planted posts say. For each storm on two platforms or more and each two-problem
   decoy: the cosine between the centroids of its first two platforms' complaints (the model's
   negative score 0.15 or more; embeddings centred on the brand's mean complaint over the
   scenario, with the detector's shrink, `vectors.SHRINK`), taking the first K planted
   complaints of each platform, or every complaint about the brand on the platform over the
   span of those K (background in). Printed: storms' 5th percentile and median, decoys' median
   and 95th percentile.
2. What the shipped detector's events show. For each incident it opens, matched to the truth
   as `spillover evaluate` matches it, how many of the six words (`platforms[].terms`) of its
   first two platforms are shared at opening: storms against decoys raised.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import defaultdict

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from spillover.cli.evaluate_cmd import parse_seeds  # noqa: E402
from spillover.detection import Detector  # noqa: E402
from spillover.detection.vectors import SHRINK, post_vector, unit  # noqa: E402
from spillover.evaluation import CachedModel, matched_plant  # noqa: E402
from spillover.models.pipeline import SentimentModel  # noqa: E402
from spillover.replay import run_replay  # noqa: E402
from spillover.scenarios.generator import SUITE_START, WORDINGS, suite_scenario, watchlist_yaml  # noqa: E402
from spillover.settings import load_settings  # noqa: E402
from spillover.watchlist import Watchlist  # noqa: E402

COMPLAINT_SCORE = 0.15
SPANS = ((8, False), (8, True), (4, True))   # (K, background in)


def _posts(lines: list[bytes]) -> list[dict]:
    out = []
    for line in lines:
        try:
            post = json.loads(line)
        except ValueError:
            continue
        if isinstance(post, dict) and isinstance(post.get("text"), str) and post.get("brand"):
            out.append(post)
    return out


def _complaint_vectors(posts: list[dict], model: CachedModel) -> dict[str, np.ndarray]:
    """Each complaint's embedding, centred on its brand's mean complaint."""
    predictions = model.predict([p["text"] for p in posts])
    raw, by_brand = {}, defaultdict(list)
    for post, pred in zip(posts, predictions):
        if pred.scores.get("negative", 0.0) >= COMPLAINT_SCORE:
            raw[post["id"]] = (post["brand"], post_vector(pred.embedding, post["text"], post["brand"]))
            by_brand[post["brand"]].append(raw[post["id"]][1])
    mean = {brand: np.mean(vs, axis=0) for brand, vs in by_brand.items()}
    return {pid: unit(v - SHRINK * mean[brand]) for pid, (brand, v) in raw.items()}


def _alike(plan: dict, posts: list[dict], vec: dict[str, np.ndarray], k: int, background: bool) -> float | None:
    """Cosine of the centroids of the plan's first two platforms' complaints."""
    by_id = {p["id"]: p for p in posts}
    centroids = []
    for platform in plan["path"][:2]:
        mine = sorted((by_id[i]["created_at"], i) for i in plan["post_ids"]
                      if i in vec and by_id[i]["platform"] == platform)[:k]
        if len(mine) < 2:
            return None
        if background:
            lo, hi = mine[0][0], mine[-1][0]
            mine = [(p["created_at"], p["id"]) for p in posts if p["brand"] == plan["brand"]
                    and p["platform"] == platform and lo <= p["created_at"] <= hi and p["id"] in vec]
        centroids.append(unit(sum(vec[i] for _, i in mine)))
    return float(centroids[0].dot(centroids[1]))


def _shared_words(events: list, truth: list[dict]) -> list[tuple[str, int]]:
    """(storm or decoy, words shared by the first two platforms at opening) per incident."""
    by_id = defaultdict(list)
    for event in events:
        by_id[event.incident_id].append(event)
    out = []
    for evs in by_id.values():
        planted = matched_plant(evs, truth)
        if planted is not None and len(evs[0].platforms) >= 2:
            first, second = (set(p.terms) for p in evs[0].platforms[:2])
            out.append(("storm" if planted["kind"] == "incident" else "decoy", len(first & second)))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="1-60")
    p.add_argument("--start", default=SUITE_START)
    p.add_argument("--wordings", default="suite", choices=sorted(WORDINGS))
    args = p.parse_args()
    settings = load_settings({})
    watchlist = Watchlist.from_dict(watchlist_yaml(WORDINGS[args.wordings]))
    model = CachedModel(SentimentModel.load(settings.model))
    alike, words = defaultdict(list), []
    for seed in parse_seeds(args.seeds):
        lines, truth = suite_scenario(seed, 4.0, args.start, 1.0, 0.0, "gradual", args.wordings)
        posts = _posts(lines)
        vec = _complaint_vectors(posts, model)
        for plan in truth:
            if plan["kind"] in ("incident", "decoy_two_grievances") and len(plan["path"]) >= 2:
                for k, background in SPANS:
                    value = _alike(plan, posts, vec, k, background)
                    if value is not None:
                        alike[(plan["kind"], k, background)].append(value)
        events: list = []
        run_replay(lines, model, Detector(settings.detection, watchlist.playbooks, {}), watchlist, events.append)
        words += _shared_words(events, truth)
    for k, background in SPANS:
        storms, decoys = alike[("incident", k, background)], alike[("decoy_two_grievances", k, background)]
        what = f"first {k} planted complaints" + (", background in" if background else "")
        print(f"{what:42} storms ({len(storms)}): 5th pct {np.percentile(storms, 5):.2f}, median "
              f"{np.median(storms):.2f}; decoys ({len(decoys)}): median {np.median(decoys):.2f}, 95th pct "
              f"{np.percentile(decoys, 95):.2f}")
    for kind in ("storm", "decoy"):
        shared = sorted(n for what, n in words if what == kind)
        if shared:
            print(f"words shared at opening, {kind} reports ({len(shared)}): median {statistics.median(shared)}; "
                  f"each: {shared if kind == 'decoy' else {n: shared.count(n) for n in range(7)}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
