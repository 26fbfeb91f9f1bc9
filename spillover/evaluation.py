"""Scoring detectors against the ground truth of generated scenarios (`spillover evaluate`).

A reported incident matches a planted one when it is about the same brand and its evidence
holds at least `MIN_OVERLAP` of the planted posts. Delay is measured from the planted take-off
on the grievance's second platform to the incident's first event, in event time. Reaction is
measured to the same event from the moment the second platform's third planted post was
written: a planted leg ramps up, and before a few posts exist no detector can tell it from
chance, so reaction is the detector's own share of the delay. Precision counts every report
that matches a planted incident as true, so one storm reported twice is counted apart, as a
duplicate. The path is judged on its first two platforms as last reported (late blog posts
can correct it), and also as first reported. A planted leg's posts ramp up after its nominal
start, so a sparse leg's first post can come after a busier leg's that started later; the
path is therefore also judged against the order of each leg's first planted post, which is
all the data shows (`path_right_by_first_posts`). The onset error is how far each reported
platform's `first_seen` is from its planted take-off, as last reported.
"""
from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .records import IncidentEvent
from .timeutil import to_epoch

MIN_OVERLAP = 3


@dataclass
class Score:
    planted: int = 0
    found: int = 0
    reported: int = 0
    true_reported: int = 0
    decoys: int = 0
    decoys_raised: int = 0
    duplicates: int = 0   # further incidents reported for a planted one already found
    delays_min: list[float] = field(default_factory=list)
    reactions_min: list[float] = field(default_factory=list)
    onset_errors_min: list[float] = field(default_factory=list)
    paths_right: int = 0
    paths_right_at_open: int = 0
    paths_right_by_first_posts: int = 0
    evidence: int = 0
    evidence_planted: int = 0
    planted_posts: int = 0
    planted_in_evidence: int = 0
    # The found storms' planted platforms, and those of them the incident's path reached in the
    # end: an incident that stays "facebook -> twitter" while the storm's blog posts come in
    # leaves the team answering on two platforms of three.
    legs_planted: int = 0
    legs_reached: int = 0
    # Per kind of planted incident ("speed=fast", "strength=weak", "platforms=3") and of decoy:
    # a recall of 0.88 reads differently when every miss is a weak storm.
    planted_by: Counter = field(default_factory=Counter)
    found_by: Counter = field(default_factory=Counter)
    delays_by: list[tuple[str, float]] = field(default_factory=list)  # (kind, minutes) per found incident
    paths_right_by: Counter = field(default_factory=Counter)
    paths_right_by_first_posts_by: Counter = field(default_factory=Counter)
    # Planted incidents whose first two platforms' first posts came in the order the legs
    # started: on a fast storm told over a gentle ramp they often do not, and then the posts
    # themselves show the other order. What path right can be expected, whatever the detector.
    in_order: int = 0
    in_order_by: Counter = field(default_factory=Counter)
    decoys_by: Counter = field(default_factory=Counter)
    raised_by: Counter = field(default_factory=Counter)
    # What went wrong, one dict per case (`spillover evaluate --details`): a planted incident
    # missed, a decoy raised, a wrong path, a report that matches nothing, a duplicate.
    cases: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: "Score") -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    def summary(self) -> dict[str, Any]:
        """The figures (the cases are not figures: see `cases`)."""
        return {
            "recall": _ratio(self.found, self.planted), "precision": _ratio(self.true_reported, self.reported),
            "planted": self.planted, "found": self.found, "reported": self.reported,
            "decoys_raised": self.decoys_raised, "decoys": self.decoys, "duplicates": self.duplicates,
            "median_delay_min": _median(self.delays_min),
            "worst_delay_min": round(max(self.delays_min), 1) if self.delays_min else None,
            "median_reaction_min": _median(self.reactions_min),
            "path_right": _ratio(self.paths_right, self.found),
            "path_right_at_open": _ratio(self.paths_right_at_open, self.found),
            "path_right_by_first_posts": _ratio(self.paths_right_by_first_posts, self.found),
            "first_posts_in_order": _ratio(self.in_order, self.planted),
            "median_onset_error_min": _median(self.onset_errors_min),
            "evidence_precision": _ratio(self.evidence_planted, self.evidence),
            "planted_posts_in_evidence": _ratio(self.planted_in_evidence, self.planted_posts),
            "platforms_reached": _ratio(self.legs_reached, self.legs_planted),
            "recall_by_kind": _recall_by_kind(self),
            "decoys_raised_by_kind": {kind: {"raised": self.raised_by[kind], "decoys": n}
                                      for kind, n in sorted(self.decoys_by.items())},
        }


