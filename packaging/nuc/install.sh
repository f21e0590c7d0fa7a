#!/usr/bin/env bash
# Axolotl Edge on an Intel NUC (x86-64, Ubuntu 22.04/24.04 or Debian 12), with or without an NVIDIA GPU.
#   packaging/nuc/install.sh
# Run as the box's user (the one logged in on the touchscreen), not root; sudo is used where needed.
# Beyond scripts/install.sh (the common part, ONNX Runtime and llama.cpp on the CPU):
#   - with an NVIDIA GPU (nvidia-smi works): onnxruntime-gpu from PyPI, whose [cuda,cudnn] extra brings
#     the CUDA and cuDNN libraries as NVIDIA's pip wheels (no system CUDA needed to run), pycuda, and
#     llama-cpp-python compiled with CMAKE_ARGS="-DGGML_CUDA=on" when the CUDA toolkit (nvcc) is there;
#   - OpenVINO (scripts/install.sh adds the [intel] extra on x86-64): the iGPU plugin needs Intel's OpenCL
#     runtime (intel-opencl-icd); the NPU (Core Ultra) needs Intel's NPU driver (github.com/intel/linux-npu-driver);
#   - the camera: v4l-utils, the udev rule (/dev/axolotl-camera, group video), the systemd user units.
#     The app opens it as `v4l2:/dev/axolotl-camera`: CAP_V4L2, MJPEG at 1920x1080, 30 fps.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -eq 0 ]; then
  echo "nuc/install.sh: run as the box's user (the kiosk's), not root; sudo is used where needed" >&2
  exit 1
fi
if [ "$(uname -m)" != x86_64 ]; then
  echo "nuc/install.sh: this is $(uname -m), not x86-64; on a Jetson run packaging/jetson/install.sh" >&2
  exit 1
fi

sudo apt-get update -q
sudo apt-get install -y -q v4l-utils python3-venv intel-opencl-icd
scripts/install.sh
# Which OpenVINO devices this box has (detector.device; a missing one falls back to the CPU).
.venv/bin/python -c 'import openvino as ov, sys; print("OpenVINO", ov.__version__.split("-")[0], "devices:", ", ".join(ov.Core().available_devices), file=sys.stderr)' \
  || echo "nuc/install.sh: problem: OpenVINO does not load; detector type 'onnxruntime' still works" >&2

pip=(.venv/bin/python -m pip)
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  # Both wheels install the same `onnxruntime` folder: remove the CPU one first.
  "${pip[@]}" uninstall -y -q onnxruntime
  # 1.20-1.26 are CUDA 12 + cuDNN 9 builds, 1.28 on CUDA 13 (pip's resolver: the extra pulls nvidia-*-cu12
  # up to 1.26, -cu13 from 1.28), which needs an NVIDIA driver >= 580. ORT_GPU overrides the choice.
  "${pip[@]}" install -q "${ORT_GPU:-onnxruntime-gpu[cuda,cudnn]>=1.20,<1.28}" "numpy<2" "protobuf<5"
  if command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="/usr/local/cuda/bin:$PATH"
    "${pip[@]}" install -q "pycuda>=2024.1" "numpy<2"
    llama_pin=$(grep -o '"llama-cpp-python==[^"]*"' pyproject.toml | tr -d '"')
    echo "nuc/install.sh: building $llama_pin for CUDA (several minutes)" >&2
    CMAKE_ARGS="-DGGML_CUDA=on" "${pip[@]}" install -q --no-cache-dir --force-reinstall --no-deps "$llama_pin"
  else
    echo "nuc/install.sh: no CUDA toolkit (nvcc): llama.cpp and pycuda stay on the CPU; install NVIDIA's cuda-toolkit-12-x and run again" >&2
  fi
  .venv/bin/python -c 'import onnxruntime as o, sys; p = o.get_available_providers(); print("ONNX Runtime", o.__version__, p, file=sys.stderr); sys.exit("CUDAExecutionProvider" not in p)' \
    || echo "nuc/install.sh: problem: onnxruntime-gpu has no CUDA provider (driver too old for CUDA 12?)" >&2
else
  echo "nuc/install.sh: no NVIDIA GPU: ONNX Runtime and llama.cpp run on the CPU" >&2
fi

packaging/systemd/install-units.sh
echo "nuc/install.sh: done. Camera source: v4l2:/dev/axolotl-camera (MJPEG 1080p30)" >&2
