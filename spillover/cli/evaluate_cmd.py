"""`spillover evaluate`: detection quality on seeded scenarios, against a plain baseline."""
from __future__ import annotations

import json
import logging

from ..scenarios.generator import RISE, WORDINGS
from .common import EXIT_USAGE, add_common, fail, say, settings_from, setup_logging, watchlist_for
from .progress import progress

COLUMNS = (("recall", "recall"), ("precision", "precision"), ("decoys", "decoys_raised"), ("duplicates", "duplicates"),
           ("median delay", "median_delay_min"), ("worst delay", "worst_delay_min"),
           ("median reaction", "median_reaction_min"), ("path right", "path_right"), ("at open", "path_right_at_open"),
           ("by first posts", "path_right_by_first_posts"), ("platforms reached", "platforms_reached"),
           ("onset error", "median_onset_error_min"),
           ("evidence precision", "evidence_precision"), ("planted posts in evidence", "planted_posts_in_evidence"))


def register(sub) -> None:
    p = sub.add_parser("evaluate", help="score detection on generated scenarios with ground truth",
                       description="Generates one scenario per seed (incidents, decoys, rhythm, late posts), "
                                   "runs the shipped model, the detector and a plain hourly baseline, and "
                                   "prints recall, precision, decoys raised, detection delay (minutes of event "
                                   "time after the second platform's take-off, and after its third planted "
                                   "post), path and evidence quality. The scenarios' brands are Northwind Air, "
                                   "Fjord Mobile, Kettle & Crumb and Helio Bank (with --wordings unseen: "
                                   "Voltara Energy, Parcelo, Skyline TV and Rowan Motors); a --watchlist's "
                                   "per-brand `detection:` settings apply to those of the same name.")
    add_common(p, broker=False)
    p.add_argument("--seeds", default="1-10", help="seeds, e.g. 1-10 or 3,5,8 (default 1-10: the regression suite)")
    p.add_argument("--days", type=float, default=4.0,
                   help="days per scenario (default and least: 4, a day of warm-up and room for every plan)")
    p.add_argument("--start", default=None, metavar="TIME",
                   help="when each scenario begins (default 2026-03-02T00:00:00Z, a Monday; a Friday puts the "
                        "weekend's quieter traffic into the four days)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--details", action="store_true",
                   help="also list what went wrong for the detector, case by case: incidents missed, decoys "
                        "raised, wrong paths, platforms an incident never reached, reports that match "
                        "nothing, duplicates")
    p.add_argument("--input", metavar="POSTS.jsonl",
                   help="instead of generated scenarios: score a file of your own, with --truth (a backtest "
                        "on posts whose incidents you know); without --watchlist, the brands its posts name")
    p.add_argument("--truth", metavar="TRUTH.jsonl",
                   help="with --input: what really happened in it, one planted incident or decoy per line, as "
                        "`spillover simulate --truth` writes it (id, brand, kind, post_ids; an incident's path "
                        "and onsets)")
    p.add_argument("--model", help="model name (default: the shipped model)")
    p.add_argument("--throughput", action="store_true",
                   help="instead: enriched posts per second through the detector alone, on one core, and "
                        "the largest brand state as the stream's table stores it (one Kafka message)")
    p.add_argument("--volume", type=int, default=1, metavar="K",
                   help="with --throughput: send each post K times under new ids, a brand K times as busy "
                        "(a replay packs days into seconds, so the tests run once per bucket weigh on sparse traffic)")
    p.add_argument("--traffic", type=float, default=1.0, metavar="K",
                   help="every brand K times as busy on every platform, its storms and decoys with it (default "
                        "1: the suite; 3 or 0.3 show how the settings hold up on a busier or quieter brand)")
    p.add_argument("--watched-from", type=float, default=0.0, metavar="H",
                   help="leave out the posts written in each scenario's first H hours (less than 28, where "
                        "storms and decoys begin): how a brand added to the watchlist H hours in fares while "
                        "the detector is still learning its usual traffic (default 0: a day of history first)")
    p.add_argument("--rise", choices=sorted(RISE), default="gradual",
                   help="how each planted leg's posts spread over it: gradual (the suite's: a mild ramp-up "
                        "over two to four hours) or sharp (a storm that takes off at once, half its posts in "
                        "the first sixth of the leg, then tails off); the same plans and words either way")
    p.add_argument("--wordings", choices=sorted(WORDINGS), default="suite",
                   help="what people write: suite (the words the detector was tuned on) or unseen (four "
                        "other brands, of other trades, with their own grievances and chatter, written "
                        "another way and never tuned on; the same plans, rhythm and volumes)")
    p.set_defaults(run=run, scenario_defaults={name: p.get_default(name) for name in SCENARIO_OPTIONS})


