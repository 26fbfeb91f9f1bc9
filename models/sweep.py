"""Hyperparameter sweep for the shipped model: one JSON line per configuration, nothing saved.

    python -m spillover.models.sweep --data ../shared/data/sentiment --device cuda

Selects on validation macro recall (reported per epoch). The shipped artefact is then trained
with the chosen configuration by `spillover.models.train` on CPU, which is bit-reproducible.
"""
from __future__ import annotations

import argparse
import itertools
import json
import random
import time
from pathlib import Path

from .train import parser, train

GRID = {
    "rank": [8, 16, 32],
    "lr": [3e-4, 6e-4, 1.2e-3],
    "epochs": [3, 6],
    "label_smoothing": [0.0, 0.1],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path("../shared/data/sentiment"))
    p.add_argument("--device", default="cpu")
    p.add_argument("--budget-s", type=float, default=480, help="stop starting new runs after this long")
    args = p.parse_args()
    started = time.time()
    configs = list(itertools.product(*GRID.values()))
    random.Random(0).shuffle(configs)  # a sweep cut short still covers every dimension
    for values in configs:
        if time.time() - started > args.budget_s:
            break
        config = dict(zip(GRID, values))
        run = parser().parse_args(["--data", str(args.data), "--device", args.device, "--threads", "8"]
                                  + [f"--{k.replace('_', '-')}={v}" for k, v in config.items()])
        t = time.time()
        report = train(run, save_artefact=False)
        best = max(report["history"], key=lambda h: h["val_macro_recall"])
        print(json.dumps({**config, "final": round(report["macro_recall"], 4),
                          "best": round(best["val_macro_recall"], 4), "best_epoch": best["epoch"],
                          "seconds": round(time.time() - t, 1)}), flush=True)


if __name__ == "__main__":
    main()
