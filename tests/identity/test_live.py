"""LiveIdentity on hand-made tracks: a player back after a break keeps their key, crossing players are
not swapped, a stranger or an ambiguous track gets a new key."""

import numpy as np

from edge_app.identity.live import LiveIdentity

DT = 0.2  # a live frame every 0.2 s


def boxes_at(xy, height=100.0):
    """Pixel boxes standing on these points (bottom centre), for the tracks' heights."""
    xy = np.asarray(xy, float).reshape(-1, 2)
    return np.c_[xy[:, 0] - 20, xy[:, 1] - height, xy[:, 0] + 20, xy[:, 1]]


def run(li, frames):
    """frames: (t, {track_id: (x, y) metres}); the keys of every frame."""
    out = []
    for t, players in frames:
        ids = list(players)
        xy = np.array([players[i] for i in ids], float).reshape(-1, 2)
        out.append(li.update(t, ids, boxes_at(xy * 50), pitch_xy=xy))
    return out


def walk(tid, start, velocity, t0, t1):
    """One track walking in a straight line: [(t, {tid: xy})]."""
    ts = np.arange(t0, t1 + 1e-9, DT)
    return [(float(t), {tid: tuple(np.add(start, np.multiply(velocity, t - t0)))}) for t in ts]


def merged(*tracks):
    frames: dict[float, dict] = {}
    for tr in tracks:
        for t, p in tr:
            frames.setdefault(round(t, 3), {}).update(p)
    return sorted(frames.items())


def test_a_player_back_after_3_s_where_motion_predicts_keeps_their_key():
    li = LiveIdentity()
    # player 1 walks at 1.5 m/s along x for 3 s, unseen for 3 s, back as track 7 near x + 1.5 x 6;
    # player 2 stands 6 m away the whole time
    before = walk(1, (0.0, 0.0), (1.5, 0.0), 0.0, 3.0)
    after = walk(7, (9.3, 0.2), (1.5, 0.0), 6.0, 8.0)
    other = walk(2, (6.0, 6.0), (0.0, 0.0), 0.0, 8.0)
    keys = run(li, merged(before, after, other))
    first = keys[0][1]
    assert keys[-1][7] == first and li.links == 1
    assert keys[-1][2] != first and keys[0][2] == keys[-1][2]


def test_two_players_who_vanish_while_crossing_are_not_swapped():
    li = LiveIdentity()
    # A walks right, B walks left; both vanish for 2 s as they pass each other and come back crossed:
    # the new track nearer A's last point is B's (it kept walking left)
    a = walk(1, (-4.0, 0.0), (1.5, 0.0), 0.0, 2.0)  # ends at x = -1
    b = walk(2, (4.0, 0.3), (-1.5, 0.0), 0.0, 2.0)  # ends at x = +1
    a2 = walk(5, (2.0, 0.0), (1.5, 0.0), 4.0, 5.0)  # A at -1 + 1.5 x 2
    b2 = walk(6, (-2.0, 0.3), (-1.5, 0.0), 4.0, 5.0)
    keys = run(li, merged(a, b, a2, b2))
    ka, kb = keys[0][1], keys[0][2]
    assert ka != kb
    assert keys[-1][5] == ka and keys[-1][6] == kb
    # the same break without headings (standing players): the nearest is taken, so the test can tell
    li2 = LiveIdentity()
    still = run(
        li2,
        merged(walk(1, (-1, 0), (0, 0), 0, 2), walk(2, (1, 0.3), (0, 0), 0, 2))
        + [(4.0, {5: (1.2, 0.0), 6: (-1.2, 0.3)})],
    )
    assert still[-1][5] == still[0][2] and still[-1][6] == still[0][1]


def test_a_far_away_new_track_gets_a_new_key():
    li = LiveIdentity()
    keys = run(li, walk(1, (0.0, 0.0), (1.0, 0.0), 0.0, 2.0) + walk(3, (40.0, 20.0), (0.0, 0.0), 3.0, 4.0))
    assert keys[-1][3] not in {keys[0][1]} and li.links == 0
    # and a lost player is forgotten after KEEP_S: back at the same spot 12 s later is someone new
    li2 = LiveIdentity()
    late = run(li2, walk(1, (0.0, 0.0), (0.0, 0.0), 0.0, 1.0) + walk(4, (0.0, 0.0), (0.0, 0.0), 13.0, 14.0))
    assert late[-1][4] != late[0][1]


def test_two_lost_players_equally_near_give_a_new_key_not_a_guess():
    li = LiveIdentity()
    # two players standing 2 m apart vanish; one new track comes back halfway between them
    frames = merged(walk(1, (0.0, 0.0), (0.0, 0.0), 0.0, 1.0), walk(2, (2.0, 0.0), (0.0, 0.0), 0.0, 1.0))
    keys = run(li, frames + [(2.0, {9: (1.0, 0.0)})])
    assert keys[-1][9] not in (keys[0][1], keys[0][2]) and li.links == 0


def test_colour_decides_between_two_reachable_players():
    li = LiveIdentity()
    red = np.zeros(68, np.float32)
    red[5] = 1.0
    blue = np.zeros(68, np.float32)
    blue[40] = 1.0
    for t in np.arange(0.0, 1.01, DT):
        li.update(t, [1, 2], boxes_at([[0, 0], [100, 0]]), pitch_xy=[[0, 0], [2, 0]], appearance={1: red, 2: blue})
    k = li.update(2.0, [9], boxes_at([[50, 0]]), pitch_xy=[[1.0, 0.0]], appearance={9: blue})
    assert k[9] == li.tracks[9].key and li.links == 1
    assert k[9] == "P2"


def test_without_a_calibration_pixels_are_scaled_by_the_box_height():
    li = LiveIdentity()
    # 100 px tall players: 1.8 m is 100 px. 30 px away after 1 s is ~0.5 m: the same player;
    # 2000 px away (36 m) after 1 s is out of reach
    for t in np.arange(0.0, 1.01, DT):
        li.update(t, [1], boxes_at([[200, 300]]))
    same = li.update(2.0, [4], boxes_at([[230, 300]]))
    assert same[4] == "P1"
    li2 = LiveIdentity()
    for t in np.arange(0.0, 1.01, DT):
        li2.update(t, [1], boxes_at([[200, 300]]))
    assert li2.update(2.0, [4], boxes_at([[2200, 300]]))[4] == "P2"


def test_a_key_is_held_by_one_track_at_a_time():
    li = LiveIdentity()
    run(li, walk(1, (0.0, 0.0), (0.0, 0.0), 0.0, 1.0))
    assert li.update(1.6, [2], boxes_at([[0, 0]]), pitch_xy=[[0.2, 0.0]])[2] == "P1"
    # ByteTrack revives track 1 next to track 2: it is someone else now, never a second "P1"
    keys = li.update(1.8, [1, 2], boxes_at([[0, 0], [50, 0]]), pitch_xy=[[0.0, 0.0], [0.2, 0.0]])
    assert keys[2] == "P1" and keys[1] != "P1"
