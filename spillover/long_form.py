"""Long posts are read a sentence at a time: a blog's complaint sits in one of its sentences.

The model learned sentiment from tweets. A blog post wraps its complaint in framing the model
reads as neutral ("A long post about Fjord Mobile: <complaint>. Here is what happened, step by
step."), and a long one is cut off after `max_length` tokens. So on long-form platforms a
post's sentiment is that of its most negative sentence when that one is more negative than the
whole post. The embedding stays the whole post's: it says what the post is about, and
the detector groups posts by it (one sentence's embedding, tried, grouped blogs worse).

On the scenario suite (`spillover evaluate`, seeds 1-40) the incident path comes out right
more often this way, with no change in recall or decoys (BENCHMARKS.md, History, 2026-11-26).
"""
from __future__ import annotations

import re
from typing import Sequence

from .records import Sentiment

LONG_FORM_PLATFORMS = frozenset({"blog", "news"})
# A long article's sentences beyond these are not read one by one (its whole still is, up to
# the model's max_length): the cost per post stays bounded.
MAX_SENTENCES = 16
_BREAK = re.compile(r"(?<=[.!?…])\s+|\s*\n+\s*")


def sentences(text: str) -> list[str]:
    """The text's sentences (and lines: a feed's title comes on a line of its own), at most MAX_SENTENCES."""
    parts = (part.strip() for part in _BREAK.split(text))
    return [part for part in parts if part][:MAX_SENTENCES]


def to_read(platform: str, text: str) -> list[str]:
    """The sentences to score on their own: none for a short-form post or a single sentence."""
    if platform not in LONG_FORM_PLATFORMS:
        return []
    parts = sentences(text)
    return parts if len(parts) > 1 else []


def most_negative(whole: Sentiment, parts: Sequence[Sentiment]) -> Sentiment:
    """The whole post's sentiment, or its most negative sentence's if that is more negative."""
    worst = max(parts, key=lambda s: s.negative, default=whole)
    return worst if worst.negative > whole.negative else whole
