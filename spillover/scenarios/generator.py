"""Synthetic but realistic multi-day, multi-brand scenarios with planted incidents and decoys.

Writes posts in *arrival* order (blog posts often reach us hours after they were written)
and a ground-truth file of what was planted, so detection can be scored.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..timeutil import format_epoch, to_epoch
from .unseen_vocabulary import UNSEEN
from .vocabulary import SUITE, Vocabulary

HOUR = 3600.0
SLOT = 600.0
# Average posts per hour about a typical brand on each platform.
PLATFORM_RATE = {"twitter": 8.0, "facebook": 3.0, "reddit": 1.2, "blog": 0.25, "news": 0.08}
SAMPLE_BRANDS = ("Northwind Air", "Fjord Mobile", "Kettle & Crumb")
# What people write, by name: the suite's words, or other brands told in other words.
WORDINGS = {"suite": SUITE, "unseen": UNSEEN}
MOOD = (("negative", 0.2), ("neutral", 0.45), ("positive", 0.35))


@dataclass(frozen=True)
class Leg:
    platform: str
    start_h: float      # hours after the scenario start
    posts: int
    duration_h: float


@dataclass(frozen=True)
class Plan:
    """One planted event: a real incident, or a decoy that must not become one."""

    id: str
    brand: str
    kind: str           # incident | decoy_single_platform | decoy_happy_spike | decoy_two_grievances
    grievance: str
    legs: tuple[Leg, ...]
    speed: str = ""     # an incident's: fast | normal | slow (GAP_H), so scores can be told apart by it
    strength: str = ""  # an incident's: weak | normal | strong (STRENGTH)


@dataclass
class Planted:
    id: str
    brand: str
    kind: str
    grievance: str
    path: list[str]
    onsets: dict[str, str]
    post_ids: list[str] = field(default_factory=list)
    # When each leg's third post was written: the least evidence that tells a burst from
    # chance, so no detector can react before it.
    evident: dict[str, str] = field(default_factory=dict)
    # When each leg's first post was written. A leg's posts ramp up after its nominal start,
    # so a sparse leg can show its first post after a busier leg that started later: the
    # order of these is the path the posts themselves show.
    first_posts: dict[str, str] = field(default_factory=dict)
    speed: str = ""
    strength: str = ""

    @property
    def expected_incident(self) -> bool:
        return self.kind == "incident"


SAMPLE_PLANS = (
    Plan("northwind-luggage", "Northwind Air", "incident", "lost_luggage",
         (Leg("facebook", 33, 36, 3), Leg("twitter", 35, 80, 4), Leg("blog", 41, 12, 4))),
    Plan("fjord-billing", "Fjord Mobile", "incident", "double_billing",
         (Leg("reddit", 62, 16, 2.5), Leg("twitter", 63.5, 55, 3))),
    Plan("kettle-launch", "Kettle & Crumb", "decoy_happy_spike", "launch",
         (Leg("twitter", 36, 120, 4), Leg("facebook", 36.5, 50, 4), Leg("blog", 38, 6, 5))),
    Plan("fjord-outage-one-platform", "Fjord Mobile", "decoy_single_platform", "network_outage",
         (Leg("facebook", 20, 30, 2),)),
)


INCIDENT_PLATFORMS = ("facebook", "twitter", "reddit", "blog")
GAP_H = {"fast": (0.08, 0.33), "normal": (0.5, 3.0), "slow": (8.0, 20.0)}
# Extra negatives as a multiple of the usual negative volume, and at least this many posts.
STRENGTH = {"weak": (2.0, 6), "normal": (5.0, 10), "strong": (12.0, 18)}
# How a leg's posts spread over it: each at start + duration * U ** RISE[rise], U uniform.
# "gradual" (the suite's): a mild ramp-up, a leg's third post a median 31 minutes in for a
# strong storm and 86 for a weak one. "sharp": a storm that takes off at its start and tails
# off, half its posts in the first sixth of the leg.
RISE = {"gradual": 0.8, "sharp": 2.5}
# Hours that keep a decoy's grievance apart from the same grievance in its brand's other plans:
# a day, the detector's default link_hours.
SEPARATE_H = 24.0
# A day of warm-up, then room for an incident and, at a quiet time of another brand, the
# decoys: with fewer days every brand can be busy all along (1 seed in 200 at 3.5 days).
MIN_SUITE_DAYS = 4.0
# The suite plans its storms and decoys from this hour on: a day of ordinary traffic first.
PLANS_FROM_H = 28.0
DECOY_DRAWS = 10_000


def random_plans(seed: int, days: float, traffic: float = 1.0, words: Vocabulary = SUITE) -> tuple[Plan, ...]:
    """The regression suite's plans: incidents of every shape, and the decoys that must stay quiet.
    `traffic` scales every leg's posts with the traffic it stands out from; `words` has the
    brands and their grievances."""
    if days < MIN_SUITE_DAYS:
        raise ValueError(f"scenarios of the suite need at least {MIN_SUITE_DAYS:g} days, not {days:g}")
    rng = random.Random(seed * 7919)
    plans, busy = [], {}
    for brand in words.brands:
        if rng.random() < 0.85:
            plan = _random_incident(rng, seed, brand, days, traffic, words)
            plans.append(plan)
            busy[brand] = (plan.legs[0].start_h - 12, max(l.start_h + l.duration_h for l in plan.legs) + 18)
    for kind in ("decoy_single_platform", "decoy_happy_spike", "decoy_two_grievances"):
        plans.append(_random_decoy(rng, seed, kind, days, busy, plans, traffic, words))
    return tuple(plans)


def _grievances_near(plans: list[Plan], brand: str, start_h: float, end_h: float) -> set[str]:
    """Grievances of the brand's plans within SEPARATE_H of [start_h, end_h]."""
    return {g for p in plans if p.brand == brand
            and start_h - SEPARATE_H < max(l.start_h + l.duration_h for l in p.legs)
            and min(l.start_h for l in p.legs) < end_h + SEPARATE_H
            for g in p.grievance.split("+")}


