"""Complaints grouped by what they say: online clustering of embeddings, per brand.

Similarities are judged against what chance allows. A single complaint is a noisy sample of
its grievance (two complaints about one problem are only `complaint_likeness`, about 0.25,
alike once the brand's usual complaint is taken away), while the centroid of many is close
to the grievance itself. So every cosine is divided by what two groups of those sizes about
the same problem would show on average (`expected`): 1.0 means "as alike as one grievance
gets", whatever the sizes, and every threshold (join, merge, pool, link) is on that scale.

Each complaint joins the grievance it is most alike (at least `join_similarity`, or
`cross_platform_join_similarity` for one not heard on the complaint's platform yet); failing
that, the most alike heard on its platform within `burst_join_minutes`, at
`burst_join_similarity` (one burst told in several wordings); or it starts a new one. A brand
keeps at most `max_grievances`; the one idle longest makes room, unless an incident holds it.
Grievances count their complaints per platform in event-time buckets, which is what spikes.py
tests, and keep what they say on each platform (`said_on`), which an opening incident compares
(`platforms_likeness`).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .config import DetectorConfig
from .state import G_FIRST, G_FLAGGED, G_NEG, G_REACH, drop_before
from .terms import merge_terms
from .traffic import oldest_kept
from .vectors import unit

IDS_PER_BUCKET = 40
# Two small groups are judged as if they were at least this sure of their grievance: their
# expected likeness is small, but so little evidence varies a lot, and dividing by it alone
# would let two chance neighbours of a few complaints each pass for one grievance.
LEAST_EXPECTED = 0.5
# Complaints a grievance needs on each of two platforms before what it says on one can be
# told from what it says on the other (`platforms_likeness`): a single complaint is noise.
LEAST_SAID = 3
# What a grievance says on each platform but its first is a sum of vectors rounded to float16
# after each complaint, in replay as in the stream: a cosine over it moves by well under 0.01.
SHARE_DTYPE = np.float16
TERMS_PER_GRIEVANCE = 60
# Words kept per platform too: what people say on each is what the team answering there reads.
TERMS_PER_PLATFORM = 24


def certainty(n, likeness: float):
    """Expected cosine between the centroid of n complaints and the grievance they are about
    (n a number, or an array of them)."""
    return np.sqrt(n * likeness / (n * likeness + 1.0 - likeness))


def _certainty_of(n: int, likeness: float) -> float:
    """certainty() of one size, in plain floats: it runs for every complaint."""
    return math.sqrt(n * likeness / (n * likeness + 1.0 - likeness))


def expected(n_a: float, n_b: float, likeness: float) -> float:
    """Expected cosine between the centroids of two groups (n_a and n_b complaints) of one grievance."""
    return certainty(n_a, likeness) * certainty(n_b, likeness)


def assign(state: dict[str, Any], vec: np.ndarray, b: int, cfg: DetectorConfig, platform: str) -> int:
    """The id of the grievance this complaint (posted on `platform`) belongs to, created if none
    is alike enough."""
    c = _centroids(state, len(vec), cfg)
    if c.gids:
        sims = c.matrix.dot(vec) / c.sure
        j = _best_match(state, c, sims, platform, cfg)
        if j is None and cfg.burst_join_similarity:
            j = _burst_match(state, c, sims, platform, b, cfg)
        if j is not None:
            g = state["grievances"][c.gids[j]]
            g["v"] = np.asarray(g["v"]) + vec
            g["n"] += 1
            g["last"] = max(g["last"], b)
            _heard_on(g, platform, 1, vec)
            c.moved(c.gids[j], g, cfg)
            return c.gids[j]
    if len(state["grievances"]) >= cfg.max_grievances:
        _evict(state)
    gid = state["next_gid"]
    state["next_gid"] += 1
    g = state["grievances"][gid] = {"v": vec.copy(), "n": 1, "last": b, "plat": {}, "ids": {}, "terms": {},
                                    "pterms": {}, "spikes": {}, "incident": None, "home": platform, "away": {}}
    c.added(gid, g, cfg)
    return gid


def _best_match(state: dict[str, Any], c: "_Centroids", sims: np.ndarray, platform: str,
                cfg: DetectorConfig) -> int | None:
    """The row of the most alike grievance the complaint may join, or None.

    At least `join_similarity`, or `cross_platform_join_similarity` for a grievance not heard
    on the complaint's platform yet: a grievance heard on two platforms is what an incident
    is made of, and one complaint taken in by chance (a rude manager on twitter joining food
    poisoning on reddit, both a little alike once the brand is taken away) must not make it so.
    """
    j = int(sims.argmax())  # the method: np.argmax's dispatch costs as much as the work
    if sims[j] < cfg.join_similarity:
        return None
    gs = state["grievances"]
    if sims[j] >= cfg.cross_platform_join_similarity or platform in gs[c.gids[j]]["plat"]:
        return j
    for k in np.argsort(-sims):  # the next most alike, where only the plain threshold applies
        if sims[k] < cfg.join_similarity:
            return None
        if platform in gs[c.gids[k]]["plat"]:
            return int(k)
    return None


BURST_CANDIDATES = 5  # the nearest grievances looked at for a burst join: its cost stays flat


def _burst_match(state: dict[str, Any], c: "_Centroids", sims: np.ndarray, platform: str, b: int,
                 cfg: DetectorConfig) -> int | None:
    """The row of the most alike grievance heard on the complaint's platform within the last
    `burst_join` buckets, if at least `burst_join_similarity` alike, or None.

    A weak storm comes in several wordings, each less alike the others than two complaints in
    one wording; grouped by words alone, each wording is a group too small to be loud
    anywhere. At one time on one platform they are one burst. Unrelated complaints on a busy
    platform can fall that close too, so groups are broader than words alone make them: the
    stricter `link_similarity` that came with this join keeps two problems from being linked.
    """
    gs = state["grievances"]
    for k in np.argsort(-sims)[:BURST_CANDIDATES]:
        if sims[k] < cfg.burst_join_similarity:
            return None
        rows = gs[c.gids[k]]["plat"].get(platform)
        # Probing the hour's buckets, not complaints_in over every row kept: this runs per complaint.
        if rows and any(bucket in rows for bucket in range(b - cfg.burst_join + 1, b + 1)):
            return int(k)
    return None


def record(g: dict[str, Any], platform: str, b: int, ts: float, post_id: str, reach: int,
           terms: list[str]) -> None:
    """Count one complaint of this grievance into its platform's bucket, with its evidence."""
    rows = g["plat"].get(platform)
    if rows is None:
        rows = g["plat"][platform] = {}
    row = rows.get(b)
    if row is None:
        row = rows[b] = [0, ts, 0, 0]
    row[G_NEG] += 1
    row[G_REACH] += reach
    if ts < row[G_FIRST]:
        row[G_FIRST] = ts
    ids = g["ids"].get(b)
    if ids is None:
        ids = g["ids"][b] = []
    ids.append([ts, post_id, platform])
    if len(ids) > IDS_PER_BUCKET:
        # Keep the earliest posts, whatever order they arrived in: replay and stream agree.
        ids.sort()
        del ids[IDS_PER_BUCKET:]
    merge_terms(g["terms"], terms, TERMS_PER_GRIEVANCE)
    # setdefault: states stored before the words per platform were kept have none.
    merge_terms(g.setdefault("pterms", {}).setdefault(platform, {}), terms, TERMS_PER_PLATFORM)


