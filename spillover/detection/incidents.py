"""Incident lifecycle: one grievance, loud on a second platform after a first.

Opened when spikes of the same grievance (one group of complaints, or groups whose centroids
are at least `link_similarity` alike, or those a storm's platform bursts tie together:
bursts.py) stand on two platforms within `link` buckets and what made them loud says alike
things on both (`legs_similarity`: two problems folded into one group by chance say different
things on their platforms); its other platforms are then asked whether it had been loud there too,
unseen (`_look_back`). Escalated when it reaches another platform; updated when its
complaints grow by `update_growth` or its severity rises; resolved after `quiet` buckets
without a spike. One id throughout. Loud again after it was resolved, only where it had been,
the grievance opens a new incident whose `follows` names the old one; loud on a new platform
too, within `link` of its last spike (or of a flare where it had been, `_last_loud`), the old
one goes on (`_reopen`).
"""
from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from ..long_form import LONG_FORM_PLATFORMS
from ..records import IncidentEvent, PlatformActivity
from ..timeutil import format_epoch
from . import grievances
from .config import DetectorConfig
from .spikes import onset as onset_of
from .spikes import pooled_rows
from .spikes import record as record_spike
from .spikes import test as test_spike
from .state import DELETED, REPLIES, TOTAL
from .terms import merge_terms, top_terms
from .traffic import bucket_of, rows

LEVELS = ("low", "medium", "high", "critical")
# How much each ingredient (each 0-1) weighs in the severity score: the spread across
# platforms most, as it is what the crisis plan is about.
SEVERITY_WEIGHTS = {"platforms": 0.3, "ratio": 0.2, "reach": 0.15, "velocity": 0.2, "negativity": 0.15}


def incident_id(brand: str, first_platform: str, onset: float) -> str:
    """Stable and reproducible: the same grievance gets the same id in replay and in the stream."""
    slug = re.sub(r"[^a-z0-9]+", "-", brand.lower()).strip("-")[:32] or "brand"
    stamp = format_epoch(onset).replace("-", "").replace(":", "")[:13]
    digest = hashlib.sha1(f"{brand}|{first_platform}|{onset}".encode()).hexdigest()[:8]
    return f"{slug}-{stamp}-{digest}"


def decide(state: dict[str, Any], brand: str, b: int, spiked: list[int], cfg: DetectorConfig,
           playbook: dict, burst: list[int] = ()) -> list[IncidentEvent]:
    """Move the brand's incidents along after bucket b closed; return the events to emit.
    `spiked`: the grievances that got a spike; `burst`: those of them a storm's platform
    bursts tie together (bursts.py)."""
    for gid in spiked:
        g = state["grievances"].get(gid)
        if g is not None and g["incident"] is None:
            _place(state, brand, gid, b, cfg)
    if burst:
        _open_burst(state, brand, list(burst), b, cfg)
    events = []
    for iid in sorted(state["incidents"]):
        inc = state["incidents"][iid]
        if spiked:  # candidates only change when a spike is recorded
            _gather(state, inc, cfg)
        status = _progress(state, inc, b, spiked, cfg)
        if status:
            events.append(_event(state, inc, brand, status, b, cfg, playbook))
        if status == "resolved":
            _close(state, iid, b)
    return events


def _place(state: dict[str, Any], brand: str, gid: int, b: int, cfg: DetectorConfig) -> None:
    """Attach a spiking grievance to the open incident it is part of, or open one with its kin."""
    if _reopen(state, gid, cfg) or _join_open(state, [gid], cfg):
        return
    group = [gid] + [other for other, g in sorted(state["grievances"].items())
                     if other != gid and g["incident"] is None and _active(g, b, cfg)
                     and grievances.likeness(state, [gid], [other], cfg) >= _link_bar(state, gid, other, cfg)
                     and _loud_groups_alike(state, gid, other, cfg)]
    if len({p for member in group for p in state["grievances"][member]["spikes"]}) < 2:
        return
    # Its kin can tie it to an open incident it did not join alone: a wording loud on the
    # incident's platform at the same time, with another on a new one, is the storm spreading.
    if not _join_open(state, group, cfg):
        _open(state, brand, group, b, cfg)


