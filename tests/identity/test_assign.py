"""The whole-session assignment (edge_app.identity.assign) on hand-made fragments: metres, 1 Hz is enough.

Costs by hand: appearance = Bhattacharyya / 0.35; motion = the worst hand-over's heading miss (each end
carried half the gap along its velocity, at most 2 s) / the reach (2 m/s x gap + 1.5 m, at most 30 m),
capped at 1; a merge without a roster only under 0.9."""

from __future__ import annotations

import numpy as np
import pytest

from edge_app.identity import histogram_distance, roster_from_dict, roster_roles
from edge_app.identity.stitch import stitch
from tests.identity.helpers import BLACK, RED, SHADE, frag, people, sam_gone_ten_minutes, shirt


def players(groups, names=None):
    """Rows like `store.players`: the group holding a named track bears the name."""
    names = names or {}
    return [
        {"player": f"player-{k}", "track_ids": g, "name": next((names[t] for t in g if t in names), None)}
        for k, g in enumerate(groups, start=1)
    ]


ROSTER4 = roster_from_dict(
    {"teams": {"red": "red"}, "players": [{"name": n, "team": "red"} for n in ("Sam", "Alex", "Kim", "Jo")]}
)


def test_a_player_gone_ten_minutes_comes_back_under_their_name():
    # Sam (named by the coach on track 1) is seen 0-60 s, leaves, and is back 660-900 s (track 5) in
    # shade: his shirt reads 0.35 from its sunlit self. Alex, Kim, Jo (2-4) are seen throughout, the
    # referee (6, black) too. 5 can only be Sam: 2, 3, 4 and 6 are seen with it.
    assert histogram_distance(RED, SHADE) == pytest.approx(0.35, abs=0.02)
    frags = sam_gone_ten_minutes()
    # 1 -> 5: 0.35 / 0.35 = 1.0 in colour, 14.1 m / (2 x 600 s + 1.5) = 0.01 in motion: 1.01 > 0.9, so
    # without a roster Sam comes back as a sixth person (the conservative estimate) ...
    alone = people(frags, owners={1: 1})
    assert [5] in alone and [1] in alone and len(alone) == 6
    # ... with a roster of 4 in red, the red clusters (1-5) are one too many: the only merge left
    # (1.01 <= 2.5) is 1 + 5. The referee matches no kit: other.
    groups = people(frags, owners={1: 1}, roster=ROSTER4)
    assert groups == [[1, 5], [2], [3], [4], [6]]
    roles = dict(zip(map(tuple, groups), roster_roles(players(groups, {1: "Sam"}), frags, ROSTER4)))
    assert roles[(1, 5)] == ("player", "Sam")  # the name given to one fragment, on the whole cluster
    assert sorted(roles[(t,)] for t in (2, 3, 4)) == [("player", f"Player {k}") for k in (1, 2, 3)]
    assert roles[(6,)] == ("other", "player-5")


def test_the_coachs_role_wins_over_the_rosters_count():
    # Five in red for a roster of four: the least seen red (5) is "other" by count. The coach says 2 is not a
    # player: 5 takes the free place, 2 is other under the coach's name for it; the referee (6, black)
    # made a player by the coach is one, past every kit's count.
    frags = [frag(t, 0, 900 - 100 * t, (10 * t, 0), (10 * t, 5)) for t in range(1, 6)]
    frags.append(frag(6, 0, 900, (0, 30), (5, 30), hist=BLACK))
    rows = players([[t] for t in range(1, 7)], {2: "Dad"})
    plain = roster_roles(rows, frags, ROSTER4)
    assert [r for r, _ in plain] == ["player"] * 4 + ["other"] * 2
    rows[1]["role"], rows[5]["role"] = "other", "player"
    roles = roster_roles(rows, frags, ROSTER4)
    assert roles == [
        ("player", "Player 1"),
        ("other", "Dad"),
        ("player", "Player 2"),
        ("player", "Player 3"),
        ("player", "Player 4"),
        ("player", "Player 5"),
    ]
    # without a roster everyone is a player but whom the coach said is not
    assert [r for r, _ in roster_roles(rows, frags, None)] == ["player", "other"] + ["player"] * 4