def complaints_in(rows: dict[int, list], first: int, last: int) -> tuple[int, int]:
    """(complaints, reach of the complainers) in one platform's bucket rows, buckets first to last."""
    n = reach = 0
    for k, row in rows.items():
        if first <= k <= last:
            n += row[G_NEG]
            reach += row[G_REACH]
    return n, reach


def merge_similar(state: dict[str, Any], gids: list[int], cfg: DetectorConfig) -> dict[int, int]:
    """Fold grievances that turned out to be the same into the older one.

    Online clustering splits a new grievance into fragments while its first complaints
    arrive; as their centroids settle they become near-identical and are merged. Returns
    {removed gid: kept gid}.
    """
    moved: dict[int, int] = {}
    for gid in gids:
        gid = moved.get(gid, gid)
        if gid not in state["grievances"]:
            continue
        sims, order = _likeness_to(state, gid, cfg)
        for j in (sims >= cfg.merge_similarity).nonzero()[0]:  # ascending ids: order is sorted
            other = order[j]
            if other != gid and _mergeable(state, gid, other):
                keep, gone = min(gid, other), max(gid, other)
                _fold(state["grievances"][keep], state["grievances"][gone])
                _forget(state, gone)
                _renamed_in_spikes(state, gone, keep)
                _centroids_of(state, keep, cfg).moved(keep, state["grievances"][keep], cfg)
                moved.update({k: keep for k, v in moved.items() if v == gone})
                moved[gone] = keep
                break
    return moved


