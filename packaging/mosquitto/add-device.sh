#!/usr/bin/env bash
# Register a box with the broker: its password and an ACL block binding it to its own tenant and id.
#   add-device.sh DEVICE_ID TENANT [PASSWORD]      (a random password is made and printed when none is given)
# Files: $AXOLOTL_MQTT_PASSWD (default /etc/mosquitto/axolotl/passwd), $AXOLOTL_MQTT_ACL
# (default /etc/mosquitto/axolotl/acl). Then `kill -HUP $(pidof mosquitto)` to reload them.
set -euo pipefail

passwd_file=${AXOLOTL_MQTT_PASSWD:-/etc/mosquitto/axolotl/passwd}
acl_file=${AXOLOTL_MQTT_ACL:-/etc/mosquitto/axolotl/acl}

if [[ $# -lt 2 || $# -gt 3 ]]; then
    echo "usage: $0 DEVICE_ID TENANT [PASSWORD]" >&2
    exit 2
fi
device=$1
tenant=$2
# Topic levels: no wildcards, separators or spaces (they would widen the ACL line).
name='^[A-Za-z0-9._-]{1,128}$'
if [[ ! $device =~ $name || ! $tenant =~ $name || $device == ingest ]]; then
    echo "error: device id and tenant may hold only letters, digits, '.', '_' and '-' (and the device is not 'ingest')" >&2
    exit 2
fi
if grep -qx "user $device" "$acl_file"; then
    echo "error: $device is already in $acl_file; remove its block first to move it to another tenant" >&2
    exit 2
fi
password=${3:-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')}

[[ -e $passwd_file ]] || install -m 600 /dev/null "$passwd_file"
mosquitto_passwd -b "$passwd_file" "$device" "$password"
printf '\nuser %s\ntopic readwrite axolotl/v1/%s/%s/#\n' "$device" "$tenant" "$device" >> "$acl_file"
if [[ $# -lt 3 ]]; then
    echo "$device password: $password"
fi
echo "added $device (tenant $tenant); reload the broker: kill -HUP \$(pidof mosquitto)" >&2
