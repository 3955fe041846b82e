#!/usr/bin/env bash
# npm-ci.sh DIR: install DIR's npm devDependencies exactly as its committed
# package-lock.json says (`npm ci`), unless node_modules already holds that
# lock. Used by `make test` and by the tests that need them (the MCP SDK
# client in tests/mcp/, the MCP conformance suite in tests/mcp-conformance/).
# node_modules is never committed. Quiet when nothing
# is to be done; one line per install otherwise; the npm log on failure.
set -euo pipefail
dir=$(cd "$1" && pwd)
command -v npm >/dev/null 2>&1 || { echo "npm-ci: npm is missing (scripts/deps.sh installs it)" >&2; exit 1; }
[[ -f $dir/package-lock.json ]] || { echo "npm-ci: $dir has no package-lock.json" >&2; exit 1; }
stamp=$dir/node_modules/.reel-lock.sha256
want=$(sha256sum "$dir/package-lock.json" "$dir/package.json" | sha256sum | cut -d' ' -f1)
# One install at a time per directory (two build trees may test at once).
exec 9>"$dir/.npm-ci.lock"
flock 9
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
  exit 0
fi
log=$(mktemp "${TMPDIR:-/tmp}/reel-npm.XXXXXX")
trap 'rm -f "$log"' EXIT
echo "npm-ci: npm ci in ${dir#"$PWD"/}"
if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
  echo "npm-ci: npm ci failed in $dir:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
echo "$want" >"$stamp"
