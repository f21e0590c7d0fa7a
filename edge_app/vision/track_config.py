"""ByteTrack's settings (`[tracker]` in the config): the tracker's own, as each detector backend owns its
config, so the vision stages that judge boxes at the tracker's thresholds (quantize's verdict) need no
app config."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrackerConfig(BaseModel):
    """ByteTrack's two score thresholds and its reference values (as in supervision's ByteTrack)."""

    model_config = ConfigDict(extra="forbid")

    track_activation_threshold: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description=(
            "the high threshold: boxes scoring above it are matched to tracks first, and may start a track "
            "(from this + 0.1)"
        ),
    )
    low_score_threshold: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description=(
            "the low threshold: boxes scoring above it, but not above track_activation_threshold, only continue "
            "tracks already tracked (ByteTrack's second association); the pipeline's detector keeps every box "
            "down to it, whatever detector.conf says"
        ),
    )
    lost_track_buffer: int = 30
    minimum_matching_threshold: float = 0.8
    minimum_consecutive_frames: int = 1

    @model_validator(mode="after")
    def _low_below_high(self):
        if self.low_score_threshold >= self.track_activation_threshold:
            raise ValueError(
                f"low_score_threshold ({self.low_score_threshold}) must be below "
                f"track_activation_threshold ({self.track_activation_threshold})"
            )
        return self
