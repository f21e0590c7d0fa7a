"""Positions CSV: parsing, one-line errors, irregular and unsorted samples."""

import logging

import numpy as np
import pytest

from edge_app.errors import AxolotlError
from edge_app.metrics.csvio import kpis_from_csv, read_positions_csv


def write(tmp_path, text, name="pos.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def one_line_error(path, *words):
    with pytest.raises(AxolotlError) as e:
        read_positions_csv(path)
    msg = str(e.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg
    return msg


def test_errors_are_one_line(tmp_path):
    one_line_error(tmp_path / "nope.csv", "no such file")
    one_line_error(write(tmp_path, ""), "empty")
    one_line_error(write(tmp_path, "t,player,x,y\n"), "no rows")
    one_line_error(write(tmp_path, "t,player,x\n0,a,1\n"), "missing column", "y")
    one_line_error(write(tmp_path, "t,player,x,y\n0,a,1,2\n0.1,a,abc,2\n"), "line 3", "x='abc'")
    one_line_error(write(tmp_path, "t,player,x,y\n0,a,1,nan\n"), "line 2", "y=")
    one_line_error(write(tmp_path, "t,player,x,y\n0,,1,2\n"), "player")


def test_unsorted_duplicates_and_players(tmp_path, caplog):
    text = "t,player,x,y\n0.2,a,2,0\n0.0,a,0,0\n0.1,b,5,5\n0.1,a,1,0\n0.1,a,9,9\n"
    with caplog.at_level(logging.WARNING):
        data = read_positions_csv(write(tmp_path, text))
    assert set(data) == {"a", "b"}
    t, xy = data["a"]
    assert list(t) == [0.0, 0.1, 0.2]
    assert xy[:, 0].tolist() == [0.0, 1.0, 2.0]  # the first row of the duplicate 0.1 s is kept
    assert "duplicate" in caplog.text


def test_kpis_from_irregular_csv(tmp_path):
    # player "a": 4 m/s along x, sampled at irregular times (40-80 ms), rows shuffled;
    # player "b" (header in another order, extra column): standing still
    rng = np.random.default_rng(1)
    t = np.cumsum(np.r_[0.0, rng.uniform(0.04, 0.08, 200)])
    rows = [f"{ti:.4f},a,{4 * ti:.4f},10,x" for ti in t] + [f"{ti:.4f},b,50,30,y" for ti in t]
    rng.shuffle(rows)
    p = write(tmp_path, "t,player,x,y,note\n" + "\n".join(rows) + "\n")
    out = {s.player: s for s in kpis_from_csv(p, profile="u15")}
    span = t[-1] - t[0]
    assert out["a"].top_speed == pytest.approx(4.0, abs=0.01)
    assert out["a"].distance == pytest.approx(4 * span, rel=0.01)
    assert out["a"].quality.tracked_time_s == pytest.approx(span, abs=1e-3)
    assert out["b"].distance == pytest.approx(0.0, abs=0.01)
    p2 = write(tmp_path, "player,y,x,t\n" + "\n".join(f"a,10,{4 * ti:.4f},{ti:.4f}" for ti in t) + "\n", "b.csv")
    assert kpis_from_csv(p2)[0].distance == pytest.approx(out["a"].distance, abs=0.01)