def _random_incident(rng: random.Random, seed: int, brand: str, days: float, traffic: float,
                     words: Vocabulary) -> Plan:
    grievance = rng.choice(sorted(words.brands[brand]["grievances"]))
    path = rng.sample(INCIDENT_PLATFORMS, rng.choice((2, 2, 3, 3, 4)))
    speed, strength = rng.choice(sorted(GAP_H)), rng.choice(sorted(STRENGTH))
    t, legs = rng.uniform(PLANS_FROM_H, max(PLANS_FROM_H + 2, days * 24 - 30)), []
    for i, platform in enumerate(path):
        t += rng.uniform(*GAP_H[speed]) if i else 0
        duration = rng.uniform(2, 4) * (1.5 if platform == "blog" else 1)
        legs.append(Leg(platform, t, _leg_posts(words.volume(brand), platform, strength, duration, traffic), duration))
    return Plan(f"s{seed}-{_slug(brand)}-{grievance}-{speed}-{strength}", brand, "incident", grievance, tuple(legs),
                speed, strength)


def _leg_posts(volume: float, platform: str, strength: str, duration_h: float, traffic: float) -> int:
    usual = PLATFORM_RATE[platform] * volume * traffic * MOOD[0][1] * duration_h
    multiple, floor = STRENGTH[strength]
    return max(floor, round(multiple * usual))


