"""Score the product's output against a render's truth.

The product's boxes are what `analyze` stores: its tracked people (ByteTrack's confirmed tracks,
`SessionStore.frames`), so recall and precision are those of the whole detect-and-track chain.

* Detection: per frame, truth and product boxes are matched one to one (Hungarian on IoU, a pair
  counts at IoU >= 0.5). The headline counts the people at least `MIN_HEIGHT` px tall and less
  than half hidden (`visible > 0.5`): recall = those matched / those present; precision = product
  boxes matched to one of them / product boxes not matched to a smaller or hidden person (a box on
  a person we do not ask for is neither right nor wrong). The truth's boxes are whole people, the
  detector's what it sees: a box on the visible top of a person more than half hidden rarely
  reaches IoU 0.5 with their whole box, so a product box still unmatched that lies inside
  (`INSIDE` of its area) the box of a person outside the headline, whom no box matched, is
  theirs too (one to one), and neither right nor wrong. By pixel height: recall over the people
  (less than half hidden) whose true height is in the band, precision over the product boxes whose
  own height is in the band.
* Identity: HOTA (trackeval's `HOTA`, averaged over its IoU thresholds 0.05-0.95) and IDF1
  (motmetrics, IoU >= 0.5) of the product's track ids against the truth's person ids, over the
  same headline people; product boxes on people outside the headline are removed first, as
  MOTChallenge removes boxes on distractors.
* Players per true person: the summary's players / the true people seen (`players_per_person`).
* KPIs: the product's players (its summary, after stitching) are matched one to one to truth
  people by the frames they share (a product box of one of the player's tracks matched to that
  person; Hungarian on the count, at least `MIN_SHARED` frames). The truth's KPIs are the product's
  own metrics engine (`edge_app.metrics.engine.player_kpis`, same profile) run on the true, unnoised
  positions at the render rate, over the whole clip. Compared for the people in view the whole
  clip (a truth row in every frame): distance error (%), top speed error (m/s), HSR distance error
  (m), sprint count equal or not; a person with no product player counts as missed. Phantom
  sprints: product sprints that overlap no true sprint of the matched person in time (±1 s), plus
  every sprint of a product player matched to no one.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

MIN_HEIGHT = 40.0
MAX_HIDDEN = 0.5
IOU = 0.5
BANDS = ((0, 40), (40, 60), (60, 80), (80, 120), (120, None))
INSIDE = 0.8  # share of a product box's area inside a hidden person's whole box that makes it theirs
MIN_SHARED = 10  # frames a product player must share with a person to be theirs


def band_name(lo, hi) -> str:
    return f"<{hi}" if lo == 0 else f">={lo}" if hi is None else f"{lo}-{hi}"


@dataclass
class Boxes:
    """Boxes of one kind over a clip: row i is in frame[i], belongs to id[i]."""

    frame: np.ndarray  # (N,) int
    id: np.ndarray  # (N,) int (truth: index into `names`; product: track id)
    xyxy: np.ndarray  # (N, 4)
    height: np.ndarray  # (N,) true pixel height (truth) or box height (product)
    visible: np.ndarray  # (N,) fraction not hidden (product: 1)
    names: list = field(default_factory=list)
    xy: np.ndarray | None = None  # (N, 2) true pitch position (truth)

    def __len__(self) -> int:
        return len(self.frame)

    def by_frame(self) -> dict[int, np.ndarray]:
        out = defaultdict(list)
        for i, f in enumerate(self.frame.tolist()):
            out[f].append(i)
        return {f: np.asarray(v) for f, v in out.items()}


def load_truth(path: Path) -> Boxes:
    rows = list(csv.DictReader(open(path)))
    names = sorted({r["id"] for r in rows})
    code = {n: i for i, n in enumerate(names)}
    return Boxes(
        frame=np.array([int(r["frame"]) for r in rows], int),
        id=np.array([code[r["id"]] for r in rows], int),
        xyxy=np.array([[float(r[k]) for k in ("x1", "y1", "x2", "y2")] for r in rows]).reshape(-1, 4),
        height=np.array([float(r["height_px"]) for r in rows]),
        visible=np.array([float(r["visible"]) for r in rows]),
        names=names,
        xy=np.array([[float(r["x_m"]), float(r["y_m"])] for r in rows]).reshape(-1, 2),
    )


def boxes_from_frames(frames) -> Boxes:
    """The product's person boxes from `SessionStore.frames(sid)` (or any (frame, Detections) source)."""
    from edge_app.vision.detections import PERSON

    fr, ids, boxes = [], [], []
    for f in frames:
        d = f.detections
        if not len(d):
            continue
        person = d.class_id == PERSON
        tid = d.tracker_id[person] if d.tracker_id is not None else np.full(int(person.sum()), -1)
        fr += [f.frame] * int(person.sum())
        ids += tid.tolist()
        boxes.append(d.xyxy[person])
    xyxy = np.concatenate(boxes).astype(float) if boxes else np.zeros((0, 4))
    return Boxes(np.array(fr, int), np.array(ids, int), xyxy, xyxy[:, 3] - xyxy[:, 1], np.ones(len(fr)))


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, float).reshape(-1, 4), np.asarray(b, float).reshape(-1, 4)
    ix = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    iy = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = ix * iy
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