def brand_tuning(path: str, scenario_brands: set[str]) -> dict[str, dict]:
    """The per-brand detection settings of the watchlist at `path` (none without one) for the
    scenarios' brands; those of other brands cannot be tried here and are named on stderr."""
    from ..watchlist import Watchlist

    tuning = Watchlist.load(path).detection if path else {}
    for brand in sorted(set(tuning) - scenario_brands):
        say(f"spillover evaluate: the scenarios have no brand {brand!r}; its detection settings are not tried",
            logging.WARNING)
    return {brand: changes for brand, changes in tuning.items() if brand in scenario_brands}


def parse_seeds(text: str) -> list[int]:
    """Seeds written as 1-10, 3,5,8 or both (1-3,7). Anything else is a ValueError that says which
    part, a range running backwards too: a run over no scenarios would print an empty table."""
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        try:
            first, last = int(lo), int(hi or lo)
        except ValueError:
            raise ValueError(f"--seeds {text!r}: {part!r} is neither a seed nor a range (e.g. 1-10 or 3,5,8)") \
                from None
        if last < first:
            raise ValueError(f"--seeds {text!r}: {part!r} runs backwards")
        seeds += list(range(first, last + 1))
    return seeds


def run(args) -> int:
    from ..scenarios.generator import MIN_SUITE_DAYS, PLANS_FROM_H, SUITE_START, suite_scenario, watchlist_yaml
    from ..timeutil import to_epoch
    from ..watchlist import Watchlist

    settings = settings_from(args, **{"model.name": args.model})
    # First: a mistake below is then said as a JSON record where the logs are JSON.
    setup_logging(settings.app.log_level if args.log_level else "warning", settings.app.log_format)
    if args.volume < 1:
        return fail("--volume must be 1 or more", EXIT_USAGE)
    if args.input or args.truth:
        return _run_file(args, settings)
    if not args.traffic > 0:
        return fail("--traffic must be more than 0", EXIT_USAGE)
    if args.days < MIN_SUITE_DAYS:
        return fail(f"--days must be at least {MIN_SUITE_DAYS:g}: a day of warm-up, then room for each brand's "
                    "incident and the decoys at quiet times", EXIT_USAGE)

    if not 0 <= args.watched_from < PLANS_FROM_H:
        return fail(f"--watched-from must be at least 0 and less than {PLANS_FROM_H:g} (the hour storms and "
                    "decoys begin)", EXIT_USAGE)

    try:
        seeds = parse_seeds(args.seeds)
    except ValueError as exc:
        return fail(str(exc), EXIT_USAGE)

    start = args.start or SUITE_START
    try:
        to_epoch(start)
    except ValueError:
        return fail(f"--start {start!r} is not a time (e.g. 2026-03-06T00:00:00Z)", EXIT_USAGE)

    watchlist = Watchlist.from_dict(watchlist_yaml(WORDINGS[args.wordings]))
    tuning = brand_tuning(settings.app.watchlist, {b.name for b in watchlist.brands})
    scenarios = (suite_scenario(seed, args.days, start, args.traffic, args.watched_from, args.rise, args.wordings)
                 for seed in seeds)
    variant = f", brands {args.traffic:g} times as busy" if args.traffic != 1 else ""
    variant += f", watched from hour {args.watched_from:g}" if args.watched_from else ""
    variant += f", storms rising {args.rise}ly" if args.rise != "gradual" else ""
    variant += f", {args.wordings} wordings" if args.wordings != "suite" else ""
    told = {"seeds": seeds, "days": args.days, "start": start, "traffic": args.traffic,
            "watched_from_h": args.watched_from, "rise": args.rise, "wordings": args.wordings}
    heading = f"{len(seeds)} scenarios (seeds {args.seeds}), {args.days:g} days each from {start}{variant}"
    return _score(args, settings, scenarios, len(seeds), watchlist, tuning, told, heading)


