"""Reading text files for training, evaluation and benchmarks."""
from __future__ import annotations

import json
from pathlib import Path

from .encoder import LABELS


def read_labelled(path: str | Path) -> tuple[list[str], list[int]]:
    """JSON lines of {"text", "label"} with label in negative / neutral / positive."""
    texts, labels = [], []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("label") not in LABELS:
            raise ValueError(f"{path}:{n}: label {row.get('label')!r} is not one of {LABELS}")
        texts.append(row["text"])
        labels.append(LABELS.index(row["label"]))
    return texts, labels


def read_texts(path: str | Path) -> list[str]:
    """The `text` field of every JSON line that has one (posts or labelled data)."""
    texts = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("text"), str):
            texts.append(row["text"])
    return texts