# "second": the platform the storm reached second, whose take-off starts the delay. In the
# scenarios half the blog posts reach the pipeline one to five hours after they were written,
# so a storm whose second platform is a blog cannot be caught as soon as one reaching twitter.
TRAITS = ("speed", "strength", "platforms", "second")
# Tables read from fast to slow and from weak to strong (platforms: by their number).
_RANK = {"fast": 0, "weak": 0, "normal": 1, "slow": 2, "strong": 2}


def _trait_order(key: str) -> tuple:
    trait, value = key.split("=", 1)
    return TRAITS.index(trait), _RANK.get(value, 0), int(value) if value.isdigit() else 0, value


def _recall_by_kind(s: Score) -> dict[str, dict[str, dict[str, Any]]]:
    """{"speed": {"fast": {"found", "planted", "recall", "median_delay_min", "path_right",
    "path_right_by_first_posts", "first_posts_in_order"}, ...}, "strength": ..., "platforms":
    {"2": ...}, "second": {"blog": ...}}. A median delay over all storms mixes strong ones with
    weak ones, whose few posts come over hours: this tells how soon a strong storm is caught.
    Path right likewise: two platforms minutes apart are a coin toss to tell apart, two hours
    apart are not."""
    delays: dict[str, list[float]] = defaultdict(list)
    for key, minutes in s.delays_by:
        delays[key].append(minutes)
    out: dict[str, dict[str, dict[str, Any]]] = {trait: {} for trait in TRAITS}
    for key in sorted(s.planted_by, key=_trait_order):
        trait, value = key.split("=", 1)
        n, found = s.planted_by[key], s.found_by[key]
        out[trait][value] = {"found": found, "planted": n, "recall": round(found / n, 3),
                             "median_delay_min": _median(delays[key]),
                             "path_right": _ratio(s.paths_right_by[key], found),
                             "path_right_by_first_posts": _ratio(s.paths_right_by_first_posts_by[key], found),
                             "first_posts_in_order": _ratio(s.in_order_by[key], n)}
    return out


