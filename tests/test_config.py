"""The configuration: ByteTrack's two thresholds must stay in order."""

import pytest

from edge_app.config import load_config
from edge_app.errors import AxolotlError


@pytest.mark.parametrize("tracker", [{"low_score_threshold": 0.25}, {"track_activation_threshold": 0.05}])
def test_low_score_threshold_must_be_below_the_activation_threshold(tracker, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[tracker]\n" + "".join(f"{k} = {v}\n" for k, v in tracker.items()))
    with pytest.raises(AxolotlError) as e:
        load_config(cfg)
    msg = str(e.value)
    assert "\n" not in msg and "low_score_threshold" in msg and "track_activation_threshold" in msg
    assert str(cfg) in msg


def test_defaults_are_bytetracks_reference_thresholds():
    tracker = load_config().tracker
    assert (tracker.low_score_threshold, tracker.track_activation_threshold) == (0.1, 0.25)
