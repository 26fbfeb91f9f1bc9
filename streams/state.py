"""A write-behind view of a Faust table: many updates per batch, one changelog write per key."""
from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Callable, Iterator

from ..detection.state import new_brand_state, revive


class BatchedStates(MutableMapping):
    """Reads through to the table; writes are held until `flush()`.

    The table must be created with `use_partitioner=True`, so each key's changelog goes to the
    partition its key hashes to, which is the partition the brand has on posts.enriched.
    """

    def __init__(self, table: MutableMapping[bytes, Any],
                 unreadable: Callable[[str, Exception], None] | None = None):
        self._table = table   # keyed by the brand's UTF-8 bytes, like posts.enriched
        self._dirty: dict[str, Any] = {}
        self._unreadable = unreadable

    def __getitem__(self, key: str) -> Any:
        if key in self._dirty:
            return self._dirty[key]
        value = self._table.get(key.encode())
        if value is None:
            raise KeyError(key)
        try:
            live = revive(value)
        except Exception as exc:  # whatever bytes it was given: zlib, JSON, truncation, a newer form
            # A state this worker cannot read (written by a newer release it was rolled back
            # from, or damaged) would fail every post of the brand. It starts afresh instead,
            # and the flush at the batch's end replaces it.
            if self._unreadable is not None:
                self._unreadable(key, exc)
            live = new_brand_state()
        if live is not value:  # restored from the changelog: convert once, keep the live form
            self._dirty[key] = live
        return live

    def __setitem__(self, key: str, value: Any) -> None:
        self._dirty[key] = value

    def __delitem__(self, key: str) -> None:
        raise NotImplementedError("detector state is never deleted per key")

    def __iter__(self) -> Iterator[str]:
        return iter(self._dirty)

    def __len__(self) -> int:
        return len(self._dirty)

    def flush(self) -> int:
        for key, value in self._dirty.items():
            self._table[key.encode()] = value
        written = len(self._dirty)
        self._dirty.clear()
        return written
