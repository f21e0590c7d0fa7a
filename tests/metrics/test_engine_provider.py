"""Issue #12 acceptance 2: on real provider tracking fed straight to `session_kpis` (the `kpis` path),
distance within 0.5 % of the provider's (median over players; every player within 2 %) and top speed
within 0.15 m/s (median; every player within 0.4 m/s).

The truth: Hawk-Eye's own per-sample distance and speed, in kloppy 3.19.1's wheel (tests/metrics/provider.py),
44 player-minutes at 50 Hz, also thinned to 25 Hz. The fixed 0.6 Hz cut-off that was the default read
distances 1.1-1.4 % short (median; one player 6.2 %) and top speeds 0.20-0.29 m/s low (one 0.77 m/s).
The officials are left out: the assistant referees' provider speed and distance carry 11-25
one-sample jumps each that their positions do not have (benchmarks/README.md).
"""

import numpy as np
import pytest

from edge_app.metrics import session_kpis
from tests.metrics.provider import PLAYER_ROLES, hawkeye_tracks, kloppy_files


@pytest.fixture(scope="module")
def players():
    folder = kloppy_files()
    if folder is None:
        pytest.skip(
            "kloppy is not installed (pip install 'kloppy==3.19.1', in the project's test extra): "
            "its wheel carries the provider tracking this test checks against"
        )
    tracks = [tr for tr in hawkeye_tracks(folder) if tr.role in PLAYER_ROLES]
    assert len(tracks) == 44  # 22 a minute, minute 1 and minute 46
    return tracks


@pytest.mark.parametrize("step", [1, 2], ids=["50Hz", "25Hz"])
def test_distance_and_top_speed_agree_with_the_provider(players, step):
    out = session_kpis({i: (tr.t[::step], tr.xy[::step]) for i, tr in enumerate(players)})
    dist = np.array([s.distance / tr.distance - 1 for s, tr in zip(out, players)])
    top = np.array([s.top_speed - tr.top_speed for s, tr in zip(out, players)])
    assert abs(np.median(dist)) <= 0.005, np.median(dist)
    assert np.abs(dist).max() <= 0.02, dist
    assert abs(np.median(top)) <= 0.15, np.median(top)
    assert np.abs(top).max() <= 0.4, top
