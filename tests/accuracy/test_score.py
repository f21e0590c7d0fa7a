"""The harness's scorer on cases worked out by hand (no product run: its recall is another issue's)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.accuracy import score


def _truth(people=3, frames=10, height=80.0) -> score.Boxes:
    """`people` standing side by side, 100 px apart, every frame, all fully visible."""
    fr, ids, boxes = [], [], []
    for f in range(frames):
        for p in range(people):
            fr.append(f)
            ids.append(p)
            boxes.append([100 * p + 10, 100, 100 * p + 40, 100 + height])
    xyxy = np.array(boxes, float)
    return score.Boxes(
        np.array(fr),
        np.array(ids),
        xyxy,
        xyxy[:, 3] - xyxy[:, 1],
        np.ones(len(fr)),
        names=[f"p{i}" for i in range(people)],
    )


def _as_pred(t: score.Boxes, keep=None, ids=None) -> score.Boxes:
    keep = np.ones(len(t), bool) if keep is None else keep
    tid = (t.id if ids is None else ids) + 100  # product track ids are other numbers than the truth's
    return score.Boxes(t.frame[keep], tid[keep], t.xyxy[keep], t.height[keep], np.ones(int(keep.sum())))


def _all(t, p):
    m = score.match(t, p)
    return score.detection_scores(t, p, m), score.identity_scores(t, p, m)


def test_truth_as_detections_scores_perfectly():
    t = _truth()
    det, ident = _all(t, _as_pred(t))
    assert det["recall"] == 1.0 and det["precision"] == 1.0 and det["truth"] == 30
    assert ident["IDF1"] == pytest.approx(1.0) and ident["HOTA"] == pytest.approx(1.0)


def test_a_dropped_person_lowers_recall_and_idf1_by_hand():
    t = _truth()
    det, ident = _all(t, _as_pred(t, keep=t.id != 2))
    # 20 of 30 found; IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN) = 40 / (40 + 0 + 10) = 0.8
    assert det["recall"] == pytest.approx(20 / 30)
    assert det["precision"] == 1.0
    assert ident["IDF1"] == pytest.approx(0.8)
    # HOTA = sqrt(DetA * AssA): DetA = 20 / 30, AssA = 1 (every found box keeps its one id)
    assert ident["HOTA"] == pytest.approx(np.sqrt(20 / 30))


def test_an_id_switch_halfway_by_hand():
    t = _truth()
    ids = t.id.copy()
    ids[(t.id == 0) & (t.frame >= 5)] = 7  # person 0 gets a new track id from frame 5
    det, ident = _all(t, _as_pred(t, ids=ids))
    assert det["recall"] == 1.0
    # IDTP 25 (5 + 10 + 10), IDFN 5, IDFP 5: IDF1 = 50 / 60
    assert ident["IDF1"] == pytest.approx(50 / 60)
    # AssA: person 0's 10 boxes each have Ass-IoU 5 / 10, the other 20 have 1: (20 + 5) / 30
    assert ident["HOTA"] == pytest.approx(np.sqrt(25 / 30))
    assert ident["id_switches"] == 1


def test_small_and_hidden_people_are_neither_asked_for_nor_false_positives():
    t = _truth(people=2)
    t.height[t.id == 1] = 30.0  # person 1 is under 40 px: not in the headline
    t.visible[(t.id == 0) & (t.frame < 5)] = 0.3  # person 0 mostly hidden in the first 5 frames
    det, ident = _all(t, _as_pred(t))
    assert det["truth"] == 5 and det["recall"] == 1.0
    assert det["precision"] == 1.0  # boxes on person 1 and on hidden person 0 are not counted
    assert det["bands"]["<40"]["truth"] == 10 and det["bands"]["<40"]["recall"] == 1.0
    # A box that hits no one is a false positive in the headline and in its band.
    p = _as_pred(t)
    extra = score.Boxes(
        np.r_[p.frame, 0],
        np.r_[p.id, 999],
        np.r_[p.xyxy, [[500, 100, 530, 150]]],
        np.r_[p.height, 50.0],
        np.ones(len(p) + 1),
    )
    det, _ = _all(t, extra)
    assert det["precision"] == pytest.approx(5 / 6)
    assert det["bands"]["40-60"]["precision"] == 0.0


def test_a_box_on_the_visible_top_of_a_hidden_person_is_not_a_false_positive():
    t = _truth(people=2, frames=4)
    t.visible[t.id == 1] = 0.4  # person 1 is hidden below the waist: not in the headline
    p = _as_pred(t)
    top = p.id == 101
    p.xyxy[top, 3] = p.xyxy[top, 1] + 36  # the detector boxes the 36 px it sees of 80: IoU 0.45
    det, _ = _all(t, p)
    assert det["truth"] == 4 and det["recall"] == 1.0
    assert det["precision"] == 1.0  # inside a hidden person's whole box: theirs, neither right nor wrong
    # The same half box on a person in full view, already found by another box, is a duplicate.
    t.visible[:] = 1.0
    both = score.Boxes(
        np.r_[p.frame, t.frame[t.id == 1]],
        np.r_[p.id, np.full(4, 555)],
        np.r_[p.xyxy, t.xyxy[t.id == 1]],
        np.ones(12),
        np.ones(12),
    )
    det, _ = _all(t, both)
    assert det["recall"] == 1.0 and det["precision"] == pytest.approx(8 / 12)


def test_a_loose_box_below_iou_half_is_a_miss():
    t = _truth(people=1, frames=1)
    p = _as_pred(t)
    p.xyxy[:, [1, 3]] += 30  # the 80 px box 30 px lower: IoU 50 / 110 < 0.5
    det, _ = _all(t, p)
    assert det["recall"] == 0.0 and det["precision"] == 0.0


def test_kpis_of_the_truth_itself_have_no_error():
    # One person running along x: 3 s at 4 m/s, 2 s at 8 m/s (a sprint), 3 s at 4 m/s, 25 Hz.
    fps = 25
    v = np.r_[np.full(75, 4.0), np.full(50, 8.0), np.full(75, 4.0)]
    x = np.r_[0, np.cumsum(v[:-1] / fps)] + 10
    tt = np.arange(len(v)) / fps
    positions = {"p0": (tt, np.c_[x, np.full(len(x), 30.0)])}
    t = _truth(people=1, frames=len(v))
    truth_k = score.truth_kpis(positions)["p0"]
    assert truth_k.sprint_count == 1
    player = {
        "player": "player-1",
        "track_ids": [100],
        "distance": truth_k.distance,
        "top_speed": truth_k.top_speed,
        "hsr_distance": truth_k.hsr_distance,
        "sprint_count": truth_k.sprint_count,
        "sprints": [s.model_dump() for s in truth_k.sprints],
    }
    p = _as_pred(t)
    k = score.kpi_scores(t, p, score.match(t, p), {"players": [player]}, positions, frames=len(v))
    assert k["people_whole_clip"] == 1 and k["matched"] == 1
    assert k["distance_err_pct"] == 0.0 and k["top_speed_err"] == 0.0 and k["sprints_equal"] == 1.0
    assert k["phantom_sprints"] == 0
    # A second product player, on no one, with a sprint: a phantom sprint.
    ghost = {**player, "player": "player-2", "track_ids": [555]}
    k = score.kpi_scores(t, p, score.match(t, p), {"players": [player, ghost]}, positions, frames=len(v))
    assert k["phantom_sprints"] == 1 and k["matched"] == 1
