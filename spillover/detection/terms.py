"""Words that say what a grievance is about, taken from the posts themselves."""
from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_][\w'’-]{2,}", re.UNICODE)
_LINKS = re.compile(r"https?://\S+|[@#]\w+")
_STOP = frozenset(
    """the and for you your with this that are was were have has had not but all any can cant
    can't don't dont just from they them their what when where who why how out our ours its it's
    about into over than then there here been being will would should could did does doing get got
    getting very really still even more most much many some such only also too again now ever never
    one two three four five today yesterday tomorrow week day days time times hour hours minutes
    she her him his hers he we us i'm im i've ive i'd id i'll ill you're youre it’s don’t can’t
    amp http https www com rt via yet may might must let lets let's off per ago every each
    same other another because while after before since until upon who's whats what's""".split()
)


def post_terms(text: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Distinct content words of a post, lower case; URLs, mentions and stop words dropped."""
    text = _LINKS.sub(" ", text.lower())
    seen: dict[str, None] = {}
    for word in _WORD.findall(text):
        word = word.strip("'’-")
        if len(word) > 2 and word not in _STOP and word not in exclude:
            seen.setdefault(word, None)
    return list(seen)


def merge_terms(into: dict[str, int], terms: dict[str, int] | list[str], cap: int) -> None:
    """Add term counts, keeping only the `cap` most frequent (ties by word, so deterministic)."""
    if isinstance(terms, dict):
        for term, count in terms.items():
            into[term] = into.get(term, 0) + count
    else:  # a post's words, once each: the common case, so no pairs are built for it
        for term in terms:
            into[term] = into.get(term, 0) + 1
    excess = len(into) - cap
    if excess <= 0:
        return
    # Usually a complaint's few new words push out as many words said once: drop those
    # without sorting all the rest, as this runs for every complaint of a busy grievance.
    least = min(into.values())
    tied = [t for t, n in into.items() if n == least]
    if len(tied) >= excess:
        for term in sorted(tied)[len(tied) - excess:]:
            del into[term]
        return
    keep = sorted(into.items(), key=lambda kv: (-kv[1], kv[0]))[:cap]
    into.clear()
    into.update(keep)


def top_terms(counts: dict[str, int], n: int = 6) -> list[str]:
    return [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]
