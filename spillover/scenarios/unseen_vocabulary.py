"""Other brands told in other words: scenarios the detector was never tuned on.

Every setting of the detector was chosen on scenarios written with `vocabulary.py`. These
words were written afterwards, by other hands in spirit: four brands of other trades, with
their own grievances, chatter, openers, blog and news framing, and sentences built another
way (questions, lists, sarcasm, long run-ons). The plans, rhythm and volumes are the suite's,
each unseen brand as busy as the suite brand in its place (they are named so that both orders
the plans draw brands in agree), so a seed plans the same storms and decoys with the same
numbers of posts in both, and a gap between the two sets of figures is what the detector owes
to the suite's sentences.

It was run once (BENCHMARKS, "Detection on words it was never tuned on") and has been looked
at since (DEVELOPERS.md): tune on neither set of words, and for a fresh check of a change,
write another vocabulary the same way and run it once.
"""
from __future__ import annotations

from .vocabulary import Vocabulary

BRANDS = {
    "Voltara Energy": {
        "aliases": ["Voltara", "@VoltaraHQ", "#VoltaraEnergy"],
        "volume": 1.4,
        "things": ["tariff", "smart meter", "direct debit", "online account", "heat pump", "solar deal",
                   "customer portal", "app"],
        "grievances": {
            "estimated_bills": [
                "{b} billed me {n} for a month I was away, on an 'estimate'",
                "how does a one-bed flat use {n} of gas? {b} estimates are pure fiction",
                "sent {b} my meter readings {d} ago and they still bill on made-up numbers",
                "{b} just tripled my direct debit based on a reading nobody took",
                "my {b} bill says I used more electricity than a factory. I live alone",
                "{b} 'corrected' my bill upwards again. third time. who checks these",
                "paying {b} for energy I never used because their estimate beats my actual meter",
                "apparently {who} owes {b} {n} for a winter the house was empty",
                "photo of the meter, photo of the {b} bill, numbers not even close",
                "{b} keeps inventing my usage and then threatens debt collectors over it",
                "absolute fantasy figures on the {b} statement this month",
                "if {b} can't read a meter why do they charge me like they can",
            ],
            "smart_meter": [
                "{b} smart meter went dark {d} ago, now I'm back on estimated bills",
                "took a day off for the {b} smart meter install. engineer never came. twice",
                "the {b} in-home display has shown zero since the 'upgrade'",
                "{b} swapped my meter and now my prepay top-ups vanish",
                "smart meter from {b} is 'not communicating' and they say that's my problem",
                "{b} fitted a meter that trips the fuse every time the kettle goes on",
                "third missed appointment from {b}, no call, no text, just a card saying sorry we missed you",
                "my {b} smart meter reads in the wrong units and support can't even see it",
                "{who} was left with no hot water after the {b} engineer botched the meter swap",
                "why does the {b} app say my smart meter doesn't exist",
                "{b} replaced a working meter with a broken one and calls it progress",
            ],
            "supply_cut": [
                "{b} cut off our power by mistake and it took {d} to get it back",
                "no electricity since this morning and {b} says there is 'no fault reported'",
                "{b} disconnected the wrong flat. mine. with {who} on oxygen at home",
                "power off, fridge defrosting, {b} helpline queue says 90 minutes",
                "{b} switched off our gas over a bill I already paid",
                "how is it legal for {b} to cut supply in winter with no warning",
                "whole block without power, {b} engineers nowhere, candles out",
                "{b} turned off my supply during a heatwave and won't say why",
                "lost {n} of frozen food because {b} cut the power and blamed the network",
                "{b} remote switched my prepay meter off at midnight. kids in the dark",
            ],
        },
    },
    "Parcelo": {
        "aliases": ["Parcelo Express", "@ParceloHQ", "#Parcelo"],
        "volume": 1.0,
        "things": ["tracking page", "delivery slot", "courier", "locker", "app", "returns label", "depot"],
        "grievances": {
            "missing_parcels": [
                "{b} says delivered. photo shows someone else's door",
                "where is my parcel {b}? tracking frozen at 'out for delivery' for {d}",
                "{b} lost {who}'s birthday present and the chat bot just offers a 5% voucher",
                "{n} of shopping gone into the {b} void, nobody can find it",
                "if you order something important don't let {b} anywhere near it",
                "the {b} tracking page literally says 'location unknown'. great",
                "{b} marked it delivered to a 'safe place'. there is no safe place. there is no parcel",
                "third missing package this month, all {b}, funny that",
                "{b} delivered my laptop to a house two streets away and won't help get it back",
                "every single {b} parcel this week: 'delayed at depot' then gone",
                "claim form with {b} rejected because I 'can't prove' it didn't arrive?!",
            ],
            "fake_attempts": [
                "I was home ALL day and {b} left a 'sorry we missed you' card",
                "{b} driver didn't even knock, just took a photo of the card and left",
                "doorbell camera shows no {b} van, app says delivery attempted. liars",
                "sat by the window for the {b} slot, got a missed delivery text instead",
                "{b} claims three delivery attempts. my camera shows zero",
                "the {b} courier marks parcels failed so he can finish early, every week",
                "took the morning off for {b}, 'recipient not available' at 10:02. I was at the door",
                "now I have to drive to the {b} depot for a parcel they never tried to deliver",
                "how does {b} miss me when I work from home. every. time",
                "{b} 'attempted delivery' while {who} was standing in the front garden",
            ],
            "damaged_goods": [
                "box from {b} arrived crushed flat, the monitor inside in pieces",
                "{b} delivered my parcel soaking wet and torn open",
                "the {b} driver threw my parcel over the gate. it said FRAGILE",
                "my new phone came through {b} with the screen smashed and they say it was packed badly",
                "{b} returned my order to sender damaged and charged me {n} to resend",
                "parcel arrived via {b} looking like it had been run over",
                "glassware from {b}, now gravel. claim denied",
                "{b} left a dented box in the rain for {d}, everything ruined",
                "watched the {b} guy drop-kick my parcel onto the step",
                "received my order in a {b} bag with the original box missing and half the items gone",
            ],
        },
    },
    "Skyline TV": {
        "aliases": ["SkylineTV", "@SkylineTVapp", "#SkylineTV"],
        "volume": 0.6,
        "things": ["app", "subscription", "sports pass", "smart TV app", "family plan", "catalogue",
                   "download feature"],
        "grievances": {
            "cannot_cancel": [
                "tried to cancel {b} for {d}, the button just loops back to 'are you sure'",
                "{b} charged me {n} after I cancelled, confirmation email and all",
                "cancelling {b} needs a phone call to a number that's never answered",
                "{b} kept billing {who} for a year after the free trial 'ended'",
                "why can you sign up to {b} in one click but need a lawyer to leave",
                "{b} reactivated my subscription on its own and took the money",
                "cancelled {b} in March, still paying in May, support says 'no record'",
                "had to block {b} through my bank because they will not stop charging",
                "{b} dark patterns: cancel hidden under 'manage', then 'more', then 'help'",
                "the {b} 'cancel' page says error 500 every time. convenient",
            ],
            "buffering": [
                "{b} froze during the last ten minutes of the final. unwatchable",
                "paying for 4K and {b} gives me a spinning wheel and potato quality",
                "{b} crashed for everyone at kickoff, again, the one time it matters",
                "buffering every 30 seconds on {b}, every other app is fine",
                "{b} stream died right on the penalty. whole pub groaning",
                "the {b} app on my TV logs me out mid-episode then won't load",
                "{b} sports pass: {n} for a slideshow",
                "is {b} down or is it just the entire country",
                "{b} audio out of sync by two seconds for {d} now, nobody fixes it",
                "error code after error code on {b} tonight, refund the match",
            ],
            "account_hacked": [
                "someone changed my {b} email and password and support won't listen",
                "{b} let a stranger into my account and now they're charging my card",
                "there are profiles in Russian on my {b} account and I can't get them out",
                "my {b} account was taken over and the chat says 'verify with the new email'. which I don't have",
                "{b} billed me for a premium upgrade a hacker made and refuses the refund",
                "{who}'s {b} account hijacked, {n} of rentals on it",
                "how is there no two-factor on {b} in 2026, hacked again",
                "{b} support told me to reset a password I can't receive because the thief changed the email",
                "locked out of my own {b} account for {d}, thief still streaming on my card",
            ],
        },
    },
    "Rowan Motors": {
        "aliases": ["Rowan", "@RowanMotors", "#RowanMotors"],
        "volume": 2.2,
        "things": ["dealership", "service centre", "hatchback", "EV", "finance plan", "infotainment",
                   "warranty", "test drive"],
        "grievances": {
            "brake_fault": [
                "my {b} braked hard on the motorway for no reason. twice. terrifying",
                "{b} knows about the phantom braking and still says it's 'within spec'",
                "brake warning light on my new {b} every morning, dealer shrugs",
                "the {b} emergency braking slammed on for a shadow with {who} in the back",
                "why is there no recall yet {b}? how many crashes does it take",
                "got rear-ended because my {b} stopped dead at 50mph",
                "{b} brake pedal went soft at a junction, car is {d} old",
                "dealer says {b} brake software update is 'coming'. it's been {d}",
                "I'm scared to drive my own {b} with the kids in it",
                "{b} brakes grinding and squealing at 3,000 miles, 'normal' they say",
            ],
            "warranty_refused": [
                "{b} refused warranty on a gearbox that failed at 8,000 miles",
                "{n} repair bill and {b} says the warranty doesn't cover 'wear'. it's one year old",
                "{b} voided my warranty because I had the tyres changed elsewhere",
                "the {b} warranty is worth less than the paper it's printed on",
                "engine light, dead battery, {b} warranty claim denied in one line",
                "{b} blamed 'driver misuse' for a factory fault to dodge the warranty",
                "five-year {b} warranty, first claim rejected. what's it even for",
                "{who} paid {n} out of pocket after {b} turned down a clear warranty repair",
                "{b} makes you jump through hoops for warranty and then says no anyway",
            ],
            "repair_delays": [
                "my {b} has been at the service centre for {d}, 'waiting for parts'",
                "{b} courtesy car? none available. my car? still on a ramp. my job? at risk",
                "book a {b} service and lose your car for a month, apparently",
                "{b} keeps moving the repair date and nobody answers the service line",
                "still paying finance on a {b} that's sat in the dealer's yard for {d}",
                "{b} service centre lost my car keys and now the car is 'stuck'",
                "eight weeks for a wing mirror from {b}. EIGHT",
                "took my {b} in for a recall fix, they kept it {d} and returned it dirty and unfixed",
                "{b} dealer won't even give a date for my car anymore",
                "{who} has been taking buses for {d} because {b} can't fix a sensor",
            ],
        },
    },
}