def _link_bar(state: dict[str, Any], gid: int, other: int, cfg: DetectorConfig) -> float:
    """How alike two grievances must be to open an incident together: `link_similarity`, or
    `long_form_link_similarity` when one was loud only on long-form platforms and the other
    on a short-form one too (one loud nowhere yet is judged as any). A blog post's embedding
    is the whole post's, framing and all (long_form.py), so a storm's blog posts are less like
    its tweets than its tweets are like each other."""
    return cfg.long_form_link_similarity if _one_long_form(_loud_on(state, gid), _loud_on(state, other)) \
        else cfg.link_similarity


def _loud_on(state: dict[str, Any], gid: int) -> set[str]:
    """The platforms grievance gid has spiked on."""
    return set(state["grievances"][gid]["spikes"])


def _join_bar(mine: set[str], theirs: set[str], cfg: DetectorConfig) -> float:
    """How alike grievances loud on `mine` must be to join an incident loud on `theirs` by
    likeness alone: `pool_similarity`, and never more than opening with it would take. A storm's
    blog posts, each framed in its writer's own words, come out less like its tweets than that."""
    if _one_long_form(mine, theirs):
        return min(cfg.pool_similarity, cfg.long_form_link_similarity)
    return cfg.pool_similarity


def _long_form_scaled(bar: float, mine: set[str], theirs: set[str], cfg: DetectorConfig) -> float:
    """A likeness bar between grievances loud on `mine` and on `theirs`, scaled as the link bar
    is (`_link_bar`) when one side was loud only on long-form platforms: what holds between two
    tweets' groups holds between a blog's and a tweet's at 0.5 / 0.7 of it, framing and all."""
    if cfg.link_similarity and _one_long_form(mine, theirs):
        return bar * cfg.long_form_link_similarity / cfg.link_similarity
    return bar


def _one_long_form(mine: set[str], theirs: set[str]) -> bool:
    """Whether one side was loud only on long-form platforms and the other on a short-form one."""
    return bool(mine and theirs) and (mine <= LONG_FORM_PLATFORMS) != (theirs <= LONG_FORM_PLATFORMS)


def _open_burst(state: dict[str, Any], brand: str, group: list[int], b: int, cfg: DetectorConfig) -> None:
    """Open an incident of a storm's platform bursts (bursts.py), of its grievances that neither
    joined an incident nor opened one as their spikes were placed, unless they are part of an
    open one: a wording that opened the storm's incident in this same bucket, by the grievance
    route, comes after them in `spiked`, so they could not join it as they were placed."""
    group = [gid for gid in group if gid in state["grievances"] and state["grievances"][gid]["incident"] is None]
    if len({p for gid in group for p in state["grievances"][gid]["spikes"]}) >= 2 \
            and not _join_open(state, group, cfg):
        _open(state, brand, group, b, cfg)


def _open(state: dict[str, Any], brand: str, group: list[int], b: int, cfg: DetectorConfig) -> None:
    spikes = _spikes(state, group)
    path = sorted(spikes, key=lambda p: (spikes[p]["onset"], p))
    first = path[0]
    iid = incident_id(brand, first, spikes[first]["onset"])
    if iid in state["incidents"]:  # the same storm, from the same onset: it is open already
        _join(state, state["incidents"][iid], group)
        return
    if not _legs_alike(state, group, first, path[1], b, cfg):
        return
    state["opened"] += 1
    inc = state["incidents"][iid] = {"id": iid, "opened_at": b, "members": [], "path": [], "onsets": {},
                                     "counts": {}, "evidence": {}, "complaints_at_event": 0,
                                     "level_at_event": "", "follows": _recurrence_of(state, group, cfg)}
    _join(state, inc, group)
    if cfg.look_back:
        _look_back(state, inc, b, cfg)


