"""The metrics engine (ARCHITECTURE §4): positions on the pitch in, per-player KPIs out.

* `kinematics`: cleaning, outliers, gaps, resampling, zero-phase smoothing (post-session) and a causal
  filter for live display (`LiveKinematics`);
* `residual`: Winter's residual analysis, the per-player Butterworth cut-off from the track's own noise;
* `efforts`: sprints (hysteresis), accelerations and decelerations;
* `profiles`: age profiles (adult, u17, u15, u13) and the relative mode, with their sources;
* `engine`: `player_kpis`, `session_kpis` -> `edge_app.summary.PlayerSummary`;
* `pose`: knee flexion, trunk lean while sprinting, stride cadence;
* `csvio`: `read_positions_csv`, `kpis_from_csv` (the `kpis` command).
"""

from edge_app.metrics.engine import player_kpis, session_kpis
from edge_app.metrics.kinematics import LiveKinematics, SmoothingConfig, compute_kinematics
from edge_app.metrics.profiles import PROFILES, Profile, get_profile

__all__ = [
    "player_kpis",
    "session_kpis",
    "compute_kinematics",
    "LiveKinematics",
    "SmoothingConfig",
    "Profile",
    "get_profile",
    "PROFILES",
]
