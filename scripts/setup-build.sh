#!/usr/bin/env bash
# setup-build.sh DIR [meson options...]
# Configure DIR with meson if it is not configured yet; reconfigure it when
# source files were added or removed since it was last configured (the
# meson.build files pick sources with fs.exists at configure time, which
# meson does not track, so a new module or test would otherwise be missed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir=$1
shift
shopt -s nullglob
files=(src/*/*.c src/lib/*/*.c src/lib/*/*/*.c tests/unit/*.c tests/integration/*.sh fuzz/*.c)
list=$(printf '%s\n' "${files[@]}")
stamp=$dir/reel-sources.list
if [[ ! -f $dir/meson-private/coredata.dat ]]; then
  meson setup "$dir" "$@"
elif [[ ! -f $stamp || $(<"$stamp") != "$list" ]]; then
  echo "setup: source files added or removed since $dir was configured; reconfiguring"
  meson setup --reconfigure "$dir" "$@" >"$dir/reconfigure.log" 2>&1 || {
    cat "$dir/reconfigure.log"
    exit 1
  }
fi
printf '%s\n' "$list" >"$stamp"