def _legs_alike(state: dict[str, Any], group: list[int], first: str, second: str, b: int,
                cfg: DetectorConfig) -> bool:
    """Whether the complaints that made the group loud on its first two platforms (`_leg`) say
    alike things (`legs_similarity`), or are too few on either to tell and have waited for
    more (`_waited`).

    Not asked of a long-form platform: a blog post's embedding is the whole post's, framing
    and all (long_form.py), so one about the storm is less like its tweets than they are
    like each other, and the bar would hold back real storms reaching blogs.
    """
    if not cfg.legs_similarity or {first, second} & LONG_FORM_PLATFORMS:
        return True
    sides = {p: _leg(state, group, p) for p in (first, second)}
    alike = grievances.platforms_likeness(state, sides, cfg)
    return _waited(state, group, b, cfg) if alike is None else alike >= cfg.legs_similarity


def _leg(state: dict[str, Any], group: list[int], platform: str) -> list[int]:
    """The grievances whose complaints made the group loud on the platform: each spike there
    was tested on its grievance with the kin counted alongside it (spikes.py), and a problem
    that joined another's group with one stray complaint is loud there through its kin.
    Judged on its own complaints, such a leg is too thin to tell (one complaint) and opened
    unchecked; judged on what the test counted, it says what that other problem says."""
    gs = state["grievances"]
    leg = set()
    for gid in group:
        spike = gs[gid]["spikes"].get(platform)
        if spike is not None:
            leg.add(gid)
            leg.update(m for m in spike.get("group", ()) if m in gs)
    return sorted(leg)


def _waited(state: dict[str, Any], group: list[int], b: int, cfg: DetectorConfig) -> bool:
    """Whether an opening the legs check cannot judge yet has waited `legs_wait` buckets for
    it, since the first such attempt of any of its grievances: two problems at once often show
    themselves as more complaints come (the check then refuses them), while a storm is still
    loud when the wait is over, or has been judged alike by then. A wait begun longer ago than
    the longest scan window was about an earlier burst: the group waits afresh."""
    if not cfg.legs_wait:
        return True
    members = [state["grievances"][gid] for gid in group]
    since = min((g["legs_wait"] for g in members if b - g.get("legs_wait", b - cfg.longest - 1) <= cfg.longest),
                default=None)
    if since is None:
        for g in members:
            g["legs_wait"] = b
        return False
    return b - since >= cfg.legs_wait


def _look_back(state: dict[str, Any], inc: dict[str, Any], b: int, cfg: DetectorConfig) -> None:
    """Find the legs of a just opened incident that were too weak to spike as they came.

    A storm's first leg is often a few complaints hours before it takes off elsewhere: too few
    for a cold scan, and then the path would begin at its second platform. Now that the
    grievance is known to be spreading, each platform it is not loud on is asked the targeted
    question a further platform is asked (`min_negative_spread`, `alpha_spread`, the
    incident's grievances counted together), in windows ending at each bucket where they have
    complaints there, from `link` before the incident's first onset on. The first window that
    spikes gives the platform its spike and its onset, as if it had been seen at the time.
    """
    loud = _spikes(state, inc["members"])
    # The test counts an incident's grievances together for a member loud somewhere.
    lead = next(m for m in inc["members"] if state["grievances"][m]["spikes"])
    since = min(s["onset_bucket"] for s in loud.values()) - cfg.link
    for platform in sorted(set(state["platforms"]) - set(loud)):
        heard = sorted({k for m in inc["members"] for k in state["grievances"][m]["plat"].get(platform, {})
                        if since <= k <= b})
        for k in heard:
            reading = test_spike(state, lead, platform, k, cfg)
            if reading:
                record_spike(state, reading, cfg)
                break


