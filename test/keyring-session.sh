#!/usr/bin/env bash
# Inside a private D-Bus session: start gnome-keyring's Secret Service with an empty, unlocked login
# keyring kept in a throwaway data directory, then run the given command.
set -euo pipefail
export XDG_DATA_HOME="${FRUXON_TWILIO_TEST_KEYRING_HOME:?}/data"
mkdir -p "$XDG_DATA_HOME"
eval "$(printf 'fruxon-twilio-test' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
