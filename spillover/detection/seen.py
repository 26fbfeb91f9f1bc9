"""Posts already counted: at-least-once delivery must not count a post twice.

Kafka delivers at least once. After a worker dies, its replacement reads posts.raw again from
the last committed offset, so posts already enriched reach posts.enriched a second time, and
the detector state restored from the changelog may already hold posts whose offsets were never
committed. Each brand therefore remembers the ids of its latest posts (a deletion notice is a
different fact about the same id, so it has its own key); the window is counted in posts, not
time, because a fast backfill replays days of event time in seconds.
"""
from __future__ import annotations

from typing import Any

RECENT = "recent"    # state key: the latest keys counted, oldest first
_LOOKUP = "_recent"  # cache: the same keys as a set, rebuilt after a restore


def post_key(post_id: str, deleted: bool) -> str:
    return f"{post_id}#deleted" if deleted else post_id


def seen_before(state: dict[str, Any], key: str) -> bool:
    return key in _lookup(state)


def remember(state: dict[str, Any], key: str, keep: int) -> None:
    keys, lookup = state.setdefault(RECENT, []), _lookup(state)
    keys.append(key)
    lookup.add(key)
    if len(keys) > keep + keep // 4:  # trim in steps: the list and set are rebuilt rarely
        del keys[: len(keys) - keep]
        state[_LOOKUP] = set(keys)


def _lookup(state: dict[str, Any]) -> set[str]:
    lookup = state.get(_LOOKUP)
    if lookup is None:
        lookup = state[_LOOKUP] = set(state.get(RECENT, ()))
    return lookup