# Two teammates in one kit cross along a line at 1 m/s; the crossing hides them for 3 s. A: track 1
# (0 -> 9 m, t 0-9 s), then 3 (12 -> 20 m, t 12-20 s); B: 2 (20 -> 11 m, y = 1), then 4 (8 -> 0 m).
CROSS = [
    frag(1, 0, 9, (0, 0), (9, 0), v0=(1, 0)),
    frag(2, 0, 9, (20, 1), (11, 1), v0=(-1, 0)),
    frag(3, 12, 20, (12, 0), (20, 0), v0=(1, 0)),
    frag(4, 12, 20, (8, 1), (0, 1), v0=(-1, 0)),
]


def _still(frags):
    return [frag(f.track_id, f.first_t, f.last_t, f.first_point, f.last_point, f.hist) for f in frags]


def test_crossing_teammates_are_not_swapped():
    # Stitching (gap 3 s, half of it 1.5 s along each heading): 1 -> 3 meet at (10.5, 0): miss 0, cost
    # 0 + 0 + 0.5 x 3 / 15 = 0.1; 1 -> 4: (10.5, 0) against 4 carried back to (9.5, 1): 1.41 m / 7.5 =
    # 0.19 + 0.1 = 0.29; so 1-3 + 2-4 (0.2) beats the swap (0.58).
    assert people(CROSS) == [[1, 3], [2, 4]]
    # Without the headings the nearest starts win: 1 -> 4 is 1.41 m (0.29), 1 -> 3 is 3 m (0.5): swapped.
    assert people(_still(CROSS)) == [[1, 4], [2, 3]]


def test_crossing_teammates_out_of_view_for_20_s_are_not_swapped():
    # Past the stitching's 15 s: A is back at t = 29 s at 13 m heading on, B at 7 m heading back.
    # Headings carried 2 s (the cap): 1 & 3 meet at (11, 0): 0; 1 & 4: (11, 0) against (9, 1):
    # 2.24 m / 41.5 = 0.05, both under 0.9: the cheapest (the right one) goes first, then 1+3 and
    # 2+4 overlap. Standing still, 1 -> 4 (2.24 m) beats 1 -> 3 (4 m): swapped.
    late = [
        CROSS[0],
        CROSS[1],
        frag(3, 29, 40, (13, 0), (24, 0), v0=(1, 0)),
        frag(4, 29, 40, (7, 1), (0, 1), v0=(-1, 0)),
    ]
    assert people(late) == [[1, 3], [2, 4]]
    assert people(_still(late)) == [[1, 4], [2, 3]]


def test_a_coachs_merge_brings_the_whole_chain_and_a_split_stays():
    # X (track 1) 0-100 s at (5, 5), in shade (0.35 from red); B (2, red) 200-300 s at (50, 30),
    # stitched to C (3, red, 302-400 s, 2 m on); D (4, red) 600-700 s near C's end. 1 -> 2 costs
    # 1.0 (colour) + 51 m / 201.5 = 0.25: 1.25 > 0.9, so 1 stays alone; 2-3-4 is one person (2-3 by
    # the stitching, then 3 -> 4: 0.05 + 3 m / 401.5).
    frags = [
        frag(1, 0, 100, (5, 5), (5, 5), hist=SHADE),
        frag(2, 200, 300, (50, 30), (60, 30)),
        frag(3, 302, 400, (62, 30), (70, 30)),
        frag(4, 600, 700, (70, 33), (60, 30)),
    ]
    assert people(frags) == [[1], [2, 3, 4]]
    # The coach merges 1 with 2 (one player, id 7): 2's chain (3), and 4 which joins it, go with them
    # (the cluster's colour, a third in shade, is ~0.2 from 4's: 0.6 + 0.01).
    assert people(frags, owners={1: 7, 2: 7}) == [[1, 2, 3, 4]]
    # A split between 3 and 4 is a cannot-link: 4 stays out, whatever joins 3.
    assert people(frags, owners={1: 7, 2: 7}, cannot_link=[(3, 4)]) == [[1, 2, 3], [4]]
    # Two players of the coach's are never merged, however cheap: 4 placed apart from 2.
    assert people(frags, owners={2: 7, 4: 8}) == [[1], [2, 3], [4]]