def _join_open(state: dict[str, Any], gids: list[int], cfg: DetectorConfig) -> bool:
    """Join grievances gids to the first open incident they are part of; whether they were.

    Joining an open incident takes less likeness than opening one, and less again when they are
    loud exactly where the incident already is, or took off beside it on one of its platforms,
    and none when they took off with it on all of their own: fragments of one storm must not
    page the on-call team twice."""
    own = _spikes(state, gids)
    for _iid, inc in sorted(state["incidents"].items()):
        sim = grievances.likeness(state, gids, inc["members"], cfg)
        theirs = _spikes(state, inc["members"])
        loud_on = set(inc["onsets"]) | set(theirs)  # onsets: not yet, if opened just now
        together = _took_off_with(own, {p: s["onset"] for p, s in theirs.items()}, cfg)
        if sim >= _join_bar(set(own), loud_on, cfg) or all(together) or (sim >= cfg.storm_likeness and (
                set(own) <= loud_on or any(together))):
            _join(state, inc, gids)
            return True
    return False


def _loud_groups_alike(state: dict[str, Any], gid: int, other: int, cfg: DetectorConfig) -> bool:
    """Whether the groups loud with two linked grievances are `loud_groups_similarity` alike.

    The grievances that open an incident are often fragments of a few complaints each, and two
    fragments of different problems of one brand can be as alike as a storm's, by chance (an
    app outage on reddit and one "locked my account" complaint pooled into a frozen-accounts
    burst on facebook). Behind each stand its close kin loud where it spiked, as its spike tests
    pool them: the burst on each platform. Those groups settle towards what the burst is about,
    so a spreading storm's two are alike and two problems' are not. Groups that share a
    grievance (one with complaints on both sides) are one storm already.
    """
    if not cfg.loud_groups_similarity:
        return True
    mine, theirs = _loud_kin(state, gid, cfg), _loud_kin(state, other, cfg)
    if set(mine) & set(theirs):
        return True
    bar = _long_form_scaled(cfg.loud_groups_similarity, _loud_on(state, gid), _loud_on(state, other), cfg)
    return grievances.likeness(state, mine, theirs, cfg) >= bar


def _loud_kin(state: dict[str, Any], gid: int, cfg: DetectorConfig) -> list[int]:
    """gid's close kin (`pool_similarity`, as its spike tests pool them) with complaints on a
    platform gid spiked on, from the longest scan window before the onset to the spike's end."""
    spikes = state["grievances"][gid]["spikes"].items()
    return [k for k in grievances.kin(state, gid, cfg.pool_similarity, cfg)
            if any(grievances.complaints_in(state["grievances"][k]["plat"].get(p, {}), s["onset_bucket"] - cfg.longest,
                                            s["last_bucket"])[0] for p, s in spikes)]


def _gather(state: dict[str, Any], inc: dict[str, Any], cfg: DetectorConfig) -> None:
    """Take in free grievances that took off on a platform the incident is not loud on, within
    the longest scan window of its first onset, and are at least `beside_similarity` alike
    (a blog's, at the long-form scale).

    A storm's first leg is often too weak to open anything alone, and told in other words than
    the legs that do: its spike stands apart, and without it the path would start at the
    second platform. Time and platform are evidence of their own here, so less likeness is
    asked than for joining on a platform the incident is already loud on.
    """
    theirs = _spikes(state, inc["members"])
    if not theirs:
        return
    start = min(s["onset"] for s in theirs.values())
    window = cfg.longest * cfg.bucket_s
    for gid, g in sorted(state["grievances"].items()):
        if g["incident"] is not None or not g["spikes"]:
            continue
        beside = any(p not in theirs and abs(s["onset"] - start) <= window for p, s in g["spikes"].items())
        bar = _long_form_scaled(cfg.beside_similarity, _loud_on(state, gid), set(theirs), cfg)
        if beside and grievances.likeness(state, [gid], inc["members"], cfg) >= bar:
            _join(state, inc, [gid])


def _took_off_with(own: dict[str, Any], onsets: dict[str, float], cfg: DetectorConfig) -> list[bool]:
    """For a grievance loud on two platforms or more (none: [False]), whether it took off on
    each within the longest window of the incident's onset there. On one of them: one storm
    told in other words, spreading along its own path; on all: the same storm, whatever the
    words."""
    if len(own) < 2:
        return [False]
    window = cfg.longest * cfg.bucket_s
    return [p in onsets and abs(s["onset"] - onsets[p]) <= window for p, s in own.items()]


