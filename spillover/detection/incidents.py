"""Incident lifecycle: open on a second platform, escalate, update, resolve; one id throughout."""
from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from ..records import IncidentEvent, PlatformActivity
from ..timeutil import format_epoch
from .config import DetectorConfig
from .spikes import Reading
from .state import DELETED, NEG, REACH, REPLIES, TOTAL
from .terms import merge_terms, top_terms
from .windows import rows

INCIDENT_TERMS = 120


def incident_id(brand: str, first_platform: str, onset: float) -> str:
    """Stable and reproducible: the same grievance gets the same id in replay and in the stream."""
    slug = re.sub(r"[^a-z0-9]+", "-", brand.lower()).strip("-")[:32] or "brand"
    stamp = format_epoch(onset).replace("-", "").replace(":", "")[:13]
    digest = hashlib.sha1(f"{brand}|{first_platform}|{onset}".encode()).hexdigest()[:8]
    return f"{slug}-{stamp}-{digest}"


def decide(state: dict[str, Any], brand: str, b: int, readings: dict[str, Reading],
           cfg: DetectorConfig, playbook: dict) -> list[IncidentEvent]:
    """Move the brand's incident along after bucket b closed; return the events to emit."""
    spikes = {p: plat["spike"] for p, plat in sorted(state["platforms"].items()) if plat["spike"]}
    inc = state["incident"]
    if inc is None:
        if len(spikes) < 2 or not any(s.get("touched") == b for s in spikes.values()):
            return []
        inc = state["incident"] = _open(state, brand, spikes, b)
        _join(inc, state, spikes, list(inc["path"]), b, cfg)
        return [_event(inc, brand, "opened", b, readings, cfg, playbook)]
    _accumulate(inc, state, spikes, b, cfg)
    joining = [p for p in sorted(spikes, key=lambda p: (spikes[p]["onset"], p))
               if p not in inc["path"] and spikes[p].get("touched") == b]
    if joining:
        inc["path"].extend(joining)
        _join(inc, state, spikes, joining, b, cfg)
        return [_event(inc, brand, "escalated", b, readings, cfg, playbook)]
    if b - max(inc["last_spike"].values()) >= cfg.quiet:
        for p in inc["path"]:
            state["platforms"][p]["spike"] = None
        state["incident"] = None
        return [_event(inc, brand, "resolved", b, readings, cfg, playbook)]
    if _grew(inc, cfg, readings):
        return [_event(inc, brand, "updated", b, readings, cfg, playbook)]
    return []


def _open(state: dict, brand: str, spikes: dict, b: int) -> dict[str, Any]:
    path = sorted(spikes, key=lambda p: (spikes[p]["onset"], p))
    first = spikes[path[0]]
    state["opened"] += 1
    return {"id": incident_id(brand, path[0], first["onset"]), "opened_at": b, "path": path,
            "platforms": {}, "last_spike": {}, "terms": {}, "neg_at_event": 0, "level_at_event": ""}


def _join(inc: dict, state: dict, spikes: dict, platforms: list[str], b: int, cfg: DetectorConfig) -> None:
    """Bring a platform into the incident with everything since its first spiking window."""
    for p in platforms:
        spike, plat = spikes[p], state["platforms"][p]
        counts = [0, 0, 0, 0, 0]
        for _, row in rows(plat, spike["first_bucket"] - cfg.window + 1, b):
            for i, col in enumerate((TOTAL, NEG, REACH, REPLIES, DELETED)):
                counts[i] += row[col]
        inc["platforms"][p] = {"onset": spike["onset"], "counts": counts, "peak_ratio": spike["peak_ratio"],
                               "evidence": list(spike["evidence"])}
        inc["last_spike"][p] = spike["last_bucket"]
        merge_terms(inc["terms"], spike["terms"], INCIDENT_TERMS)