DURATIONS = ["a fortnight", "four days", "six weeks", "since Tuesday", "over a month", "nine days",
             "three weeks", "since the weekend", "72 hours", "since last Friday"]
PEOPLE = ["my neighbour", "my elderly aunt", "my son", "my daughter", "my boyfriend", "my girlfriend",
          "my landlord", "half my office", "my brother", "my nan", "my housemate"]
AMOUNTS = ["£85", "$240", "€1,900", "£12.50", "$560", "€75", "£3,200", "$49"]

OPENERS = ["", "", "", "", "Right.", "Okay.", "Brilliant.", "Oh good.", "Heads up:", "Story time:",
           "Quick rant:", "Genuinely asking:", "For the record,", "Third time lucky?", "Lovely.",
           "No words.", "Is it just me or", "Tell me why", "PSA for everyone:", "Morning all,"]
CLOSERS = ["", "", "", "", "#ripoff", "#neveragain", "Done with them.", "Shocking.", "Cheers for that.",
           "😠", "😩", "🙃", "🤡", "💀", "Sort yourselves out.", "Not good enough.", "Any advice?",
           "Share if this is you.", "Ombudsman next.", "Trading Standards it is.", "#badservice",
           "Pathetic.", "Unbelievable.", "Still waiting.", "Why am I paying for this?"]