def test_without_a_roster_the_number_of_people_is_estimated():
    # 6 people (3 in red, 3 in blue: teammates look the same), 20 fragments: each person near a home
    # spot (red at y = 10, blue at y = 40; x = 10, 25, 40), seen for 70 s, unseen for 20 s (past the
    # stitching's 15 s), and so on; person p starts at 2p s, so teammates are seen together and a
    # teammate's next fragment starts at least 16 s after (the stitching links no one).
    frags, truth, tid = [], [], 0
    rng = np.random.default_rng(3)
    for p in range(6):
        home = np.array([10.0 + 15 * (p % 3), 10.0 if p < 3 else 40.0])
        ids = []
        for k in range(4 if p < 2 else 3):  # 2 x 4 + 4 x 3 = 20
            t0 = 2 * p + 90 * k
            a, b = home + rng.uniform(-2, 2, 2), home + rng.uniform(-2, 2, 2)
            tid += 1
            frags.append(frag(tid, t0, t0 + 70, a, b, hist=shirt("red" if p < 3 else "blue", seed=tid)))
            ids.append(tid)
        truth.append(ids)
    assert len(frags) == 20 and len(stitch(frags, metres=True)) == 20
    # A person's own next fragment: <= 0.05 / 0.35 (colour) + 5.7 m / 30 m (the reach, capped) = 0.33;
    # a teammate's >= 0.14 + 11 m / 30 m = 0.51, and by the time it is the cheapest the clusters are
    # seen together; the other kit ~2.9. Six people, each whole.
    assert people(frags) == sorted(truth)
    # Colour alone (no motion) cannot tell teammates apart: it merges across them.
    assert people(frags, weights=(1.0, 0.0)) != sorted(truth)


def test_motion_cost_takes_every_hand_over_of_interleaved_clusters():
    # A: 1 (0-10 s, ends at (0, 0)), 3 (30-40 s, (3, 11) -> (0, 0)); B: 2 (12-20 s at (3, 0)), 4 (50-60 s
    # from (10, 0)). Standing still, hand-overs in time order: 1 -> 2, gap 2 s: 3 m / (2 x 2 + 1.5) = 0.545;
    # 2 -> 3, gap 10 s: 11 m / 21.5 = 0.512; 3 -> 4, gap 10 s: 10 m / 21.5 = 0.465. The worst: 0.545.
    from edge_app.identity.assign import _Frags, motion_cost

    a = [frag(1, 0, 10, (0, 0), (0, 0)), frag(3, 30, 40, (3, 11), (0, 0))]
    b = [frag(2, 12, 20, (3, 0), (3, 0)), frag(4, 50, 60, (10, 0), (10, 0))]
    assert motion_cost(a, b, metres=True) == pytest.approx(3 / 5.5, abs=1e-9)
    # 4 starting 72 m away 10 s after 3 ends: past 7 m/s x 10 s + 1.5 m: never one person.
    far = [b[0], frag(4, 50, 60, (72, 0), (72, 0))]
    assert motion_cost(a, far, metres=True) == np.inf
    # One row against two clusters at once gives each its own worst: C (5, 22-28 s at (3, 5.5)) sits
    # between 2 and 3: A -> C: 1 -> 5 (gap 12 s: 6.26 m / 25.5 = 0.245), 5 -> 3 (gap 2 s: 5.5 / 5.5 = 1).
    c = [frag(5, 22, 28, (3, 5.5), (3, 5.5))]
    fr = _Frags([*a, *b, *c])
    row = fr.motion_row(np.array([0, 1]), np.array([0, 0, 1, 1, 2]), np.array([False, True, True]), metres=True)
    assert row[1] == pytest.approx(3 / 5.5) and row[2] == pytest.approx(1.0) and row[0] == 0.0