def _reopen(state: dict[str, Any], gid: int, cfg: DetectorConfig) -> bool:
    """The same grievance (or the storm in other words, `_told_with`) loud on a new platform,
    either since before the incident was called over (blog posts often reach us hours after
    they were written) or within `link` of its last spike (a slow storm, quiet for a while
    between platforms): the incident goes on, under its id. `link` counts from the last spike
    (`_last_loud`), as it does between the platforms of an open incident: counted from the
    resolution, `quiet` hours later, a burst of the same grievance a day and more after the
    storm went quiet would page the team as the storm spreading. A new platform takes as little
    likeness as it would take to join the incident while open (`_join_bar`): going quiet
    for a while is what a slow storm does, and must not make its next platform a second incident."""
    spikes = state["grievances"][gid]["spikes"]
    for iid, inc in sorted(state["resolved"].items()):
        new_platform = any(p not in inc["path"] and s["onset_bucket"] <= _last_loud(state, inc, cfg) + cfg.link
                           for p, s in spikes.items())
        if new_platform and (_same_grievance(state, [gid], inc, cfg, _join_bar(set(spikes), set(inc["path"]), cfg))
                             or _told_with(state, gid, inc, cfg)):
            state["incidents"][iid] = state["resolved"].pop(iid)
            # Its grievances are its own again, but for those another incident took meanwhile.
            kept = [m for m in _still_held(state, inc) if m != gid and state["grievances"][m]["incident"] is None]
            inc["members"] = []
            _join(state, inc, kept + [gid])
            return True
    return False


def _told_with(state: dict[str, Any], gid: int, inc: dict[str, Any], cfg: DetectorConfig) -> bool:
    """Whether grievance gid took off with a resolved incident on one of its platforms and is
    as alike as `storm_likeness`: the storm in other words, as `_place` judges an open one."""
    kept = _still_held(state, inc)
    return (any(_took_off_with(state["grievances"][gid]["spikes"], inc["onsets"], cfg)) and bool(kept)
            and grievances.likeness(state, [gid], kept, cfg) >= cfg.storm_likeness)


def _recurrence_of(state: dict[str, Any], group: list[int], cfg: DetectorConfig) -> str:
    """The resolved incident a new one takes up again, or "".

    A grievance loud again on the platforms it was loud on is a new incident (the team called
    the last one over), but downstream should be able to tie the two together: the latest
    incident still remembered (resolved within `link`, or later if a flare carried it on,
    `_last_loud`) that shares a grievance with it, or is as alike as `link_similarity`.
    """
    for iid, inc in sorted(state["resolved"].items(), key=lambda kv: (-kv[1]["resolved_bucket"], kv[0])):
        if _same_grievance(state, group, inc, cfg, cfg.link_similarity):
            return iid
    return ""


def _same_grievance(state: dict[str, Any], gids: list[int], inc: dict[str, Any], cfg: DetectorConfig,
                    similarity: float) -> bool:
    """Whether grievances gids are a resolved incident's: one of its own, or `similarity` alike
    to those it still has. One whose grievances were all forgotten (the cap makes room by
    dropping idle ones) is nobody's."""
    kept = _still_held(state, inc)
    if set(gids) & set(kept):
        return True
    return bool(kept) and grievances.likeness(state, gids, kept, cfg) >= similarity


def _still_held(state: dict[str, Any], inc: dict[str, Any]) -> list[int]:
    """A resolved incident's grievances that have not been forgotten since."""
    return [m for m in inc["members"] if m in state["grievances"]]


def _join(state: dict[str, Any], inc: dict[str, Any], gids: list[int]) -> None:
    for gid in gids:
        state["grievances"][gid]["incident"] = inc["id"]
    # A set: a grievance counted twice would count its complaints twice.
    inc["members"] = sorted(set(inc["members"]) | set(gids))


