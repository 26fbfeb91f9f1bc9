"""The watchlist a file of posts implies: the brands its `brand` fields name.

`replay` and `demo --input` are often run on a file nobody wrote a watchlist for (a backtest,
someone else's scenario). Its posts that carry `brand` are attributed by it; those that do not
would all be dead-lettered as naming no watched brand, though most name one the file's other
posts carry. So without a watchlist these commands watch the brands the file names, under the
forms people write them in:

- the name itself, with "&" read as "and" and the other way round ("Kettle & Crumb");
- the name run together, alone and as a handle or hashtag ("NorthwindAir", "@NorthwindAir",
  "#NorthwindAir"): it names nothing else;
- a handle or hashtag holding the name's first word that the brand's posts use, and hardly
  any other brand's ("@NorthwindHQ");
- the name's first word ("Northwind"), only where the file shows it is a name: written with
  a capital in most of the branded posts that use it outside the full name, and hardly by any
  other brand's. A first word that is an ordinary word ("my kettle broke") or shared ("Helio
  Bank", "Helio Air") would take in posts about something else.

The whole file is read first, so every post is attributed the same way wherever it stands in
the file, and the stream (given the same brands) and `replay` agree.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

from .records import RawPost, ValidationError
from .watchlist import Brand, Watchlist, spelt

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
HANDLE = re.compile(r"(?<![\w@#])[@#][^\W_]\w*")
# A stem (the first word of a name) with fewer letters is too often a word of its own ("Go",
# "Sky", "Air").
MIN_STEM = 4
# Branded posts that must use a first word, handle or hashtag before it is trusted as the
# brand's, and the share of those uses in the brand's own posts: another brand's post may name
# it in passing ("switched from Northwind to Orbit"); two brands sharing it split it about evenly.
MIN_USES = 3
SOLE = 0.9
# The share of a first word's uses that must start with a capital: a name keeps it in most
# posts however casually they are written (a fifth of the demo's are all lower case), an
# ordinary word only where it starts a sentence.
CAPITALISED = 0.5


def implied_watchlist(lines: Iterable[bytes]) -> Watchlist:
    """The brands named by the `brand` field of the posts in `lines`, with their aliases."""
    posts = [(name, post.text) for post in map(_post, lines) if post is not None and (name := spelt(post.brand or ""))]
    names: dict[str, str] = {}  # casefolded -> as first written
    for name, _ in posts:
        names.setdefault(name.casefold(), name)
    forms = {key: _aliases(name) for key, name in names.items()}
    uses, written = _uses(posts, names, forms)
    brands = []
    for key, name in sorted(names.items()):
        aliases = forms[key] + _learned(key, name, uses, written)
        unique = {a.casefold(): a for a in reversed(aliases) if a.casefold() != key}
        brands.append(Brand(name, tuple(sorted(unique.values(), key=aliases.index))))
    return Watchlist(tuple(brands))


def _uses(posts: list[tuple[str, str]], names: dict[str, str],
          forms: dict[str, tuple[str, ...]]) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """For each first word of a name, and each handle or hashtag holding one: how many posts of
    each brand use it, and how it is written (casefolded word -> brand or form -> count).
    `forms`: each name's spellings (`_aliases`), by its casefolded name."""
    stems = {stem.casefold() for name in names.values() if (stem := _stem(name))}
    # A first word counts where it stands alone: inside the full name it says nothing of whether
    # people use it as a name.
    full_names = Watchlist(tuple(Brand(name, forms[key]) for key, name in names.items()))
    uses: dict[str, Counter] = defaultdict(Counter)
    written: dict[str, Counter] = defaultdict(Counter)
    for brand, text in posts:
        said = [w for w in WORD.findall(full_names.blank(text)) if w.casefold() in stems]
        said += [h for h in HANDLE.findall(text) if any(s in h.casefold() for s in stems)]
        for word in {w.casefold() for w in said}:
            uses[word][brand.casefold()] += 1
        for word in said:
            written[word.casefold()][word] += 1
    return uses, written


def _post(line: bytes) -> RawPost | None:
    try:
        return RawPost.from_bytes(line)
    except ValidationError:
        return None


def _stem(name: str) -> str | None:
    """The word a name may go by alone: its first, or the whole of a one-word name."""
    words = WORD.findall(name)
    return words[0] if words and len(words[0]) >= MIN_STEM else None


def _learned(brand: str, name: str, uses: dict[str, Counter], written: dict[str, Counter]) -> tuple[str, ...]:
    """The first word, handles and hashtags that the brand's posts, and hardly any other's, use
    (each as it is written most often)."""
    stem = _stem(name)
    if not stem:
        return ()
    out = []
    for said, by_brand in sorted(uses.items()):
        total = sum(by_brand.values())
        if total < MIN_USES or by_brand[brand] < SOLE * total or stem.casefold() not in said:
            continue
        capitals = sum(n for form, n in written[said].items() if form[0].isupper())
        if said[0] in "@#" or (said == stem.casefold() and capitals >= CAPITALISED * sum(written[said].values())):
            out.append(written[said].most_common(1)[0][0])
    return tuple(out)


def _aliases(name: str) -> tuple[str, ...]:
    spellings = {name, re.sub(r"\s*&\s*", " and ", name), re.sub(r"\s+and\s+", " & ", name, flags=re.IGNORECASE)}
    out: list[str] = [s for s in sorted(spellings) if s != name]
    for spelling in sorted(spellings):
        joined = re.sub(r"[\W_]+", "", spelling)
        if len(joined) < MIN_STEM:
            continue  # "@AT" or "#GO" would be taken for too much
        # Handles and hashtags always: a name is not matched after "@" or "#" on its own.
        out += ([joined] if joined != spelling else []) + [f"@{joined}", f"#{joined}"]
    return tuple(out)