def _random_decoy(rng: random.Random, seed: int, kind: str, days: float, busy: dict, plans: list[Plan],
                  traffic: float, words: Vocabulary) -> Plan:
    """A decoy at a time its brand is quiet. Its grievances differ from those the brand's other
    plans have within SEPARATE_H of it: one grievance loud on two platforms within a day is an
    incident, not a decoy. Only a draw that clashes is drawn again."""
    need = {"decoy_single_platform": 1, "decoy_two_grievances": 2}.get(kind, 0)
    for _ in range(DECOY_DRAWS):
        brand, start = rng.choice(sorted(words.brands)), rng.uniform(PLANS_FROM_H, days * 24 - 8)
        lo, hi = busy.get(brand, (0, 0))
        taken = _grievances_near(plans, brand, start, start + 4)
        if not lo - 6 <= start <= hi + 6 and len(set(words.brands[brand]["grievances"]) - taken) >= need:
            break
    else:  # every brand is busy with its incident all along: a scenario too short for the plans
        raise ValueError(f"seed {seed}: {days:g} days leave no quiet time for a {kind} decoy; "
                         f"scenarios of the suite need at least {MIN_SUITE_DAYS:g} days")
    platforms = rng.sample(INCIDENT_PLATFORMS[:3], 3)
    grievances, volume = sorted(words.brands[brand]["grievances"]), words.volume(brand)
    if kind == "decoy_single_platform":
        legs = (Leg(platforms[0], start, _leg_posts(volume, platforms[0], "strong", 3, traffic), 3),)
        grievance = rng.choice(grievances)
        while grievance in taken:
            grievance = rng.choice(grievances)
    elif kind == "decoy_happy_spike":
        legs = tuple(Leg(p, start + i * 0.5, 6 * _leg_posts(volume, p, "normal", 4, traffic), 4)
                     for i, p in enumerate(platforms))
        grievance = "launch"
    else:  # two unrelated grievances of one brand at once, each on its own platform
        legs = tuple(Leg(p, start + 0.25 * i, _leg_posts(volume, p, "normal", 3, traffic), 3)
                     for i, p in enumerate(platforms[:2]))
        pair = rng.sample(grievances, 2)
        while taken & set(pair):
            pair = rng.sample(grievances, 2)
        grievance = "+".join(pair)
    return Plan(f"s{seed}-{_slug(brand)}-{kind}", brand, kind, grievance, legs)


def _slug(brand: str) -> str:
    return brand.split()[0].lower()


