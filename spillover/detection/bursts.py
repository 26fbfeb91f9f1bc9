"""A second route to an incident: a brand's complaints bursting on two platforms, saying alike things.

Grievances (grievances.py) group complaints by their words before anything is tested, and a
storm told in many wordings can fall apart into groups each too small to be loud anywhere.
Here nothing is grouped first. A platform bursts when its complaints as a whole, in a window of
an hour or more, are at least `platform_burst_min_complaints`, `platform_burst_lift` times and
beyond chance (`platform_burst_alpha`, spent over the windows) what the window's other posts
imply at the platform's usual share of complaints: the day's rhythm comes with the posts, as a
busy evening brings more complaints and more of everything else, and a storm's own complaints
do not raise the bar. What a burst says is the sum of its complaints' vectors (centred on the
brand's usual complaint, as grievances are), where the topics of background complaints cancel
out and a storm's add up; each platform keeps its last hours' sums, so a burst found late in
its window still has its first complaints.

Two platforms bursting within `link` of each other are one storm when their vectors are at
least `platform_burst_similarity` alike (cosine) and the grievances loud in each (`_loud`)
hold at least `platform_burst_min_complaints` complaints beyond their usual: a chance burst of
the brand's steady grumbling holds few. Those loud grievances that lean the storm's way get a
spike on their burst's platform, from the onset their complaints show, and go to `decide` like
any spiking grievance: they join an open incident they are part of, or open one. A burst most
of whose loud complaints an open incident holds is that incident's and opens nothing: one
storm pages the team once.

State: {"bursts": {platform: {"start", "last", "expected", "ratio", "incident", "v"}},
        "heard": {platform: {hour: vector}}}, the latter a few hours per platform.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import grievances, spikes, traffic
from .config import DetectorConfig
from .significance import poisson_sf
from .state import NEG, TOTAL
from .vectors import unit

# A grievance joins a burst's incident when its mean leans the storm's way at least this much
# (cosine): background complaints inside the burst's window stay out of its words and evidence.
MEMBER_COSINE = 0.3
MIN_EXPECTED = 0.05
# A grievance is loud in a burst when its complaints there are beyond chance at this level
# against its own usual rate (taken as at least LEAST_USUAL over the burst: two complaints
# of a wording never heard before are loud, one is not).
LOUD_ALPHA = 0.01
LEAST_USUAL = 0.1


def watch(state: dict[str, Any], b: int, platforms: list[str], usuals: dict, cfg: DetectorConfig) -> list[int]:
    """Note which of `platforms` (those with complaints in bucket b) burst now; when two bursts
    link, give their grievances spikes and return their ids, the group to open an incident for."""
    if not cfg.platform_burst_similarity:
        return []
    bursts = state.setdefault("bursts", {})
    now = []
    for p in sorted(platforms):
        reading = _bursting(state["platforms"][p], b, usuals[p], cfg)
        if reading:
            _note(state, bursts, p, b, reading, cfg)
            now.append(p)
    for p in [p for p, s in bursts.items() if b - s["last"] > cfg.link]:
        del bursts[p]
    return _link(state, bursts, b, now, usuals, cfg) if now else []


def hear(state: dict[str, Any], platform: str, b: int, vec: np.ndarray, cfg: DetectorConfig) -> None:
    """Count a complaint's vector (centred) into its platform's hour, and into the platform's
    burst if one is on: a burst's centroid is its complaints' own vectors summed, where the
    topics of background complaints cancel out and a storm's add up."""
    if not cfg.platform_burst_similarity:
        return
    hours = state.setdefault("heard", {}).setdefault(platform, {})
    hour = b // int(cfg.per_hour)
    slot = hours.get(hour)
    if slot is None:
        # A new burst looks back over its longest window: no older hour is needed.
        for old in [h for h in hours if h * cfg.per_hour < b - cfg.longest - cfg.per_hour]:
            del hours[old]
    hours[hour] = _plus(slot, vec)
    burst = state.get("bursts", {}).get(platform)
    # Up to a longest window after its last bucket: a window that goes on with it reaches that far.
    if burst is not None and burst["start"] <= b <= burst["last"] + cfg.longest:
        burst["v"] = _plus(burst["v"], vec)


def _plus(total: np.ndarray | None, vec: np.ndarray) -> np.ndarray:
    """total + vec; vec alone if there is no total yet, or one of another size (the model was
    changed: its vectors do not compare with the old ones, and must not stop the worker)."""
    return vec.copy() if total is None or len(total) != len(vec) else total + vec


def _bursting(plat: dict[str, Any], b: int, usual: traffic.Usual, cfg: DetectorConfig) -> tuple | None:
    """(window, complaints, expected) of the shortest window ending at b where the platform's
    complaints burst, or None."""
    if usual.span < cfg.warmup or usual.share >= 1.0:
        return None
    windows = cfg.burst_windows
    # One pass over the longest window gives every window's sums: this runs for each platform
    # with complaints in each bucket closed.
    sums, total, n, buckets, k = {}, 0, 0, plat["buckets"], b
    for w in windows:  # shortest first: each window's sums go on from the last's
        for row in map(buckets.get, range(k, b - w, -1)):
            if row is not None:
                total, n = total + row[TOTAL], n + row[NEG]
        sums[w], k = (total, n), b - w
    if n < cfg.platform_burst_min_complaints:
        return None
    alpha = cfg.platform_burst_alpha / len(windows)
    odds = usual.share / (1.0 - usual.share)
    for w in windows:
        total, n = sums[w]
        expected = max((total - n) * odds, MIN_EXPECTED)
        if n >= cfg.platform_burst_min_complaints and n >= cfg.platform_burst_lift * expected \
                and poisson_sf(n, expected) < alpha:
            return w, n, expected
    return None


