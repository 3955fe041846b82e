#!/usr/bin/env bash
# `make run`: initialise the store, then run `reel serve` in the foreground:
# it records the default source (JACK if a server runs, else the default ALSA
# capture device, else a test tone) with the HTTP API on 127.0.0.1:7070, until
# Ctrl-C, which seals everything. REEL_LISTEN and REEL_SERVE_ARGS adjust it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REEL=build/src/cli/reel

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
echo "demo: reel serve records the default source (JACK if a server runs, else the default"
echo "      ALSA capture device, else a test tone) until Ctrl-C; HTTP API on ${REEL_LISTEN:-127.0.0.1:7070}."
echo "      The web page: http://${REEL_LISTEN:-127.0.0.1:7070}/ (meters, waveform, grab, artifacts)."
echo "      In another terminal:  build/src/cli/reel streams"
echo "                            build/src/cli/reel slice STREAM --last 30s --out last30.wav"
echo "                            curl http://${REEL_LISTEN:-127.0.0.1:7070}/api/streams"
exec "$REEL" serve --listen "${REEL_LISTEN:-127.0.0.1:7070}" ${REEL_SERVE_ARGS:-}