def _active(g: dict[str, Any], b: int, cfg: DetectorConfig) -> bool:
    return any(b - s["last_bucket"] <= cfg.link for s in g["spikes"].values())


def _spikes(state: dict[str, Any], gids: list[int]) -> dict[str, dict[str, Any]]:
    """Per platform, the members' spikes combined: earliest onset (with the bucket where that
    spike was first seen), latest activity, highest peak."""
    out: dict[str, dict[str, Any]] = {}
    for gid in gids:
        for p, s in state["grievances"][gid]["spikes"].items():
            o = out.get(p)
            if o is None:
                out[p] = dict(s)
                continue
            if s["onset"] < o["onset"]:
                o["onset"], o["onset_bucket"], o["expected"] = s["onset"], s["onset_bucket"], s["expected"]
                o["first_bucket"] = s["first_bucket"]
            o["last_bucket"] = max(o["last_bucket"], s["last_bucket"])
            o["peak_ratio"] = max(o["peak_ratio"], s["peak_ratio"])
    return out


def _progress(state: dict[str, Any], inc: dict[str, Any], b: int, spiked: list[int],
              cfg: DetectorConfig) -> str | None:
    spikes = _spikes(state, inc["members"])
    joining = sorted((p for p in spikes if p not in inc["onsets"]), key=lambda p: (spikes[p]["onset"], p))
    for p in spikes:
        inc["onsets"][p] = _onset(state, inc, p, spikes[p], cfg)
    # The order the grievance reached the platforms: a late blog post or a fragment found to
    # belong can move a platform forward, and downstream must hear of it.
    path = sorted(inc["onsets"], key=lambda p: (inc["onsets"][p], p))
    if joining or path != inc["path"]:
        status = ("escalated" if inc["path"] else "opened") if joining else "updated"
        inc["path"] = path
        return status
    if b - max((s["last_bucket"] for s in spikes.values()), default=b - cfg.quiet) >= cfg.quiet:
        return "resolved"
    if not any(gid in inc["members"] for gid in spiked):
        return None
    complaints = sum(_complaints(state, inc, p, b, cfg)[0] for p in inc["path"])
    louder = complaints >= (1 + cfg.update_growth) * max(1, inc["complaints_at_event"])
    level = _severity(state, inc, spikes, b, cfg)[0]
    return "updated" if louder or LEVELS.index(level) > LEVELS.index(inc["level_at_event"]) else None


def _onset(state: dict[str, Any], inc: dict[str, Any], p: str, spike: dict[str, Any], cfg: DetectorConfig) -> float:
    """When the incident took off on platform p: the earliest onset of its members' spikes there.

    A member whose spike would move an onset already known earlier moves it only as far as the
    members' complaints there, counted together, show the rise began. A member's onset is where
    its own complaints rose, and a wording that spikes late in a storm can carry the background
    grumbles of its topic from before: two complaints about the signal forty minutes before an
    outage would put the outage on twitter first. Among the storm's other wordings they are what
    came before the rise. Complaints that reach us late still move the onset forward: they are
    counted together too.
    """
    known = inc["onsets"].get(p)
    if known is None:
        return spike["onset"]
    if spike["onset"] >= known:
        return known
    # As things stood when that spike was first seen: a later burst must not hide an earlier one.
    together, _ = onset_of(pooled_rows(state, inc["members"], p), spike["first_bucket"], spike["expected"], cfg)
    return max(spike["onset"], min(together, known))


def _close(state: dict[str, Any], iid: str, b: int) -> None:
    """Resolved: its grievances are free again; the incident is remembered for `link` buckets."""
    inc = state["incidents"].pop(iid)
    inc["resolved_bucket"] = b
    state["resolved"][iid] = inc
    for gid in inc["members"]:
        g = state["grievances"].get(gid)
        if g is not None:
            g["incident"], g["spikes"] = None, {}


