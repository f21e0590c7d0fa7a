"""Player identity: torso histograms and the stitching pass (issue #3), on synthetic fragments and on vtest.avi."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from edge_app.config import TrackerConfig
from edge_app.identity import (
    Fragment,
    appearance_samples,
    fragments,
    histogram_distance,
    link_costs,
    mean_histogram,
    stitch,
    torso_histogram,
)
from edge_app.positions.cleaning import kept_samples
from edge_app.positions.session import SessionPositions, TrackPositions, ghost_ends
from edge_app.vision.detections import Detections
from edge_app.vision.track import ByteTrack
from tests.conftest import DATA, VTEST
from tests.vtest_people import VISITS, owner


def shirt(bgr, seed=0, size=(200, 80)):
    """A synthetic player: a textured shirt of one colour on a grey background, box covering it."""
    rng = np.random.default_rng(seed)
    img = np.full((300, 300, 3), 128, np.uint8)
    h, w = size
    patch = np.clip(np.array(bgr, float) + rng.normal(0, 12, (h, w, 3)), 0, 255).astype(np.uint8)
    img[50 : 50 + h, 100 : 100 + w] = patch
    return img, (100, 50, 100 + w, 50 + h)


RED, BLUE = shirt((30, 30, 200))[0], shirt((200, 60, 30))[0]
BOX = shirt((0, 0, 0))[1]
H_RED = torso_histogram(RED, BOX)
H_BLUE = torso_histogram(BLUE, BOX)


def frag(tid, t0, t1, p0, p1, hist=H_RED, h=100.0, fps=10.0):
    return Fragment(
        tid, int(round(t0 * fps)), int(round(t1 * fps)), t0, t1, p0, p1, h, h, hist, int((t1 - t0) * fps) + 1
    )


# ----------------------------------------------------------------------------- histograms


def test_torso_histogram_is_normalised_and_tells_shirts_apart():
    assert H_RED.dtype == np.float32 and abs(H_RED.sum() - 1) < 1e-5
    red2 = torso_histogram(shirt((30, 30, 200), seed=7)[0], BOX)  # same shirt, other noise
    assert histogram_distance(H_RED, red2) < 0.2
    assert histogram_distance(H_RED, H_BLUE) > 0.8
    black, white = (torso_histogram(shirt(c)[0], BOX) for c in ((20, 20, 20), (235, 235, 235)))
    assert histogram_distance(black, white) > 0.8  # kits without hue still differ
    assert torso_histogram(RED, (10, 10, 11, 11)) is None  # degenerate box
    assert torso_histogram(RED, (-50, -50, 400, 400)) is not None  # clipped to the frame
    assert histogram_distance(None, H_RED) == 1.0


def test_torso_histogram_reads_a_view_without_changing_the_frame():
    img = cv2.imread(str(DATA / "messi5.jpg"))
    box = (180, 20, 320, 330)
    before = img.copy()
    assert torso_histogram(img, box) is not None
    assert np.array_equal(img, before)


def test_appearance_samples_skip_occluded_torsos():
    img, box = shirt((30, 30, 200))
    far = (250, 0, 290, 60)
    dets = Detections(
        np.array([box, far, box], np.float32),
        np.ones(3, np.float32),
        np.zeros(3, np.int32),
        tracker_id=np.array([1, 2, 3]),
    )
    s = appearance_samples(img, dets[:2])
    assert set(s) == {1, 2}
    assert appearance_samples(img, dets) == {} or set(appearance_samples(img, dets)) == {2}  # 1 and 3 hide each other


# ----------------------------------------------------------------------------- stitching, synthetic


def test_lost_for_two_seconds_nearby_same_shirt_is_merged():
    frags = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 12, 20, (12, 6), (20, 0))]
    assert stitch(frags, metres=True) == [[1, 2]]


def test_pixels_are_scaled_by_box_height():
    # 100 px tall = 1.75 m: 200 px in 2 s is 3.5 m (reachable), 2000 px in 1 s is 35 m (not)
    near = [frag(1, 0, 10, (0, 0), (500, 400)), frag(2, 12, 20, (700, 400), (0, 0))]
    far = [frag(1, 0, 10, (0, 0), (500, 400)), frag(2, 11, 20, (2500, 400), (0, 0))]
    assert stitch(near) == [[1, 2]]
    assert stitch(far) == [[1], [2]]


def test_reappearing_40_m_away_one_second_later_is_not_merged():
    frags = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 11, 20, (50, 5), (20, 0))]
    assert stitch(frags, metres=True) == [[1], [2]]


def test_different_shirts_are_not_merged():
    frags = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 12, 20, (11, 5), (20, 0), hist=H_BLUE)]
    assert stitch(frags, metres=True) == [[1], [2]]


def test_overlapping_fragments_are_never_merged():
    # same shirt, same place, but seen at the same time (overlap by one frame): two people
    frags = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 10, 20, (10, 5), (20, 0))]
    assert stitch(frags, metres=True) == [[1], [2]]
    # and a chain never puts overlapping fragments together through a third one
    frags.append(frag(3, 21, 30, (20, 0), (25, 0)))
    groups = stitch(frags, metres=True)
    assert sorted(map(sorted, groups)) in ([[1], [2, 3]], [[1, 3], [2]])


def _on_pitch(tid, t, xy, kept=None):
    """One track's positions in metres, as the positions stage hands them over."""
    t, xy = np.asarray(t, float), np.asarray(xy, float)
    return TrackPositions(
        tid,
        t,
        np.arange(len(t)),
        xy,
        np.full(len(t), 100.0),
        np.zeros(len(t), np.uint8),
        xy,
        kept_samples(t, xy) if kept is None else kept,
    )


