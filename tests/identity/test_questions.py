""" "Who is this?" on hand-made fragments: a near tie between two players is asked, a clear link is not;
the weightiest first, never more than five."""

import numpy as np

from edge_app.identity.questions import LIMIT, questions
from edge_app.identity.stitch import Fragment


def _hist(k: int) -> np.ndarray:
    h = np.full(16, 1e-3, np.float32)
    h[k] = 1.0
    return h / h.sum()


def _frag(tid, t0, t1, p0, p1, hist) -> Fragment:
    return Fragment(tid, int(t0 * 10), int(t1 * 10), t0, t1, p0, p1, 100.0, 100.0, hist=hist, frames=50, samples=10)


def _pair(k: int, minutes: float):
    """Two players in one kit (colour k) seen together for a minute 20 m apart; then, later, someone in that
    kit exactly halfway between where they were last seen: either of them (given to the first)."""
    a, b, tie = 100 * k + 1, 100 * k + 2, 100 * k + 3
    h = _hist(k)
    frags = [
        _frag(a, 0.0, 60.0, (0.0, 0.0), (10.0, 0.0), h),
        _frag(b, 0.0, 60.0, (0.0, 20.0), (10.0, 20.0), h),
        _frag(tie, 200.0, 200.0 + 60 * minutes, (10.0, 10.0), (30.0, 10.0), h),
    ]
    players = [
        {"player": f"player-{a}", "name": None, "track_ids": [a, tie]},
        {"player": f"player-{b}", "name": f"Sam {k}", "track_ids": [b]},
    ]
    return frags, players


def test_a_near_tie_is_asked_and_a_clear_link_is_not():
    frags, players = _pair(0, 1.5)
    # a third player in another colour, seen again where they vanished: no doubt about it
    h = _hist(9)
    frags += [_frag(7, 0.0, 60.0, (50, 0), (50, 5), h), _frag(8, 62.0, 120.0, (50, 6), (50, 9), h)]
    players.append({"player": "player-7", "name": "Kim", "track_ids": [7, 8]})
    asked = questions(frags, players, metres=True, distances={3: 20.0}, names={"player-1": "Player 1"})

    assert [q.track_id for q in asked] == [3]
    q = asked[0]
    assert q.player == "player-1" and q.margin < 0.05
    assert [(c.player, c.name) for c in q.candidates] == [("player-1", "Player 1"), ("player-2", "Sam 0")]
    assert q.minutes == 1.5 and q.metres == 20.0
    # the runner-up moved away: the tie is broken, nothing left to ask
    frags[1] = _frag(2, 0.0, 60.0, (0.0, 20.0), (10.0, 60.0), _hist(0))
    assert questions(frags, players, metres=True) == []


def test_the_coach_placed_tracks_are_never_asked():
    frags, players = _pair(0, 1.0)
    assert questions(frags, players, metres=True, pinned={3}) == []


def test_ordered_by_minutes_at_stake_and_at_most_five():
    frags, players = [], []
    minutes = [0.5, 3.0, 1.0, 7.0, 2.0, 0.25, 5.0]
    for k, m in enumerate(minutes):  # each pair in its own colour: the pairs never mix
        f, p = _pair(k, m)
        frags += f
        players += p
    asked = questions(frags, players, metres=True)

    assert len(asked) == LIMIT == 5
    assert [q.minutes for q in asked] == sorted(minutes, reverse=True)[:5]
    assert all(q.track_id % 100 == 3 for q in asked)
    assert [d["minutes"] for d in (q.to_dict() for q in asked)] == [7.0, 5.0, 3.0, 2.0, 1.0]