def expire_spikes(state: dict[str, Any], b: int, cfg: DetectorConfig) -> None:
    for iid in [i for i, inc in state["resolved"].items() if b - _last_loud(state, inc, cfg) > cfg.link + cfg.quiet]:
        del state["resolved"][iid]
    for g in state["grievances"].values():
        if g["incident"] is None and g["spikes"]:
            for p in [p for p, s in g["spikes"].items() if b - s["last_bucket"] > cfg.link]:
                del g["spikes"][p]


def _complaints(state: dict[str, Any], inc: dict[str, Any], platform: str, b: int,
                cfg: DetectorConfig) -> tuple[int, int]:
    """(complaints, reach of the complainers) of the incident's grievances on a platform since its onset."""
    start = bucket_of(inc["onsets"][platform], cfg)
    each = [grievances.complaints_in(state["grievances"][gid]["plat"].get(platform, {}), start, b)
            for gid in inc["members"]]
    return sum(n for n, _ in each), sum(reach for _, reach in each)


def _event(state: dict[str, Any], inc: dict[str, Any], brand: str, status: str, b: int,
           cfg: DetectorConfig, playbook: dict) -> IncidentEvent:
    spikes = _spikes(state, inc["members"])
    platforms = [_activity(state, inc, p, spikes.get(p), b, cfg) for p in inc["path"]]
    level, score, factors, velocity = _severity(state, inc, spikes, b, cfg)
    inc["complaints_at_event"] = sum(p.negative_posts for p in platforms)
    inc["level_at_event"] = level
    words = _words(state, inc)
    return IncidentEvent(
        incident_id=inc["id"], brand=brand, status=status, path=list(inc["path"]), platforms=platforms,
        detected_at=format_epoch((b + 1) * cfg.bucket_s),
        evidence=[pid for p in inc["path"] for _, pid in inc["evidence"].get(p, [])],
        severity=level, severity_score=score, severity_factors=factors,
        summary=f"Complaints about {brand} spreading {' -> '.join(inc['path'])}"
                + (f"; people write about: {', '.join(words)}" if words else ""),
        velocity=velocity, reach=sum(inc["counts"][p][2] for p in inc["path"]),
        response=_response(platforms), playbook=dict(playbook),
        opened_at=format_epoch((inc["opened_at"] + 1) * cfg.bucket_s), follows=inc.get("follows", ""),
    )


def _activity(state: dict[str, Any], inc: dict[str, Any], p: str, spike: dict | None, b: int,
              cfg: DetectorConfig) -> PlatformActivity:
    """What the incident saw on one platform; counts never shrink as old buckets are pruned."""
    start = bucket_of(inc["onsets"][p], cfg)
    complaints, reach = _complaints(state, inc, p, b, cfg)
    total = replies = deleted = 0
    for _, row in rows(state["platforms"][p], start, b):
        total, replies, deleted = total + row[TOTAL], replies + row[REPLIES], deleted + row[DELETED]
    old = inc["counts"].get(p, [0, 0, 0, 0, 0])
    counts = inc["counts"][p] = [max(a, c) for a, c in zip(old, (total, complaints, reach, replies, deleted))]
    inc["evidence"][p] = _evidence(state, inc, p, start, b, cfg)
    return PlatformActivity(
        platform=p, first_seen=format_epoch(inc["onsets"][p]), posts=max(counts[0], counts[1]),
        negative_posts=counts[1],
        baseline_per_hour=round(spike["expected"] * cfg.per_hour, 3) if spike else 0.0,
        peak_ratio=spike["peak_ratio"] if spike else 0.0, brand_replies=counts[3], deleted_posts=counts[4],
        terms=_words(state, inc, p),
    )


def _words(state: dict[str, Any], inc: dict[str, Any], platform: str | None = None) -> list[str]:
    """The words the incident's grievances are told in: everywhere, or on one platform."""
    terms: dict[str, int] = {}
    for gid in inc["members"]:
        g = state["grievances"][gid]
        merge_terms(terms, g["terms"] if platform is None else g.get("pterms", {}).get(platform, {}), 10_000)
    return top_terms(terms)


