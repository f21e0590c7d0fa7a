"""The roster file (edge_app.identity.roster): what a coach writes, and one line for every mistake."""

from __future__ import annotations

import pytest

from edge_app.errors import AxolotlError
from edge_app.identity import Roster, read_roster

GOOD = """
[teams]
red = "red"
bibs = "#F0D020"

[[players]]
name = "Sam"
team = "red"
number = 7
[[players]]
team = "bibs"
[[players]]
name = "Kim"
colour = "green"
"""


def test_a_roster_file_reads_and_round_trips_through_rows(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text(GOOD)
    r = read_roster(path)
    assert len(r) == 3 and r.teams == {"red": "#c81e1e", "bibs": "#f0d020"}
    assert r.players[0].name == "Sam" and r.players[0].number == 7 and r.players[1].name is None
    assert r.kits() == {
        "team:red": ("#c81e1e", 1, None),
        "team:bibs": ("#f0d020", 1, None),
        "player:2": ("#1ea032", 1, "Kim"),
    }
    assert r.unkitted() == 0
    assert Roster.from_rows(r.rows()) == r
    names = tmp_path / "n.toml"
    names.write_text('players = ["Sam", "Alex"]\n')
    assert [p.name for p in read_roster(names).players] == ["Sam", "Alex"] and read_roster(names).unkitted() == 2


@pytest.mark.parametrize(
    "text, words",
    [
        ("players = [", ["not valid TOML", "line"]),
        ("[teams]\nred = 'red'\n", ["lists no players", "[[players]]"]),
        ("players = ['Sam', 'sam']", ["twice"]),
        ("[[players]]\nname = 'Sam'\nteam = 'blue'", ["team 'blue'", "[teams]"]),
        ("[[players]]\nname = 'Sam'\ncolour = 'mauve'", ["colour 'mauve'", "#rrggbb"]),
        ("[[players]]\nname = 'Sam'\nnumber = 'seven'", ["number", "whole number"]),
        ("[[players]]\nnom = 'Sam'", ["unknown key 'nom'", "name, team, colour, number"]),
        ("squad = 3", ["unknown key 'squad'"]),
    ],
)
def test_a_bad_roster_file_is_one_line_that_says_the_fix(tmp_path, text, words):
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(AxolotlError) as e:
        read_roster(path)
    msg = str(e.value)
    assert "\n" not in msg and msg.strip() == msg
    for w in words:
        assert w.lower() in msg.lower(), msg
    with pytest.raises(AxolotlError, match="roster file not found"):
        read_roster(tmp_path / "missing.toml")
