"""Classification figures for sentiment: macro recall (TweetEval's official metric) and friends."""
from __future__ import annotations

from .encoder import LABELS


def classification_report(gold: list[int], pred: list[int]) -> dict:
    k = len(LABELS)
    confusion = [[0] * k for _ in range(k)]
    for g, p in zip(gold, pred):
        confusion[g][p] += 1
    per_class = {}
    for i, label in enumerate(LABELS):
        tp = confusion[i][i]
        support = sum(confusion[i])
        predicted = sum(row[i] for row in confusion)
        per_class[label] = {
            "precision": tp / predicted if predicted else 0.0,
            "recall": tp / support if support else 0.0,
            "support": support,
        }
    n = len(gold)
    return {
        "n": n,
        "accuracy": sum(confusion[i][i] for i in range(k)) / n if n else 0.0,
        "macro_recall": sum(c["recall"] for c in per_class.values()) / k,
        "per_class": per_class,
        "confusion": {"labels": list(LABELS), "matrix": confusion},
    }
