"""What the simulated people write: brands, their grievances, and everyday chatter.

Wording varies on purpose (openers, cores, closers, platform styles), and some ordinary posts
use complaint words without complaining, so a detector cannot key on the generator's phrases.
"""
from __future__ import annotations

BRANDS = {
    "Northwind Air": {
        "aliases": ["Northwind", "@NorthwindAir", "#NorthwindAir"],
        "things": ["flight", "booking", "bag", "seat", "check-in", "app", "lounge", "crew"],
        "grievances": {
            "lost_luggage": [
                "{b} lost my luggage and nobody can tell me where it is",
                "third day without my suitcase, {b} keeps saying it is 'being traced'",
                "{b} sent my bag to another continent and the helpline just hangs up",
                "my checked bag never arrived and {b} refuses any compensation",
                "still no suitcase. {b} baggage desk is a joke",
            ],
            "refund_denied": [
                "{b} cancelled my flight and now refuses to refund the ticket",
                "waiting 8 weeks for a refund from {b}, they keep closing my claim",
                "{b} offers a voucher instead of the refund the law says I am owed",
                "{b} took my money for a flight that never left and will not pay it back",
            ],
        },
    },
    "Fjord Mobile": {
        "aliases": ["Fjord", "@FjordMobile", "#FjordMobile"],
        "things": ["plan", "bill", "signal", "5G", "store", "app", "eSIM", "contract"],
        "grievances": {
            "double_billing": [
                "{b} charged me twice this month and support just shrugs",
                "got billed twice by {b} again, that is theft not a glitch",
                "{b} took two payments for one bill and the chat bot loops forever",
                "my account is overdrawn because {b} billed me double",
                "{b} double charged half my family, we are all waiting for money back",
            ],
            "network_outage": [
                "no signal at all for 10 hours, {b} what is going on",
                "{b} network down the whole day and not a word from them",
                "cannot call anyone, {b} outage again, I work from my phone",
                "{b} has been dead since this morning and their status page says all fine",
            ],
        },
    },
    "Kettle & Crumb": {
        "aliases": ["Kettle and Crumb", "@KettleCrumb", "#KettleAndCrumb"],
        "things": ["croissant", "coffee", "delivery", "bakery", "loyalty card", "app", "sourdough", "cafe"],
        "grievances": {
            "food_poisoning": [
                "whole family sick after eating the {b} chicken sandwich",
                "food poisoning from {b} again, two days in bed",
                "{b} salad made me ill and the store denied everything",
                "spent the night in the ER after lunch at {b}, disgusting",
            ],
            "mould": [
                "found mould inside a {b} loaf bought this morning",
                "{b} sold me a mouldy sourdough and laughed about it",
                "green fuzz all over the {b} croissants, how is this legal",
            ],
        },
    },
}

OPENERS = ["", "", "", "Unbelievable.", "Wow.", "Seriously,", "Update:", "PSA:", "Day 2:", "Honestly",
           "So", "Just saw this.", "Again??", "Not again.", "Ugh."]
CLOSERS = ["", "", "", "#fail", "Never again.", "Anyone else?", "Disgusting.", "Thanks for nothing.",
           "😡", "🤬", "Avoid.", "Shameful.", "Do better.", "RT if this happened to you.", "@ mods pls pin"]
NEGATIVE_CHATTER = [
    "{b} {t} was slow again today, mildly annoying",
    "why is the {b} {t} always so confusing",
    "not impressed with the {b} {t} lately",
    "{b} {t} prices went up again, meh",
    "the {b} {t} is getting worse every year",
    "waited ages for the {b} {t}, not great",
]
NEUTRAL_CHATTER = [
    "does anyone know if the {b} {t} works abroad?",
    "heading out with {b} today, let's see",
    "{b} announced new {t} hours for the holidays",
    "comparing the {b} {t} with the others, any tips?",
    "is the {b} {t} open on Sundays?",
    "reading the {b} {t} terms before I sign up",
    "{b} {t} update is rolling out this week",
]
POSITIVE_CHATTER = [
    "great {t} from {b} today, thanks!",
    "got my refund from {b} in two days, thanks team",
    "the {b} {t} is honestly the best around",
    "{b} fixed my {t} problem in five minutes, impressed",
    "was ready to complain but {b} sorted the {t} right away",
    "love the new {b} {t} ❤️",
    "shoutout to the {b} staff, the {t} was perfect",
]
LAUNCH = [
    "the new {b} {t} is amazing, go try it",
    "just got the {b} {t} launch edition, so happy",
    "queue around the block for the {b} launch and worth it!",
    "{b} launch day!! best {t} ever 🎉",
    "finally tried the new {b} {t}, instant favourite",
]
BRAND_REPLIES = [
    "We're sorry to hear this. Please send us a DM with your reference and we'll look into it.",
    "Hi, we are aware of the issue and our team is working on it. Updates to follow.",
    "We apologise for the trouble. Our care team will contact you today.",
]
BLOG_WRAP = [
    "Why I am done with {b}. {core}. I wrote to them three times and got nothing back.",
    "A long post about {b}: {core}. Here is what happened, step by step.",
    "{b} and the art of ignoring customers: {core}. Others report the same.",
    "What {b} gets wrong about customer care. {core}, and it is not just me.",
]
NEWS_WRAP = [
    "Customers complain after {b} problems: {core}, users say",
    "{b} faces backlash online as {core}",
]
