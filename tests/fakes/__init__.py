"""Fakes of the GPU stack (TensorRT, pycuda) for a machine without one.

They keep the real APIs' names and semantics where the code relies on them: device memory
is separate from host memory, copies and kernels on a stream only happen at `synchronize()`,
async copies need page-locked host memory, every CUDA call needs a current context, and the
"engine" really runs the ONNX model (ONNX Runtime, CPU), so wrong buffers give wrong boxes.
"""

from __future__ import annotations

import sys
import types


def install(monkeypatch):
    """Put the fakes in sys.modules as `tensorrt`, `pycuda` and `pycuda.driver`; fresh state each time."""
    from tests.fakes import fake_pycuda, fake_tensorrt

    fake_pycuda.reset()
    fake_tensorrt.reset()
    pkg = types.ModuleType("pycuda")
    pkg.__path__ = []  # a package, so `import pycuda.driver` resolves
    pkg.driver = fake_pycuda
    monkeypatch.setitem(sys.modules, "pycuda", pkg)
    monkeypatch.setitem(sys.modules, "pycuda.driver", fake_pycuda)
    monkeypatch.setitem(sys.modules, "tensorrt", fake_tensorrt)
    return fake_tensorrt, fake_pycuda
