#!/usr/bin/env bash
# Help, global log options, unknown commands/options, progress lines.
# Every command of the README's "Command line" block is in `reel --help` and
# `reel CMD --help` exits 0 for it; every --option of that block is in
# `reel --help`. Progress: nothing when stderr is a file; a line on a TTY
# (through `script -qc`, when util-linux's script is there).
source "$(dirname "$0")/lib.sh"
[[ -n $REEL_SRC && -f $REEL_SRC/README.md ]] || fail "set REEL_SRC to the source root"

block=$(awk '/^## Command line/{f=1} f&&/^```sh/{g=1; next} g&&/^```/{exit} g' "$REEL_SRC/README.md")
[[ -n $block ]] || fail "no Command line block in README.md"
cmds=$(grep -oE '^reel [a-z][a-z-]*' <<<"$block" | awk '{print $2}' | sort -u)
opts=$(grep -oE -- '--[a-z][a-z-]*' <<<"$block" | sort -u)
[[ $(wc -l <<<"$cmds") -ge 15 ]] || fail "found too few commands in the README: $cmds"

help=$(ok "$REEL" --help)
for c in $cmds; do
    grep -qE "^ +$c( |$)" <<<"$help" || fail "'reel --help' does not list '$c'"
    out=$("$REEL" "$c" --help 2>"$TMP/h.err") || fail "'reel $c --help' exited $?: $(cat "$TMP/h.err")"
    grep -q "usage: reel $c" <<<"$out" || fail "'reel $c --help' is not its help: $out"
    [[ ! -s $TMP/h.err ]] || fail "'reel $c --help' wrote to stderr: $(cat "$TMP/h.err")"
done
for o in $opts; do
    grep -q -- "$o" <<<"$help" || fail "'reel --help' does not mention '$o'"
done
grep -q -- "--log-level" <<<"$help" || fail "--help lacks --log-level"
grep -q -- "--log-json" <<<"$help" || fail "--help lacks --log-json"

# Unknown command, unknown option, bad log level: one line, exit 2.
one_line_exit2() {
    local rc=0
    "$@" >"$TMP/u.out" 2>"$TMP/u.err" || rc=$?
    [[ $rc -eq 2 ]] || fail "exit $rc (want 2) from: $*"
    [[ $(wc -l <"$TMP/u.err") -eq 1 ]] || fail "not one line from $*: $(cat "$TMP/u.err")"
}
one_line_exit2 "$REEL" frobnicate
grep -q "unknown command 'frobnicate'" "$TMP/u.err" || fail "unclear: $(cat "$TMP/u.err")"
one_line_exit2 "$REEL" --store "$STORE" slice stream://x --bogus
grep -q "unknown option '--bogus'" "$TMP/u.err" || fail "unclear: $(cat "$TMP/u.err")"
one_line_exit2 "$REEL" --bogus streams
grep -q "unknown option '--bogus'" "$TMP/u.err" || fail "unclear: $(cat "$TMP/u.err")"
for c in $cmds; do
    one_line_exit2 timeout -k 5 20 "$REEL" --store "$STORE" "$c" --bogus </dev/null
    grep -q -- "'--bogus'" "$TMP/u.err" || fail "'reel $c --bogus' does not name it: $(cat "$TMP/u.err")"
done
one_line_exit2 "$REEL" --log-level loud streams
grep -q "unknown log level 'loud'" "$TMP/u.err" || fail "unclear: $(cat "$TMP/u.err")"
rc=0; REEL_LOG=loud "$REEL" --store "$STORE" streams >/dev/null 2>"$TMP/u.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "REEL_LOG" "$TMP/u.err" || fail "bad REEL_LOG: exit $rc, $(cat "$TMP/u.err")"
ok "$REEL" --store "$STORE" --log-level debug --log-json streams >/dev/null

# Progress: quiet when stderr is a file.
ok reel record --source tone:440 --seconds 1.5 >/dev/null
grep -q $'\r' "$TMP/ok.err" && fail "progress text on a non-terminal stderr: $(cat -v "$TMP/ok.err")"
grep -q "record:" "$TMP/ok.err" && fail "progress text on a non-terminal stderr: $(cat -v "$TMP/ok.err")"
ok reel fsck >/dev/null
[[ ! -s $TMP/ok.err ]] || fail "fsck wrote to a non-terminal stderr: $(cat -v "$TMP/ok.err")"
ok reel --json gc --grace 1s >/dev/null
[[ ! -s $TMP/ok.err ]] || fail "gc wrote to a non-terminal stderr: $(cat -v "$TMP/ok.err")"
# On a terminal: a line updated in place.
if script -qc true /dev/null >/dev/null 2>&1; then
    script -qc "'$REEL' --store '$STORE' record --source tone:440 --stream stream://tone/tty --seconds 1.5" \
        "$TMP/tty.log" >/dev/null 2>&1 </dev/null || fail "record under script failed: $(cat -v "$TMP/tty.log")"
    grep -q $'\rrecord: ' "$TMP/tty.log" || fail "no progress line on a TTY: $(cat -v "$TMP/tty.log")"
    script -qc "'$REEL' --store '$STORE' fsck" "$TMP/fsck.log" >/dev/null 2>&1 </dev/null ||
        fail "fsck under script failed: $(cat -v "$TMP/fsck.log")"
    grep -q $'\rfsck: [0-9]* blobs re-hashed' "$TMP/fsck.log" ||
        fail "no fsck progress on a TTY: $(cat -v "$TMP/fsck.log")"
    grep -q "clean: " "$TMP/fsck.log" || fail "fsck's result is missing: $(cat -v "$TMP/fsck.log")"
else
    echo "skip: no script(1), the TTY case is not checked" >&2
fi
pass
