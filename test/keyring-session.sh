#!/usr/bin/env bash
# A private D-Bus session whose Secret Service is gnome-keyring with an empty, unlocked login keyring kept in
# a throwaway directory ($FRUXON_TWILIO_TEST_KEYRING_HOME), then the given command inside it:
#   bash test/keyring-session.sh COMMAND...
#
# The daemon is started by D-Bus activation (test/keyring-daemon.sh), never by hand: gnome-keyring-daemon
# 42.1 (Debian 12) aborts now and then when many clients open sessions at once (GLib-ERROR in
# aes_negotiate, exit 133; reproduced with 12 processes writing in a loop). With the system's service file
# D-Bus would then start a LOCKED daemon on the next request, and every test after it would fail on the
# keychain. With ours, the next request starts an unlocked one on the same keyring files (what was stored
# is still there), and D-Bus holds the requests of the gap until it owns the name.
set -euo pipefail
home="${FRUXON_TWILIO_TEST_KEYRING_HOME:?}"
here="$(cd "$(dirname "$0")" && pwd)"

if [ "${1:-}" != --in-session ]; then
  mkdir -p "$home/services"
  printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/usr/bin/env bash "%s/keyring-daemon.sh"\n' "$here" \
    >"$home/services/org.freedesktop.secrets.service"
  # The system's session bus settings, but with our service directory alone: no other Secret Service.
  cat >"$home/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$home/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
  <!-- The session bus's own limits (session.conf): the system bus's are far lower (256 connections). -->
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">1000000000</limit>
  <limit name="service_start_timeout">30000</limit>
  <limit name="auth_timeout">240000</limit>
  <limit name="pending_fd_timeout">150000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_incomplete_connections">10000</limit>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_pending_service_starts">10000</limit>
  <limit name="max_names_per_connection">50000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
  <limit name="max_replies_per_connection">50000</limit>
</busconfig>
CONF
  exec dbus-run-session --config-file="$home/bus.conf" -- bash "$0" --in-session "$@"
fi
shift

# The tests run with the same directories as the daemon.
export XDG_DATA_HOME="$home/data"
export XDG_RUNTIME_DIR="$home/run"

# Start it now, so that the first test does not wait for it (and a keyring that cannot start fails here).
dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.StartServiceByName string:org.freedesktop.secrets uint32:0 >/dev/null

status=0
"$@" || status=$?

starts=$(grep -c '^keyring-daemon: start' "$home/daemon.log" 2>/dev/null || true)
if [ "${starts:-0}" -gt 1 ]; then
  echo "test keyring: gnome-keyring-daemon exited $((starts - 1)) time(s) during the run; D-Bus started an unlocked one again each time" >&2
  grep -E 'ERROR|CRITICAL' "$home/daemon.log" | tail -3 | sed 's/^/test keyring:   /' >&2 || true
fi
exit "$status"