def test_one_row_for_many_clusters_equals_each_pair_alone():
    # On a 20-minute synthetic session: a cluster's row against 11 others at once (their fragments
    # interleaved in time) against `motion_cost` of each pair on its own.
    from edge_app.identity.assign import _Frags, motion_cost
    from tests.identity.helpers import session

    s = session(people=8, minutes=20, seed=1)
    chains = stitch(s.frags, metres=True)
    by_id = {f.track_id: f for f in s.frags}
    cl = [[by_id[t] for t in c] for c in chains[:12]]
    assert sum(map(len, cl)) > 12  # some chains of several fragments

    flat = [f for c in cl for f in c]
    label = np.repeat(np.arange(len(cl)), [len(c) for c in cl])
    fr = _Frags(flat)
    for i in range(len(cl)):
        mine = np.flatnonzero(label == i)
        mine = mine[np.argsort(fr.t0[mine], kind="stable")]
        cand = np.ones(len(cl), bool)
        cand[i] = False
        row = fr.motion_row(mine, label, cand, metres=True)
        for j in np.flatnonzero(cand):
            assert row[j] == pytest.approx(motion_cost(cl[i], cl[j], metres=True)), (i, j)


def test_a_weak_stitched_link_is_cut_and_left_to_the_clustering():
    from edge_app.identity.assign import _Frags, _strong

    # 1 -> 3 as a pair: colour 0 + motion 0 (the headings meet at (10.5, 0)); with 3 in shade the
    # colour alone is 0.35 / 0.35 = 1.0: cut under a limit of 0.9, kept at 1.1.
    shade = [CROSS[0], frag(3, 12, 20, (12, 0), (20, 0), hist=SHADE, v0=(1, 0))]
    fr = _Frags(shade)
    assert _strong(shade, fr, [[1, 3]], 0.9, metres=True) == [[1], [3]]
    assert _strong(shade, fr, [[1, 3]], 1.1, metres=True) == [[1, 3]]
    # Every link cut: the clustering's own headings still keep the crossing teammates apart.
    assert people(CROSS, strong_link=-1.0) == [[1, 3], [2, 4]]


def test_teammates_in_one_kit_are_told_apart_by_their_legs():
    # Two red bibs (the same torso colour) leave together and come back 3 minutes later, each where
    # the other left: motion takes the nearer start (the other player's), the bibs say nothing. Dark
    # shorts and white shorts do: each comes back as themselves; without the legs (a session stored
    # before them, or the cue off) they are swapped.
    import dataclasses

    dark, white = shirt("navy", 1), shirt("white", 2)
    a1 = frag(1, 0, 60, (10, 10), (20, 10))
    b1 = frag(2, 0, 60, (10, 16), (20, 16))
    a2 = frag(3, 240, 300, (20, 16), (10, 16))  # A back where B left
    b2 = frag(4, 240, 300, (20, 10), (10, 10))
    for f, g in ((a1, dark), (a2, dark), (b1, white), (b2, white)):
        f.legs = g
    roster2 = roster_from_dict({"teams": {"red": "red"}, "players": [{"name": n, "team": "red"} for n in ("A", "B")]})
    frags = [a1, b1, a2, b2]
    assert people(frags, roster=roster2) == [[1, 3], [2, 4]]
    # the clustering alone, without the legs: swapped (the refinement's starts are a tie then)
    assert people(frags, refined=False, roster=roster2, legs_weight=0.0) == [[1, 4], [2, 3]]
    without = [dataclasses.replace(f, legs=None) for f in frags]
    assert people(without, refined=False, roster=roster2) == [[1, 4], [2, 3]]
