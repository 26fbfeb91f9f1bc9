"""The prototype of detection/bursts.py, kept for the figures it gave: platform bursts linked
by what they say, beside the shipped detector (which now has the route built in, so the
"shipped detector" rows below include it).

    .venv/bin/python scripts/platform_bursts.py [--seeds 1-20] [--start TIME] [--wordings unseen] [--rise sharp]
                                                [--tau 0.6] [--who-first]

The shipped detector groups complaints by their words first, and a storm told in many wordings
can fall apart into groups too small to be loud anywhere. This prototype has no groups: per
brand and platform it counts posts and complaints (a negative score of 0.15 or more) in
5-minute buckets of event time, with the complaints' embeddings centred on the brand's usual
complaint as the detector centres them. A platform bursts when a window of 60, 120 or 240
minutes holds at least MIN_COMPLAINTS complaints, at least LIFT times and with a Poisson tail
under ALPHA (spread over the windows) against what the window's other posts imply at the
platform's share of complaints over its last three days (its other posts, not all of them: a
storm's own posts would raise the exposure). A burst's centroid sums its complaints from its
first window on. Two platforms' bursts that began within a day open an incident when their
centroids are at least --tau alike (cosine); its evidence is their complaints. No daily or
weekly rhythm, no lifecycle beyond one incident per brand a day, and every bucket's
complaint vectors and ids kept for three days (far more than one Kafka message can hold):
enough to measure what the route would add, nothing to run in production.

Prints, for the scenarios of `spillover evaluate` with the same seeds, the shipped detector
alone, the prototype alone and the union of their reports; with --who-first, for the storms
both report, which reports first: the figures behind BENCHMARKS.md's "A second route,
measured with a prototype".
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections import defaultdict
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from spillover.cli.evaluate_cmd import parse_seeds  # noqa: E402
from spillover.detection import Detector  # noqa: E402
from spillover.detection.significance import poisson_sf  # noqa: E402
from spillover.detection.vectors import centred, post_vector, unit  # noqa: E402
from spillover.evaluation import CachedModel, evaluate, matched_plant  # noqa: E402
from spillover.models.pipeline import SentimentModel  # noqa: E402
from spillover.records import EnrichedPost, IncidentEvent, PlatformActivity  # noqa: E402
from spillover.replay import run_replay  # noqa: E402
from spillover.scenarios.generator import RISE, SUITE_START, WORDINGS, suite_scenario, watchlist_yaml  # noqa: E402
from spillover.settings import load_settings  # noqa: E402
from spillover.timeutil import format_epoch, to_epoch  # noqa: E402
from spillover.watchlist import Watchlist  # noqa: E402

BUCKET_S = 300
WINDOWS = (12, 24, 48)          # buckets: 60, 120 and 240 minutes
HISTORY = 72 * 12               # buckets of history a platform's usual share comes from
WARMUP = 24 * 12                # buckets of the brand's history before anything can burst
LINK = 24 * 12                  # two platforms' bursts link within a day
QUIET = 6 * 12                  # a burst that has not passed for six hours is over
ALPHA = 1e-4 / len(WINDOWS)
LIFT = 2.0
MIN_COMPLAINTS = 6
COMPLAINT_SCORE = 0.15
USUAL_COMPLAINTS = 500


class PlatformBursts:
    """The prototype, with the Detector's `observe` interface so `evaluate` runs it alike."""

    def __init__(self, tau: float):
        self.tau = tau

    def observe(self, states: dict[str, Any], post: EnrichedPost) -> list[IncidentEvent]:
        st = states.setdefault(post.brand, {"plat": {}, "usual": {}, "evaluated": None, "bursts": {},
                                            "open": None, "first": None})
        b = int(post.event_time // BUCKET_S)
        st["first"] = b if st["first"] is None else st["first"]
        row = st["plat"].setdefault(post.post.platform, {}).setdefault(b, [0, 0, None, []])
        row[0] += 1
        if (post.sentiment.scores.get("negative", 0.0) >= COMPLAINT_SCORE and not post.post.is_brand_reply
                and not post.post.deleted):
            vec = centred(st["usual"], post_vector(post.embedding, post.post.text, post.brand), USUAL_COMPLAINTS)
            row[1] += 1
            row[2] = vec.copy() if row[2] is None else row[2] + vec
            row[3].append((post.event_time, post.post.id))
        if st["evaluated"] is None:
            st["evaluated"] = b - 1
        events = []
        for k in range(st["evaluated"] + 1, b - 1):  # a bucket of lateness, as the detector allows
            events += self._close(st, post.brand, k)
            st["evaluated"] = k
        return events

    def _close(self, st: dict[str, Any], brand: str, k: int) -> list[IncidentEvent]:
        if k - st["first"] < WARMUP:
            return []
        for platform, buckets in st["plat"].items():
            window = _bursting(buckets, k)
            burst = st["bursts"].get(platform)
            if window:
                if burst is None or k - burst["last"] > QUIET:
                    burst = st["bursts"][platform] = {"start": k - window + 1}
                burst["last"] = k
                rows = [buckets[x] for x in range(burst["start"], k + 1) if x in buckets and buckets[x][1]]
                burst["v"] = sum(r[2] for r in rows)
                burst["ids"] = sorted(i for r in rows for i in r[3])
            for old in [x for x in buckets if x < k - HISTORY]:
                del buckets[old]
        st["bursts"] = {p: s for p, s in st["bursts"].items() if k - s["last"] <= LINK}
        return self._link(st, brand, k)

    def _link(self, st: dict[str, Any], brand: str, k: int) -> list[IncidentEvent]:
        if st["open"] is not None and k - st["open"] < LINK:
            return []
        loud = sorted((p, s) for p, s in st["bursts"].items() if len(s.get("ids", ())) >= MIN_COMPLAINTS)
        for i, (p, a) in enumerate(loud):
            for q, c in loud[i + 1:]:
                if abs(a["start"] - c["start"]) <= LINK and float(unit(a["v"]).dot(unit(c["v"]))) >= self.tau:
                    st["open"] = k
                    return [_event(brand, {p: a, q: c}, k)]
        return []


def _bursting(buckets: dict[int, list], k: int) -> int | None:
    """The shortest window ending at bucket k in which the platform's complaints burst, or None."""
    history = [buckets[x] for x in buckets if k - HISTORY <= x < k - WINDOWS[-1]]
    posts, complaints = sum(r[0] for r in history), sum(r[1] for r in history)
    share = (complaints + 1) / (posts + 10)
    for window in WINDOWS:
        rows = [buckets[x] for x in range(k - window + 1, k + 1) if x in buckets]
        total, n = sum(r[0] for r in rows), sum(r[1] for r in rows)
        expected = max((total - n) * share / (1 - share), 0.05)
        if n >= MIN_COMPLAINTS and n >= LIFT * expected and poisson_sf(n, expected) < ALPHA:
            return window
    return None


def _event(brand: str, bursts: dict[str, dict], k: int) -> IncidentEvent:
    path = sorted(bursts, key=lambda p: bursts[p]["ids"][0][0])
    return IncidentEvent(
        incident_id=f"bursts-{brand}-{k}", brand=brand, status="opened", path=path,
        platforms=[PlatformActivity(p, format_epoch(bursts[p]["ids"][0][0]), 0, len(bursts[p]["ids"])) for p in path],
        detected_at=format_epoch((k + 1) * BUCKET_S), evidence=[i for p in path for _, i in bursts[p]["ids"]])


class Both:
    """The shipped detector and the prototype side by side: the union of their reports."""

    def __init__(self, shipped: Detector, tau: float):
        self.shipped, self.bursts, self.states = shipped, PlatformBursts(tau), ({}, {})

    def observe(self, states: dict[str, Any], post: EnrichedPost) -> list[IncidentEvent]:
        return self.shipped.observe(self.states[0], post) + self.bursts.observe(self.states[1], post)


def who_first(scenarios, model, make_shipped, tau: float, watchlist) -> tuple[list[float], int, int]:
    """Per planted storm: minutes from the shipped detector's first report to the prototype's
    (negative: the prototype came first), for storms both report; then how many only the
    shipped detector reports, and how many only the prototype."""
    cached, later, shipped_only, bursts_only = CachedModel(model), [], 0, 0
    for lines, truth in scenarios:
        first: dict[str, dict[str, float]] = defaultdict(dict)
        for name, detector in (("shipped", make_shipped()), ("bursts", PlatformBursts(tau))):
            events: list[IncidentEvent] = []
            run_replay(lines, cached, detector, watchlist, events.append)
            by_id: dict[str, list[IncidentEvent]] = defaultdict(list)
            for event in events:
                by_id[event.incident_id].append(event)
            for evs in by_id.values():
                planted = matched_plant(evs, truth)
                if planted is not None and planted["kind"] == "incident":
                    at = to_epoch(evs[0].detected_at)
                    first[planted["id"]][name] = min(at, first[planted["id"]].get(name, at))
        for seen in first.values():
            if len(seen) == 2:
                later.append((seen["bursts"] - seen["shipped"]) / 60)
            elif "shipped" in seen:
                shipped_only += 1
            else:
                bursts_only += 1
    return later, shipped_only, bursts_only


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="1-20")
    p.add_argument("--start", default=SUITE_START)
    p.add_argument("--wordings", default="suite", choices=sorted(WORDINGS))
    p.add_argument("--rise", default="gradual", choices=sorted(RISE))
    p.add_argument("--tau", type=float, default=0.6, help="how alike two platforms' bursts must be (cosine)")
    p.add_argument("--who-first", action="store_true",
                   help="instead: for each storm, which of the two reports it first, and how much later the other")
    args = p.parse_args()
    settings = load_settings({})
    watchlist = Watchlist.from_dict(watchlist_yaml(WORDINGS[args.wordings]))
    shipped = lambda: Detector(settings.detection, watchlist.playbooks, {})  # noqa: E731
    scenarios = (suite_scenario(seed, 4.0, args.start, 1.0, 0.0, args.rise, args.wordings)
                 for seed in parse_seeds(args.seeds))
    model = SentimentModel.load(settings.model)
    if args.who_first:
        later, shipped_only, bursts_only = who_first(scenarios, model, shipped, args.tau, watchlist)
        print(f"storms both report: {len(later)}; the prototype first in {sum(1 for m in later if m < 0)}, "
              f"median {statistics.median(later) if later else None} min after the shipped detector; "
              f"only the shipped detector: {shipped_only}; only the prototype: {bursts_only}")
        return 0
    detectors = {"shipped detector": shipped, "platform bursts": lambda: PlatformBursts(args.tau),
                 "both (union)": lambda: Both(shipped(), args.tau)}
    scores = evaluate(scenarios, model, detectors, watchlist)
    for name, score in scores.items():
        r = score.summary()
        print(f"{name:17} found {r['found']} of {r['planted']}, decoys raised {r['decoys_raised']} of "
              f"{r['decoys']}, precision {r['precision']}, median delay {r['median_delay_min']} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
