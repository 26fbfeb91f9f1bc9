"""Where connectors remember what they have published: a SQLite file per connector.

Per target: a cursor (the service's own: since_id, a timestamp, a page cursor), the ids already
published (so a restart repeats nothing), and, for the brand's own pages, the recent posts as
published (so a post that disappears can be re-emitted with `deleted: true`). Everything for a
poll is written in one transaction, after Kafka has acknowledged the posts.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable

from ..timeutil import to_epoch

SCHEMA = """
CREATE TABLE IF NOT EXISTS cursor (target TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS seen (target TEXT NOT NULL, post_id TEXT NOT NULL, created REAL NOT NULL,
                                 PRIMARY KEY (target, post_id));
CREATE INDEX IF NOT EXISTS seen_post ON seen (post_id);
CREATE TABLE IF NOT EXISTS owned (target TEXT NOT NULL, post_id TEXT NOT NULL,
                                  created REAL NOT NULL,  -- event time: compared with listing windows
                                  stored REAL NOT NULL,   -- wall time: what pruning goes by
                                  post TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
                                  PRIMARY KEY (target, post_id));
"""


class CheckpointStore:
    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.executescript(SCHEMA)

    def cursor(self, target: str) -> Any:
        row = self._db.execute("SELECT value FROM cursor WHERE target = ?", (target,)).fetchone()
        return json.loads(row[0]) if row else None

    def unseen(self, target: str | None, post_ids: Iterable[str]) -> set[str]:
        """The ids not yet published for this target (None: for any target of this connector)."""
        ids = list(post_ids)
        seen = set()
        where = "post_id IN ({})" if target is None else "target = ? AND post_id IN ({})"
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            args = tuple(chunk) if target is None else (target, *chunk)
            seen.update(r[0] for r in self._db.execute(
                "SELECT post_id FROM seen WHERE " + where.format(",".join("?" * len(chunk))), args))
        return set(ids) - seen

    def owned_since(self, target: str, since: float) -> dict[str, dict[str, Any]]:
        """The brand-page posts we published that were written after `since` and not yet deleted."""
        rows = self._db.execute("SELECT post_id, post FROM owned WHERE target = ? AND created >= ? AND deleted = 0",
                                (target, since))
        return {pid: json.loads(post) for pid, post in rows}

    def commit(self, target: str, cursor: Any, published: Iterable[dict[str, Any]], owned: bool,
               deleted: Iterable[str] = (), keep_s: float = 14 * 86400) -> None:
        """Record one poll: new cursor, published posts, deletions; forget what is too old."""
        now = time.time()
        with self._db:
            if cursor is not None:
                self._db.execute("INSERT OR REPLACE INTO cursor VALUES (?, ?, ?)", (target, json.dumps(cursor), now))
            for post in published:
                self._db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (target, post["id"], now))
                if owned and not post.get("deleted"):
                    self._db.execute("INSERT OR REPLACE INTO owned VALUES (?, ?, ?, ?, ?, 0)",
                                     (target, post["id"], to_epoch(post["created_at"]), now, json.dumps(post)))
            self._db.executemany("UPDATE owned SET deleted = 1 WHERE target = ? AND post_id = ?",
                                 [(target, pid) for pid in deleted])
            self._db.execute("DELETE FROM seen WHERE target = ? AND created < ?", (target, now - keep_s))
            self._db.execute("DELETE FROM owned WHERE target = ? AND stored < ?", (target, now - keep_s))

    def close(self) -> None:
        self._db.close()
