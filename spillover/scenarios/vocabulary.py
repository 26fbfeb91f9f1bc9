"""What the simulated people write: brands, their grievances, and everyday chatter.

Wording varies on purpose, so a detector cannot key on the generator's own sentences: every
grievance has many paraphrases with slots ({b} brand, {t} a thing of theirs, {d} a duration,
{who} a person, {n} an amount), and the generator adds openers, closers, hashtags, emoji,
casing and typos on top. Ordinary posts use complaint words without complaining ("got my
refund, thanks"), and background grumbling touches the very topics that can later blow up.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DURATIONS = ["two days", "3 days", "a week", "ten days", "two weeks", "5 hours", "all weekend", "a month",
             "since Monday", "48 hours"]
PEOPLE = ["my mum", "my partner", "my kids", "my dad", "my wife", "my husband", "my flatmate", "my whole team",
          "my grandmother", "my sister", "my colleague"]
AMOUNTS = ["£40", "$120", "€89", "€250", "$35", "£600", "€1,100", "$19.99"]

BRANDS = {
    "Northwind Air": {
        "aliases": ["Northwind", "@NorthwindAir", "#NorthwindAir"],
        "volume": 1.4,
        "things": ["flight", "booking", "bag", "seat", "check-in", "app", "lounge", "crew", "boarding pass"],
        "grievances": {
            "lost_luggage": [
                "{b} lost my luggage and nobody can tell me where it is",
                "third day without my suitcase, {b} keeps saying it is 'being traced'",
                "{b} sent my bag to another continent and the helpline just hangs up",
                "my checked bag never arrived and {b} refuses any compensation",
                "still no suitcase. {b} baggage desk is a joke",
                "landed {d} ago, {b} still has no idea where my bags are",
                "{who} has been wearing the same clothes for {d} because {b} lost the suitcase",
                "the baggage tracker from {b} says 'delivered'. it was not delivered",
                "{b} baggage claim: 40 minutes on hold, then 'we cannot locate your item'",
                "anyone actually got their lost bag back from {b}? asking for {who}",
                "{b} misplaced {n} worth of equipment in my bag and just sends template emails",
                "honeymoon ruined, {b} lost both our suitcases and offers nothing",
                "my luggage went to Oslo, I went to Lisbon. thanks {b}",
                "{b} lost our stroller and car seat, travelling with a baby and zero help",
                "every single person on my {b} flight is standing at lost baggage right now",
            ],
            "refund_denied": [
                "{b} cancelled my flight and now refuses to refund the ticket",
                "waiting {d} for a refund from {b}, they keep closing my claim",
                "{b} offers a voucher instead of the refund the law says I am owed",
                "{b} took my money for a flight that never left and will not pay it back",
                "{b} cancelled on us and the refund form just errors out",
                "{n} for a cancelled {b} flight and they say the money is 'not eligible'",
                "{b} customer service promised the refund {d} ago, still nothing in my account",
                "the {b} refund page is a maze designed so you give up",
                "{b} rejected my refund claim for a flight THEY cancelled",
                "filed my third refund request with {b}, got the same copy-paste denial",
                "{who} is still owed {n} by {b} for a cancelled flight",
                "{b} keeps our money and calls it a 'travel credit'. that is not a refund",
            ],
            "overbooking": [
                "bumped off my {b} flight because they sold too many seats",
                "{b} overbooked again and picked {who} to stay behind",
                "denied boarding by {b} with a confirmed seat, no hotel, no meal voucher",
                "{b} oversold the flight and the gate staff just shrugged",
                "stuck at the gate: {b} says the plane is full even though I checked in {d} early",
                "{b} gave my seat away and rebooked me for tomorrow night",
                "overbooked by {b}, missed {who}'s wedding",
                "{b} bumped a dozen of us and offered {n} in vouchers, insulting",
            ],
        },
    },
    "Fjord Mobile": {
        "aliases": ["Fjord", "@FjordMobile", "#FjordMobile"],
        "volume": 1.0,
        "things": ["plan", "bill", "signal", "5G", "store", "app", "eSIM", "contract", "router"],
        "grievances": {
            "double_billing": [
                "{b} charged me twice this month and support just shrugs",
                "got billed twice by {b} again, that is theft not a glitch",
                "{b} took two payments for one bill and the chat bot loops forever",
                "my account is overdrawn because {b} billed me double",
                "{b} double charged half my family, we are all waiting for money back",
                "two identical direct debits from {b} this morning, {n} each",
                "{b} billing took {n} twice and now my rent bounced",
                "checked my bank app: {b} charged me two times for the same month",
                "{b} says the duplicate payment will be 'reviewed' within {d}. I need that money now",
                "anyone else charged twice by {b}? {who} got hit too",
                "{b} debited my card twice and their app shows one payment, nice trick",
                "the second {b} charge pushed me into overdraft fees, who pays those?",
            ],
            "network_outage": [
                "no signal at all for 10 hours, {b} what is going on",
                "{b} network down the whole day and not a word from them",
                "cannot call anyone, {b} outage again, I work from my phone",
                "{b} has been dead since this morning and their status page says all fine",
                "zero bars, no data, no calls. {b} is completely down in my area",
                "{b} mobile data has been gone for {d}, working from a cafe wifi",
                "is {b} down for everyone? 'no service' on every phone in the house",
                "{who} could not call an ambulance because the {b} network was out",
                "{b} outage day two, no explanation, no compensation",
                "my {b} phone has shown SOS only since last night",
                "the whole street lost {b} signal and their helpline is also down",
                "{b} 5G, 4G, everything gone. paying for nothing",
            ],
            "contract_trap": [
                "{b} renewed my contract without asking and wants {n} to cancel",
                "tried to leave {b}, they say I signed up for another 24 months. I did not",
                "{b} sales rep added extras to my contract I never agreed to",
                "cancelling {b} is impossible, {d} of calls and they still bill me",
                "{b} charging an exit fee on a contract that ended {d} ago",
                "the {b} store signed {who} up for a plan twice the price they were told",
                "{b} keeps sending my cancelled account to collections",
                "{b} hid a price rise in the contract small print, classic",
            ],
        },
    },
    "Kettle & Crumb": {
        "aliases": ["Kettle and Crumb", "@KettleCrumb", "#KettleAndCrumb"],
        "volume": 0.6,
        "things": ["croissant", "coffee", "delivery", "bakery", "loyalty card", "app", "sourdough", "cafe",
                   "cinnamon bun"],
        "grievances": {
            "food_poisoning": [
                "whole family sick after eating the {b} chicken sandwich",
                "food poisoning from {b} again, two days in bed",
                "{b} salad made me ill and the store denied everything",
                "spent the night in the ER after lunch at {b}, disgusting",
                "{who} and I both threw up all night after the {b} wraps",
                "anyone else ill after {b} yesterday? half my office is off sick",
                "the {b} egg sandwich put me in hospital, this is serious",
                "{b} gave us food poisoning and their reply was a discount code",
                "stomach cramps for {d} after a {b} quiche. never again",
                "my doctor says it is salmonella. the only place I ate was {b}",
                "{b} tuna melt = worst night of my life",
                "reporting {b} to environmental health, {who} got really sick",
            ],
            "mould": [
                "found mould inside a {b} loaf bought this morning",
                "{b} sold me a mouldy sourdough and laughed about it",
                "green fuzz all over the {b} croissants, how is this legal",
                "cut open my {b} bread and it was blue inside",
                "{b} cinnamon buns with white mould spots, sold as fresh today",
                "second mouldy loaf from {b} this week. check your bread people",
                "{who} almost ate a mouldy {b} bagel, the best-before date is next week",
                "{b} store manager said mould 'happens with natural bread'. no it does not",
            ],
            "rude_staff": [
                "the {b} barista shouted at {who} for asking for oat milk",
                "{b} staff rolled their eyes and threw my change on the counter",
                "got called stupid by a {b} manager in front of everyone",
                "{b} employee refused to serve us because of my wheelchair",
                "never been spoken to so rudely as at {b} this morning",
                "{b} staff mocked a customer's accent, I walked out",
                "rudest service ever at {b}, they told me to 'go somewhere else then'",
            ],
        },
    },
    "Helio Bank": {
        "aliases": ["Helio", "@HelioBank", "#HelioBank"],
        "volume": 2.2,
        "things": ["app", "card", "savings account", "mortgage", "branch", "transfer", "overdraft", "loan"],
        "grievances": {
            "app_outage": [
                "{b} app will not let me log in, cannot pay anything",
                "{b} online banking down again, my card gets declined everywhere",
                "payments failing all day with {b}, stuck at the checkout with {who}",
                "the {b} app says 'technical difficulties' for {d} now",
                "cannot see my balance, cannot transfer, {b} is down and silent",
                "{b} outage on payday, wages nowhere to be seen",
                "card declined at the pharmacy, {b} systems down AGAIN",
                "{b} login loop: code, password, error, repeat",
                "is {b} down? every transfer fails with error 500",
                "{b} froze the whole app and {who} cannot pay the nursery",
                "my {b} card does not work anywhere today, thanks for the embarrassment",
            ],
            "frozen_account": [
                "{b} froze my account without a reason and nobody will explain",
                "{b} blocked all my money for a 'security review' for {d}",
                "cannot access my salary, {b} locked the account and the branch sends me home",
                "{b} closed {who}'s account with {n} in it and no explanation",
                "account frozen by {b}, rent due tomorrow, hold time 2 hours",
                "{b} security team froze my card abroad and I am stranded",
                "{b} says my account is 'under review'. my money, my bills, no answers",
            ],
            "hidden_fees": [
                "{b} charged me {n} in fees nobody ever mentioned",
                "surprise {b} account fee every month now, nice of them to tell us",
                "{b} fee for paying in cash. cash. at a bank",
                "{b} took {n} for an 'inactivity fee' on my savings",
                "went through my statements: {b} has been charging hidden fees for {d}",
                "{b} foreign transaction fee was triple what the website says",
            ],
        },
    },
}

OPENERS = ["", "", "", "", "Unbelievable.", "Wow.", "Seriously,", "Update:", "PSA:", "Day 2:", "Honestly",
           "So", "Just saw this.", "Again??", "Not again.", "Ugh.", "Can't believe this.", "Thread:",
           "Well,", "Great.", "Hey", "Ok so", "FYI", "Warning:", "Fun times:"]
CLOSERS = ["", "", "", "", "#fail", "Never again.", "Anyone else?", "Disgusting.", "Thanks for nothing.",
           "😡", "🤬", "😤", "🙄", "Avoid.", "Shameful.", "Do better.", "RT if this happened to you.",
           "@ mods pls pin", "Absolutely furious.", "Sort it out.", "Is anyone there?", "#customerservice",
           "#consumerrights", "What a joke.", "How is this ok?", "Please share.", "🤦", "Unreal."]
REPLY_OPENERS = ["Same here!", "Me too.", "This happened to me as well:", "+1,", "Exactly this.",
                 "Glad it's not just me,", "Same story:"]

NEGATIVE_CHATTER = [
    "{b} {t} was slow again today, mildly annoying",
    "why is the {b} {t} always so confusing",
    "not impressed with the {b} {t} lately",
    "{b} {t} prices went up again, meh",
    "the {b} {t} is getting worse every year",
    "waited ages for the {b} {t}, not great",
    "{b} {t} keeps logging me out, small thing but irritating",
    "the new {b} {t} design is ugly, bring back the old one",
    "{b} could really use a better {t}",
    "queue at {b} was long today, as usual",
    "meh, the {b} {t} is overpriced for what it is",
    "the {b} hold music is burned into my brain",
]
NEUTRAL_CHATTER = [
    "does anyone know if the {b} {t} works abroad?",
    "heading out with {b} today, let's see",
    "{b} announced new {t} hours for the holidays",
    "comparing the {b} {t} with the others, any tips?",
    "is the {b} {t} open on Sundays?",
    "reading the {b} {t} terms before I sign up",
    "{b} {t} update is rolling out this week",
    "how do I change my {b} {t} details?",
    "{b} is hiring, anyone applied?",
    "article about {b} and the new {t} rules in the paper today",
    "switching my {t} to {b} next month",
    "what time does the {b} {t} close tonight?",
    "{b} quarterly results are out",
    "trying the {b} {t} for the first time tomorrow",
]
POSITIVE_CHATTER = [
    "great {t} from {b} today, thanks!",
    "got my refund from {b} in two days, thanks team",
    "the {b} {t} is honestly the best around",
    "{b} fixed my {t} problem in five minutes, impressed",
    "was ready to complain but {b} sorted the {t} right away",
    "love the new {b} {t} ❤️",
    "shoutout to the {b} staff, the {t} was perfect",
    "thought {b} charged me twice but it was my own mistake, sorry {b}!",
    "lost my bag once with {b} and they had it back to me the same evening, fair play",
    "{b} support actually called me back, rare these days",
    "no complaints about {b} at all, smooth as always",
    "{b} was down for 10 minutes and back before I noticed, well handled",
    "the {b} {t} never fails me",
    "cannot fault {b} this time, well done",
]
LAUNCH = [
    "the new {b} {t} is amazing, go try it",
    "just got the {b} {t} launch edition, so happy",
    "queue around the block for the {b} launch and worth it!",
    "{b} launch day!! best {t} ever 🎉",
    "finally tried the new {b} {t}, instant favourite",
    "{b} just announced the new {t} and I love it",
    "obsessed with the new {b} {t} already",
    "the {b} launch event was so much fun 🎉",
    "new {b} {t} is a game changer, well done",
    "got the new {b} {t} on day one, zero regrets",
    "{b} finally did it, the new {t} is brilliant",
    "everyone is talking about the new {b} {t} and rightly so",
]
BRAND_REPLIES = [
    "We're sorry to hear this. Please send us a DM with your reference and we'll look into it.",
    "Hi, we are aware of the issue and our team is working on it. Updates to follow.",
    "We apologise for the trouble. Our care team will contact you today.",
    "Thanks for flagging this. Could you DM us your details so we can check?",
    "Sorry about this. We've passed it to the right team and will get back to you.",
]
BLOG_WRAP = [
    "Why I am done with {b}. {core}. I wrote to them three times and got nothing back.",
    "A long post about {b}: {core}. Here is what happened, step by step.",
    "{b} and the art of ignoring customers: {core}. Others report the same.",
    "What {b} gets wrong about customer care. {core}, and it is not just me.",
    "My week with {b}, a cautionary tale. In short: {core}. The comments below are full of the same.",
    "Dear {b}, an open letter. {core}. I am publishing this because private messages got me nowhere.",
    "{core}. This is the story of how {b} treats its customers, with screenshots.",
    "Review: {b} in 2026. {core}. Two stars would be generous.",
]
NEWS_WRAP = [
    "Customers complain after {b} problems: {core}, users say",
    "{b} faces backlash online as {core}",
    "Anger grows at {b}: '{core}', one customer wrote",
    "{b} under fire on social media after reports that {core}",
]


@dataclass(frozen=True)
class Vocabulary:
    """Everything the simulated people write, so a scenario can be told in other words.

    `brands` maps each brand to its aliases, `volume` (how much people write about it, against
    a typical brand), `things` (what it sells) and `grievances` (templates per problem)."""

    brands: dict[str, dict[str, Any]]
    durations: list[str]
    people: list[str]
    amounts: list[str]
    openers: list[str]
    closers: list[str]
    reply_openers: list[str]
    negative_chatter: list[str]
    neutral_chatter: list[str]
    positive_chatter: list[str]
    launch: list[str]
    brand_replies: list[str]
    blog_wrap: list[str]
    news_wrap: list[str]

    def volume(self, brand: str) -> float:
        return self.brands[brand]["volume"]


# The words the detector was built and tuned on.
SUITE = Vocabulary(BRANDS, DURATIONS, PEOPLE, AMOUNTS, OPENERS, CLOSERS, REPLY_OPENERS, NEGATIVE_CHATTER,
                   NEUTRAL_CHATTER, POSITIVE_CHATTER, LAUNCH, BRAND_REPLIES, BLOG_WRAP, NEWS_WRAP)
