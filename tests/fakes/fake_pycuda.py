"""A fake `pycuda.driver`: the subset edge_app uses, with a GPU's rules enforced.

- Device memory lives apart from host memory (addresses → byte arrays, uninitialised = 0xFF,
  a NaN for float32), so a missing copy shows up as NaN output.
- Work queued on a Stream (async copies, fake TensorRT kernels) only runs at
  `Stream.synchronize()`, so reading the output before the sync reads stale bytes.
- Async copies must use page-locked host memory (pagelocked_empty); the copy direction is
  checked by argument type, as the real calls would misbehave with swapped arguments.
- Every call needs a current context on the calling thread (push/pop are per thread).
"""

from __future__ import annotations

import threading
from itertools import count

import numpy as np

DEVICE_NAME = "Orin"
GARBAGE = 0xFF  # uninitialised device/pinned memory: NaN as float32

_memory: dict[int, np.ndarray] = {}
_streams: dict[int, "Stream"] = {}
_addresses = count(0x7F0000000000, 1 << 32)
_tls = threading.local()
_initialised = False
calls: list[str] = []  # what the code asked for, in order (tests read it)


class Error(Exception):
    pass


class LogicError(Error):
    pass


def reset() -> None:
    global _initialised
    _memory.clear()
    _streams.clear()
    calls.clear()
    _initialised = False


def _stack() -> list:
    if not hasattr(_tls, "stack"):
        _tls.stack = []
    return _tls.stack


def _require_context(what: str) -> None:
    if not _stack():
        raise LogicError(f"{what} failed: invalid device context")


def init(flags: int = 0) -> None:
    global _initialised
    _initialised = True


class Context:
    def __init__(self, device):
        self.device = device
        self.retained = True

    def push(self) -> None:
        if not self.retained:
            raise LogicError("cuCtxPushCurrent failed: context was detached")
        _stack().append(self)

    @staticmethod
    def pop() -> None:
        if not _stack():
            raise LogicError("cuCtxPopCurrent failed: no context is current")
        _stack().pop()

    @staticmethod
    def get_current():
        return _stack()[-1] if _stack() else None

    def detach(self) -> None:
        self.retained = False


class Device:
    def __init__(self, index: int):
        if not _initialised:
            raise LogicError("cuInit has not been called")
        if index != 0:
            raise LogicError("cuDeviceGet failed: invalid device ordinal")
        self.index = index

    @staticmethod
    def count() -> int:
        return 1

    def name(self) -> str:
        return DEVICE_NAME

    def retain_primary_context(self) -> Context:
        return Context(self)


class DeviceAllocation:
    def __init__(self, address: int, nbytes: int):
        self.address, self.nbytes = address, nbytes

    def __int__(self) -> int:
        return self.address

    def __index__(self) -> int:
        return self.address

    def free(self) -> None:
        _require_context("cuMemFree")
        _memory.pop(self.address, None)


class PagelockedArray(np.ndarray):
    """What pagelocked_empty returns; views of it stay page-locked."""


def mem_alloc(nbytes: int) -> DeviceAllocation:
    _require_context("cuMemAlloc")
    address = next(_addresses)
    _memory[address] = np.full(int(nbytes), GARBAGE, np.uint8)
    return DeviceAllocation(address, int(nbytes))


def pagelocked_empty(shape, dtype) -> PagelockedArray:
    _require_context("cuMemHostAlloc")
    arr = np.empty(shape, dtype).view(PagelockedArray)
    arr.view(np.uint8)[...] = GARBAGE
    return arr


def device_view(ptr: int, nbytes: int) -> np.ndarray:
    """The device bytes at `ptr` (for the fake TensorRT's kernels)."""
    for base, buf in _memory.items():
        if base <= ptr and ptr + nbytes <= base + buf.size:
            return buf[ptr - base : ptr - base + nbytes]
    raise LogicError(f"invalid device pointer {ptr:#x} (+{nbytes} bytes): not allocated or too small")


def _device_ptr(dest) -> int:
    if isinstance(dest, np.ndarray):
        raise TypeError("expected a device pointer, got a host array: copy direction swapped?")
    return int(dest)


def _host(arr, what: str, pinned: bool) -> np.ndarray:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{what}: expected a host array, got {type(arr).__name__}: copy direction swapped?")
    if pinned and not isinstance(arr, PagelockedArray):
        raise LogicError(f"{what}: host memory is not page-locked (use pagelocked_empty for async copies)")
    if not arr.flags.c_contiguous:
        raise LogicError(f"{what}: host array is not contiguous")
    return arr


class Stream:
    def __init__(self, flags: int = 0):
        _require_context("cuStreamCreate")
        self.handle = id(self)
        self._ops: list = []
        _streams[self.handle] = self

    def enqueue(self, fn) -> None:
        self._ops.append(fn)

    def synchronize(self) -> None:
        _require_context("cuStreamSynchronize")
        calls.append("synchronize")
        ops, self._ops = self._ops, []
        for op in ops:
            op()


def stream_from_handle(handle: int) -> Stream:
    try:
        return _streams[handle]
    except KeyError:
        raise LogicError(f"invalid stream handle {handle:#x}") from None


def memcpy_htod_async(dest, src, stream=None) -> None:
    _require_context("cuMemcpyHtoDAsync")
    ptr, src = _device_ptr(dest), _host(src, "memcpy_htod_async", pinned=True)
    calls.append("htod")

    def op():  # reads the host buffer when the copy runs, as the GPU would
        device_view(ptr, src.nbytes)[...] = src.reshape(-1).view(np.uint8)

    stream.enqueue(op) if stream is not None else op()


def memcpy_dtoh_async(dest, src, stream=None) -> None:
    _require_context("cuMemcpyDtoHAsync")
    dest, ptr = _host(dest, "memcpy_dtoh_async", pinned=True), _device_ptr(src)
    calls.append("dtoh")

    def op():
        dest.reshape(-1).view(np.uint8)[...] = device_view(ptr, dest.nbytes)

    stream.enqueue(op) if stream is not None else op()


def memcpy_htod(dest, src) -> None:
    _require_context("cuMemcpyHtoD")
    ptr, src = _device_ptr(dest), _host(src, "memcpy_htod", pinned=False)
    device_view(ptr, src.nbytes)[...] = np.ascontiguousarray(src).reshape(-1).view(np.uint8)