def _traits(planted: dict[str, Any]) -> list[str]:
    """The kinds a planted incident counts under (truth files written before speed and strength
    were recorded: its platforms only)."""
    told = [f"{t}={planted[t]}" for t in ("speed", "strength") if planted.get(t)]
    told.append(f"platforms={len(planted['path'])}")
    if len(planted["path"]) > 1:
        told.append(f"second={planted['path'][1]}")
    return told


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def score(truth: list[dict[str, Any]], events: Iterable[IncidentEvent]) -> Score:
    incidents: dict[str, list[IncidentEvent]] = defaultdict(list)
    for event in events:
        incidents[event.incident_id].append(event)
    planted = [t for t in truth if t["kind"] == "incident"]
    decoys = [t for t in truth if t["kind"] != "incident"]
    s = Score(planted=len(planted), decoys=len(decoys), reported=len(incidents))
    matches = {iid: matched_plant(evs, truth) for iid, evs in incidents.items()}
    s.true_reported = sum(1 for m in matches.values() if m and m["kind"] == "incident")
    raised = {m["id"]: m["kind"] for m in matches.values() if m and m["kind"] != "incident"}
    s.decoys_raised = len(raised)
    s.decoys_by.update(d["kind"] for d in decoys)
    s.raised_by.update(raised.values())
    s.cases += [_case("false_alarm" if m is None else "decoy_raised", m, incidents[iid])
                for iid, m in matches.items() if m is None or m["kind"] != "incident"]
    for p in planted:
        ids = set(p["post_ids"])
        s.planted_posts += len(ids)
        kinds, shown = _traits(p), _path_by_first_posts(p)[:2]
        s.planted_by.update(kinds)
        if shown == p["path"][:2]:
            s.in_order += 1
            s.in_order_by.update(kinds)
        mine = sorted((evs for iid, evs in incidents.items() if matches[iid] is p),
                      key=lambda evs: to_epoch(evs[0].detected_at))
        if not mine:
            s.cases.append(_case("missed", p))
            continue
        s.found += 1
        s.found_by.update(kinds)
        s.duplicates += len(mine) - 1
        s.cases += [_case("duplicate", p, evs) for evs in mine[1:]]
        first = mine[0]
        # The path as last reported: blog posts found hours late can still move a platform forward.
        reported = first[-1].path[:2]
        right, right_by_posts = reported == p["path"][:2], reported == shown
        if not right:
            s.cases.append(dict(_case("path_wrong", p, first), right_by_first_posts=right_by_posts))
        detected = to_epoch(first[0].detected_at)
        second = p["path"][1]
        s.delays_min.append((detected - to_epoch(p["onsets"][second])) / 60)
        s.delays_by += [(kind, s.delays_min[-1]) for kind in kinds]
        if second in p.get("evident", {}):  # truth files written before it lack it
            s.reactions_min.append((detected - to_epoch(p["evident"][second])) / 60)
        s.paths_right += right
        s.paths_right_at_open += first[0].path[:2] == p["path"][:2]
        s.paths_right_by_first_posts += right_by_posts
        s.paths_right_by.update(kinds if right else [])
        s.paths_right_by_first_posts_by.update(kinds if right_by_posts else [])
        missing = sorted(set(p["path"]) - set(first[-1].path))
        s.legs_planted += len(p["path"])
        s.legs_reached += len(p["path"]) - len(missing)
        if missing:
            s.cases.append(dict(_case("platform_not_reached", p, first), not_reached=missing))
        s.onset_errors_min += [abs(to_epoch(a.first_seen) - to_epoch(p["onsets"][a.platform])) / 60
                               for a in first[-1].platforms if a.platform in p["onsets"]]
        evidence = {e for evs in mine for ev in evs for e in ev.evidence}
        s.evidence += len(evidence)
        s.evidence_planted += len(evidence & ids)
        s.planted_in_evidence += len(evidence & ids)
    return s


def _case(kind: str, planted: dict[str, Any] | None, events: list[IncidentEvent] | None = None) -> dict[str, Any]:
    """One thing that went wrong, with what was planted and what was reported."""
    case: dict[str, Any] = {"case": kind}
    if planted is not None:
        case.update(planted=planted["id"], brand=planted["brand"], planted_path=planted["path"],
                    planted_onsets=planted["onsets"])
    if events:
        last = events[-1]
        case.update(incident_id=last.incident_id, brand=last.brand, detected_at=events[0].detected_at,
                    reported_path=last.path, first_seen={a.platform: a.first_seen for a in last.platforms})
    return case


def _path_by_first_posts(planted: dict[str, Any]) -> list[str]:
    """The platforms in the order their first planted post was written (truth files written
    before it was recorded: the nominal path)."""
    first = planted.get("first_posts")
    if not first:
        return planted["path"]
    return sorted(first, key=lambda p: (to_epoch(first[p]), p))