def _fragments(*tracks):
    rows = [(tr.track_id, 0, int(tr.t[0] * 25), int(tr.t[-1] * 25), tr.t[0], tr.t[-1], len(tr)) for tr in tracks]
    positions = SessionPositions("s", {tr.track_id: tr for tr in tracks})
    return fragments(rows, positions, {tr.track_id: [H_RED] for tr in tracks})


def test_a_track_ending_on_a_ghost_frame_is_stitched_to_its_own_next_track():
    # Track 1 walks along x at 1 m/s, is lost at 4 s, its ghost frame at 4.8 s sits on someone
    # else's sliver 6 m away; track 2 (the player again) starts at 4.4 s where 1 was heading.
    t1 = np.r_[np.arange(0, 101) / 25, 4.8]
    p1 = np.r_[np.c_[t1[:-1], np.zeros(100 + 1)], [[10.0, 0.0]]]
    t2 = 4.4 + np.arange(0, 50) / 25
    p2 = np.c_[t2, np.zeros(50)]
    whole = np.ones(len(t1), bool)
    # they overlap by the ghost frame: two people
    assert stitch(_fragments(_on_pitch(1, t1, p1, whole), _on_pitch(2, t2, p2)), metres=True) == [[1], [2]]
    keep = ghost_ends(t1)
    assert stitch(_fragments(_on_pitch(1, t1[keep], p1[keep]), _on_pitch(2, t2, p2)), metres=True) == [[1, 2]]


def test_a_track_end_that_leapt_onto_the_player_in_front_does_not_break_the_link():
    # Track 1 walks along x at 1.5 m/s (25 Hz, 0..4.04 s); its last 2 ground points leapt 3 m
    # toward the camera (its box took in the player in front as it was lost). Track 2 starts at
    # 4.2 s at (6.3, 0), where the walker is. From the raw end (6.06, 3): 3.01 m in 0.16 s, over
    # the gate's 7 m/s x 0.16 s + 1.5 m = 2.62 m. From the last point the metrics keep (that of
    # 3.96 s, (5.94, 0)): 0.36 m in 0.24 s.
    t1 = np.arange(102) / 25
    p1 = np.c_[1.5 * t1, np.zeros(102)]
    p1[-2:, 1] += 3.0
    t2 = 4.2 + np.arange(50) / 25
    p2 = np.c_[1.5 * t2, np.zeros(50)]
    raw, _ = _fragments(_on_pitch(1, t1, p1, np.ones(102, bool)), _on_pitch(2, t2, p2))
    assert raw.last_point == pytest.approx((6.06, 3.0))
    assert stitch([raw, _], metres=True) == [[1], [2]]
    kept, f2 = _fragments(_on_pitch(1, t1, p1), _on_pitch(2, t2, p2))
    assert kept.last_t == pytest.approx(3.96) and kept.last_point == pytest.approx((5.94, 0.0))
    assert stitch([kept, f2], metres=True) == [[1, 2]]


def _shade(e):
    """A histogram at Bhattacharyya distance sqrt(1 - sqrt(1 - e)) from H_ONE (two bins)."""
    h = np.zeros_like(H_RED)
    h[0], h[1] = 1 - e, e
    return h


H_ONE = _shade(0.0)


