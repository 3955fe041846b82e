#!/usr/bin/env bash
# Run every test reel has and print one summary line at the end:
#   1. meson test in build/         (unit + integration)
#   2. meson test in build-asan/    (same tests under ASan + UBSan)
#   3. meson test --suite unit in build-tsan/ (the unit tests under
#      ThreadSanitizer, halt_on_error; suppressions, if ever needed, in
#      tests/tsan.supp, each with its reason)
#   4. each libFuzzer target in build-fuzz/fuzz/ over a copy of its seed
#      corpus fuzz/corpus/<name>/ for a short run (one test per target)
# Results come from meson-logs/testlog.json, not from scraping output.
# Every phase runs even if an earlier one failed. The last line printed is
# "N passed, N failed" (", N skipped" appended when N > 0); exit status 1 if
# anything failed or nothing ran at all.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD

FUZZ_SECONDS=${FUZZ_SECONDS:-8}
ASAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
          UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
TSAN_SUPP=$ROOT/tests/tsan.supp
TSAN_ENV=("TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$TSAN_SUPP")

total_pass=0 total_fail=0 total_skip=0
summary=()     # one line per phase
failures=()    # "phase: name (RESULT)"
skipped=()     # "phase: name"

say() { printf '\n=== %s ===\n' "$*"; }

# record PHASE PASS FAIL SKIP
record() {
  total_pass=$((total_pass + $2)) total_fail=$((total_fail + $3)) total_skip=$((total_skip + $4))
  summary+=("$(printf '%-11s %4d passed, %d failed, %d skipped' "$1" "$2" "$3" "$4")")
}

# Count results in a testlog.json: prints "PASS FAIL SKIP" on the first line,
# then one line per failing test ("F name (RESULT)") and per skipped test
# ("S name"). A test that exits 77 is SKIP in meson's log: counted as skipped,
# never as passed.
count_testlog() {
  python3 - "$1" <<'EOF'
import json, sys
passed = failed = skipped = 0
bad = []
skips = []
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            t = json.loads(line)
        except ValueError:
            failed += 1
            bad.append("F (unreadable testlog line)")
            continue
        r = t.get("result", "ERROR")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
            skips.append("S %s" % t.get("name", "?"))
        else:  # FAIL, TIMEOUT, UNEXPECTEDPASS, ERROR, anything unknown
            failed += 1
            bad.append("F %s (%s)" % (t.get("name", "?"), r))
print(passed, failed, skipped)
for b in bad + skips:
    print(b)
EOF
}