def _renamed_in_spikes(state: dict[str, Any], gone: int, keep: int) -> None:
    """Spikes that counted the grievance merged away counted what the one kept now holds."""
    for g in state["grievances"].values():
        for spike in g["spikes"].values():
            group = spike.get("group")
            if group and gone in group:
                spike["group"] = sorted(set(group).difference((gone,)).union((keep,)))


def _mergeable(state: dict[str, Any], a: int, b: int) -> bool:
    ia, ib = state["grievances"][a]["incident"], state["grievances"][b]["incident"]
    return ia is None or ib is None or ia == ib


def add_rows(into: dict[int, list], rows: dict[int, list]) -> None:
    """Add one grievance's bucket rows on a platform into another's (or into a pooled view)."""
    for b, row in rows.items():
        have = into.get(b)
        into[b] = list(row) if have is None else [
            have[G_NEG] + row[G_NEG], min(have[G_FIRST], row[G_FIRST]),
            have[G_FLAGGED] or row[G_FLAGGED], have[G_REACH] + row[G_REACH]]


def _heard_on(g: dict[str, Any], platform: str, n: int, vec: np.ndarray) -> None:
    """Add n complaints (vec, their vectors' sum) on `platform` to what the grievance says
    there. Its first platform's share is its total less the others' (`said_on`), so a
    grievance heard on one platform stores no second vector; the others are kept in float16
    (a quarter of a centroid's room, SHARE_DTYPE), as busy brands' background grievances are
    heard everywhere."""
    if platform == g.get("home"):
        return
    away = g.get("away")
    if away is None:
        return  # stored by a version that kept no platform's share: unknown for its lifetime
    have = away.get(platform)
    total = vec if have is None else np.asarray(have[1], dtype=np.float64) + vec
    away[platform] = [n + (have[0] if have else 0), total.astype(SHARE_DTYPE)]


def said_on(g: dict[str, Any]) -> dict[str, tuple[int, np.ndarray]]:
    """Per platform, the grievance's complaints there and their vectors' sum ({} if unknown)."""
    if g.get("away") is None:
        return {}
    out = {p: (n, np.asarray(v, dtype=np.float64)) for p, (n, v) in g["away"].items()}
    home_n = g["n"] - sum(n for n, _ in out.values())
    home_v = np.asarray(g["v"], dtype=np.float64) - sum((v for _, v in out.values()), np.zeros(len(g["v"])))
    return {**out, g["home"]: (home_n, home_v)} if home_n > 0 else out


def _fold(keep: dict[str, Any], gone: dict[str, Any]) -> None:
    shares = said_on(gone)
    if not shares:
        keep["away"] = None  # what each platform says can no longer be told apart
    for platform, (n, vec) in shares.items():
        _heard_on(keep, platform, n, vec)
    keep["v"] = np.asarray(keep["v"]) + np.asarray(gone["v"])
    keep["n"] += gone["n"]
    keep["last"] = max(keep["last"], gone["last"])
    keep["incident"] = keep["incident"] or gone["incident"]
    if "legs_wait" in gone:  # an opening of either waits since the earlier
        keep["legs_wait"] = min(keep.get("legs_wait", gone["legs_wait"]), gone["legs_wait"])
    for platform, rows in gone["plat"].items():
        add_rows(keep["plat"].setdefault(platform, {}), rows)
    for b, ids in gone["ids"].items():
        merged = sorted(keep["ids"].get(b, []) + ids)
        keep["ids"][b] = merged[:IDS_PER_BUCKET]
    merge_terms(keep["terms"], gone["terms"], TERMS_PER_GRIEVANCE)
    for platform, terms in gone.get("pterms", {}).items():
        merge_terms(keep.setdefault("pterms", {}).setdefault(platform, {}), terms, TERMS_PER_PLATFORM)
    for platform, spike in gone["spikes"].items():
        have = keep["spikes"].get(platform)
        if have is None or spike["onset"] < have["onset"]:
            last = max(spike["last_bucket"], (have or spike)["last_bucket"])
            keep["spikes"][platform] = {**spike, "last_bucket": last}
        else:
            have["last_bucket"] = max(have["last_bucket"], spike["last_bucket"])
        if have is not None and ("group" in have or "group" in spike):
            keep["spikes"][platform]["group"] = sorted(set(have.get("group", ())) | set(spike.get("group", ())))