# What --input and --truth replace: each of these given another value than its default is refused.
SCENARIO_OPTIONS = ("seeds", "days", "start", "traffic", "watched_from", "rise", "wordings")


def _run_file(args, settings) -> int:
    """`--input` and `--truth`: one file of posts, scored against what really happened in it."""
    from ..evaluation import read_truth
    from ..replay import read_lines

    if not (args.input and args.truth):
        return fail("--input and --truth go together: the posts, and what really happened in them", EXIT_USAGE)
    moved = [f"--{name.replace('_', '-')}" for name in SCENARIO_OPTIONS
             if getattr(args, name) != args.scenario_defaults[name]]
    if moved:
        return fail(f"{', '.join(moved)} describe generated scenarios, not --input", EXIT_USAGE)
    try:
        lines, truth = list(read_lines(args.input)), read_truth(args.truth)
    except OSError as exc:
        return fail(f"cannot read {exc.filename}: {exc.strerror}", EXIT_USAGE)
    except ValueError as exc:
        return fail(str(exc), EXIT_USAGE)
    watchlist = watchlist_for(settings.app.watchlist, lines, "evaluate")
    # A brand the truth spells otherwise ("northwind air") is the one its incidents name.
    truth = [{**t, "brand": watchlist.named(t["brand"]) or t["brand"]} for t in truth]
    told = {"input": args.input, "truth": args.truth}
    heading = f"{args.input} against {args.truth}"
    # As replay reads it: a post dated far ahead of the clock is set aside, not taken as now.
    return _score(args, settings, [(lines, truth)], 1, watchlist, watchlist.detection, told, heading,
                  max_future_s=settings.detection.max_future_minutes * 60)


def _score(args, settings, scenarios, count: int, watchlist, tuning: dict, told: dict, heading: str,
           max_future_s: float = 0.0) -> int:
    """Run the detector and the baseline over the scenarios and print what they found."""
    from ..detection import Detector
    from ..detection.baseline import HourlyBaseline
    from ..evaluation import detector_throughput, evaluate
    from ..models.pipeline import SentimentModel

    model = SentimentModel.load(settings.model)
    detectors = {"spillover": lambda: Detector(settings.detection, watchlist.playbooks, tuning),
                 "hourly baseline": HourlyBaseline}
    if args.throughput:
        result = detector_throughput(scenarios, model, detectors["spillover"], watchlist, volume=args.volume,
                                     max_future_s=max_future_s)
        print(json.dumps(result) if args.json else
              f"detector alone: {result['posts_per_second']} posts/s "
              f"({result['posts']} posts in {result['seconds']} s; "
              f"{result['posts_per_brand_bucket']} posts per brand per bucket of event time)\n"
              f"as the detect agent works (each post decoded from its message, each batch's brand states "
              f"encoded): {result['agent_posts_per_second']} posts/s\n"
              f"largest brand state as stored: {result['largest_state_bytes'] / 1024:.0f} KiB "
              f"({result['largest_state_json_bytes'] / 1024:.0f} KiB of JSON), encoded in "
              f"{result['largest_state_encode_ms']} ms; the stream writes it once per batch that touches the brand")
        return 0
    with progress(count, "evaluate", "scenario", quiet=args.json) as bar:
        scores = evaluate(scenarios, model, detectors, watchlist, bar.update, max_future_s)
    results = {name: s.summary() for name, s in scores.items()}
    cases = [_told_by_seed(case, told.get("seeds")) for case in scores["spillover"].cases]
    if args.json:
        print(json.dumps({**told, "results": results, **({"cases": cases} if args.details else {})}))
        return 0
    print(f"{heading}; {results['spillover']['planted']} planted incidents, {scores['spillover'].decoys} decoys")
    titles = [title for title, _ in COLUMNS]
    print(_row("", titles, titles))
    for name, row in results.items():
        print(_row(name, [_fmt(row[key]) for _, key in COLUMNS], titles))
    print("delays in minutes of event time after the second platform's take-off; reaction: after "
          "its third planted post was written (before that, no detector can tell it from chance)")
    print()
    for line in by_kind(results):
        print(line)
    if args.details:
        print(f"\nspillover, case by case ({len(cases)}):" if cases else "\nspillover: nothing went wrong")
        for case in cases:
            print(describe(case))
    return 0


