"""Raw bytes in, EnrichedPost (or a reasoned rejection) out. Used by the worker and `replay`."""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Protocol, Sequence

from . import long_form
from .records import EnrichedPost, RawPost, Sentiment, ValidationError
from .watchlist import Watchlist


class Model(Protocol):
    name: str

    def predict(self, texts: list[str]) -> list: ...


@dataclass(frozen=True)
class Rejection:
    """A message that cannot be used, with the reason that goes to the dead-letter topic."""

    key: bytes | None
    value: bytes | None
    code: str
    reason: str


def parse(key: bytes | None, value: bytes | None, watchlist: Watchlist, max_future_s: float = 0.0,
          now: float | None = None) -> RawPost | Rejection:
    """Validate one raw message and make sure we know which brand it is about.

    With `max_future_s`, a post dated further than that ahead of the clock (`now`, default the
    wall clock) is rejected: it would move its brand's event time on by as much, and every
    later post of the brand would then be too late to count.
    """
    try:
        post = RawPost.from_bytes(value)
        _not_ahead(post, max_future_s, time.time() if now is None else now)
        brand = watchlist.named(post.brand) if post.brand else None
        if brand is None:
            brand = watchlist.resolve(post.text)
            if brand is None:
                raise ValidationError("unknown_brand", "post has no brand and names no watched brand")
        return post if brand == post.brand else dataclasses.replace(post, brand=brand)
    except ValidationError as exc:
        return Rejection(key, value, exc.code, str(exc))


def _not_ahead(post: RawPost, max_future_s: float, now: float) -> None:
    ahead = post.event_time - now
    if max_future_s > 0 and ahead > max_future_s:
        raise ValidationError("future_timestamp",
                              f"created_at {post.created_at} is {ahead / 3600:,.1f} hours ahead of this "
                              f"clock; at most {max_future_s / 60:g} minutes are allowed")


def enrich(posts: Sequence[RawPost], model: Model) -> list[EnrichedPost]:
    """Run the model once over a batch of valid posts (and the sentences of long-form ones)."""
    if not posts:
        return []
    parts = [long_form.to_read(p.platform, p.text) for p in posts]
    predictions = model.predict([p.text for p in posts] + [s for ps in parts for s in ps])
    by_sentence = iter(predictions[len(posts):])
    out = []
    for post, pred, ps in zip(posts, predictions, parts):
        sentiment = _sentiment(pred)
        if ps:
            sentiment = long_form.most_negative(sentiment, [_sentiment(next(by_sentence)) for _ in ps])
        out.append(EnrichedPost(post, post.brand, sentiment, pred.embedding, model.name))
    return out


def _sentiment(pred) -> Sentiment:
    return Sentiment(pred.label, pred.scores)
