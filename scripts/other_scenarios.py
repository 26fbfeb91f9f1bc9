"""Detection on scenarios written apart from the suite's generator: the figures behind
BENCHMARKS.md's "Scenarios from another hand".

    .venv/bin/python scripts/other_scenarios.py [--seeds 1-20] [--thin] [--details]

The suite's generator and the detector grew up together, so a second generator, written
without looking at the first one's phrasings, checks what carries over. Its choices differ on
purpose: three other brands (a telecom, a grocer, an airline, one of them on mastodon too),
a rhythm of its own, blog posts framed in their writer's words ("I need to talk about
Pinecrest Telecom. ..."), background complaints drawn verbatim from the very sentences its
storms are told in, storms of 2-4 platforms with gaps of minutes, hours or half a day, and
decoys of its own: a loud burst of another problem on one platform, a happy launch on two.
Half the blog posts reach the detector 1-5 hours after they were written.

A leg has at least the suite's least number of posts for its strength (6, 10, 18); with
`--thin`, at least 3: a sparse platform's leg of a weak storm is then a few posts, often told
in as many framings. Scored by `spillover evaluate`'s own code against the shipped model.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
from datetime import datetime, timedelta, timezone

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from spillover.cli.evaluate_cmd import COLUMNS, _fmt, _row, describe, parse_seeds  # noqa: E402
from spillover.detection import Detector  # noqa: E402
from spillover.detection.baseline import HourlyBaseline  # noqa: E402
from spillover.evaluation import evaluate  # noqa: E402
from spillover.models.pipeline import SentimentModel  # noqa: E402
from spillover.settings import load_settings  # noqa: E402
from spillover.watchlist import Watchlist  # noqa: E402

T0 = datetime(2026, 5, 4, tzinfo=timezone.utc)  # a Monday
DAYS = 4
STAMP = "%Y-%m-%dT%H:%M:%SZ"
BRANDS = {
    "Pinecrest Telecom": {
        "rates": {"twitter": 14, "facebook": 6, "reddit": 3, "blog": 0.4},
        "problems": {
            "billing": ["{b} charged me twice for the same month!!", "Double billed by {b} again, this is theft",
                        "{b} took two payments from my account this month",
                        "Anyone else charged twice by {b}? Unacceptable",
                        "My bank shows two {b} charges for one bill. Fix this", "{b} billing glitch took my rent money",
                        "Still waiting for {b} to refund the duplicate charge",
                        "{b} double charged thousands and nobody answers"],
            "outage": ["No service from {b} all morning, can't call anyone", "{b} network down AGAIN in the city",
                       "Is {b} down? zero bars since 8am",
                       "{b} outage means I missed a job interview call. Thanks a lot",
                       "entire neighbourhood without {b} signal for hours", "{b} mobile data dead, support line busy"],
            "contract": ["{b} renewed my contract without asking me", "Tried to cancel {b}, they want a 200 fee",
                         "{b} locked me into 24 months I never agreed to",
                         "Sales rep at {b} lied about the contract terms"]},
        "grumbles": ["{b} signal is patchy in my basement", "{b} hold music is awful", "meh {b} app is slow today",
                     "{b} prices went up again, sigh", "my {b} bill is confusing"]},
    "Lumen Grocers": {
        "rates": {"twitter": 6, "facebook": 9, "reddit": 1.5, "blog": 0.3},
        "problems": {
            "recall": ["Found glass in my {b} salad, disgusting", "{b} sold me mouldy bread and won't refund",
                       "My kid got sick after {b} chicken, who checks this",
                       "{b} store brand yoghurt was off before the date",
                       "Anyone else sick from {b} deli food this week?",
                       "{b} needs to recall that salad, people are ill"],
            "delivery": ["{b} delivery never showed up, third time",
                         "{b} online order cancelled an hour before delivery",
                         "Waited all day for {b} groceries, nothing",
                         "{b} delivered someone else's shopping and half mine missing",
                         "{b} home delivery is a joke, still no order"]},
        "grumbles": ["{b} queue was long", "{b} out of oat milk again", "{b} self checkout beeps at me constantly"]},
    "Orbit Airways": {
        "rates": {"twitter": 20, "facebook": 5, "reddit": 2, "blog": 0.5, "mastodon": 1},
        "problems": {
            "luggage": ["{b} lost my suitcase and nobody knows where it is", "Day 4 without my bag, {b} doesn't care",
                        "{b} baggage desk just shrugged. Where is my luggage",
                        "Landed, {b} left my bag in another country", "{b} lost luggage claim ignored for a week"],
            "cancel": ["{b} cancelled my flight with 2 hours notice, no hotel",
                       "Stranded by {b}, flight cancelled and no rebooking",
                       "{b} cancels flights and won't refund, absolute scam",
                       "Third {b} cancellation this month, I'm done",
                       "{b} cancelled us at the gate, kids sleeping on the floor"]},
        "grumbles": ["{b} legroom is tiny", "{b} coffee on board is terrible", "{b} boarding took forever"]},
}
NEUTRAL = ["Anyone flown/used {b} recently?", "{b} opening hours on Sunday?", "just paid {b}", "Does {b} have an app",
           "heading to {b} later", "{b} customer number please", "What do people think of {b}?"]
HAPPY = ["{b} was great today, thanks", "love {b} honestly", "shoutout to {b} staff",
         "{b} sorted me out quickly, nice"]
LAUNCH = ["{b} new loyalty app is brilliant", "wow the new {b} offer is great",
          "signed up for the {b} deal today, love it"]
FRAMES = ["I need to talk about {b}. {c}", "Long post, sorry. {c} I have written to them twice.",
          "A customer's diary, week 3. {c}", "{c} That is the whole story, and it is not the first time.",
          "Why I'm leaving {b}: {c}", "Update on my saga with {b}. {c} Still no answer."]
STRENGTH = {"weak": (2.5, 6), "normal": (5.0, 10), "strong": (10.0, 18)}  # rate multiple, least posts
GAPS_H = ((0.1, 0.5), (0.5, 4.0), (4.0, 16.0))


def rhythm(t: datetime) -> float:
    """A share of the peak rate: low at night, rising from six, highest mid-afternoon."""
    h = (t - T0).total_seconds() / 3600 % 24
    return 0.25 + 0.75 * max(0.0, math.sin(math.pi * (h - 6) / 18)) if h >= 6 else 0.2


class Scenario:
    """One seed's posts (as the lines a replay reads, blog posts late) and ground truth."""

    def __init__(self, seed: int, thin: bool):
        self.rng, self.seed, self.thin = random.Random(seed), seed, thin
        self.posts: list[dict] = []
        self.truth: list[dict] = []

    def build(self) -> tuple[list[bytes], list[dict]]:
        for brand, spec in BRANDS.items():
            self._background(brand, spec)
            self._storm(brand, spec)
            self._decoys(brand, spec)
        return self._arrivals(), self.truth

    def _emit(self, platform: str, t: datetime, text: str, brand: str, framed: bool = False) -> str:
        pid = f"{platform}:{self.seed}-{len(self.posts) + 1}"
        if framed:
            text = self.rng.choice(FRAMES).format(b=brand, c=text)
        self.posts.append({"id": pid, "platform": platform, "text": text, "brand": brand,
                           "created_at": t.strftime(STAMP), "author": f"u{self.rng.randrange(99999)}"})
        return pid

    def _background(self, brand: str, spec: dict) -> None:
        problems = [s for sentences in spec["problems"].values() for s in sentences]
        for platform, rate in spec["rates"].items():
            t = T0
            while t < T0 + timedelta(days=DAYS):
                t += timedelta(hours=self.rng.expovariate(rate))
                if self.rng.random() >= rhythm(t):
                    continue
                k = self.rng.random()
                pool = spec["grumbles"] if k < 0.12 else problems if k < 0.16 else HAPPY if k < 0.36 else NEUTRAL
                self._emit(platform, t, self.rng.choice(pool).format(b=brand), brand, framed=platform == "blog")

    def _storm(self, brand: str, spec: dict) -> None:
        problem = self.rng.choice(sorted(spec["problems"]))
        path = list(spec["rates"])
        self.rng.shuffle(path)
        path = path[:self.rng.choice([2, 3, 3, 4])]
        strength = self.rng.choice(sorted(STRENGTH))
        multiple, least = STRENGTH[strength]
        h, ids, onsets, evident, first = 30 + self.rng.uniform(0, 40), [], {}, {}, {}
        for i, platform in enumerate(path):
            h += self.rng.uniform(*self.rng.choice(GAPS_H)) if i else 0
            hours = self.rng.uniform(2, 4)
            count = max(3 if self.thin else least, int(spec["rates"][platform] * 0.15 * multiple * hours))
            times = sorted(T0 + timedelta(hours=h + hours * self.rng.random() ** 0.8) for _ in range(count))
            ids += [self._emit(platform, t, self.rng.choice(spec["problems"][problem]).format(b=brand), brand,
                               framed=platform == "blog") for t in times]
            onsets[platform] = (T0 + timedelta(hours=h)).strftime(STAMP)
            evident[platform], first[platform] = times[min(2, len(times) - 1)].strftime(STAMP), times[0].strftime(STAMP)
        self.truth.append({"id": f"i{self.seed}-{brand}-{problem}-{strength}", "brand": brand, "kind": "incident",
                           "path": path, "onsets": onsets, "post_ids": ids, "evident": evident,
                           "first_posts": first, "strength": strength})

    def _decoys(self, brand: str, spec: dict) -> None:
        storm = self.truth[-1]["id"].split("-")[-2]
        other = self.rng.choice(sorted(p for p in spec["problems"] if p != storm))
        platform, h = self.rng.choice(list(spec["rates"])[:2]), self.rng.uniform(28, 80)
        ids = [self._emit(platform, T0 + timedelta(hours=h + 3 * self.rng.random()),
                          self.rng.choice(spec["problems"][other]).format(b=brand), brand)
               for _ in range(int(spec["rates"][platform] * 1.5))]
        self.truth.append({"id": f"d{self.seed}-{brand}-one", "brand": brand, "kind": "decoy_single_platform",
                           "path": [platform], "onsets": {}, "post_ids": ids})
        h, ids = self.rng.uniform(28, 80), []
        for platform in list(spec["rates"])[:2]:
            ids += [self._emit(platform, T0 + timedelta(hours=h + 3 * self.rng.random()),
                               self.rng.choice(LAUNCH).format(b=brand), brand)
                    for _ in range(int(spec["rates"][platform] * 2))]
        self.truth.append({"id": f"d{self.seed}-{brand}-launch", "brand": brand, "kind": "decoy_happy_spike",
                           "path": [], "onsets": {}, "post_ids": ids})

    def _arrivals(self) -> list[bytes]:
        """The posts in the order they reach the detector: half the blog posts 1-5 hours late."""
        arriving = []
        for post in sorted(self.posts, key=lambda p: (p["created_at"], p["id"])):
            at = datetime.strptime(post["created_at"], STAMP).replace(tzinfo=timezone.utc)
            if post["platform"] == "blog" and self.rng.random() < 0.5:
                at += timedelta(hours=self.rng.uniform(1, 5))
            arriving.append((at, json.dumps(post).encode()))
        return [line for _, line in sorted(arriving, key=lambda a: a[0])]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="1-20")
    p.add_argument("--thin", action="store_true", help="legs of at least 3 posts, not the suite's 6/10/18")
    p.add_argument("--details", action="store_true", help="each case that went wrong, as evaluate --details")
    args = p.parse_args()
    settings = load_settings()
    seeds = parse_seeds(args.seeds)
    scenarios = [Scenario(seed, args.thin).build() for seed in seeds]
    detectors = {"spillover": lambda: Detector(settings.detection), "hourly baseline": HourlyBaseline}
    # Every post carries its brand: no watchlist is needed to attribute one.
    scores = evaluate(scenarios, SentimentModel.load(settings.model), detectors, Watchlist())
    titles = [title for title, _ in COLUMNS]
    print(f"{len(seeds)} scenarios from another hand (seeds {args.seeds}{', thin legs' if args.thin else ''}); "
          f"{scores['spillover'].planted} planted incidents, {scores['spillover'].decoys} decoys")
    print(_row("", titles, titles))
    for name, score in scores.items():
        print(_row(name, [_fmt(score.summary()[key]) for _, key in COLUMNS], titles))
    by_strength = scores["spillover"].summary()["recall_by_kind"]["strength"]
    print("found by strength:", ", ".join(f"{k} {v['found']} of {v['planted']}" for k, v in by_strength.items()))
    if args.details:
        for case in scores["spillover"].cases:
            print(describe(dict(case, seed=seeds[case.pop("scenario")])))


if __name__ == "__main__":
    main()
