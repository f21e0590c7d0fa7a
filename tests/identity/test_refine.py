"""The refinement (edge_app.identity.refine) on hand-made fragments: each moment's tracks go one to one
to the session's people by colour (torso / 0.35, the legs past 0.15 / 0.35); `NOBODY` (2.0) past that."""

from __future__ import annotations

import dataclasses

from edge_app.identity import roster_from_dict
from edge_app.identity.refine import NOBODY, busiest, refine
from tests.identity.helpers import BLACK, BLUE, RED, frag, people, sam_gone_ten_minutes, shirt

DARK, WHITE = shirt("navy", 1), shirt("white", 2)


def legs(f, colours):
    return dataclasses.replace(f, legs=colours)


def test_the_busiest_moment_counts_the_long_tracks_seen_at_once():
    frags = [frag(1, 0, 60, (0, 0), (1, 0)), frag(2, 30, 90, (5, 0), (6, 0)), frag(3, 70, 200, (9, 0), (9, 1))]
    assert busiest(frags) == 2  # 1 & 2 at 30-60 s, 2 & 3 at 70-90 s, never three
    assert busiest(frags + [frag(4, 40, 45, (3, 3), (3, 3))]) == 2  # a 5 s track does not count
    assert busiest(frags + [frag(4, 40, 55, (3, 3), (3, 3))]) == 3


def test_without_a_roster_a_player_gone_ten_minutes_is_back_as_themselves():
    # test_assign's Sam: 1 (0-60 s) and, in shade, 5 (660-900 s); 2, 3, 4 (red) and the referee 6 (black)
    # throughout. The clustering keeps them apart (six rows: 1 -> 5 costs 1.01 in colour and motion); at
    # most five are seen at once, so five people: the five most seen are 2, 3, 4, 6
    # (900 s) and 5 (240 s), and 1, seen with 2, 3, 4 and 6, goes to the one person free then, 5's
    # (colour 1.0 < NOBODY).
    frags = sam_gone_ten_minutes()
    assert busiest(frags) == 5
    assert people(frags, refined=False) == [[1], [2], [3], [4], [5], [6]]
    assert people(frags) == [[1, 5], [2], [3], [4], [6]]
    # The coach's track is pinned: named alone, it stays alone.
    assert people(frags, owners={1: 1}) == [[1], [2], [3], [4], [5], [6]]


def test_a_track_goes_back_to_the_person_whose_colours_it_wears():
    # Two red bibs, A in dark shorts, B in white. The clustering (by hand here) erred in the middle of the
    # session: 3 (A's shorts) went to B, 4 (B's) to A. Each person's colours are mostly right (their long
    # tracks), and 3 and 4, seen together, go one to one: each back to their own.
    a = [legs(frag(1, 0, 300, (10, 10), (20, 10)), DARK), legs(frag(5, 500, 900, (10, 10), (20, 10)), DARK)]
    b = [legs(frag(2, 0, 300, (10, 16), (20, 16)), WHITE), legs(frag(6, 500, 900, (10, 16), (20, 16)), WHITE)]
    mid = [legs(frag(3, 400, 450, (15, 10), (16, 10)), DARK), legs(frag(4, 400, 450, (15, 16), (16, 16)), WHITE)]
    frags = [*a, *b, *mid]
    wrong = [[1, 4, 5], [2, 3, 6]]
    assert sorted(map(sorted, refine(frags, wrong, count=2))) == [[1, 3, 5], [2, 4, 6]]
    # Without the legs the bibs say nothing, and the clustering's start keeps its answer; but 3 starts
    # where A was (y = 10) and 4 where B was: the start from the busiest moment (1 and 2, then colour
    # ties) has the cheaper hand-overs, and the total (colour + `MOTION_S` x motion) takes it.
    plain = [dataclasses.replace(f, legs=None) for f in frags]
    assert sorted(map(sorted, refine(plain, wrong, count=2, starts=1))) == [[1, 4, 5], [2, 3, 6]]
    assert sorted(map(sorted, refine(plain, wrong, count=2))) == [[1, 3, 5], [2, 4, 6]]
    # The coach's pins hold whatever the colours say, and a split of theirs is kept.
    assert sorted(map(sorted, refine(frags, wrong, count=2, pinned={3, 4}))) == [[1, 4, 5], [2, 3, 6]]
    assert sorted(map(sorted, refine(frags, wrong, count=2, cannot_link=[(1, 3)]))) == [[1, 5], [2, 4, 6], [3]]


def test_another_kit_is_given_to_no_one(monkeypatch):
    # Two red players seen together, then a referee in black alone: colour 1.0 / 0.35 = 2.9 > NOBODY,
    # so the referee stays their own row, though only two people are expected.
    frags = [frag(1, 0, 100, (0, 0), (1, 0)), frag(2, 0, 100, (5, 0), (6, 0)), frag(3, 200, 250, (9, 0), (9, 1), BLACK)]
    assert 1.0 / 0.35 > NOBODY
    assert sorted(map(sorted, refine(frags, [[1], [2], [3]], count=2))) == [[1], [2], [3]]
    # A red newcomer alone is one of the two (colour ~0): the one whose colours are nearer.
    new = frag(4, 200, 250, (9, 0), (9, 1), RED)
    assert len(refine([*frags[:2], new], [[1], [2], [4]], count=2)) == 2
    # With a roster's kits a track in one kit never goes to a person in another, however cheap its
    # colours: a blue bib alone after two red ones, and no cost bound left to stop it.
    blue = [*frags[:2], frag(3, 200, 250, (9, 0), (9, 1), BLUE)]
    roster = roster_from_dict({"teams": {"red": "red", "blue": "blue"}, "players": [{"team": "red"}, {"team": "blue"}]})
    monkeypatch.setattr("edge_app.identity.refine.NOBODY", 10.0)
    assert len(refine(blue, [[1], [2], [3]], count=2)) == 2  # no gate: the blue bib joins a red person
    assert sorted(map(sorted, refine(blue, [[1], [2], [3]], count=2, roster=roster))) == [[1], [2], [3]]