def test_a_fragment_seen_in_the_gap_of_a_link_is_put_back_in_it():
    # A player seen 0-1 s (ending at x=0) and again from 3.5 s (starting at x=2), and, between, a
    # fragment 1.5-3 s from x=0.5 to x=1.5 whose bunched torso colours are 0.30 from theirs.
    # Costs (appearance / 0.35 + distance / (2 m/s x gap + 1.5 m) + 0.5 x gap / 15 s):
    #   1 -> 2: 0.30/0.35 + 0.5/2.5 + 0.25/15 = 1.074 (gap 0.5 s, 0.5 m); 2 -> 3 the same;
    #   1 -> 3: 0 + 2.0/6.5 + 1.25/15 = 0.391 (gap 2.5 s, 2 m).
    # The assignment compares 1->2->3 (2.148) with 1->3 and 2 left alone (0.391 + 2 x 0.6 = 1.591)
    # and skips 2; both of 2's links pass the gates and cost under max_cost (1.2): it is put back.
    e = 1 - (1 - 0.30**2) ** 2  # distance 0.30
    frags = [
        frag(1, 0, 1, (0, 0), (0, 0), hist=H_ONE),
        frag(2, 1.5, 3, (0.5, 0), (1.5, 0), hist=_shade(e)),
        frag(3, 3.5, 9, (2, 0), (5, 0), hist=H_ONE),
    ]
    assert histogram_distance(H_ONE, _shade(e)) == pytest.approx(0.30, abs=1e-3)
    cost = link_costs(frags, metres=True)
    assert cost[0, 1] == pytest.approx(1.074, abs=1e-3) and cost[1, 2] == pytest.approx(1.074, abs=1e-3)
    assert cost[0, 2] == pytest.approx(0.391, abs=1e-3)
    assert stitch(frags, metres=True) == [[1, 2, 3]]
    # Colours 0.36 apart fail the appearance gate (0.35): a stranger, left alone.
    e = 1 - (1 - 0.36**2) ** 2
    frags[1] = frag(2, 1.5, 3, (0.5, 0), (1.5, 0), hist=_shade(e))
    assert stitch(frags, metres=True) == [[1, 3], [2]]
    # Colours 0.34 apart pass the gate (and 1 -> 2 would cost 1.189 < 1.2), but 2 starting 2 m to the
    # side (2.06 m in 0.5 s) makes it 0.971 + 2.06/2.5 + 0.017 = 1.81 >= 1.2: left alone.
    e = 1 - (1 - 0.34**2) ** 2
    frags[1] = frag(2, 1.5, 3, (0.5, 2), (1.5, 0), hist=_shade(e))
    assert stitch(frags, metres=True) == [[1, 3], [2]]


def test_gap_longer_than_max_gap_is_not_merged():
    frags = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 30, 40, (10, 5), (20, 0))]
    assert stitch(frags, metres=True) == [[1], [2]]
    assert stitch(frags, metres=True, max_gap_s=25) == [[1, 2]]


def test_global_assignment_beats_greedy():
    # Two teammates in the same kit. A1 vanishes at x=0 (t=10 s), A2 at x=2 (t=10.5 s);
    # B2 appears at x=-1.2 at t=10.2 s, while A2 is still seen, so B2 can only be A1; B1
    # appears at x=1 at t=11 s. The cheapest single link is A1->B1 (1 m): greedy takes it and
    # leaves A2 and B2 alone; the global assignment finds A1->B2 and A2->B1.
    frags = [
        frag(1, 0, 10, (0, 0), (0, 0)),
        frag(2, 0, 10.5, (2, 0), (2, 0)),
        frag(3, 11, 20, (1, 0), (1, 0)),
        frag(4, 10.2, 20, (-1.2, 0), (-1.2, 0)),
    ]
    assert sorted(map(sorted, stitch(frags, metres=True))) == [[1, 4], [2, 3]]
    assert sorted(map(sorted, stitch(frags, metres=True, method="greedy"))) == [[1, 3], [2], [4]]


def test_cannot_link_pairs_stay_apart():
    frags = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 12, 20, (12, 6), (20, 0))]
    assert stitch(frags, metres=True, cannot_link=[(1, 2)]) == [[1], [2]]


# ----------------------------------------------------------------------------- vtest.avi, real tracks