def kin(state: dict[str, Any], gid: int, threshold: float, cfg: DetectorConfig) -> list[int]:
    """The grievance and those at least `threshold` alike."""
    sims, order = _likeness_to(state, gid, cfg)
    close = sims >= threshold
    close[_centroids_of(state, gid, cfg).index[gid]] = True
    return [order[j] for j in close.nonzero()[0]]


def platforms_likeness(state: dict[str, Any], sides: dict[str, list[int]], cfg: DetectorConfig) -> float | None:
    """How alike what grievances say on two platforms is, on the chance-corrected scale: `sides`
    names, for each of the two, the grievances whose complaints there count. None when either
    has fewer than LEAST_SAID complaints, or a member's shares are unknown: too little to tell."""
    (a, on_a), (b, on_b) = sides.items()
    if not on_a or not on_b:
        return None
    dim = len(state["grievances"][on_a[0]]["v"])
    sums = []
    for platform, gids in ((a, on_a), (b, on_b)):
        n, total = 0, 0.0
        for gid in gids:
            shares = said_on(state["grievances"][gid])
            if not shares or len(state["grievances"][gid]["v"]) != dim:
                return None  # unknown, or members of two models' embeddings
            if platform in shares:
                n += shares[platform][0]
                total = total + shares[platform][1]
        sums.append((n, total))
    (n_a, v_a), (n_b, v_b) = sums
    if min(n_a, n_b) < LEAST_SAID:
        return None
    return _scaled(v_a, v_b, n_a, n_b, cfg)


def likeness(state: dict[str, Any], a: list[int], b: list[int], cfg: DetectorConfig) -> float:
    """How alike two groups of grievances are, on the chance-corrected scale (1.0: one grievance)."""
    va, vb = _total(state, a), _total(state, b)
    if len(va) != len(vb):
        return -1.0
    return _scaled(va, vb, _count(state, a), _count(state, b), cfg)


def _scaled(va: np.ndarray, vb: np.ndarray, n_a: float, n_b: float, cfg: DetectorConfig) -> float:
    """The cosine of two sums of n_a and n_b complaints over what two such groups about one
    problem show on average: the chance-corrected scale."""
    cos = float(unit(va).dot(unit(vb)))
    return cos / max(LEAST_EXPECTED, float(expected(n_a, n_b, cfg.complaint_likeness)))


def _likeness_to(state: dict[str, Any], gid: int, cfg: DetectorConfig) -> tuple[np.ndarray, list[int]]:
    """Likeness of grievance gid to every grievance, and their ids, in the centroid matrix's order."""
    c = _centroids_of(state, gid, cfg)
    sims = c.likeness.get(gid)
    if sims is None:  # one bucket's tests ask about the same grievance once per platform
        j = c.index[gid]
        sims = c.likeness[gid] = c.matrix.dot(c.matrix[j]) / np.maximum(LEAST_EXPECTED, c.sure * c.sure[j])
    return sims, c.gids


def _total(state: dict[str, Any], gids: list[int]) -> np.ndarray:
    return sum(np.asarray(state["grievances"][gid]["v"], dtype=np.float64) for gid in gids)


def _count(state: dict[str, Any], gids: list[int]) -> int:
    return sum(state["grievances"][gid]["n"] for gid in gids)


SPARE_ROWS = 8  # the least a centroid cache is built with