def _accumulate(inc: dict, state: dict, spikes: dict, b: int, cfg: DetectorConfig) -> None:
    for p, rec in inc["platforms"].items():
        row = state["platforms"][p]["buckets"].get(str(b))
        if row:
            for i, col in enumerate((TOTAL, NEG, REACH, REPLIES, DELETED)):
                rec["counts"][i] += row[col]
        spike = spikes.get(p)
        if spike and spike.get("touched") == b:
            inc["last_spike"][p] = spike["last_bucket"]
            rec["peak_ratio"] = spike["peak_ratio"]
            known = {pid for _, pid in rec["evidence"]}
            merged = sorted(rec["evidence"] + [e for e in spike["evidence"] if e[1] not in known])
            rec["evidence"] = merged[: cfg.evidence_per_platform]
            merge_terms(inc["terms"], spike["terms"], INCIDENT_TERMS)


def _grew(inc: dict, cfg: DetectorConfig, readings: dict[str, Reading]) -> bool:
    negative = sum(rec["counts"][1] for rec in inc["platforms"].values())
    louder = negative >= (1 + cfg.update_growth) * max(1, inc["neg_at_event"])
    return louder and any(readings[p].spiking for p in inc["path"] if p in readings)


def _severity(inc: dict, velocity: float) -> tuple[str, float, dict[str, float]]:
    peak = max((rec["peak_ratio"] for rec in inc["platforms"].values()), default=1.0)
    reach = sum(rec["counts"][2] for rec in inc["platforms"].values())
    factors = {
        "platforms": min(1.0, (len(inc["path"]) - 1) / 3),
        "ratio": min(1.0, math.log10(max(1.0, peak)) / 2),
        "reach": min(1.0, math.log10(1 + reach) / 6),
        "velocity": min(1.0, velocity / 100),
    }
    score = 0.35 * factors["platforms"] + 0.25 * factors["ratio"] + 0.2 * factors["reach"] + 0.2 * factors["velocity"]
    level = "low" if score < 0.3 else "medium" if score < 0.5 else "high" if score < 0.7 else "critical"
    return level, round(score, 3), {k: round(v, 3) for k, v in factors.items()}


def _event(inc: dict, brand: str, status: str, b: int, readings: dict[str, Reading],
           cfg: DetectorConfig, playbook: dict) -> IncidentEvent:
    hours = cfg.window * cfg.bucket_s / 3600
    velocity = round(sum(readings[p].negative for p in inc["path"] if p in readings) / hours, 2)
    level, score, factors = _severity(inc, velocity)
    platforms = [_activity(p, inc["platforms"][p], readings.get(p), cfg) for p in inc["path"]]
    inc["neg_at_event"] = sum(p.negative_posts for p in platforms)
    evidence = [pid for p in inc["path"] for _, pid in inc["platforms"][p]["evidence"][: cfg.evidence_per_platform]]
    terms = top_terms(inc["terms"])
    return IncidentEvent(
        incident_id=inc["id"], brand=brand, status=status, path=list(inc["path"]), platforms=platforms,
        detected_at=format_epoch((b + 1) * cfg.bucket_s), evidence=evidence,
        severity=level, severity_score=score, severity_factors=factors,
        summary=f"Negative posts about {brand} spreading {' -> '.join(inc['path'])}"
                + (f"; people write about: {', '.join(terms)}" if terms else ""),
        velocity=velocity, reach=sum(p_["counts"][2] for p_ in inc["platforms"].values()),
        response=_response(inc, platforms), playbook=dict(playbook),
        opened_at=format_epoch((inc["opened_at"] + 1) * cfg.bucket_s),
    )


def _activity(platform: str, rec: dict, reading: Reading | None, cfg: DetectorConfig) -> PlatformActivity:
    total, neg, _, replies, deleted = rec["counts"]
    per_hour = 3600 / cfg.bucket_s
    return PlatformActivity(
        platform=platform, first_seen=format_epoch(rec["onset"]), posts=total, negative_posts=neg,
        baseline_per_hour=round((reading.expected / cfg.window if reading else 0.0) * per_hour, 3),
        peak_ratio=rec["peak_ratio"], brand_replies=replies, deleted_posts=deleted,
    )


def _response(inc: dict, platforms: list[PlatformActivity]) -> dict[str, Any]:
    return {
        "brand_replies": sum(p.brand_replies for p in platforms),
        "answered_on": [p.platform for p in platforms if p.brand_replies],
        "unanswered_on": [p.platform for p in platforms if not p.brand_replies],
        "deleted_posts": sum(p.deleted_posts for p in platforms),
    }