def _told_by_seed(case: dict, seeds: list[int] | None) -> dict:
    """The case with its scenario's seed instead of its position (a file of one's own has none)."""
    case = dict(case)
    n = case.pop("scenario")
    return {**case, "seed": seeds[n]} if seeds else case


def by_kind(results: dict[str, dict]) -> list[str]:
    """Incidents found of each kind (speed, strength, platforms, the platform reached second)
    with their median delay, and decoys raised of each kind."""
    lines = ["incidents found, of each kind (median delay in minutes):"]
    for trait, values in next(iter(results.values()))["recall_by_kind"].items():
        titles = [f"{v:>14}" for v in values]  # wide enough for "12/14 (135)"
        lines.append(_row("  " + trait, titles, titles))
        for name, row in results.items():
            cells = [row["recall_by_kind"][trait].get(v, {"found": 0, "planted": 0}) for v in values]
            lines.append(_row(name, [_found_cell(c) for c in cells], titles))
    lines += _paths_by_kind(results)
    lines.append("decoys raised, of each kind:")
    for name, row in results.items():
        told = [f"{kind.removeprefix('decoy_').replace('_', ' ')} {d['raised']}/{d['decoys']}"
                for kind, d in row["decoys_raised_by_kind"].items()]
        lines.append(f"{name:16}  " + ", ".join(told))
    return lines


def _paths_by_kind(results: dict[str, dict]) -> list[str]:
    """Path right of each kind (by the planted starts, then by the first posts), and how often
    the first posts themselves came in the planted order: what any detector can see."""
    lines = ["path right on the first two platforms, of those found (by the planted starts / by the first posts):"]
    traits = next(iter(results.values()))["recall_by_kind"]
    for trait, values in traits.items():
        titles = [f"{v:>14}" for v in values]
        lines.append(_row("  " + trait, titles, titles))
        for name, row in results.items():
            cells = [row["recall_by_kind"][trait].get(v, {}) for v in values]
            lines.append(_row(name, [_path_cell(c) for c in cells], titles))
        in_order = [_share(traits[trait][v].get("first_posts_in_order")) for v in values]
        lines.append(_row("first posts", in_order, titles))
    lines += ["first posts: the share of planted storms whose first two platforms' first posts came in the",
              "order their legs started; in the others the posts themselves show the other order"]
    return lines


def _path_cell(kind: dict) -> str:
    right, by_posts = kind.get("path_right"), kind.get("path_right_by_first_posts")
    return "-" if right is None else f"{_share(right)} / {_share(by_posts)}"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _found_cell(kind: dict) -> str:
    delay = kind.get("median_delay_min")
    return f"{kind['found']}/{kind['planted']}" + (f" ({delay:.0f})" if delay is not None else "")


def _row(label: str, cells: list[str], titles: list[str]) -> str:
    """One line of a table: its label, then each cell right-aligned under its column's title."""
    return f"{label:16}" + "".join(f"{cell:>{max(len(title), 7) + 2}}" for cell, title in zip(cells, titles))


def describe(case: dict) -> str:
    """One line per case: what was planted, against what was reported (times in UTC)."""
    head = (f"  seed {case['seed']:<4} " if "seed" in case else "  ") + f"{case['case'].replace('_', ' '):<13}"
    planted = (f"{case['planted']}: planted {_legs(case['planted_path'], case['planted_onsets'])}"
               if "planted" in case else f"{case['brand']}: matches nothing planted")
    if "incident_id" not in case:
        return f"{head}{planted}"
    reported = _legs(case["reported_path"], case["first_seen"])
    note = " (right by the first planted posts)" if case.get("right_by_first_posts") else ""
    if case.get("not_reached"):
        note += f" (never reached {', '.join(case['not_reached'])})"
    return f"{head}{planted}; reported {reported}{note}, first event {case['detected_at']} ({case['incident_id']})"


def _legs(path: list[str], times: dict[str, str]) -> str:
    return " -> ".join(f"{p} {times[p][5:16].replace('T', ' ')}" if p in times else p for p in path)


def _fmt(value) -> str:
    return "-" if value is None else f"{value:g}" if isinstance(value, (int, float)) else str(value)
