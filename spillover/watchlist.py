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

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .settings import DetectionSettings, load_yaml, tuned_detection

log = logging.getLogger(__name__)

# Besides its name, aliases, playbook and detection settings, a brand's entry names its own
# accounts (`handles`) and, per connector, the lists of what that connector polls for it
# (agents/registry.py reads them).
CONNECTOR_TARGETS = {"facebook": ("pages",), "twitter": ("queries",), "rss": ("feeds", "own_feeds"),
                     "reddit": ("subreddits", "queries"), "mastodon": ("tags",)}
HANDLES = ("facebook", "twitter", "reddit", "mastodon", "blog")
BRAND_KEYS = ("name", "aliases", "playbook", "detection", "handles", *CONNECTOR_TARGETS)


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
        """ValueError, naming the file and the brand, for what would watch the wrong posts or none:
        no `brands` (misspelt: a watchlist of no brand), aliases written as one string (its
        letters would each be an alias: every "a" in any post would name the brand), targets
        that are not lists. A warning for what may be a typo but watches as meant: a key the
        file or a brand does not have (a note of the operator's, or `alias:` for `aliases:`),
        a brand listed twice."""
        if data in (None, {}):
            return cls()
        if not isinstance(data, dict) or "brands" not in data:
            raise ValueError(f"{path}: expected a mapping with the key brands (a list of brands), not "
                             f"{sorted(data) if isinstance(data, dict) else type(data).__name__}")
        for key in sorted(set(data) - {"brands"}):
            log.warning("%s: unknown key %r, left alone (a watchlist has brands)", path, key)
        entries = data["brands"] or []
        if not isinstance(entries, list):
            raise ValueError(f"{path}: brands must be a list of brands, each with a name")
        brands, seen = [], set()
        for entry in entries:
            brand = _brand(entry, path)
            if brand.name.casefold() in seen:
                log.warning("%s: brand %r is listed twice; a post naming it counts for the first entry",
                            path, brand.name)
            seen.add(brand.name.casefold())
            brands.append(brand)
        return cls(tuple(brands))

    def to_dict(self) -> dict[str, Any]:
        """The watchlist as its YAML file is written (what `from_dict` reads back)."""
        return {"brands": [{"name": b.name, **({"aliases": list(b.aliases)} if b.aliases else {}),
                            **({"playbook": dict(b.playbook)} if b.playbook else {}),
                            **({"detection": dict(b.detection)} if b.detection else {}), **b.targets}
                           for b in self.brands]}

    def describe(self) -> str:
        """One line naming each brand with its aliases, for a log."""
        return "; ".join(f"{b.name} ({', '.join(b.aliases)})" if b.aliases else b.name for b in self.brands)

    @property
    def detection(self) -> dict[str, dict[str, Any]]:
        """Each brand's own detection settings, for the brands that have any."""
        return {b.name: b.detection for b in self.brands if b.detection}

    @property
    def playbooks(self) -> dict[str, dict[str, Any]]:
        return {b.name: b.playbook for b in self.brands if b.playbook}

    def resolve(self, text: str) -> str | None:
        """The brand a post is about: the earliest mention of any watched name or alias, the
        longest there ("Apple Music is down" is about Apple Music even if Apple is watched too),
        in any case or spacing."""
        match = self._any_name.search(text)
        if match is None:
            return None
        said = spelt(match.group())
        return self._by_name.get(said.casefold()) or next(
            (b.name for b in self.brands if _alias_pattern((b.name, *b.aliases)).fullmatch(said)), None)

    def named(self, brand: str) -> str | None:
        """The brand a post's `brand` field means: the watched brand it spells, whatever its case
        or spacing, or one of that brand's aliases ("@NorthwindAir"); the field as written, but
        trimmed, for a brand not watched; None for a field of blanks."""
        brand = spelt(brand)
        return self._by_name.get(brand.casefold(), brand) if brand else None

    @cached_property
    def _by_name(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for b in self.brands:  # names first, so a name never loses to another brand's alias
            names.setdefault(spelt(b.name).casefold(), b.name)
        for b in self.brands:
            for alias in b.aliases:
                names.setdefault(spelt(alias).casefold(), b.name)
        return names

    def blank(self, text: str) -> str:
        """`text` with every watched name and alias in it blanked out."""
        return self._any_name.sub(" ", text)

    @cached_property
    def _any_name(self) -> re.Pattern:
        # One pattern for all brands, its names merged letter by letter: a post costs one pass
        # however many brands are watched (a pattern per brand took 272 us a post with 300
        # brands, this 1 us: BENCHMARKS.md).
        return _alias_pattern(tuple(n for b in self.brands for n in (b.name, *b.aliases)))


def spelt(name: str) -> str:
    """A name as one spelling: blanks at its ends dropped, runs of them inside made one space."""
    return " ".join(name.split())


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
    for key in sorted(set(entry) - set(BRAND_KEYS)):
        log.warning("%s: unknown key %r, left alone (a brand has %s)", where, key, ", ".join(BRAND_KEYS))
    detection = entry.get("detection") or {}
    tuned_detection(DetectionSettings(), detection, where)
    targets = {k: v for k, v in entry.items() if k not in ("name", "aliases", "playbook", "detection")}
    _check_targets(targets, where)
    # A name is its spelling: its posts, incidents and logs name it one way.
    return Brand(spelt(entry["name"]), tuple(aliases), dict(playbook), targets, dict(detection))


def _check_targets(targets: dict[str, Any], where: str) -> None:
    """Each connector's targets a mapping of lists (a URL written alone would be polled letter by
    letter), the handles a mapping of names."""
    for connector, spec in targets.items():
        if connector not in CONNECTOR_TARGETS and connector != "handles":
            continue  # an unknown key: warned about, read by nobody
        if connector == "handles":
            if not isinstance(spec, dict) or set(spec) - set(HANDLES) or not all(map(_is_name, spec.values())):
                raise ValueError(f"{where}: handles must map some of {', '.join(HANDLES)} to the brand's "
                                 f"own account there, e.g. handles: {{twitter: NorthwindAir}}")
            continue
        lists = CONNECTOR_TARGETS[connector]
        if not isinstance(spec, dict) or set(spec) - set(lists) or \
                not all(isinstance(v, list) and all(map(_is_name, v)) for v in spec.values()):
            raise ValueError(f"{where}: {connector} must map {' or '.join(lists)} to lists, "
                             f"e.g. {connector}: {{{lists[0]}: [...]}}")


def _is_name(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip() != ""


def _alias_pattern(names: tuple[str, ...]) -> re.Pattern:
    """Any of the names, in any case and spacing, not inside a longer word or handle, the
    longest where several begin at one place ("Northwind Air" over "Northwind")."""
    trie: dict[str, Any] = {}
    for name in names:
        node = trie
        for letter in _letters(spelt(name)):
            node = node.setdefault(letter, {})
        node[""] = {}
    return re.compile(rf"(?<![\w@#])(?:{_trie_pattern(trie) or '(?!)'})(?!\w)", re.IGNORECASE)


def _letters(name: str) -> str:
    # Lowered, so one spelling of a letter shares the branch; unless lowering changes the
    # name's length ("İ"), which the pattern would then no longer match as written.
    lowered = name.lower()
    return lowered if len(lowered) == len(name) else name


def _trie_pattern(node: dict[str, Any]) -> str:
    """A regular expression matching the names of a letter trie, longer ones tried first (a
    greedy optional tail): matching costs the length of a name, not the number of names."""
    branches = []
    for letter, child in sorted(node.items()):
        if not letter:
            continue
        run = [letter]
        while len(child) == 1 and "" not in child:  # letters only one name goes on with
            (letter, child), = child.items()
            run.append(letter)
        branches.append("".join(r"\s+" if x == " " else re.escape(x) for x in run) + _trie_pattern(child))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in node else body
