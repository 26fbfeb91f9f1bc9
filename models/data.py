"""Reading text files for training, evaluation and benchmarks."""
from __future__ import annotations

import json
from pathlib import Path

from .encoder import LABELS


def read_labelled(path: str | Path) -> tuple[list[str], list[int]]:
    """JSON lines of {"text", "label"} with label in negative / neutral / positive; ValueError
    naming the file and line of the first that is not."""
    texts, labels = [], []
    for n, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{n}: not an object with a text")
        if row.get("label") not in LABELS:
            raise ValueError(f"{path}:{n}: label {row.get('label')!r} is not one of {LABELS}")
        texts.append(row["text"])
        labels.append(LABELS.index(row["label"]))
    return texts, labels


def _lines(path: str | Path) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_texts(path: str | Path) -> list[str]:
    """The `text` field of every JSON line that has one (posts or labelled data)."""
    texts = []
    for line in _lines(path):
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and isinstance(row.get("text"), str):
            texts.append(row["text"])
    return texts
