#!/usr/bin/env bash
# The whole test suite, against real parts: the built CLI, a real SQLite file and a real keychain
# (gnome-keyring's Secret Service on a private D-Bus session, so a developer's own keychain is never touched:
# test/keyring-session.sh).
#   bash test/run.sh            every test that needs nothing outside this repository
#   bash test/run.sh --shared   the contract tests that read ../shared/ (Twilio's OpenAPI spec)
#   bash test/run.sh FILE...    only these compiled test files (dist/test/...)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v dbus-launch >/dev/null || need+=(dbus-x11)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
command -v tmux >/dev/null || need+=(tmux) # the interactive listen's tests drive a real pseudo-terminal
command -v chromium >/dev/null || need+=(chromium) # the inspector's browser tests (driven by playwright-core)
command -v python3 >/dev/null || need+=(python3) # a strict XML 1.0 parser (expat) for the JUnit files
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test/run.sh: installing ${need[*]} (a real keychain, a terminal, a browser for the inspector tests)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "test/run.sh: the tests need a real keychain, a terminal and a browser; install: ${need[*]} (e.g. sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

[ -d node_modules ] || npm ci
npm run -s build

if [ "${1:-}" = "--shared" ]; then
  shift
  files=$(find dist/test/shared -name '*.test.js' | sort)
elif [ $# -gt 0 ]; then
  files="$*"
else
  all=$(find dist/test -name '*.test.js' -not -path 'dist/test/shared/*' | sort)
  # The longest files first, so that the run does not end waiting on one of them alone.
  slow="reliability/secrets reliability/concurrency listener/listen convtest/test-command inspector/browser
    commands/routing mcp/mcp store/teardown interactive/listen-tty reliability/crash listener/hostile commands/link-lease"
  files=""
  for s in $slow; do files="$files $(printf '%s\n' $all | grep -x "dist/test/$s.test.js" || true)"; done
  for f in $all; do case " $files " in *" $f "*) ;; *) files="$files $f" ;; esac; done
fi

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
export FRUXON_TWILIO_TEST_KEYRING_HOME="$keyring_home"
# Three files at once: much of a file's time is spent waiting on child processes and timers, so even a
# 2-core machine runs three well (bench/README.md, "The test suite"). FRUXON_TWILIO_TEST_CONCURRENCY changes it.
# shellcheck disable=SC2086
bash test/keyring-session.sh node --test --test-concurrency=${FRUXON_TWILIO_TEST_CONCURRENCY:-3} --test-timeout=180000 $files
