#!/usr/bin/env bash
# Axolotl Edge on a Jetson Orin (JetPack 6.x: L4T r36, Ubuntu 22.04, Python 3.10, CUDA 12.6).
#   packaging/jetson/install.sh
# Run as the box's user (the one logged in on the touchscreen), not root; sudo is used where needed.
# What it does, beyond scripts/install.sh (the common part):
#   1. JetPack's own packages: TensorRT's Python bindings (python3-libnvinfer), OpenCV built with
#      GStreamer (nvidia-opencv), CUDA with nvcc, the Argus camera stack; none of them is on PyPI.
#   2. .venv made with --system-site-packages, so those system bindings are importable from it.
#      Packages pip installs into .venv still come first on sys.path; we then remove pip's
#      opencv-python from .venv so that `import cv2` finds JetPack's (the only one with GStreamer,
#      needed by csi: and nvdec: sources). A .pth file pointing at /usr/lib/python3/dist-packages
#      would do the same but also exposes everything else there, with less notice; --system-site-packages
#      is the documented switch.
#   3. onnxruntime-gpu for Jetson (CUDA + TensorRT execution providers) in place of the CPU wheel.
#      PyPI has no aarch64 CUDA build (microsoft/onnxruntime#20503: "the best we can do is a manual
#      publish to jetson zoo", https://elinux.org/Jetson_Zoo#ONNX_Runtime); NVIDIA's Jetson AI Lab
#      serves them as a pip index per JetPack and CUDA: https://pypi.jetson-ai-lab.io/<jp6>/<cu126>.
#   4. llama-cpp-python compiled with CMAKE_ARGS="-DGGML_CUDA=on" (the LLM on the GPU).
#   5. the shared part: udev rule for the camera, video/render groups, systemd user units.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -eq 0 ]; then
  echo "jetson/install.sh: run as the box's user (the kiosk's), not root; sudo is used where needed" >&2
  exit 1
fi
if [ ! -f /etc/nv_tegra_release ]; then
  echo "jetson/install.sh: this is not a Jetson (no /etc/nv_tegra_release); on a NUC run packaging/nuc/install.sh" >&2
  exit 1
fi
# JetPack 6.1/6.2 ship CUDA 12.6; for JetPack 6.0 (CUDA 12.2) set JETSON_PIP_INDEX=https://pypi.jetson-ai-lab.io/jp6/cu122
JETSON_PIP_INDEX=${JETSON_PIP_INDEX:-https://pypi.jetson-ai-lab.io/jp6/cu126}
PY=/usr/bin/python3  # the interpreter JetPack's TensorRT and OpenCV bindings are built for

# 1. JetPack components (a no-op where the SD card image already has them).
sudo apt-get update -q
sudo apt-get install -y -q nvidia-jetpack python3-libnvinfer nvidia-opencv python3-venv \
  gstreamer1.0-tools v4l-utils
export PATH="/usr/local/cuda/bin:$PATH" CUDACXX=/usr/local/cuda/bin/nvcc

# 2. The venv sees the system site-packages.
if [ -x .venv/bin/python ] && ! grep -q "include-system-site-packages = true" .venv/pyvenv.cfg; then
  echo "jetson/install.sh: .venv exists without system site-packages; remove it (rm -rf .venv) and run again" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv --system-site-packages .venv

# The common part, with llama.cpp built for CUDA (pip reads CMAKE_ARGS when it compiles the wheel).
export CMAKE_ARGS="-DGGML_CUDA=on"
PYTHON="$PY" scripts/install.sh

pip=(.venv/bin/python -m pip)
# 3. ONNX Runtime with CUDA/TensorRT. Both wheels install the same `onnxruntime` package folder:
# remove the CPU one first (removing it after would delete the GPU one's files).
"${pip[@]}" uninstall -y -q onnxruntime
"${pip[@]}" install -q --extra-index-url "$JETSON_PIP_INDEX" "onnxruntime-gpu>=1.20,<2" "pycuda>=2024.1" "numpy<2" "protobuf<5"

# 4. pip may have reused a cached CPU build of llama-cpp-python: rebuild it if it cannot offload.
llama_pin=$(grep -o '"llama-cpp-python==[^"]*"' pyproject.toml | tr -d '"')
if ! .venv/bin/python -c 'import sys, llama_cpp; sys.exit(not llama_cpp.llama_supports_gpu_offload())'; then
  echo "jetson/install.sh: building $llama_pin for CUDA (10-20 minutes on an Orin)" >&2
  "${pip[@]}" install -q --no-cache-dir --force-reinstall --no-deps "$llama_pin"
fi

# 2b. JetPack's OpenCV instead of pip's (mediapipe asks for opencv-contrib-python; `pip check` will
# say so, and mediapipe works with JetPack's cv2). Re-running scripts/install.sh alone brings pip's back:
# re-run this script instead.
"${pip[@]}" uninstall -y -q opencv-python opencv-contrib-python

# Check what was installed, and say what is missing.
.venv/bin/python - <<'PY'
import re
import sys

import cv2
import onnxruntime as ort

problems = []
if not re.search(r"GStreamer:\s*YES", cv2.getBuildInformation()):
    problems.append(f"cv2 {cv2.__version__} from {cv2.__file__} has no GStreamer")
try:
    import tensorrt
    print(f"TensorRT {tensorrt.__version__}", file=sys.stderr)
except ImportError as exc:
    problems.append(f"TensorRT's Python bindings are not importable ({exc}); apt install python3-libnvinfer")
providers = ort.get_available_providers()
print(f"ONNX Runtime {ort.__version__}: {providers}", file=sys.stderr)
if "CUDAExecutionProvider" not in providers:
    problems.append("onnxruntime has no CUDA provider")
for p in problems:
    print(f"jetson/install.sh: problem: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY

# 5. Camera rule, groups, systemd user units.
packaging/systemd/install-units.sh
echo "jetson/install.sh: done. Camera sources: csi:0 (CSI), nvdec:mjpeg:/dev/axolotl-camera (USB), nvdec:rtsp://..." >&2