def matched_plant(events: list[IncidentEvent], truth: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What was planted (a storm or a decoy) that a reported incident's events are about: of the
    brand's plants, the one whose posts its evidence holds most of, at least MIN_OVERLAP; else None."""
    evidence = {e for ev in events for e in ev.evidence}
    best, overlap = None, 0
    for t in truth:
        if t["brand"] != events[0].brand:
            continue
        n = len(evidence & set(t["post_ids"]))
        if n >= MIN_OVERLAP and n > overlap:
            best, overlap = t, n
    return best


class CachedModel:
    """Generated scenarios repeat texts: predict each distinct text once."""

    def __init__(self, model):
        self._model, self._cache = model, {}
        self.name = model.name

    def predict(self, texts: list[str]) -> list:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, prediction in zip(missing, self._model.predict(missing)):
                self._cache[text] = prediction
        return [self._cache[t] for t in texts]


def read_truth(path: str) -> list[dict[str, Any]]:
    """A ground-truth file as `spillover simulate --truth` writes it, one planted incident or
    decoy per line; ValueError naming the line for one that cannot be scored. Each needs `id`,
    `brand`, `kind` ("incident", or a decoy's kind) and `post_ids`; an incident its `path`
    (two platforms or more, in the order the grievance reached them) and the `onsets` of those
    platforms (RFC 3339). `evident` (when each platform's third post came), `first_posts`,
    `speed` and `strength` are optional."""
    truth = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                truth.append(_planted(line, f"{path}, line {n}"))
    return truth


def _planted(line: str, where: str) -> dict[str, Any]:
    try:
        t = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not JSON ({exc.msg})") from None
    if not isinstance(t, dict):
        raise ValueError(f"{where}: expected an object with id, brand, kind and post_ids")
    for key in ("id", "brand", "kind"):
        if not isinstance(t.get(key), str) or not t[key]:
            raise ValueError(f"{where}: {key!r} must be a non-empty string")
    if not isinstance(t.get("post_ids"), list) or not all(isinstance(i, str) for i in t["post_ids"]):
        raise ValueError(f"{where}: 'post_ids' must be a list of post ids")
    if t["kind"] != "incident":
        return t
    path, onsets = t.get("path"), t.get("onsets")
    if not isinstance(path, list) or len(path) < 2 or not all(isinstance(p, str) for p in path):
        raise ValueError(f"{where}: an incident's 'path' must list the two or more platforms it reached, in order")
    if not isinstance(onsets, dict) or set(path) - set(onsets):
        raise ValueError(f"{where}: an incident's 'onsets' must give when it took off on each platform of its path")
    for platform in path:
        try:
            to_epoch(onsets[platform])
        except (TypeError, ValueError):
            raise ValueError(f"{where}: onset {onsets[platform]!r} on {platform} is not an RFC 3339 time") from None
    return t


def evaluate(scenarios: Iterable[tuple[list[bytes], list[dict]]], model, detectors: dict[str, Callable[[], Any]],
             watchlist, on_progress: Callable[[int], None] = lambda n: None,
             max_future_s: float = 0.0) -> dict[str, Score]:
    """Run each detector over each scenario (same enrichment), and add up their scores.
    `max_future_s` as for `run_replay` (0: generated scenarios may be dated after today)."""
    from .replay import run_replay

    cached, totals = CachedModel(model), {name: Score() for name in detectors}
    for n, (lines, truth) in enumerate(scenarios):
        for name, make in detectors.items():
            events: list[IncidentEvent] = []
            run_replay(lines, cached, make(), watchlist, events.append, max_future_s=max_future_s)
            scored = score(truth, events)
            for case in scored.cases:
                case["scenario"] = n  # its position among the scenarios
            totals[name].add(scored)
        on_progress(1)
    return totals


def detector_throughput(scenarios: Iterable[tuple[list[bytes], list[dict]]], model, make_detector,
                        watchlist, min_seconds: float = 3.0, volume: int = 1,
                        max_future_s: float = 0.0) -> dict[str, Any]:
    """Enriched posts per second through the detector alone (one core, no Kafka, no model).

    A replay packs days of event time into seconds, so the work done once per bucket closed
    counts here as if it were per post: each brand's platforms moved on, and above all the
    merge checks and spike tests of every grievance that got complaints in it (on sparse
    traffic nearly every complaint is alone in its grievance's bucket). Live, a bucket closes
    once per five minutes of wall time. `volume` sends each post that many times under new ids:
    the same scenario at k times its traffic, so that work is shared by k times the posts, as
    on a busy brand.
    """
    import time

    from .enrichment import Rejection, enrich, parse

    cached, posts = CachedModel(model), []
    for lines, _ in scenarios:
        parsed = [p for p in (parse(None, line, watchlist, max_future_s) for line in lines)
                  if not isinstance(p, Rejection)]
        posts.append(_repeated(enrich(parsed, cached), volume))
    done, passes, started = 0, 0, time.perf_counter()
    while not passes or time.perf_counter() - started < min_seconds:  # every scenario at least once
        for scenario in posts:
            detector, states = make_detector(), {}
            for post in scenario:
                detector.observe(states, post)
            done += len(scenario)
        passes += 1
    seconds = time.perf_counter() - started
    return {"posts": done, "seconds": round(seconds, 2), "posts_per_second": round(done / seconds),
            "agent_posts_per_second": round(_as_agent(posts, make_detector, min_seconds)),
            "volume": volume, "posts_per_brand_bucket": round(_per_brand_bucket(posts, make_detector), 2),
            **_largest_state(posts, make_detector)}


class _StoringTable(dict):
    """A table that encodes each state written to it, as the detector's changelog does."""

    def __setitem__(self, key: bytes, value: dict) -> None:
        from .detection.state import encode

        encode(value)
        super().__setitem__(key, value)


def _as_agent(scenarios: list[list], make_detector, min_seconds: float) -> float:
    """Posts per second through the detect agent's own work, Kafka aside: each post decoded
    from the message posts.enriched carries, in batches of the agent's size, after each of
    which every brand the batch touched has its state encoded for the table's changelog."""
    import time

    from .records import EnrichedPost, decode_json, encode_json
    from .streams.detect_agent import BATCH
    from .streams.state import BatchedStates

    messages = [[encode_json(post.to_dict()) for post in scenario] for scenario in scenarios]
    done, started = 0, time.perf_counter()
    while not done or time.perf_counter() - started < min_seconds:
        for scenario in messages:
            detector, table = make_detector(), _StoringTable()
            for first in range(0, len(scenario), BATCH):
                states = BatchedStates(table)
                for message in scenario[first:first + BATCH]:
                    detector.observe(states, EnrichedPost.from_dict(decode_json(message)))
                states.flush()
            done += len(scenario)
    return done / (time.perf_counter() - started)


def _largest_state(scenarios: list[list], make_detector, every: int = 1000) -> dict[str, Any]:
    """The largest brand state as the stream's table stores it (one Kafka message each), looked
    at every `every` posts, with the time it takes to encode: what kafka.max_message_bytes must
    hold, and what each batch pays per brand it touched."""
    import time

    from .detection.state import dumps, encode

    largest: dict[str, Any] = {"largest_state_bytes": 0}
    for scenario in scenarios:
        detector, states = make_detector(), {}
        for i, post in enumerate(scenario, 1):
            detector.observe(states, post)
            if i % every and i != len(scenario):
                continue
            state = states[post.brand]
            started = time.perf_counter()
            stored = encode(state)
            took = time.perf_counter() - started
            if len(stored) > largest["largest_state_bytes"]:
                largest = {"largest_state_bytes": len(stored), "largest_state_json_bytes": len(dumps(state)),
                           "largest_state_encode_ms": round(took * 1000, 1)}
    return largest


def _repeated(posts: list, volume: int) -> list:
    """Each post `volume` times, the copies under ids of their own (or they would be dropped as repeats)."""
    from dataclasses import replace

    return [post if k == 0 else replace(post, post=replace(post.post, id=f"{post.post.id}~{k}"))
            for post in posts for k in range(volume)]


def _per_brand_bucket(scenarios: list[list], make_detector) -> float:
    """How dense the load is: posts per brand per bucket of event time, over the scenarios."""
    bucket_s = make_detector().cfg.bucket_s
    cells = posts = 0
    for scenario in scenarios:
        if scenario:
            times = [p.event_time for p in scenario]
            buckets = (max(times) - min(times)) / bucket_s + 1
            cells += buckets * len({p.brand for p in scenario})
            posts += len(scenario)
    return posts / cells if cells else 0.0
