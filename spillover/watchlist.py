"""The brand watchlist: which brands we watch, how people write their names, who is on call.

    brands:
      - name: Northwind Air
        aliases: [northwind, "@northwindair", "#northwindair"]
        playbook: {team: comms-oncall, runbook: https://wiki.example/crisis/northwind}
        facebook: {pages: ["1234567890"]}        # connector targets, per platform
        twitter: {queries: ["northwind air -is:retweet"]}
        detection: {min_negative: 6, min_ratio: 4}  # this brand's own detection settings
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .settings import DetectionSettings, load_yaml, tuned_detection


@dataclass(frozen=True)
class Brand:
    name: str
    aliases: tuple[str, ...] = ()
    playbook: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)
    # Detection settings of this brand's own (a very busy or very quiet brand), checked at load.
    detection: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Watchlist:
    brands: tuple[Brand, ...] = ()

    @classmethod
    def load(cls, path: str | Path | None) -> "Watchlist":
        if not path:
            return cls()
        return cls.from_dict(load_yaml(Path(path).read_text(encoding="utf-8"), str(path)) or {}, str(path))

    @classmethod
    def from_dict(cls, data: Any, path: str = "watchlist") -> "Watchlist":
        """ValueError, naming the file and the brand, for anything that would quietly watch the
        wrong posts: a misspelt `brands`, a brand listed twice, aliases written as one string
        (its letters would each be an alias: every "a" in any post would name the brand)."""
        if not isinstance(data, dict) or set(data) - {"brands"}:
            raise ValueError(f"{path}: expected a mapping with one key, brands (a list of brands), not "
                             f"{sorted(data) if isinstance(data, dict) else type(data).__name__}")
        entries = data.get("brands") or []
        if not isinstance(entries, list):
            raise ValueError(f"{path}: brands must be a list of brands, each with a name")
        brands, seen = [], set()
        for entry in entries:
            brand = _brand(entry, path)
            if brand.name.casefold() in seen:
                raise ValueError(f"{path}: brand {brand.name!r} is listed twice")
            seen.add(brand.name.casefold())
            brands.append(brand)
        return cls(tuple(brands))

    @property
    def detection(self) -> dict[str, dict[str, Any]]:
        """Each brand's own detection settings, for the brands that have any."""
        return {b.name: b.detection for b in self.brands if b.detection}

    @property
    def playbooks(self) -> dict[str, dict[str, Any]]:
        return {b.name: b.playbook for b in self.brands if b.playbook}

    def resolve(self, text: str) -> str | None:
        """The brand a post is about: the earliest mention of any watched name or alias."""
        best: tuple[int, str] | None = None
        for brand, pattern in self._patterns:
            match = pattern.search(text)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), brand)
        return best[1] if best else None

    @cached_property
    def _patterns(self) -> list[tuple[str, re.Pattern]]:
        return [(b.name, _alias_pattern((b.name, *b.aliases))) for b in self.brands]


def _brand(entry: Any, path: str) -> Brand:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
        raise ValueError(f"{path}: every brand needs a name")
    where = f"{path}: brand {entry['name']!r}"
    aliases = entry.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        raise ValueError(f"{where}: aliases must be a list of names, e.g. [northwind, \"@northwindair\"]")
    playbook = entry.get("playbook") or {}
    if not isinstance(playbook, dict):
        raise ValueError(f"{where}: playbook must be a mapping, e.g. {{team: comms-oncall}}")
    detection = entry.get("detection") or {}
    tuned_detection(DetectionSettings(), detection, where)
    extra = {k: v for k, v in entry.items() if k not in ("name", "aliases", "playbook", "detection")}
    return Brand(entry["name"], tuple(aliases), dict(playbook), extra, dict(detection))


def _alias_pattern(names: tuple[str, ...]) -> re.Pattern:
    # Longest first, so "Northwind Air" wins over "Northwind"; no match inside a longer word.
    alternatives = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
    return re.compile(rf"(?<![\w@#])(?:{alternatives})(?!\w)", re.IGNORECASE)