# meson_phase PHASE BUILDDIR [ENV...] -- [extra meson test args]
meson_phase() {
  local phase=$1 dir=$2
  shift 2
  local envs=()
  while (($#)) && [[ $1 != -- ]]; do envs+=("$1"); shift; done
  (($#)) && shift
  say "$phase: meson test -C $dir"
  if [[ ! -f $dir/build.ninja ]]; then
    echo "$dir is not configured (run 'make test')"
    failures+=("$phase: build directory $dir missing")
    record "$phase" 0 1 0
    return
  fi
  local log=$dir/meson-logs/testlog.json
  rm -f "$log"
  local rc=0
  env "${envs[@]}" meson test -C "$dir" --print-errorlogs "$@" </dev/null || rc=$?
  local p=0 f=0 s=0 line first=1
  if [[ -f $log ]]; then
    while IFS= read -r line; do
      if ((first)); then read -r p f s <<<"$line"; first=0
      elif [[ $line == S\ * ]]; then skipped+=("$phase: ${line#S }")
      else failures+=("$phase: ${line#F }"); fi
    done < <(count_testlog "$log")
  fi
  if ((rc != 0 && f == 0)); then
    # meson itself failed (rebuild failed, bad setup...): count it once.
    failures+=("$phase: meson test exited with status $rc (build failure?)")
    f=1
  fi
  if ((rc == 0 && p + f + s == 0)); then
    # A phase that ran nothing (wrong --suite, tests not declared) is not a pass.
    failures+=("$phase: no test ran")
    f=1
  fi
  record "$phase" "$p" "$f" "$s"
}

fuzz_phase() {
  local phase=fuzz dir=build-fuzz
  say "$phase: libFuzzer targets in $dir/fuzz (${FUZZ_SECONDS}s each)"
  if [[ ! -f $dir/build.ninja ]]; then
    echo "$dir is not configured (run 'make test')"
    failures+=("$phase: build directory $dir missing")
    record "$phase" 0 1 0
    return
  fi
  if ! ninja -C "$dir" >"$dir/ninja-test.log" 2>&1; then
    tail -n 40 "$dir/ninja-test.log"
    failures+=("$phase: build of $dir failed")
    record "$phase" 0 1 0
    return
  fi
  local p=0 f=0 exe name work corpus artifacts log args rc
  local -a targets=()
  # The executables of the current configuration (a stale fuzz_* left over
  # from an earlier configuration is not a target any more), else a glob.
  local intro=$dir/meson-info/intro-targets.json
  if [[ -f $intro ]]; then
    while IFS= read -r exe; do
      [[ -f $exe && -x $exe ]] && targets+=("$exe")
    done < <(python3 - "$intro" <<'PY'
import json, os, sys
for t in json.load(open(sys.argv[1])):
    for f in t.get("filename", []):
        if t.get("type") == "executable" and os.path.basename(f).startswith("fuzz_") \
                and os.path.basename(os.path.dirname(f)) == "fuzz":
            print(f)
PY
)
  else
    for exe in "$dir"/fuzz/fuzz_*; do
      [[ -f $exe && -x $exe ]] && targets+=("$exe")
    done
  fi
  if ((${#targets[@]} == 0)); then
    echo "no fuzz targets in $dir (is it configured with -Dfuzz=true?)"
    failures+=("$phase: no fuzz target built")
    f=1
  fi
  for exe in "${targets[@]}"; do
    name=${exe##*/fuzz_}
    work=$(mktemp -d "${TMPDIR:-/tmp}/reel-fuzz-$name.XXXXXX")
    corpus=$work/corpus
    mkdir -p "$corpus"
    if [[ -d $ROOT/fuzz/corpus/$name ]]; then
      cp -R "$ROOT/fuzz/corpus/$name/." "$corpus/"
    fi
    artifacts=$ROOT/$dir/fuzz-artifacts/$name
    mkdir -p "$artifacts"
    log=$work/fuzz.log
    args=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix="$artifacts/")
    [[ -f $ROOT/fuzz/$name.dict ]] && args+=(-dict="$ROOT/fuzz/$name.dict")
    rc=0
    # Replay the seed corpus on its own first (fast, and a regression test
    # that does not depend on the time budget), then fuzz from it.
    env "${ASAN_ENV[@]}" "$exe" -runs=0 -artifact_prefix="$artifacts/" "$corpus" \
      </dev/null >"$log" 2>&1 || rc=$?
    if ((rc == 0)); then
      env "${ASAN_ENV[@]}" "$exe" "${args[@]}" "$corpus" </dev/null >>"$log" 2>&1 || rc=$?
    fi
    if ((rc == 0)); then
      p=$((p + 1))
      printf 'fuzz_%-14s OK    %s\n' "$name" \
        "$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+$' || true) runs"
    else
      f=$((f + 1))
      printf 'fuzz_%-14s FAIL  (exit %d), log tail:\n' "$name" "$rc"
      tail -n 60 "$log"
      echo "crash inputs (if any) are in $artifacts/"
      failures+=("$phase: fuzz_$name (exit $rc)")
    fi
    rm -rf "$work"
  done
  record "$phase" "$p" "$f" 0
}

meson_phase build build --
meson_phase build-asan build-asan "${ASAN_ENV[@]}" -- --timeout-multiplier 3
meson_phase build-tsan build-tsan "${TSAN_ENV[@]}" -- --suite unit --timeout-multiplier 3
fuzz_phase

say summary
printf '%s\n' "${summary[@]}"
if ((${#skipped[@]})); then
  echo "skipped (could not run here; not counted as passed):"
  printf '  %s\n' "${skipped[@]}"
fi
if ((${#failures[@]})); then
  echo "failed:"
  printf '  %s\n' "${failures[@]}"
fi

((total_pass + total_fail == 0)) && echo "no test ran at all"
final="$total_pass passed, $total_fail failed"
((total_skip > 0)) && final+=", $total_skip skipped"
echo "$final"

if ((total_fail > 0 || total_pass + total_fail == 0)); then
  exit 1
fi
exit 0
