"""Quality and speed of the configured model: what `spillover model eval` / `bench` print."""
from __future__ import annotations

import os
import time

import torch

from .data import read_labelled
from .encoder import LABELS
from .metrics import classification_report
from .pipeline import SentimentModel


def evaluate(model: SentimentModel, path: str) -> dict:
    texts, gold = read_labelled(path)
    predictions = model.predict(texts)
    report = classification_report(gold, [LABELS.index(p.label) for p in predictions])
    return {"model": model.name, "data": str(path), **report}


def bench(model: SentimentModel, texts: list[str], min_posts: int = 2000) -> dict:
    if not texts:
        raise ValueError("no texts to benchmark")
    sample = (texts * (min_posts // len(texts) + 1))[:max(min_posts, len(texts))]
    model.predict(sample[:64])  # warm up kernels and allocator
    start = time.perf_counter()
    model.predict(sample)
    seconds = time.perf_counter() - start
    sizes = model.last_batch_sizes
    return {
        "model": model.name, "device": model.device, "threads": torch.get_num_threads(), "lanes": model.lanes,
        "cpus": os.cpu_count(), "posts": len(sample), "seconds": round(seconds, 3),
        "posts_per_second": round(len(sample) / seconds, 1),
        "batch_size_max": max(sizes), "batches": len(sizes),
        "mean_text_chars": round(sum(map(len, sample)) / len(sample), 1),
    }
