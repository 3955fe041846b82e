#!/usr/bin/env bash
# `make run`: record 10 s of a 440 Hz test tone into the store, then write the
# last 5 s of it to out/reel-last-5s.wav. Stops at the first failing step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REEL=build/src/cli/reel
STREAM=stream://tone/main
OUT_DIR=out
OUT=$OUT_DIR/reel-last-5s.wav

if [[ -z "${REEL_HOME:-}" ]]; then
  if [[ -z "${XDG_DATA_HOME:-}" && -z "${HOME:-}" ]]; then
    echo "demo: neither REEL_HOME, XDG_DATA_HOME nor HOME is set; set REEL_HOME" >&2
    exit 1
  fi
  REEL_HOME=${XDG_DATA_HOME:-$HOME/.local/share}/reel
fi
export REEL_HOME

if [[ ! -x $REEL ]]; then
  echo "demo: $REEL not built (run 'make build')" >&2
  exit 1
fi

# step DESCRIPTION COMMAND...: say what runs, run it, stop clearly if it fails.
step() {
  local what=$1 rc=0
  shift
  echo "demo: $what"
  echo "  \$ $*"
  "$@" || rc=$?
  if ((rc != 0)); then
    echo "demo: FAILED (exit $rc): $what" >&2
    exit "$rc"
  fi
}

echo "demo: store $REEL_HOME"
step "initialise the store" "$REEL" init
step "record 10 s of a 440 Hz tone into $STREAM" \
  "$REEL" record --source tone:440 --seconds 10
mkdir -p "$OUT_DIR"
step "write the last 5 s of $STREAM" \
  "$REEL" slice "$STREAM" --last 5s --out "$OUT"

if [[ ! -s $OUT ]]; then
  echo "demo: FAILED: $OUT was not written" >&2
  exit 1
fi
echo "demo: wrote $PWD/$OUT ($(stat -c %s "$OUT") bytes)"