def _evidence(state: dict[str, Any], inc: dict[str, Any], p: str, start: int, b: int,
              cfg: DetectorConfig) -> list[list]:
    """The earliest complaints of the grievance on the platform since its onset (and those shown before)."""
    found = {item[1]: item[0] for item in inc["evidence"].get(p, [])}
    for gid in inc["members"]:
        found.update(_earliest(state["grievances"][gid]["ids"], p, start, b, cfg.evidence_per_platform))
    return sorted([ts, pid] for pid, ts in found.items())[: cfg.evidence_per_platform]


def _earliest(by_bucket: dict[int, list], platform: str, start: int, b: int, n: int) -> dict[str, float]:
    """At least the n earliest complaints on the platform in buckets [start, b], if there are
    that many: buckets are read from the earliest and the scan stops once n are in hand (an
    incident's evidence is asked for at every event, and its grievances hold days of posts)."""
    out: dict[str, float] = {}
    for k in sorted(k for k in by_bucket if start <= k <= b):
        for ts, pid, where in by_bucket[k]:
            if where == platform:
                out.setdefault(pid, ts)
        if len(out) >= n:
            break
    return out


def _severity(state: dict[str, Any], inc: dict[str, Any], spikes: dict, b: int,
              cfg: DetectorConfig) -> tuple[str, float, dict[str, float], float]:
    """Severity from its ingredients: how many platforms, how loud, how far it reaches, how fast,
    and how much of what is said about the brand there it is (negativity: the incident's
    complaints as a share of all posts about the brand on its platforms since it began there)."""
    velocity = float(sum(grievances.complaints_in(state["grievances"][gid]["plat"].get(p, {}),
                                                  b - int(cfg.per_hour) + 1, b)[0]
                         for gid in inc["members"] for p in inc["path"]))
    peak = max((s["peak_ratio"] for s in spikes.values()), default=1.0)
    reach = sum(c[2] for c in inc["counts"].values())
    posts, complaints = (sum(c[i] for c in inc["counts"].values()) for i in (0, 1))
    factors = {
        "platforms": min(1.0, (len(inc["path"]) - 1) / 3),
        "ratio": min(1.0, math.log10(max(1.0, peak)) / 2),
        "reach": min(1.0, math.log10(1 + reach) / 6),
        "velocity": min(1.0, velocity / 100),
        "negativity": min(1.0, complaints / posts) if posts else 0.0,
    }
    score = sum(SEVERITY_WEIGHTS[k] * v for k, v in factors.items())
    level = LEVELS[0 if score < 0.3 else 1 if score < 0.5 else 2 if score < 0.7 else 3]
    return level, round(score, 3), {k: round(v, 3) for k, v in factors.items()}, velocity


def _response(platforms: list[PlatformActivity]) -> dict[str, Any]:
    return {
        "brand_replies": sum(p.brand_replies for p in platforms),
        "answered_on": [p.platform for p in platforms if p.brand_replies],
        "unanswered_on": [p.platform for p in platforms if not p.brand_replies],
        "deleted_posts": sum(p.deleted_posts for p in platforms),
    }


def _last_loud(state: dict[str, Any], inc: dict[str, Any], cfg: DetectorConfig) -> int:
    """The last bucket a resolved incident was loud. It resolves `quiet` buckets after its last
    spike (a bucket or so later if an update was due then, which leaves `link` that much
    longer). A grievance of it loud again where the incident had been, taking off within `link`
    of that spike, is the slow storm flaring up where it was, not gone: its next platform,
    within `link` of the flare, is the same storm spreading on, not a second one. A flare
    later than that is a new episode (a new incident that `follows` the old). Its grievances'
    spikes were cleared as it resolved, so any they have are since."""
    last = inc["resolved_bucket"] - cfg.quiet
    again = [s["last_bucket"] for gid in _still_held(state, inc)
             for p, s in state["grievances"][gid]["spikes"].items()
             if p in inc["path"] and s["onset_bucket"] <= last + cfg.link]
    return max([last, *again])