class Generator:
    def __init__(self, seed: int, start: str, days: float, plans: tuple[Plan, ...] = SAMPLE_PLANS,
                 brands: tuple[str, ...] | None = None, traffic: float = 1.0, rise: str = "gradual",
                 words: Vocabulary = SUITE):
        self.rng = random.Random(seed)
        self.words = words
        self.rise_exponent = RISE[rise]
        self.t0 = to_epoch(start)
        self.days = days
        self.plans = plans
        self.brands = tuple(words.brands) if brands is None else brands  # default: every brand of `words`
        self.traffic = traffic  # every brand this many times as busy as its volume says
        self.counter = 0

    def run(self) -> tuple[list[dict[str, Any]], list[Planted]]:
        posts = self._background()
        truth = []
        for plan in self.plans:
            planted, new = self._plant(plan)
            posts.extend(new)
            truth.append(planted)
        for post in posts:  # blog posts are often picked up hours after they were written
            delay = self.rng.uniform(1, 5) * HOUR if post["platform"] == "blog" and self.rng.random() < 0.5 else 0
            post["_arrival"] = to_epoch(post["created_at"]) + delay
        posts.extend(_deletion_notices(posts))
        posts.sort(key=lambda p: (p["_arrival"], p["id"]))
        for post in posts:
            del post["_arrival"]
        return posts, truth

    # -- ordinary traffic ---------------------------------------------------------------------
    def _rhythm(self, ts: float) -> float:
        dt = datetime.fromtimestamp(ts, tz=timezone.utc)
        hour = dt.hour + dt.minute / 60
        daily = 0.15 + 1.7 * max(0.0, math.sin(math.pi * (hour - 6) / 18)) ** 1.5
        return daily * (0.75 if dt.weekday() >= 5 else 1.0)

    def _background(self) -> list[dict[str, Any]]:
        posts = []
        slots = int(self.days * 24 * HOUR / SLOT)
        for brand in self.brands:
            volume = self.words.volume(brand) * self.traffic
            for platform, rate in PLATFORM_RATE.items():
                for i in range(slots):
                    ts = self.t0 + i * SLOT
                    for _ in range(_poisson(self.rng, rate * volume * self._rhythm(ts) * SLOT / HOUR)):
                        mood = self._pick_mood()
                        # The time is drawn before the text: the suite's scenarios depend on the order.
                        at = ts + self.rng.uniform(0, SLOT)
                        posts.append(self._post(brand, platform, at, self._chatter(brand, mood)))
        return posts

    def _pick_mood(self) -> str:
        r, acc = self.rng.random(), 0.0
        for mood, p in MOOD:
            acc += p
            if r < acc:
                return mood
        return "neutral"

    def _chatter(self, brand: str, mood: str) -> str:
        if mood == "negative" and self.rng.random() < 0.25:
            # Steady background complaining about the very topics that can later blow up.
            grievances = self.words.brands[brand]["grievances"]
            grievance = self.rng.choice(sorted(grievances))
            return self._casual(self._fill(self.rng.choice(grievances[grievance]), brand))
        w = self.words
        pool = {"negative": w.negative_chatter, "neutral": w.neutral_chatter, "positive": w.positive_chatter}[mood]
        return self._casual(self._fill(self.rng.choice(pool), brand))

    # -- planted events -----------------------------------------------------------------------
    def _plant(self, plan: Plan) -> tuple[Planted, list[dict[str, Any]]]:
        posts, onsets, evident, first_posts = [], {}, {}, {}
        grievances = plan.grievance.split("+")
        for i, leg in enumerate(plan.legs):
            start = self.t0 + leg.start_h * HOUR
            onsets[leg.platform] = format_epoch(start)
            grievance = grievances[i % len(grievances)]
            times, leg_posts = [], []
            for _ in range(leg.posts):
                times.append(start + leg.duration_h * HOUR * self.rng.random() ** self.rise_exponent)
                leg_posts.append(self._planted_post(plan, leg.platform, grievance, times[-1]))
            evident[leg.platform] = format_epoch(sorted(times)[min(2, len(times) - 1)])
            first_posts[leg.platform] = format_epoch(min(times))
            posts.extend(leg_posts)
            posts.extend(self._brand_replies(plan, leg_posts))
        path = [leg.platform for leg in sorted(plan.legs, key=lambda l: l.start_h)]
        ids = [p["id"] for p in posts if not p.get("is_brand_reply")]
        return Planted(plan.id, plan.brand, plan.kind, plan.grievance, path, onsets, ids, evident, first_posts,
                       plan.speed, plan.strength), posts

    def _planted_post(self, plan: Plan, platform: str, grievance: str, ts: float) -> dict[str, Any]:
        if grievance == "launch":
            text = self._casual(self._fill(self.rng.choice(self.words.launch), plan.brand))
            return self._post(plan.brand, platform, ts, text)
        core = self._fill(self.rng.choice(self.words.brands[plan.brand]["grievances"][grievance]), plan.brand)
        text = self._styled(platform, core, plan.brand)
        post = self._post(plan.brand, platform, ts, text, followers_scale=3.0)
        if platform == "facebook" and self.rng.random() < 0.08:
            # The brand deletes it; the connector notices at a later poll and re-emits it.
            post["_deleted_after"] = self.rng.uniform(0.5, 3) * HOUR
        return post

    def _styled(self, platform: str, core: str, brand: str) -> str:
        if platform == "blog":
            return self._fill(self.rng.choice(self.words.blog_wrap), brand).replace("{core}", core)
        if platform == "news":
            return self._fill(self.rng.choice(self.words.news_wrap), brand).replace("{core}", core)
        opener = self.rng.choice(self.words.reply_openers if self.rng.random() < 0.15 else self.words.openers)
        text = self._casual(" ".join(x for x in (opener, core, self.rng.choice(self.words.closers)) if x))
        return f"[rant] {text}" if platform == "reddit" and self.rng.random() < 0.3 else text

    def _brand_replies(self, plan: Plan, posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        replies = []
        for post in posts:
            if post["platform"] in ("facebook", "twitter") and self.rng.random() < 0.1:
                ts = to_epoch(post["created_at"]) + self.rng.uniform(0.2, 3) * HOUR
                reply = self._post(plan.brand, post["platform"], ts, self.rng.choice(self.words.brand_replies))
                # The connector always knows the brand of the brand's own account.
                reply.update(is_brand_reply=True, parent_id=post["id"], author=self._handle(plan.brand),
                             brand=plan.brand)
                replies.append(reply)
        return replies

    def _handle(self, brand: str) -> str:
        return next(a for a in self.words.brands[brand]["aliases"] if a.startswith("@"))

    # -- one post -----------------------------------------------------------------------------
    def _fill(self, template: str, brand: str) -> str:
        w, spec = self.words, self.words.brands[brand]
        slots = {"{b}": [brand, brand, *spec["aliases"]], "{t}": spec["things"], "{d}": w.durations,
                 "{who}": w.people, "{n}": w.amounts}
        for slot, choices in slots.items():
            while slot in template:
                template = template.replace(slot, self.rng.choice(choices), 1)
        return template

    def _casual(self, text: str) -> str:
        """How people really type: lower case, shouting, a typo, a hashtag."""
        r = self.rng.random()
        if r < 0.2:
            text = text.lower()
        elif r < 0.25:
            words = text.split()
            k = self.rng.randrange(len(words))
            words[k] = words[k].upper()
            text = " ".join(words)
        if self.rng.random() < 0.12:
            words = text.split()
            k = self.rng.randrange(len(words))
            w = words[k]
            if len(w) > 4:
                i = self.rng.randrange(1, len(w) - 2)
                words[k] = w[:i] + w[i + 1] + w[i] + w[i + 2:]
            text = " ".join(words)
        if self.rng.random() < 0.08:
            text += self.rng.choice([" !!", "...", " ??", " smh", " lol", " tbh"])
        return text

    def _post(self, brand: str, platform: str, ts: float, text: str, followers_scale: float = 1.0) -> dict[str, Any]:
        self.counter += 1
        post_id = f"{platform}:{self.counter:07d}"
        post: dict[str, Any] = {
            "id": post_id, "platform": platform, "text": text, "created_at": format_epoch(round(ts)),
            "author": f"user{self.rng.randrange(1, 50_000)}", "lang": "en",
            "url": f"https://{platform}.example/{brand.split()[0].lower()}/{self.counter}",
            "author_followers": int(self.rng.lognormvariate(5, 1.6) * followers_scale),
            "engagement": {"likes": _poisson(self.rng, 4), "shares": _poisson(self.rng, 1),
                           "replies": _poisson(self.rng, 1)},
        }
        # One post in ten carries no brand: the watchlist must find it in the text.
        if self.rng.random() >= 0.1:
            post["brand"] = brand
        return post


def _deletion_notices(posts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    notices = []
    for post in posts:
        after = post.pop("_deleted_after", None)
        if after is not None:
            notices.append({**post, "deleted": True, "_arrival": post["_arrival"] + after})
    return notices


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def watchlist_yaml(words: Vocabulary = SUITE) -> dict[str, Any]:
    """The watchlist that goes with generated scenarios (of `words`' brands)."""
    return {"brands": [
        {"name": name, "aliases": spec["aliases"],
         "playbook": {"team": f"{name.split()[0].lower()}-comms-oncall", "escalate_after_minutes": 30}}
        for name, spec in words.brands.items()
    ]}


def generate(seed: int = 7, start: str = "2026-03-02T00:00:00Z", days: float = 3.0,
             plans: tuple[Plan, ...] = SAMPLE_PLANS, brands: tuple[str, ...] = SAMPLE_BRANDS,
             traffic: float = 1.0, rise: str = "gradual", words: Vocabulary = SUITE):
    """Posts (arrival order) and the planted truth for one seeded scenario."""
    posts, truth = Generator(seed, start, days, plans, brands, traffic, rise, words).run()
    return posts, [asdict(t) for t in truth]


SUITE_START = "2026-03-02T00:00:00Z"  # a Monday: four days of the suite hold no weekend


def suite_scenario(seed: int, days: float = 4.0, start: str = SUITE_START, traffic: float = 1.0,
                   watched_from_h: float = 0.0, rise: str = "gradual", wordings: str = "suite"):
    """One scenario of the regression suite, as (lines, truth); `traffic` makes every brand that
    many times as busy, its incidents and decoys with it (the weakest legs keep their floor of
    posts). With `watched_from_h`, the posts written in the scenario's first hours are left out,
    as for brands added to the watchlist that many hours in: the detector's first day. `rise`
    ("gradual" or "sharp", RISE) is how each planted leg's posts spread over it: the same
    plans, the same words, other times. `wordings` (WORDINGS) is what people write: "suite", the
    words the detector was tuned on, or "unseen", other brands told in other words."""
    if not 0 <= watched_from_h < PLANS_FROM_H:
        raise ValueError(f"watched_from_h must be at least 0 and less than {PLANS_FROM_H:g}, where the plans begin")
    words = WORDINGS[wordings]
    plans = random_plans(seed, days, traffic, words)
    posts, truth = generate(seed, start, days, plans, tuple(words.brands), traffic, rise, words)
    if watched_from_h:
        since = to_epoch(start) + watched_from_h * HOUR
        posts = [p for p in posts if to_epoch(p["created_at"]) >= since]
    return [json.dumps(p, ensure_ascii=False).encode() for p in posts], truth