@dataclass
class Matching:
    """Per-frame one-to-one matches: truth row index -> product row index (IoU >= 0.5)."""

    pairs: np.ndarray  # (M, 2) truth row, product row
    iou: dict  # frame -> (truth rows, product rows, IoU matrix)


def match(truth: Boxes, pred: Boxes, iou_min: float = IOU) -> Matching:
    tf, pf = truth.by_frame(), pred.by_frame()
    pairs, ious = [], {}
    for f in sorted(set(tf) | set(pf)):
        ti, pi = tf.get(f, np.zeros(0, int)), pf.get(f, np.zeros(0, int))
        m = iou_matrix(truth.xyxy[ti], pred.xyxy[pi]) if len(ti) and len(pi) else np.zeros((len(ti), len(pi)))
        ious[f] = (ti, pi, m)
        if m.size:
            r, c = linear_sum_assignment(-m)
            ok = m[r, c] >= iou_min
            pairs += list(zip(ti[r[ok]], pi[c[ok]]))
    return Matching(np.asarray(pairs, int).reshape(-1, 2), ious)


def headline(truth: Boxes, min_height: float = MIN_HEIGHT, max_hidden: float = MAX_HIDDEN) -> np.ndarray:
    return (truth.height >= min_height) & (truth.visible > 1 - max_hidden)


def detection_scores(
    truth: Boxes,
    pred: Boxes,
    m: Matching,
    *,
    min_height: float = MIN_HEIGHT,
    max_hidden: float = MAX_HIDDEN,
    bands=BANDS,
) -> dict:
    care = headline(truth, min_height, max_hidden)
    shown = truth.visible > 1 - max_hidden
    t_matched = np.zeros(len(truth), bool)
    p_to_t = np.full(len(pred), -1)
    t_matched[m.pairs[:, 0]] = True
    p_to_t[m.pairs[:, 1]] = m.pairs[:, 0]
    tp = int((care & t_matched).sum())
    p_care = np.zeros(len(pred), bool)
    p_ignore = np.zeros(len(pred), bool)
    hit = p_to_t >= 0
    p_care[hit] = care[p_to_t[hit]]
    p_ignore[hit] = ~care[p_to_t[hit]]
    p_ignore[_inside_ignored(truth, pred, m, care, t_matched, hit)] = True
    counted = int((~p_ignore).sum())
    out = {
        "truth": int(care.sum()),
        "found": tp,
        "recall": tp / care.sum() if care.any() else float("nan"),
        "boxes": len(pred),
        "precision": int(p_care.sum()) / counted if counted else float("nan"),
        "bands": {},
    }
    for lo, hi in bands:
        tin = shown & (truth.height >= lo) & (truth.height < (np.inf if hi is None else hi))
        pin = (pred.height >= lo) & (pred.height < (np.inf if hi is None else hi))
        p_ok = hit & shown[np.maximum(p_to_t, 0)] & pin
        p_cnt = pin & ~(hit & ~shown[np.maximum(p_to_t, 0)])
        out["bands"][band_name(lo, hi)] = {
            "truth": int(tin.sum()),
            "recall": float((tin & t_matched).sum() / tin.sum()) if tin.any() else float("nan"),
            "boxes": int(p_cnt.sum()),
            "precision": float(p_ok.sum() / p_cnt.sum()) if p_cnt.any() else float("nan"),
        }
    return out


def _inside_ignored(truth: Boxes, pred: Boxes, m: Matching, care, t_matched, hit) -> np.ndarray:
    """Indices of unmatched product boxes lying inside an unmatched person outside the headline."""
    out = []
    for ti, pi, _ in m.iou.values():
        ti = ti[~care[ti] & ~t_matched[ti]]
        pi = pi[~hit[pi]]
        if not len(ti) or not len(pi):
            continue
        p, t = pred.xyxy[pi], truth.xyxy[ti]
        iw = np.clip(np.minimum(p[:, None, 2], t[None, :, 2]) - np.maximum(p[:, None, 0], t[None, :, 0]), 0, None)
        ih = np.clip(np.minimum(p[:, None, 3], t[None, :, 3]) - np.maximum(p[:, None, 1], t[None, :, 1]), 0, None)
        area = np.maximum((p[:, 2] - p[:, 0]) * (p[:, 3] - p[:, 1]), 1e-9)
        inside = iw * ih / area[:, None]
        r, c = linear_sum_assignment(-inside)
        out += [int(pi[k]) for k, j in zip(r, c) if inside[k, j] >= INSIDE]
    return np.asarray(out, int)


