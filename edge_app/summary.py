"""The session summary (ARCHITECTURE §3): the unit that is stored, shown, fed to the LLM and synced.

Pydantic models with `extra="forbid"`; `SessionSummary.model_json_schema()` is the published
JSON Schema. A summary is validated whenever it is written (store) or read from outside
(`validate_summary`, the cloud ingest).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge_app.errors import AxolotlError, describe_validation

SCHEMA = "axolotl.session-summary/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ZoneStat(_Strict):
    name: str  # walk, jog, run, hsr, sprint
    lower: float  # speed bounds in the summary's unit per second (m/s, or px/s uncalibrated)
    upper: float | None
    time_s: float = Field(ge=0)
    distance: float = Field(ge=0)


class Effort(_Strict):
    """A sprint, acceleration or deceleration."""

    start_s: float
    duration_s: float = Field(ge=0)
    distance: float = Field(ge=0)
    peak: float  # peak speed (sprints) or peak |acceleration| (accel/decel), in the summary's units


class PoseKPIs(_Strict):
    samples: int = Field(ge=0)
    knee_flexion_deg: float | None = None  # median over samples, see edge_app.metrics.pose
    trunk_lean_sprint_deg: float | None = None
    stride_cadence_spm: float | None = None


class DataQuality(_Strict):
    tracked_time_s: float = Field(ge=0)
    fraction_seen: float = Field(ge=0, le=1)  # of the frames between first and last sighting
    gaps: int = Field(ge=0)
    gap_time_s: float = Field(ge=0)
    interpolated_time_s: float = Field(ge=0)
    outliers_dropped: int = Field(ge=0)
    ids_merged: int = Field(ge=0)


class PlayerSummary(_Strict):
    player: str  # the coach's name for them, or "track-<id>"
    track_ids: list[int]
    distance: float = Field(ge=0)
    top_speed: float = Field(ge=0)
    zones: list[ZoneStat]
    hsr_distance: float = Field(ge=0)
    sprint_count: int = Field(ge=0)
    sprints: list[Effort]
    acceleration_count: int = Field(ge=0)
    deceleration_count: int = Field(ge=0)
    accelerations: list[Effort]
    decelerations: list[Effort]
    work_rate_per_min: float = Field(ge=0)
    heatmap: list[list[float]]  # rows × cols of time fractions over the pitch (sum 1), or [] without calibration
    pose: PoseKPIs | None = None
    quality: DataQuality
    # "other": not one of the roster's players (referee, coach, passer-by): out of team totals
    role: Literal["player", "other"] = "player"


class ProfileInfo(_Strict):
    name: str
    mode: Literal["absolute", "relative"]
    thresholds: dict[str, float]  # zone lower bounds (m/s), sprint entry/exit, accel (m/s²)


class SessionSummary(_Strict):
    schema_: Literal["axolotl.session-summary/1"] = Field(SCHEMA, alias="schema")
    session_id: str
    device_id: str
    started_at: str  # UTC ISO 8601
    ended_at: str | None
    status: str
    source: str
    calibration: dict | None  # the calibration used; None: every distance below is in pixels
    units: Literal["m", "px"]
    profile: ProfileInfo
    models: dict
    duration_s: float = Field(ge=0)
    players: list[PlayerSummary]
    feedback: dict | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json_dict(self) -> dict:
        return self.model_dump(by_alias=True, mode="json")


def validate_summary(data: dict) -> SessionSummary:
    """Parse and check a summary dict; a one-line AxolotlError names the first problem."""
    try:
        return SessionSummary.model_validate(data)
    except ValidationError as exc:
        raise AxolotlError(
            f"session summary is invalid {describe_validation(exc)}; it does not follow {SCHEMA}"
        ) from None
