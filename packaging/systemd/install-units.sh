#!/usr/bin/env bash
# The part of a box install that Jetson and NUC share, after scripts/install.sh built .venv:
# camera udev rule, the user's groups, the systemd user units, boot without a login (linger).
# Run as the box's user (the one that is logged in on the touchscreen), not root: sudo is used
# for the system parts. Called by packaging/jetson/install.sh and packaging/nuc/install.sh.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
user="$(id -un)"
if [ "$(id -u)" -eq 0 ]; then
  echo "install-units: run as the box's user (the kiosk's), not root; sudo is used where needed" >&2
  exit 1
fi
[ -x "$repo/.venv/bin/axolotl-edge" ] || { echo "install-units: $repo/.venv/bin/axolotl-edge is missing: run scripts/install.sh first" >&2; exit 1; }

# Camera: group video and the stable /dev/axolotl-camera name.
sudo install -m 644 "$repo/packaging/udev/99-axolotl-camera.rules" /etc/udev/rules.d/
sudo udevadm control --reload
sudo udevadm trigger --subsystem-match=video4linux

# video: cameras (and the Jetson's /dev/nvhost-* GPU nodes); render: /dev/dri/renderD* (VA-API, GPU compute).
for group in video render; do
  if getent group "$group" >/dev/null; then sudo usermod -aG "$group" "$user"; fi
done

# User units start at boot without anybody logging in (serve, sync); the kiosk starts with the
# graphical session, which autologin opens (see packaging/systemd/README.md).
sudo loginctl enable-linger "$user"

# The units call ~/.local/bin/axolotl-edge, so they do not depend on where this checkout lives.
mkdir -p "$HOME/.local/bin" "$HOME/.config/systemd/user" "$HOME/.config/axolotl-edge"
ln -sfn "$repo/.venv/bin/axolotl-edge" "$HOME/.local/bin/axolotl-edge"
install -m 644 "$repo"/packaging/systemd/axolotl-*.service "$repo/packaging/systemd/axolotl-edge.target" \
  "$HOME/.config/systemd/user/"
[ -f "$HOME/.config/axolotl-edge/env" ] || install -m 600 "$repo/packaging/systemd/env.example" "$HOME/.config/axolotl-edge/env"

systemctl --user daemon-reload
systemctl --user enable axolotl-edge.target axolotl-serve.service axolotl-sync.service axolotl-kiosk.service
systemctl --user restart axolotl-edge.target
echo "install-units: done; log out and in (or reboot) for the video/render groups, then: systemctl --user status 'axolotl-*'" >&2
