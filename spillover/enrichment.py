"""Raw bytes in, EnrichedPost (or a reasoned rejection) out. Used by the worker and `replay`."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol, Sequence

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


def parse(key: bytes | None, value: bytes | None, watchlist: Watchlist) -> RawPost | Rejection:
    """Validate one raw message and make sure we know which brand it is about."""
    try:
        post = RawPost.from_bytes(value)
        if not post.brand:
            brand = watchlist.resolve(post.text)
            if brand is None:
                raise ValidationError("unknown_brand", "post has no brand and names no watched brand")
            post = dataclasses.replace(post, brand=brand)
        return post
    except ValidationError as exc:
        return Rejection(key, value, exc.code, str(exc))


def enrich(posts: Sequence[RawPost], model: Model) -> list[EnrichedPost]:
    """Run the model once over a batch of valid posts."""
    if not posts:
        return []
    predictions = model.predict([p.text for p in posts])
    return [
        EnrichedPost(post, post.brand, Sentiment(pred.label, pred.scores), pred.embedding, model.name)
        for post, pred in zip(posts, predictions)
    ]