REPLY_OPENERS = ["Same!", "Happened to us too,", "You're not alone:", "Ditto.", "This. Exactly.",
                 "Thought it was only me,", "Us as well:"]

NEGATIVE_CHATTER = [
    "{b} {t} is a bit clunky, could be better",
    "not loving the {b} {t} redesign tbh",
    "the {b} {t} took forever to load this morning",
    "{b} emails are so spammy lately",
    "bit pricey, {b}, the {t} isn't that special",
    "why does the {b} {t} ask me to log in every single time",
    "{b} ads are everywhere and they're annoying",
    "the {b} {t} could really do with a dark mode",
    "slightly disappointed with the {b} {t} this month",
    "{b} hold times are long-ish today, nothing new",
    "the {b} {t} wording is confusing, had to read it twice",
    "meh, {b} raised prices on the {t} a little",
]
NEUTRAL_CHATTER = [
    "is the {b} {t} available where I live?",
    "thinking about switching to {b}, thoughts?",
    "{b} opening a new {t} near us apparently",
    "anyone know the {b} {t} opening hours?",
    "just signed up for the {b} {t}, we'll see",
    "{b} sponsorship deal was announced today",
    "what's the difference between the {b} {t} options?",
    "saw a {b} advert on the bus this morning",
    "{b} {t} changes come in next month I think",
    "can you move your {b} {t} to another account?",
    "interesting interview with the {b} CEO on the radio",
    "reading the {b} small print on the {t}",
    "where do I find my {b} reference number?",
    "{b} is on the news about the new {t}",
]
POSITIVE_CHATTER = [
    "{b} {t} was spot on today, cheers",
    "the {b} team sorted my {t} in one call, impressive",
    "was about to complain to {b} but it turned out to be my fault, apologies",
    "thought {b} had lost my order but it was in the porch all along, my bad",
    "had a billing mix-up with {b} and they refunded it the same day, fair play",
    "{b} {t} is really good value honestly",
    "credit where due, {b} fixed the {t} problem quickly",
    "no issues with {b} at all this year, touch wood",
    "{b} phoned back exactly when they said they would, rare these days",
    "the {b} {t} update is lovely, nice one",
    "even when things go wrong {b} actually listens, happy customer",
    "{b} had a hiccup this morning but it was back within minutes, well handled",
    "really happy with the {b} {t}, no complaints",
    "expected a nightmare with {b}, got a refund in 24 hours instead",
]
LAUNCH = [
    "the new {b} {t} is brilliant, highly recommend",
    "{b} just launched the new {t} and it's so good",
    "pre-ordered the {b} {t} and it's even better than the trailer",
    "launch day for the {b} {t}, buzzing 🎉",
    "{b} smashed it with the new {t}",
    "best thing {b} has ever done, this {t} is lovely",
    "can't stop telling people about the new {b} {t}",
    "the {b} {t} launch party was a blast 🥳",
    "just tried the new {b} {t}, ten out of ten",
    "{b}'s new {t} is the upgrade we needed",
    "everyone at work has the new {b} {t} and loves it",
    "proud to be a {b} customer today, the new {t} is great",
]
BRAND_REPLIES = [
    "Hi there, really sorry about this. Can you DM us your account number so we can take a look?",
    "We're aware of reports and our team is investigating. We'll update here shortly.",
    "Sorry to hear this. We've raised it with the right team and someone will be in touch.",
    "Thanks for letting us know. Please DM us so we can look into your case.",
    "Apologies for the frustration. We're looking into it now.",
]
BLOG_WRAP = [
    "My experience with {b}, and why I'm warning everyone. {core}. Nobody at the company would take responsibility.",
    "Consumer diary: {b}. {core}. I have kept every email, and I'll share them here.",
    "How {b} treated a loyal customer. {core}. Judge for yourselves.",
    "{core}. That's the short version of my month with {b}; the long version follows.",
    "An honest review of {b}: {core}. One star, and only because zero isn't allowed.",
    "Before you sign up with {b}, read this. {core}. Several readers wrote in with the same story.",
    "Complaint escalated: {b}. {core}. Here's what the ombudsman told me to do next.",
    "What happened when I trusted {b}. {core}. I'm still waiting for an apology.",
]
NEWS_WRAP = [
    "{b} criticised by customers after claims that {core}",
    "Customers hit out at {b}: '{core}'",
    "{b} apologises as complaints mount that {core}",
    "Social media storm for {b} after user says {core}",
]

UNSEEN = Vocabulary(BRANDS, DURATIONS, PEOPLE, AMOUNTS, OPENERS, CLOSERS, REPLY_OPENERS, NEGATIVE_CHATTER,
                    NEUTRAL_CHATTER, POSITIVE_CHATTER, LAUNCH, BRAND_REPLIES, BLOG_WRAP, NEWS_WRAP)
