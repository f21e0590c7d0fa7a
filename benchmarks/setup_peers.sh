#!/usr/bin/env bash
# The peers we measure against live in their own venv (torch is ~1 GB and the app never needs it).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv-peers/bin/python ] || "$PY" -m venv .venv-peers
PIP=(.venv-peers/bin/python -m pip install -q)
"${PIP[@]}" --upgrade pip
# ultralytics needs torch even to run an ONNX model. The CPU build (PyTorch's own index, or a local
# wheel) with its matching torchvision: PyPI's torch 2.14 pulls ~5 GB of CUDA libraries we never use.
"${PIP[@]}" "torch==2.13.0" "torchvision==0.28.0" || "${PIP[@]}" "torch>=2.4,<=2.14.1" torchvision
# openvino + nncf: Ultralytics' OpenVINO export (f32 and int8), pinned as the app's [intel] extra, so
# that Ultralytics does not install its own at run time.
"${PIP[@]}" "ultralytics==8.4.190" "onnxruntime>=1.20" "lap>=0.5.12" "sahi==0.12.8" \
    "openvino==2026.4.1" "nncf==3.4.0"
echo "peers: benchmarks/.venv-peers/bin/python" >&2
