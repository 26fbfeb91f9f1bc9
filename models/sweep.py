"""Hyperparameter sweep for the sentiment model, in parallel processes on one GPU.

    python -m spillover.models.sweep --data ../shared/data/sentiment --device cuda --workers 6

    python -m spillover.models.sweep --train-folds --device cuda --workers 8 --threads 1

(about 2 minutes on one H200; some 2.5 hours on 2 CPU cores)

`--train-folds` (phase T) is the one to choose a recipe by. It scores five folds of
train.jsonl, each by a model trained on the other four (with and without validation added):
the held-out tweets share train.jsonl's class mix (about 32/48/20 negative/neutral/positive),
not validation's (16/43/41), and a recipe or bias that wins on validation can lose on them.

Phase A trains every configuration of GRID on train.jsonl with several seeds and scores all of
validation after each epoch. Phase B takes the best configurations (mean over seeds) and the
shipped one, and trains each on train.jsonl plus four fifths of validation, scoring the fifth
left out: five folds give an out-of-fold score for every validation tweet, which says what
adding validation to the training data buys. Both phases report macro recall before and after
class-bias calibration (fitted on one half, scored on the other; `calibrate.cross_validated`).

One JSON line per run and a summary per configuration go to stdout and `--out`; nothing is
saved as a model. The shipped artefact is then trained with the chosen configuration by
`spillover.models.train` on CPU, which is bit-reproducible (a GPU run is not).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import random
import statistics
import time
from pathlib import Path

import torch

from .calibrate import cross_validated, macro_recall
from .data import read_labelled

SHIPPED = {"rank": 16, "lr": 8e-4, "epochs": 3}
GRID = [
    SHIPPED,
    {"rank": 16, "lr": 8e-4, "epochs": 6},
    {"rank": 16, "lr": 1.5e-3, "epochs": 4},
    {"rank": 32, "lr": 5e-4, "epochs": 5, "alpha": 32},
    {"rank": 64, "lr": 3e-4, "epochs": 5, "alpha": 64},
    {"rank": 16, "lr": 8e-4, "epochs": 4, "keep_topic": 0.0},
    {"rank": 16, "lr": 8e-4, "epochs": 4, "label_smoothing": 0.1},
    {"rank": 16, "lr": 5e-4, "epochs": 4, "batch": 16},
    {"full": True, "lr": 5e-5, "epochs": 4},
    {"full": True, "lr": 1e-4, "epochs": 4},
    {"full": True, "lr": 3e-5, "epochs": 6},
]
FOLDS = 5


def run_args(config: dict, seed: int, device: str, threads: int):
    from .train import parser
    flags = ["--device", device, "--threads", str(threads), "--seed", str(seed)]
    for key, value in config.items():
        if value is True:
            flags.append(f"--{key.replace('_', '-')}")
        else:
            flags.append(f"--{key.replace('_', '-')}={value}")
    return parser().parse_args(flags)


def run(task: dict) -> dict:
    """One training run in a worker process: per-epoch logits of the scored tweets."""
    from transformers.utils import logging as hf_logging

    from .train import fit
    hf_logging.set_verbosity_error()
    if time.time() > task["deadline"]:
        return {"skipped": True}
    started = time.time()
    args = run_args(task["config"], task["seed"], task["device"], task["threads"])
    train_set, scored = task["train_set"], task["scored"]
    fitted = fit(args, train_set, scored)
    return {"config": task["config"], "seed": task["seed"], "fold": task.get("fold"),
            "epoch_logits": [l.tolist() for l in fitted.epoch_logits],
            "seconds": round(time.time() - started, 1)}


def config_key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def folds_of(n: int) -> list[list[int]]:
    idx = list(range(n))
    random.Random(0).shuffle(idx)
    return [sorted(idx[k::FOLDS]) for k in range(FOLDS)]


def fold_splits(scored, extra, folds: list[list[int]]) -> list[tuple[tuple, tuple]]:
    """(training set, held-out set) per fold: `extra` plus the other folds, and the fold."""
    splits = []
    for fold in folds:
        left_out = set(fold)
        rest = [i for i in range(len(scored[0])) if i not in left_out]
        splits.append(((extra[0] + [scored[0][i] for i in rest], extra[1] + [scored[1][i] for i in rest]),
                       ([scored[0][i] for i in fold], [scored[1][i] for i in fold])))
    return splits


def stitch(folds: list[list[int]], by_fold: dict[int, list]) -> torch.Tensor:
    """Per-epoch logits of every scored item, each from the fold that held it out."""
    epochs = len(by_fold[0])
    stacked = torch.empty(epochs, sum(map(len, folds)), len(by_fold[0][0][0]))
    for k, fold in enumerate(folds):
        stacked[:, fold] = torch.tensor(by_fold[k], dtype=stacked.dtype)
    return stacked


def score(logits: torch.Tensor, gold: torch.Tensor) -> dict:
    return {"raw": round(macro_recall(logits, gold), 4), "calibrated_cv": round(cross_validated(logits, gold), 4)}


def phase_a(pool, base: dict, seeds: list[int], gold: torch.Tensor, sink) -> list[dict]:
    # Seed-major: a run cut off by the deadline costs a seed of some configuration, never a whole one.
    tasks = [{**base, "config": c, "seed": s} for s in seeds for c in GRID]
    per_config: dict[str, list[list[dict]]] = {}
    for result in pool.imap_unordered(run, tasks):
        if result.get("skipped"):
            continue
        epochs = [score(torch.tensor(l), gold) for l in result["epoch_logits"]]
        line = {"phase": "A", "config": result["config"], "seed": result["seed"], "epochs": epochs,
                "seconds": result["seconds"]}
        sink(line)
        per_config.setdefault(config_key(result["config"]), []).append(epochs)
    summary = [summarise(json.loads(key), runs) for key, runs in per_config.items()]
    for line in sorted(summary, key=lambda s: -s["final_calibrated_cv"]):
        sink({"phase": "A summary", **line})
    return summary


def summarise(config: dict, runs: list[list[dict]]) -> dict:
    """Mean over seeds of the last epoch and of the best epoch (the best is chosen on the
    scored tweets themselves, so it flatters; the last does not)."""
    last = [r[-1] for r in runs]
    return {"config": config, "seeds": len(runs),
            "final_raw": round(statistics.mean(e["raw"] for e in last), 4),
            "final_calibrated_cv": round(statistics.mean(e["calibrated_cv"] for e in last), 4),
            "final_calibrated_cv_sd": round(statistics.pstdev(e["calibrated_cv"] for e in last), 4),
            "best_epoch_raw": round(statistics.mean(max(e["raw"] for e in r) for r in runs), 4)}


def out_of_fold(pool, base: dict, configs: list[dict], scored, extra, sink, tag: str,
                logits_dir: Path | None) -> None:
    """Five folds of `scored`: train on `extra` plus four fifths, score the fifth left out."""
    folds = folds_of(len(scored[0]))
    tasks = [{**base, "config": config, "seed": 1, "fold": k, "train_set": train_set, "scored": held_out}
             for config in configs for k, (train_set, held_out) in enumerate(fold_splits(scored, extra, folds))]
    out: dict[str, dict[int, list]] = {}
    for result in pool.imap_unordered(run, tasks):
        if not result.get("skipped"):
            out.setdefault(config_key(result["config"]), {})[result["fold"]] = result["epoch_logits"]
    gold = torch.tensor(scored[1])
    for n, config in enumerate(configs):
        by_fold = out.get(config_key(config), {})
        if len(by_fold) < FOLDS:
            sink({"phase": tag, "config": config, "incomplete": sorted(by_fold)})
            continue
        stacked = stitch(folds, by_fold)
        sink({"phase": tag, "config": config, "epochs": [score(epoch, gold) for epoch in stacked]})
        if logits_dir:
            name = tag.split()[0].replace("+", "_plus_")
            torch.save({"config": config, "logits": stacked, "gold": gold}, logits_dir / f"oof_{name}_{n}.pt")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data/sentiment"))
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=2, help="CPU threads per worker")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--top", type=int, default=2, help="phase B: this many best configurations, plus the shipped one")
    p.add_argument("--budget-a-s", type=float, default=300, help="phase A starts no run after this long")
    p.add_argument("--budget-s", type=float, default=480, help="no run starts after this long")
    p.add_argument("--train-folds", action="store_true", help="run phase T only (see train_folds)")
    p.add_argument("--limit", type=int, default=0, help="use only this many tweets of each file (a smoke test)")
    p.add_argument("--out", type=Path, help="also write the JSON lines here")
    args = p.parse_args(argv)
    started = time.time()
    train, val = (read_labelled(args.data / f) for f in ("train.jsonl", "validation.jsonl"))
    if args.limit:
        train, val = (train[0][:args.limit], train[1][:args.limit]), (val[0][:args.limit], val[1][:args.limit])
    with contextlib.ExitStack() as stack:
        sink_file = stack.enter_context(args.out.open("a")) if args.out else None

        def sink(line: dict) -> None:
            text = json.dumps(line)
            print(text, flush=True)
            if sink_file:
                sink_file.write(text + "\n")
                sink_file.flush()

        pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(args.workers))
        base = {"device": args.device, "threads": args.threads,
                "train_set": train, "scored": val, "deadline": started + args.budget_a_s}
        logits_dir = args.out.parent if args.out else None
        if args.train_folds:
            return train_folds(pool, {**base, "deadline": started + args.budget_s}, train, val, sink, logits_dir)
        summary = phase_a(pool, base, [int(s) for s in args.seeds.split(",")], torch.tensor(val[1]), sink)
        ranked = [s["config"] for s in sorted(summary, key=lambda s: -s["final_calibrated_cv"])]
        chosen = ranked[:args.top] + ([SHIPPED] if SHIPPED not in ranked[:args.top] else [])
        out_of_fold(pool, {**base, "deadline": started + args.budget_s}, chosen, val, train, sink,
                    "B (train + 4/5 validation, out-of-fold)", logits_dir)


def train_folds(pool, base: dict, train, val, sink, logits_dir: Path | None) -> None:
    """Phase T: folds over train.jsonl, whose class mix (about 32/48/20) differs from
    validation's (16/43/41): what a recipe gives on tweets like train's, with and without
    validation added to the training data."""
    configs = [SHIPPED, {"full": True, "lr": 5e-5, "epochs": 4}]
    out_of_fold(pool, base, configs, train, val, sink, "T+val (4/5 train + validation)", logits_dir)
    out_of_fold(pool, base, configs[:1], train, ([], []), sink, "T (4/5 train)", logits_dir)


if __name__ == "__main__":
    main()
