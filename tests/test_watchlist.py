import json

import pytest

from spillover.implied_watchlist import implied_watchlist
from spillover.replay import read_lines
from spillover.scenarios import SAMPLE_POSTS, SAMPLE_WATCHLIST
from spillover.watchlist import Watchlist


def test_resolves_names_and_aliases_case_insensitively(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("brands:\n- name: Northwind Air\n  aliases: [Northwind, '@NorthwindAir']\n"
                    "  playbook: {team: comms}\n- name: Fjord Mobile\n  aliases: [fjord]\n")
    w = Watchlist.load(path)
    assert w.resolve("so @northwindair lost my bag") == "Northwind Air"
    assert w.resolve("FJORD mobile is down, unlike northwind") == "Fjord Mobile"  # earliest mention wins
    assert w.resolve("northwindy weather") is None  # no match inside a longer word
    assert w.playbooks == {"Northwind Air": {"team": "comms"}}


def test_empty_watchlist_resolves_nothing():
    assert Watchlist.load(None).resolve("anything") is None


def test_the_longest_name_where_a_post_first_names_a_brand_wins():
    # Both watched: a post about Apple Music is not Apple's, whichever the operator listed first.
    w = Watchlist.from_dict({"brands": [{"name": "Apple", "aliases": ["@apple"]},
                                        {"name": "Apple Music", "aliases": ["@applemusic"]}]})
    assert w.resolve("Apple Music is down again") == "Apple Music"
    assert w.resolve("apple musical chairs") == "Apple"  # not inside a longer word
    assert w.resolve("@applemusic lost my playlists, @apple help") == "Apple Music"
    assert w.resolve("Apple support ignored me, Apple Music too") == "Apple"  # the earliest mention


def test_names_are_read_in_any_spacing_in_posts_fields_and_the_watchlist():
    w = Watchlist.from_dict({"brands": [{"name": "Northwind  Air ", "aliases": ["Fly  Northwind"]}]})
    assert [b.name for b in w.brands] == ["Northwind Air"]
    assert w.resolve("NORTHWIND   air lost my bag") == "Northwind Air"
    assert w.resolve("never fly\tnorthwind again") == "Northwind Air"
    assert w.named("northwind  air") == "Northwind Air"
    assert w.blank("Northwind  Air lost it, northwind air said sorry").split() == ["lost", "it,", "said", "sorry"]


def test_hundreds_of_brands_sharing_their_first_letters_each_get_their_own_posts():
    # One pattern for all of them: the brands share beginnings ("Nova", "Nova Air", "Nova
    # Airlines", "Nova Air 12"), and each post must still go to the brand it names, not a
    # neighbour's.
    names = [f"{stem}{tail}" for stem in ("Nova", "Novara", "Orbit") for tail in
             ["", " Air", " Airlines", *(f" Air {i}" for i in range(100))]]
    w = Watchlist.from_dict({"brands": [{"name": n, "aliases": ["@" + n.replace(" ", "").lower()]}
                                        for n in names]})
    for name in names:
        assert w.resolve(f"so {name.upper()} lost my bag") == name
        assert w.resolve(f"thanks @{name.replace(' ', '')}!") == name
    assert w.resolve("Novarax and orbital are not brands") is None
    assert w.resolve("Nova Air 100 is not watched, Nova Air is") == "Nova Air"


@pytest.mark.parametrize("text, told", [
    # Each letter an alias: "a" in any post would name the brand.
    ("brands:\n- name: Acme\n  aliases: acme\n", "brand 'Acme': aliases must be a list of names"),
    ("brands:\n- name: Acme\n  aliases: [acme, null]\n", "brand 'Acme': aliases must be a list of names"),
    ("brnads:\n- name: Acme\n", "expected a mapping with the key brands (a list of brands), not ['brnads']"),
    ("- name: Acme\n", "expected a mapping with the key brands"),
    ("brands: {name: Acme}\n", "brands must be a list of brands"),
    ("brands:\n- name: Acme\n  playbook: comms\n", "brand 'Acme': playbook must be a mapping"),
    ("brands:\n- aliases: [acme]\n", "every brand needs a name"),
    # A URL written alone would be polled letter by letter.
    ("brands:\n- name: Acme\n  rss: {feeds: 'https://acme.example/feed'}\n",
     "brand 'Acme': rss must map feeds or own_feeds to lists"),
    ("brands:\n- name: Acme\n  reddit: {subreddit: [acme]}\n", "brand 'Acme': reddit must map subreddits or queries"),
    ("brands:\n- name: Acme\n  twitter: '@acme'\n", "brand 'Acme': twitter must map queries to lists"),
    ("brands:\n- name: Acme\n  handles: AcmeCo\n", "brand 'Acme': handles must map some of facebook, twitter"),
])
def test_a_watchlist_that_would_watch_the_wrong_posts_is_refused_by_name(text, told, tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        Watchlist.load(path)
    assert str(error.value).startswith(f"{path}: ") and told in str(error.value)


def test_an_empty_watchlist_file_watches_no_brand(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text("# nothing yet\n")
    assert Watchlist.load(path).brands == ()


def test_every_target_list_the_watchlist_takes_is_one_a_connector_polls():
    from spillover.agents.registry import watchlist_targets
    from spillover.watchlist import CONNECTOR_TARGETS

    for connector, lists in CONNECTOR_TARGETS.items():
        for key in lists:
            w = Watchlist.from_dict({"brands": [{"name": "Acme", connector: {key: ["acme-1", 42]}}]})
            assert [t.value for t in watchlist_targets(connector, w)] == ["acme-1", "42"], (connector, key)


def test_what_may_be_a_typo_but_watches_as_meant_is_a_warning(tmp_path, caplog):
    # An operator's own notes must not stop the worker; a misspelt key must not pass unseen.
    path = tmp_path / "w.yaml"
    path.write_text("owner: comms\nbrands:\n- name: Acme\n  alias: [acme co]\n  notes: big client\n"
                    "- name: ACME\n  aliases: [acme]\n")
    w = Watchlist.load(path)
    assert [b.name for b in w.brands] == ["Acme", "ACME"]
    assert w.resolve("acme lost my parcel") == "Acme"  # the first entry
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert f"{path}: unknown key 'owner', left alone (a watchlist has brands)" in warned
    assert any(m.startswith(f"{path}: brand 'Acme': unknown key 'alias', left alone") for m in warned)
    assert any(m.startswith(f"{path}: brand 'Acme': unknown key 'notes', left alone") for m in warned)
    assert f"{path}: brand 'ACME' is listed twice; a post naming it counts for the first entry" in warned


def _lines(*posts: tuple[str | None, str]) -> list[bytes]:
    """POSTS.jsonl lines of (brand or None, text)."""
    return [json.dumps({"id": f"twitter:{i}", "platform": "twitter", "text": text, "created_at": "2026-03-02T10:00:00Z",
                        **({"brand": brand} if brand else {})}).encode() for i, (brand, text) in enumerate(posts)]


def test_a_file_without_a_watchlist_implies_one_of_the_brands_it_names_as_people_write_them():
    lines = _lines(*[("Northwind Air", t) for t in (
        "Northwind lost my bag", "Northwind Air cancelled again", "northwind delayed", "asked @NorthwindHQ twice",
        "Northwind is fine", "@NorthwindHQ no answer", "@northwindhq still nothing")],
                   *[("Kettle & Crumb", "Kettle & Crumb sold me stale bread")] * 2, ("Parcelo", "Parcelo lost it"),
                   ("northwind  AIR", "one brand however its field is spelt"))
    implied = implied_watchlist(lines)
    assert [b.name for b in implied.brands] == ["Kettle & Crumb", "Northwind Air", "Parcelo"]
    told = {
        "Northwind lost my bag again": "Northwind Air",        # its first word, written as a name
        "so @NorthwindAir lost my bag": "Northwind Air",        # the name run together, as a handle
        "#northwindair worst airline": "Northwind Air",
        "@NorthwindHQ where is my bag": "Northwind Air",        # a handle its own posts use
        "never again, Kettle and Crumb": "Kettle & Crumb",      # "&" read as "and"
        "#KettleCrumb stale bread": "Kettle & Crumb",
        "@Parcelo my parcel is gone": "Parcelo",                # a one-word name as a handle
        "the weather is nice": None,
    }
    assert {text: implied.resolve(text) for text in told} == told
    assert Watchlist.from_dict(implied.to_dict()) == implied


def test_an_implied_watchlist_leaves_out_words_that_may_name_something_else():
    lines = _lines(
        # "kettle" written as an ordinary word in the brand's own posts: not its name.
        *[("Kettle & Crumb", "my kettle broke, so I went to Kettle & Crumb")] * 2,
        *[("Kettle & Crumb", "the kettle at Kettle & Crumb is broken")] * 3,
        # "Helio" begins two brands' names; "@HelioSupport" is used by both.
        *[("Helio Bank", "Helio froze my card, @HelioSupport")] * 3,
        *[("Helio Air", "Helio lost my bag @HelioSupport")] * 3,
        # "Sky" is too short a word to be taken for a name, however it is written.
        *[("Sky Mobile", "Sky cut my signal")] * 5,
        # Used twice only: not enough to go by.
        *[("Fjord Mobile", "Fjord billed me twice")] * 2)
    implied = implied_watchlist(lines)
    for text in ("my kettle is broken", "Helio froze my card", "@HelioSupport please", "Sky is blue today",
                 "Fjord billed me"):
        assert implied.resolve(text) is None, text
    assert implied.resolve("Helio Air lost my bag") == "Helio Air"
    assert implied.resolve("#SkyMobile down") == "Sky Mobile"


def test_the_demo_sample_implies_the_watchlist_written_for_it():
    # The sample's posts without `brand` (one in ten), attributed by the brands the file names,
    # go to the brands its own watchlist gives them; the same five name none (three misspell the
    # brand, two have no good timestamp either).
    lines = list(read_lines(str(SAMPLE_POSTS)))
    implied, written = implied_watchlist(lines), Watchlist.load(SAMPLE_WATCHLIST)
    posts = [p for p in (json.loads(line) for line in lines if line.startswith(b"{"))
             if isinstance(p.get("text"), str) and not p.get("brand")]
    told = {p["id"]: written.resolve(p["text"]) for p in posts}
    assert len(posts) > 250 and {p["id"]: implied.resolve(p["text"]) for p in posts} == told
    assert sum(brand is None for brand in told.values()) == 5