def _identity_data(truth: Boxes, pred: Boxes, m: Matching, care: np.ndarray) -> dict:
    """trackeval's per-sequence data over the headline people; product boxes on others removed."""
    p_to_t = np.full(len(pred), -1)
    p_to_t[m.pairs[:, 1]] = m.pairs[:, 0]
    drop = (p_to_t >= 0) & ~care[np.maximum(p_to_t, 0)]
    gt_code = {v: i for i, v in enumerate(sorted(set(truth.id[care].tolist())))}
    tr_code = {v: i for i, v in enumerate(sorted(set(pred.id[~drop].tolist())))}
    data = {"gt_ids": [], "tracker_ids": [], "similarity_scores": [], "num_timesteps": 0}
    frames = sorted(m.iou)
    for f in frames:
        ti, pi, sim = m.iou[f]
        tk, pk = care[ti], ~drop[pi]
        data["gt_ids"].append(np.array([gt_code[v] for v in truth.id[ti[tk]]], int))
        data["tracker_ids"].append(np.array([tr_code[v] for v in pred.id[pi[pk]]], int))
        data["similarity_scores"].append(sim[np.ix_(tk, pk)] if sim.size else np.zeros((int(tk.sum()), int(pk.sum()))))
    data.update(
        num_timesteps=len(frames),
        num_gt_ids=len(gt_code),
        num_tracker_ids=len(tr_code),
        num_gt_dets=int(sum(len(g) for g in data["gt_ids"])),
        num_tracker_dets=int(sum(len(t) for t in data["tracker_ids"])),
    )
    return data


def identity_scores(
    truth: Boxes, pred: Boxes, m: Matching, *, min_height: float = MIN_HEIGHT, max_hidden: float = MAX_HIDDEN
) -> dict:
    """HOTA (trackeval) and IDF1 (motmetrics) over the headline people."""
    import motmetrics as mm
    from trackeval.metrics import HOTA

    care = headline(truth, min_height, max_hidden)
    data = _identity_data(truth, pred, m, care)
    hota = HOTA().eval_sequence(data)
    acc = mm.MOTAccumulator(auto_id=True)
    for gt, tr, sim in zip(data["gt_ids"], data["tracker_ids"], data["similarity_scores"]):
        dist = np.where(sim >= IOU, 1 - sim, np.nan) if sim.size else np.zeros((len(gt), len(tr)))
        acc.update(gt.tolist(), tr.tolist(), dist)
    summary = mm.metrics.create().compute(acc, metrics=["idf1", "num_switches", "mota"], name="clip")
    return {
        "HOTA": float(np.mean(hota["HOTA"])),
        "DetA": float(np.mean(hota["DetA"])),
        "AssA": float(np.mean(hota["AssA"])),
        "IDF1": float(summary["idf1"].iloc[0]),
        "id_switches": int(summary["num_switches"].iloc[0]),
        "MOTA": float(summary["mota"].iloc[0]),
    }


def as_players(pred: Boxes, players: list[dict]) -> Boxes:
    """The product's boxes under their summary player (index) instead of their track id: what the
    coach sees after identity. A track in no player keeps an id of its own (past every player's)."""
    track_player = {t: k for k, p in enumerate(players) for t in p["track_ids"]}
    ids = np.array([track_player.get(int(t), len(players) + int(t)) for t in pred.id.tolist()], int)
    return Boxes(pred.frame, ids, pred.xyxy, pred.height, pred.visible)