def _note(state: dict[str, Any], bursts: dict[str, Any], p: str, b: int, reading: tuple, cfg: DetectorConfig) -> None:
    w, n, expected = reading
    burst = bursts.get(p)
    # A burst goes on while its windows overlap: one that stopped and began again is a new
    # one, or hours of background between them would count as its complaints.
    if burst is None or b - w + 1 > burst["last"] + 1:
        # Its vector so far: the complaints heard in the hours its window began in, and after.
        start = b - w + 1
        hours = state.get("heard", {}).get(p, {})
        heard = None
        for h, v in sorted(hours.items()):
            if (h + 1) * cfg.per_hour > start:
                heard = _plus(heard, v)
        burst = bursts[p] = {"start": start, "last": b, "expected": expected / w, "ratio": 0.0,
                             "incident": None, "v": heard}
    burst["last"] = b
    burst["ratio"] = round(max(burst["ratio"], min(n / expected, 1e6)), 3)


def _link(state: dict[str, Any], bursts: dict[str, Any], b: int, now: list[str], usuals: dict,
          cfg: DetectorConfig) -> list[int]:
    loud = {p: _loud(state, p, s["start"], s["last"], usuals[p].span, cfg) for p, s in sorted(bursts.items())}
    for p, burst in bursts.items():
        _claim(state, burst, loud[p])
    free = [p for p in sorted(bursts) if bursts[p]["incident"] is None and bursts[p]["v"] is not None
            and sum(loud[p].values()) >= cfg.platform_burst_min_complaints]
    for i, p in enumerate(free):
        for q in free[i + 1:]:
            if (p in now or q in now) and abs(bursts[p]["start"] - bursts[q]["start"]) <= cfg.link \
                    and len(bursts[p]["v"]) == len(bursts[q]["v"]):
                vp, vq = unit(bursts[p]["v"]), unit(bursts[q]["v"])
                if float(vp.dot(vq)) >= cfg.platform_burst_similarity:
                    group = _open(state, {p: bursts[p], q: bursts[q]}, {p: loud[p], q: loud[q]}, vp + vq, b, cfg)
                    if group:  # else no grievance of one of them leans the storm's way: try the next pair
                        return group
    return []


def _loud(state: dict[str, Any], p: str, start: int, last: int, span: int, cfg: DetectorConfig) -> dict[int, float]:
    """The grievances loud in a burst, with their complaints there beyond their usual: at least
    two, `platform_burst_lift` times and beyond chance (LOUD_ALPHA) what their rate over the
    platform's history (`span` buckets before the burst) would bring. A grievance heard on
    every platform every day (the brand's steady grumbling) is in every burst, a little above
    its usual by chance; a storm's wordings, new or rare, stand far above theirs."""
    loud: dict[int, float] = {}
    for gid, g in state["grievances"].items():
        rows = g["plat"].get(p)
        n = grievances.complaints_in(rows, start, last)[0] if rows else 0
        if n < 2:
            continue
        usual = grievances.complaints_in(rows, start - span, start - 1)[0] * (last - start + 1) / max(span, 1)
        if n >= cfg.platform_burst_lift * max(usual, 0.5) and poisson_sf(n, max(usual, LEAST_USUAL)) < LOUD_ALPHA:
            loud[gid] = n - usual
    return loud


def _claim(state: dict[str, Any], burst: dict[str, Any], held: dict[int, float]) -> None:
    """A burst most of whose loud complaints an incident's grievances hold is that incident's."""
    by_incident: dict[str, float] = {}
    for gid, n in held.items():
        iid = state["grievances"][gid]["incident"]
        if iid is not None:
            by_incident[iid] = by_incident.get(iid, 0) + n
    if by_incident:
        iid, n = max(sorted(by_incident.items()), key=lambda kv: kv[1])
        if 2 * n >= sum(held.values()):
            burst["incident"] = iid


def _open(state: dict[str, Any], linked: dict[str, dict], held: dict[str, dict[int, float]], storm: np.ndarray,
          b: int, cfg: DetectorConfig) -> list[int]:
    """Spike the loud grievances of the linked bursts that lean the storm's way; their ids, or
    none if a burst has no such grievance."""
    direction = unit(storm)
    group = sorted({gid for each in held.values() for gid in each
                    if state["grievances"][gid]["incident"] is None
                    and float(unit(np.asarray(state["grievances"][gid]["v"], dtype=np.float64)).dot(direction))
                    >= MEMBER_COSINE})
    members = {p: [gid for gid in group if gid in held[p]] for p in linked}
    if not all(members.values()):
        return []
    for p, burst in linked.items():
        _spike(state, members[p], p, burst, b, cfg)
    return group


def _spike(state: dict[str, Any], members: list[int], p: str, burst: dict[str, Any], b: int,
           cfg: DetectorConfig) -> None:
    """Give the members a spike on platform p over the burst's span, as any spike is recorded:
    counted together, from where their complaints there rose."""
    window = b - burst["start"] + 1
    for gid in members:
        n = grievances.complaints_in(state["grievances"][gid]["plat"][p], burst["start"], b)[0]
        spikes.record(state, spikes.Reading(gid, p, b, window, n, burst["expected"] * window, burst["ratio"],
                                            tuple(members)), cfg)
