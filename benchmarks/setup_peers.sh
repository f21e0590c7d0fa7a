#!/usr/bin/env bash
# The peers we measure against live in their own venv (torch is ~1 GB and the app never needs it).
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
[ -x .venv-peers/bin/python ] || "$PY" -m venv .venv-peers
.venv-peers/bin/python -m pip install -q --upgrade pip
# ultralytics needs torch even to run an ONNX model; any recent CPU build will do.
.venv-peers/bin/python -m pip install -q "torch>=2.4,<=2.14.1"
.venv-peers/bin/python -m pip install -q "ultralytics==8.4.190" "onnxruntime>=1.20" "lap>=0.5.12" "sahi==0.12.8"  # sahi: bench_small_players.py
echo "peers: benchmarks/.venv-peers/bin/python" >&2