def truth_positions(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    series = defaultdict(list)
    for r in csv.DictReader(open(path)):
        series[r["player"]].append((float(r["t"]), float(r["x"]), float(r["y"])))
    return {k: (np.array(v)[:, 0], np.array(v)[:, 1:3]) for k, v in series.items()}


def truth_kpis(positions: dict, *, profile: str = "adult", pitch=None) -> dict:
    """The product's metrics engine on the true positions: {id: PlayerSummary}."""
    from edge_app.metrics.engine import player_kpis

    return {
        pid: player_kpis(t, xy, profile=profile, units="m", pitch=pitch, player=pid)
        for pid, (t, xy) in positions.items()
    }


def player_matches(truth: Boxes, pred: Boxes, m: Matching, players: list[dict]) -> dict[int, str]:
    """Product player index -> truth id, one to one, by the frames they share (>= MIN_SHARED)."""
    track_player = {t: k for k, p in enumerate(players) for t in p["track_ids"]}
    names = truth.names
    shared = np.zeros((len(players), len(names)))
    for ti, pi in m.pairs:
        k = track_player.get(int(pred.id[pi]))
        if k is not None:
            shared[k, truth.id[ti]] += 1
    if not shared.size:
        return {}
    r, c = linear_sum_assignment(-shared)
    return {int(k): names[j] for k, j in zip(r, c) if shared[k, j] >= MIN_SHARED}


def _sprint_windows(sprints) -> list[tuple[float, float]]:
    """(start, end) of each sprint: summary dicts (product) or `Effort`s (truth)."""
    out = []
    for e in sprints:
        d = e if isinstance(e, dict) else e.model_dump()
        out.append((d["start_s"], d["start_s"] + d["duration_s"]))
    return out


def kpi_scores(
    truth: Boxes,
    pred: Boxes,
    m: Matching,
    summary: dict,
    positions: dict,
    *,
    frames: int,
    profile: str = "adult",
    pitch=None,
    t0: float = 0.0,
    whole_share: float = 1.0,
) -> dict:
    """Per-player KPI errors after stitching, for the people in view the whole clip (sessions, where
    people leave the view: in view `whole_share` of its frames; errors against their whole-clip truth)."""
    players = summary["players"]
    truth_k = truth_kpis(positions, profile=profile, pitch=pitch)
    owner = {v: k for k, v in player_matches(truth, pred, m, players).items()}
    rows_per_id = np.bincount(truth.id, minlength=len(truth.names))
    whole = [truth.names[i] for i in range(len(truth.names)) if rows_per_id[i] >= max(1, whole_share * frames)]
    per = []
    for pid in whole:
        tk = truth_k[pid]
        k = owner.get(pid)
        if k is None:
            per.append(
                {
                    "id": pid,
                    "matched": False,
                    "true_distance": tk.distance,
                    "true_top": tk.top_speed,
                    "true_sprints": tk.sprint_count,
                }
            )
            continue
        p = players[k]
        per.append(
            {
                "id": pid,
                "matched": True,
                "player": p["player"],
                "true_distance": tk.distance,
                "distance": p["distance"],
                "distance_err_pct": 100 * (p["distance"] - tk.distance) / tk.distance if tk.distance else float("nan"),
                "true_top": tk.top_speed,
                "top": p["top_speed"],
                "top_err": p["top_speed"] - tk.top_speed,
                "hsr_err": p["hsr_distance"] - tk.hsr_distance,
                "true_sprints": tk.sprint_count,
                "sprints": p["sprint_count"],
            }
        )
    phantom = 0
    for k, p in enumerate(players):
        pid = next((t for t, kk in owner.items() if kk == k), None)
        mine = _sprint_windows(p["sprints"])
        if pid is None:
            phantom += len(mine)
            continue
        true_w = _sprint_windows(truth_k[pid].sprints)
        phantom += sum(1 for a, b in mine if not any(a - 1 <= tb + t0 and ta + t0 <= b + 1 for ta, tb in true_w))
    matched = [r for r in per if r["matched"]]

    def med(key, absolute=True):
        v = [abs(r[key]) if absolute else r[key] for r in matched if np.isfinite(r[key])]
        return float(np.median(v)) if v else float("nan")

    return {
        "people_whole_clip": len(whole),
        "matched": len(matched),
        "distance_err_pct": med("distance_err_pct"),
        "top_speed_err": med("top_err"),
        "hsr_err_m": med("hsr_err"),
        "sprints_equal": (sum(r["sprints"] == r["true_sprints"] for r in matched) / len(whole))
        if whole
        else float("nan"),
        "true_sprints": sum(r["true_sprints"] for r in per),
        "phantom_sprints": phantom,
        "players": per,
    }


def players_per_person(truth: Boxes, summary: dict, *, min_height: float = MIN_HEIGHT) -> dict:
    """The product's players (its summary, after stitching) per true person it could see (at least
    once in the headline: >= `min_height` px, less than half hidden). 1.0 is one player per
    person; above it, people split into several players (a whole session's stitching problem)."""
    people = len(set(truth.id[headline(truth, min_height)].tolist()))
    players = len(summary.get("players", []))
    return {"players": players, "people": people, "ratio": players / people if people else float("nan")}
