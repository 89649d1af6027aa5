#!/usr/bin/env bash
# The test session's Secret Service, as D-Bus activation starts it (test/keyring-session.sh): gnome-keyring
# with the login keyring in $FRUXON_TWILIO_TEST_KEYRING_HOME, unlocked with the test password (the first
# start creates it with that password, every later one unlocks the same files). Logs to daemon.log there.
set -euo pipefail
home="${FRUXON_TWILIO_TEST_KEYRING_HOME:?}"
export XDG_DATA_HOME="$home/data"
export XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_DATA_HOME"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
echo "keyring-daemon: start $(date +%T.%N)" >>"$home/daemon.log"
exec gnome-keyring-daemon --foreground --unlock --components=secrets < <(printf 'fruxon-twilio-test') >/dev/null 2>>"$home/daemon.log"