class _Centroids:
    """Unit centroids as one matrix, with their ids, sizes and certainties, and the likenesses
    asked for since the last change. A cache: kept in step as grievances take complaints, come
    and go; rebuilt after a restore or a change of model."""

    def __init__(self, state: dict[str, Any], dim: int, cfg: DetectorConfig):
        gs = state["grievances"]
        self.gids = [gid for gid in sorted(gs) if len(gs[gid]["v"]) == dim]
        self.index = {gid: j for j, gid in enumerate(self.gids)}
        n = len(self.gids)
        # Rows to spare: a new grievance's row is written into the buffer rather than the whole
        # matrix copied (a new one every few complaints on a busy brand). Doubled when full, so a
        # quiet brand's cache stays small: a worker holds one for every brand it watches.
        self._rows = np.zeros((max(2 * n, SPARE_ROWS), dim))
        self._counts = np.zeros(len(self._rows))
        self._sure = np.zeros(len(self._rows))
        for j, gid in enumerate(self.gids):
            self._rows[j] = unit(np.asarray(gs[gid]["v"], dtype=np.float64))
            self._counts[j] = gs[gid]["n"]
        self._sure[:n] = certainty(self._counts[:n], cfg.complaint_likeness)
        self._views(n)
        self.likeness: dict[int, np.ndarray] = {}

    def _views(self, n: int) -> None:
        """The first n rows as the matrix, counts and certainties the callers read and write."""
        self.matrix, self.counts, self.sure = self._rows[:n], self._counts[:n], self._sure[:n]

    def moved(self, gid: int, g: dict[str, Any], cfg: DetectorConfig) -> None:
        """Grievance gid took complaints: its row, its size and every likeness change."""
        j = self.index[gid]
        self.matrix[j] = unit(np.asarray(g["v"], dtype=np.float64))
        self.counts[j] = g["n"]
        self.sure[j] = _certainty_of(g["n"], cfg.complaint_likeness)
        self.likeness.clear()

    def added(self, gid: int, g: dict[str, Any], cfg: DetectorConfig) -> None:
        """A new grievance: ids only grow, so its row goes last and the rows stay in id order."""
        if len(g["v"]) != self.matrix.shape[1]:
            return
        n = len(self.gids)
        if n == len(self._rows):
            self._rows = np.vstack([self._rows, np.zeros_like(self._rows)])
            self._counts, self._sure = (np.append(a, np.zeros_like(a)) for a in (self._counts, self._sure))
        self.index[gid] = n
        self.gids.append(gid)
        self._rows[n] = unit(np.asarray(g["v"], dtype=np.float64))
        self._counts[n] = g["n"]
        self._sure[n] = _certainty_of(g["n"], cfg.complaint_likeness)
        self._views(n + 1)
        self.likeness.clear()

    def removed(self, gid: int) -> None:
        j = self.index.pop(gid, None)
        if j is None:
            return
        del self.gids[j]
        self.index = {other: k for k, other in enumerate(self.gids)}
        n = len(self.gids)
        for a in (self._rows, self._counts, self._sure):  # the rows after it move up: id order stays
            a[j:n] = a[j + 1:n + 1]
        self._views(n)
        self.likeness.clear()


def _centroids(state: dict[str, Any], dim: int, cfg: DetectorConfig) -> _Centroids:
    cached = state.get("_centroids")
    if cached is None or cached.matrix.shape[1] != dim:
        cached = state["_centroids"] = _Centroids(state, dim, cfg)
    return cached


def _centroids_of(state: dict[str, Any], gid: int, cfg: DetectorConfig) -> _Centroids:
    """The cache holding grievance gid (the one of its embedding's size)."""
    return _centroids(state, len(state["grievances"][gid]["v"]), cfg)


def _evict(state: dict[str, Any]) -> None:
    free = [(g["last"], g["n"], gid) for gid, g in state["grievances"].items() if g["incident"] is None]
    if free:
        _forget(state, min(free)[2])


def _forget(state: dict[str, Any], gid: int) -> None:
    del state["grievances"][gid]
    cached = state.get("_centroids")
    if cached is not None:
        cached.removed(gid)


def prune(state: dict[str, Any], b: int, cfg: DetectorConfig, pruned: int | None = None) -> None:
    """Forget counts no window needs, evidence older than any spike can reach, idle grievances.
    `pruned`: no count before it is left (the last prune's bound), or None if unknown."""
    oldest = oldest_kept(b, cfg)
    # Evidence is kept for less than counts, and a late post can still add some below the
    # last prune's bound for it: its dicts are searched for their oldest key.
    oldest_ids = b - cfg.link - cfg.longest
    for gid in list(state["grievances"]):
        g = state["grievances"][gid]
        if g["last"] < oldest and g["incident"] is None:
            _forget(state, gid)
            continue
        for rows in g["plat"].values():
            drop_before(rows, oldest, pruned)
        drop_before(g["ids"], oldest_ids)


def flag(g: dict[str, Any], platform: str, first: int, last: int) -> None:
    for bucket, row in g["plat"].get(platform, {}).items():
        if first <= bucket <= last:
            row[G_FLAGGED] = 1
