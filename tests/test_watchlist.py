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
