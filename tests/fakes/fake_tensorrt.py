"""A fake `tensorrt` module: the subset edge_app uses (TensorRT 8.x/10 Python API names).

The builder parses the ONNX with ONNX Runtime, checks what real TensorRT checks (a profile for
every dynamic input, shapes inside it, a calibrator for INT8, a DLA core that exists and a
precision DLA runs), drives the INT8 calibrator as TensorRT does (cache first, else batches
until None, then write the cache) and records everything in `BUILDS`. The "engine" it
serialises is the ONNX plus a header naming this TensorRT version; its kernels are the ONNX
model run by ONNX Runtime on the CPU, reading and writing the fake pycuda's device memory on
the stream they were enqueued on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from tests.fakes import fake_pycuda

__version__ = "10.3.0"
MAGIC = b"FAKETRT1"
BUILDS: list["BuildRecord"] = []
CONTEXTS: list["IExecutionContext"] = []


def reset() -> None:
    global __version__
    __version__ = "10.3.0"
    BUILDS.clear()
    CONTEXTS.clear()


class Logger:
    INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = range(5)

    def __init__(self, min_severity=WARNING):
        self.min_severity = min_severity
        self.messages: list[str] = []

    def log(self, severity, msg: str) -> None:
        self.messages.append(msg)


class NetworkDefinitionCreationFlag:
    EXPLICIT_BATCH = 0


class MemoryPoolType:
    WORKSPACE = "WORKSPACE"


class BuilderFlag:
    FP16, INT8, GPU_FALLBACK = "FP16", "INT8", "GPU_FALLBACK"


class DeviceType:
    GPU, DLA = "GPU", "DLA"


class TensorIOMode:
    NONE, INPUT, OUTPUT = "NONE", "INPUT", "OUTPUT"


class DataType:
    FLOAT, HALF, INT8, INT32 = "FLOAT", "HALF", "INT8", "INT32"


float32 = DataType.FLOAT
_NP = {DataType.FLOAT: np.float32, DataType.HALF: np.float16, DataType.INT8: np.int8, DataType.INT32: np.int32}


def nptype(dtype):
    return _NP[dtype]


def _session(onnx: bytes):
    import onnxruntime as ort

    return ort.InferenceSession(onnx, providers=["CPUExecutionProvider"])


def _dims(shape) -> tuple:
    return tuple(d if isinstance(d, int) else -1 for d in shape)


@dataclass
class ITensor:
    name: str
    shape: tuple
    dtype: str = DataType.FLOAT


class INetworkDefinition:
    def __init__(self, flags):
        self.flags = flags
        self.inputs: list[ITensor] = []
        self.outputs: list[ITensor] = []
        self.onnx: bytes | None = None

    num_inputs = property(lambda self: len(self.inputs))
    num_outputs = property(lambda self: len(self.outputs))

    def get_input(self, i):
        return self.inputs[i]

    def get_output(self, i):
        return self.outputs[i]


class OnnxParser:
    def __init__(self, network: INetworkDefinition, logger: Logger):
        self.network, self.logger, self.errors = network, logger, []

    def parse(self, model: bytes) -> bool:
        try:
            sess = _session(bytes(model))
        except Exception as exc:
            self.errors.append(f"ModelImporter: {str(exc).splitlines()[0]}")
            return False
        self.network.onnx = bytes(model)
        self.network.inputs = [ITensor(i.name, _dims(i.shape)) for i in sess.get_inputs()]
        self.network.outputs = [ITensor(o.name, _dims(o.shape)) for o in sess.get_outputs()]
        return True

    def parse_from_file(self, path: str) -> bool:
        with open(path, "rb") as f:
            return self.parse(f.read())

    num_errors = property(lambda self: len(self.errors))

    def get_error(self, i):
        return self.errors[i]


class IOptimizationProfile:
    def __init__(self):
        self.shapes: dict[str, tuple] = {}

    def set_shape(self, name, min, opt, max) -> None:  # noqa: A002 - TensorRT's names
        min, opt, max = tuple(min), tuple(opt), tuple(max)  # noqa: A001
        if not (len(min) == len(opt) == len(max)) or not all(a <= b <= c for a, b, c in zip(min, opt, max)):
            raise ValueError(f"invalid profile for {name}: {min} {opt} {max}")
        self.shapes[name] = (min, opt, max)

    def get_shape(self, name):
        return list(self.shapes[name])


class IInt8EntropyCalibrator2:
    def __init__(self):
        self._base_initialised = True  # pybind11 refuses subclasses that skip this


class IBuilderConfig:
    def __init__(self):
        self.flags: set[str] = set()
        self.pool_limits: dict[str, int] = {}
        self.profiles: list[IOptimizationProfile] = []
        self.calibration_profile: IOptimizationProfile | None = None
        self.int8_calibrator = None
        self.default_device_type = DeviceType.GPU
        self.DLA_core = -1

    def set_memory_pool_limit(self, pool, size: int) -> None:
        self.pool_limits[pool] = int(size)

    def get_memory_pool_limit(self, pool) -> int:
        return self.pool_limits.get(pool, 0)

    def set_flag(self, flag) -> None:
        self.flags.add(flag)

    def get_flag(self, flag) -> bool:
        return flag in self.flags

    def add_optimization_profile(self, profile) -> int:
        self.profiles.append(profile)
        return len(self.profiles) - 1

    def set_calibration_profile(self, profile) -> bool:
        self.calibration_profile = profile
        return True


@dataclass
class BuildRecord:
    network_flags: int
    flags: set
    workspace: int
    profiles: list
    calibration_profile: dict | None
    device_type: str
    dla_core: int
    calib_batch_size: int | None = None
    calib_frames: list = field(default_factory=list)
    calib_cache_used: bool = False
    calib_cache_written: bytes | None = None


class Builder:
    platform_has_fast_fp16 = True
    platform_has_fast_int8 = True
    num_DLA_cores = 2  # as on a Jetson AGX Orin

    def __init__(self, logger: Logger):
        fake_pycuda._require_context("Builder (cudaGetDevice)")
        self.logger = logger

    def create_network(self, flags: int = 0) -> INetworkDefinition:
        return INetworkDefinition(flags)

    def create_builder_config(self) -> IBuilderConfig:
        return IBuilderConfig()

    def create_optimization_profile(self) -> IOptimizationProfile:
        return IOptimizationProfile()

    def _error(self, msg: str):
        self.logger.log(Logger.ERROR, msg)
        return None

    def build_serialized_network(self, network: INetworkDefinition, config: IBuilderConfig):
        if network.onnx is None:
            return self._error("network has no layers")
        profiles = [p.shapes for p in config.profiles]
        for t in network.inputs:
            if -1 in t.shape and not any(t.name in p for p in profiles):
                return self._error(f"input {t.name} has dynamic dims but no optimization profile")
        if config.default_device_type == DeviceType.DLA:
            if not 0 <= config.DLA_core < self.num_DLA_cores:
                return self._error(f"DLA core {config.DLA_core} does not exist")
            if not ({BuilderFlag.FP16, BuilderFlag.INT8} & config.flags):
                return self._error("DLA needs FP16 or INT8")
        record = BuildRecord(
            network.flags,
            set(config.flags),
            config.get_memory_pool_limit(MemoryPoolType.WORKSPACE),
            profiles,
            config.calibration_profile.shapes if config.calibration_profile else None,
            config.default_device_type,
            config.DLA_core,
        )
        if BuilderFlag.INT8 in config.flags:
            if not self._calibrate(network, config, record):
                return None
        BUILDS.append(record)
        header = {
            "tensorrt": __version__,
            "inputs": [[t.name, t.shape] for t in network.inputs],
            "outputs": [[t.name, t.shape] for t in network.outputs],
            "profiles": profiles,
        }
        return MAGIC + json.dumps(header).encode() + b"\n" + network.onnx

    def _calibrate(self, network, config, record) -> bool:
        cal = config.int8_calibrator
        if cal is None:
            return self._error("INT8 without a calibrator or dynamic ranges") is not None
        if not getattr(cal, "_base_initialised", False):
            raise TypeError("IInt8EntropyCalibrator2.__init__() must be called when overriding __init__")
        cache = cal.read_calibration_cache()
        if cache:
            record.calib_cache_used = True
            return True
        record.calib_batch_size = batch = cal.get_batch_size()
        name = network.inputs[0].name
        shape = (config.calibration_profile or config.profiles[0]).shapes[name][1]  # calibration runs at opt
        if shape[0] != batch:
            return self._error(f"calibrator batch {batch} differs from the calibration profile's {shape}") is not None
        while True:
            ptrs = cal.get_batch([name])
            if not ptrs:
                break
            nbytes = int(np.prod(shape)) * 4
            data = fake_pycuda.device_view(int(ptrs[0]), nbytes).view(np.float32).reshape(shape)
            record.calib_frames.extend(np.array(data))  # a copy per frame
        if not record.calib_frames:
            return self._error("calibration got no batches") is not None
        blob = f"TRT-{__version__.replace('.', '')}00-EntropyCalibration2\nframes:{len(record.calib_frames)}\n".encode()
        cal.write_calibration_cache(memoryview(blob))
        record.calib_cache_written = blob
        return True


class ICudaEngine:
    def __init__(self, header: dict, onnx: bytes):
        self.header = header
        self.session = _session(onnx)
        self._io = [(n, TensorIOMode.INPUT, tuple(s)) for n, s in header["inputs"]] + [
            (n, TensorIOMode.OUTPUT, tuple(s)) for n, s in header["outputs"]
        ]
        self._profiles = header["profiles"]
        self._out_shapes: dict[tuple, tuple] = {}

    # TensorRT >= 8.5 names
    num_io_tensors = property(lambda self: len(self._io))

    def get_tensor_name(self, i):
        return self._io[i][0]

    def _entry(self, name):
        return next(e for e in self._io if e[0] == name)

    def get_tensor_mode(self, name):
        return self._entry(name)[1]

    def get_tensor_dtype(self, name):
        return DataType.FLOAT

    def get_tensor_shape(self, name):
        return self._entry(name)[2]

    def get_tensor_profile_shape(self, name, profile_index):
        return self._profile_shape(name, profile_index)

    def _profile_shape(self, name, profile_index):
        return [list(s) for s in self._profiles[profile_index][name]]

    # TensorRT 8.0-8.4 names
    num_bindings = property(lambda self: len(self._io))

    def get_binding_name(self, i):
        return self._io[i][0]

    def binding_is_input(self, i):
        return self._io[i][1] == TensorIOMode.INPUT

    def get_binding_dtype(self, i):
        return DataType.FLOAT

    def get_binding_shape(self, i):
        return self._io[i][2]

    def get_profile_shape(self, profile_index, binding):
        return self._profile_shape(self._io[binding][0], profile_index)

    def create_execution_context(self):
        ctx = IExecutionContext(self)
        CONTEXTS.append(ctx)
        return ctx

    def output_shape_for(self, in_shape: tuple) -> tuple:
        """The output shape for an input shape: the model run once on zeros, remembered."""
        if in_shape not in self._out_shapes:
            name = self._io[0][0]
            self._out_shapes[in_shape] = self.session.run(None, {name: np.zeros(in_shape, np.float32)})[0].shape
        return self._out_shapes[in_shape]


class IExecutionContext:
    def __init__(self, engine: ICudaEngine):
        self.engine = engine
        self.input_shape: tuple | None = None
        self.addresses: dict[str, int] = {}
        self.executions = 0
        self.executed_shapes: list[tuple] = []

    def _in_profile(self, shape) -> bool:
        name, _, static = self.engine._io[0]
        if -1 not in static:
            return tuple(shape) == static
        lo, _, hi = self.engine._profiles[0][name]
        return len(shape) == len(lo) and all(a <= s <= b for a, s, b in zip(lo, shape, hi))

    def set_input_shape(self, name, shape) -> bool:
        return self._set_input_shape(name, shape)

    def _set_input_shape(self, name, shape) -> bool:
        if name != self.engine._io[0][0] or not self._in_profile(shape):
            return False
        self.input_shape = tuple(shape)
        return True

    def get_tensor_shape(self, name):
        if name == self.engine._io[0][0]:
            return self.input_shape or self.engine._io[0][2]
        if self.input_shape is None:
            return self.engine._entry(name)[2]
        return self.engine.output_shape_for(self.input_shape)

    def set_tensor_address(self, name, ptr) -> bool:
        self.addresses[name] = int(ptr)
        return True

    def execute_async_v3(self, stream_handle) -> bool:
        names = [e[0] for e in self.engine._io]
        if self.input_shape is None or any(n not in self.addresses for n in names):
            return False
        return self._enqueue(stream_handle, self.addresses[names[0]], self.addresses[names[1]])

    # TensorRT 8.0-8.4
    def set_binding_shape(self, index, shape) -> bool:
        return self._set_input_shape(self.engine._io[index][0], shape)

    def get_binding_shape(self, index):
        return self.get_tensor_shape(self.engine._io[index][0])

    def execute_async_v2(self, bindings, stream_handle) -> bool:
        if self.input_shape is None or len(bindings) != len(self.engine._io) or not all(bindings):
            return False
        return self._enqueue(stream_handle, bindings[0], bindings[1])

    def _enqueue(self, stream_handle, in_ptr: int, out_ptr: int) -> bool:
        fake_pycuda._require_context("enqueue")
        stream = fake_pycuda.stream_from_handle(stream_handle)
        shape = self.input_shape
        self.executions += 1
        self.executed_shapes.append(shape)

        def kernel():  # runs at stream sync, on whatever the device buffers hold then
            x = fake_pycuda.device_view(in_ptr, int(np.prod(shape)) * 4).view(np.float32).reshape(shape)
            y = self.engine.session.run(None, {self.engine._io[0][0]: x.copy()})[0].astype(np.float32)
            fake_pycuda.device_view(out_ptr, y.nbytes)[...] = y.reshape(-1).view(np.uint8)

        stream.enqueue(kernel)
        return True


class Runtime:
    def __init__(self, logger: Logger):
        self.logger = logger

    def deserialize_cuda_engine(self, data: bytes):
        data = bytes(data)
        if not data.startswith(MAGIC):
            self.logger.log(Logger.ERROR, "not a serialized engine")
            return None
        head, _, onnx = data[len(MAGIC) :].partition(b"\n")
        header = json.loads(head)
        if header["tensorrt"] != __version__:  # real TensorRT refuses plans of another version
            self.logger.log(
                Logger.ERROR, f"engine plan was built by TensorRT {header['tensorrt']}, this is {__version__}"
            )
            return None
        header["profiles"] = [{k: tuple(tuple(s) for s in v) for k, v in p.items()} for p in header["profiles"]]
        return ICudaEngine(header, onnx)
