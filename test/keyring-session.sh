#!/usr/bin/env bash
# Inside a private D-Bus session: start gnome-keyring's Secret Service with an empty, unlocked login
# keyring kept in a throwaway data directory, then run the given command.
set -euo pipefail
export XDG_DATA_HOME="${FRUXON_TWILIO_TEST_KEYRING_HOME:?}/data"
# The daemon's control directory too, so that nothing of it is shared with other sessions on the machine.
export XDG_RUNTIME_DIR="${FRUXON_TWILIO_TEST_KEYRING_HOME}/run"
mkdir -p "$XDG_DATA_HOME"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"

start_keyring() {
  printf 'fruxon-twilio-test' | gnome-keyring-daemon --unlock --components=secrets "$@"
}

keyring_pid() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null |
    awk '/uint32/ { print $2 }'
}

# The daemon prints its environment before it owns its bus name: wait for the name (5 s at most).
wait_keyring_pid() {
  local pid=""
  for _ in $(seq 50); do
    pid=$(keyring_pid)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  echo "$pid"
}

eval "$(start_keyring)"
export GNOME_KEYRING_CONTROL
pid=$(wait_keyring_pid)

# gnome-keyring-daemon has been seen to exit in the middle of a run (rarely; it left no message). D-Bus then
# starts a new, LOCKED daemon on the next request, and every test after that fails on the keychain. Put an
# unlocked one back instead (same keyring files, so what was stored is still there), and say so on stderr.
(
  while [ -n "$pid" ]; do
    sleep 0.2
    kill -0 "$pid" 2>/dev/null && continue
    echo "test keyring: gnome-keyring-daemon (pid $pid) exited during the run; starting an unlocked one again" >&2
    # --replace: also takes the name over from a daemon D-Bus may have started on demand meanwhile.
    start_keyring --replace >/dev/null 2>&1 || true
    pid=$(wait_keyring_pid)
  done
) &
watchdog=$!
trap 'kill "$watchdog" 2>/dev/null || true' EXIT

"$@"
