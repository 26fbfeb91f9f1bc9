"""Map any sentiment model's label names onto Spillover's negative / neutral / positive."""
from __future__ import annotations

import re
from typing import Mapping

from .encoder import LABELS

_STARS = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}


def _guess(name: str, index: int, count: int) -> str | None:
    low = name.lower()
    for label in LABELS:
        if low.startswith(label[:3]):
            return label
    stars = re.match(r"^(\d)\s*stars?$", low)
    if stars:
        return _STARS.get(int(stars.group(1)))
    if re.fullmatch(r"label_\d+", low):
        # The common convention of tweet sentiment models (e.g. cardiffnlp): 0 neg, 1 neu, 2 pos.
        return {3: LABELS, 2: ("negative", "positive")}.get(count, (None,) * (index + 1))[index]
    return None


def label_mapping(id2label: Mapping[int, str], overrides: Mapping[str, str]) -> list[str]:
    """Our label for each output index of the model, or a ValueError that says what is unknown."""
    count = len(id2label)
    mapped = []
    for index in range(count):
        name = str(id2label[index])
        label = overrides.get(name) or _guess(name, index, count)
        if label not in LABELS:
            raise ValueError(
                f"cannot map the model's label {name!r} to {LABELS}; set model.label_map, "
                f"e.g. SPILLOVER_MODEL_LABEL_MAP='{{\"{name}\": \"negative\"}}'"
            )
        mapped.append(label)
    return mapped