@pytest.fixture(scope="module")
def vtest_fragments():
    """ByteTrack (the app's config) over the recorded detections of every frame, torso
    histograms every 2nd frame from the real video frames."""
    if not VTEST.exists():
        pytest.skip("../shared/data/vtest.avi is not here (the shared data folder is optional)")
    d = np.load(DATA / "vtest_detections.npz")
    fr, xyxy, conf = d["frame"], d["xyxy"], d["confidence"]
    tracker = ByteTrack(frame_rate=10, **TrackerConfig().model_dump())
    cap = cv2.VideoCapture(str(VTEST))
    rows: dict[int, list] = {}
    hists: dict[int, list] = {}
    tracked_at = {}
    for f in range(int(d["num_frames"])):
        ok, img = cap.read()
        assert ok
        m = fr == f
        t = tracker.update(Detections(xyxy[m], conf[m], np.zeros(int(m.sum()), np.int32)))
        tracked_at[f] = t
        if t.tracker_id is None or not len(t):
            continue
        for i, tid in enumerate(t.tracker_id):
            rows.setdefault(int(tid), []).append((f, *t.xyxy[i]))
        if f % 2 == 0:
            for tid, h in appearance_samples(img, t).items():
                hists.setdefault(tid, []).append(h)
    cap.release()
    frags = []
    for tid, r in rows.items():
        a, b = r[0], r[-1]
        frags.append(
            Fragment(
                tid,
                a[0],
                b[0],
                a[0] / 10,
                b[0] / 10,
                ((a[1] + a[3]) / 2, a[4]),
                ((b[1] + b[3]) / 2, b[4]),
                a[4] - a[2],
                b[4] - b[2],
                mean_histogram(hists.get(tid, [])),
                len(r),
            )
        )
    return frags, tracked_at


def _owner(tracked_at, visit):
    return owner(tracked_at, VISITS[visit])


def test_vtest_pair_is_stitched_across_the_far_end_and_kept_apart(vtest_fragments):
    frags, tracked_at = vtest_fragments
    man_up, man_down = (
        _owner(tracked_at, "red-jacket man, up the road"),
        _owner(tracked_at, "red-jacket man, back down"),
    )
    woman_up, woman_down = (
        _owner(tracked_at, "blonde woman, up the road"),
        _owner(tracked_at, "blonde woman, back down"),
    )
    assert len({man_up, man_down, woman_up, woman_down}) == 4  # ByteTrack lost both at the far end

    hist = {f.track_id: f.hist for f in frags}
    assert histogram_distance(hist[man_up], hist[man_down]) < 0.3
    assert histogram_distance(hist[woman_up], hist[woman_down]) < 0.3
    assert histogram_distance(hist[man_up], hist[woman_up]) > 0.45

    groups = stitch(frags)
    group_of = {t: k for k, g in enumerate(groups) for t in g}
    assert group_of[man_up] == group_of[man_down]
    assert group_of[woman_up] == group_of[woman_down]
    assert group_of[man_up] != group_of[woman_up]
    # no group holds two fragments seen at the same time
    by_id = {f.track_id: f for f in frags}
    for g in groups:
        spans = sorted((by_id[t].first_frame, by_id[t].last_frame) for t in g)
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:])), g


def test_vtest_number_of_ids_falls_toward_the_number_of_people(vtest_fragments):
    frags, _ = vtest_fragments
    groups = stitch(frags)
    # ~39 ByteTrack ids; by eye about 20 people cross the scene (the pair three times)
    assert len(frags) >= 30
    assert 17 <= len(groups) <= 26, (len(frags), len(groups))
    assert len(groups) <= len(frags) - 8


def test_fragments_without_times_use_frame_over_fps():
    # No times: frames 0-100 and 150-300 at 25 fps are 0-4 s and 6-12 s, a 2 s gap, 2 m apart: one
    # person. (Frames times fps would put them 1250 s apart, past max_gap_s.)
    a = Fragment(1, 0, 100, None, None, (0, 0), (10, 5), 100.0, 100.0, H_RED, 101)
    b = Fragment(2, 150, 300, None, None, (11, 5), (20, 0), 100.0, 100.0, H_RED, 151)
    assert stitch([a, b], fps=25.0, metres=True) == [[1, 2]]
    with pytest.raises(ValueError, match="no times"):
        stitch([a, b], metres=True)


def test_different_shirts_fail_the_appearance_gate():
    # Reachable (1 m in 2 s) but a different shirt: the link is forbidden outright (inf), not just dear.
    frags = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 12, 20, (11, 5), (20, 0), hist=H_BLUE)]
    cost = link_costs(frags, metres=True)
    assert np.isinf(cost[0, 1])
    same = [frag(1, 0, 10, (0, 0), (10, 5)), frag(2, 12, 20, (11, 5), (20, 0))]
    assert np.isfinite(link_costs(same, metres=True)[0, 1])
