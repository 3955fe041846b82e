#!/usr/bin/env bash
# web_page.sh — the web page end to end: headless chromium (playwright-core, from the
# build's npm packages) against `reel serve` recording jack_metro (120 bpm) on a private
# `jackd -d dummy`. tests/web/web_page.cjs checks meters, waveform (drawn data, canvas
# pixels and the peaks route all show the beeps a beat apart), grabs (last 10 s and a
# dragged selection) appearing in the list, playback, the artifact's waveform and lineage.
# Here: each grabbed artifact's bytes equal `reel slice --from '#A' --to '#B'` of its
# source window (cmp and b3sum); the page and its library load from reel alone.
# Screenshots: $REEL_TEST_TMPDIR/web-screenshots/*.png. Exit 77 (skip) without chromium.
source "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
    echo "SKIP web_page: $CHROMIUM is missing (Debian package chromium; make deps)" >&2
    exit 77
fi
need node curl jack_metro
NODE_MODULES=${REEL_WEB_NODE_MODULES:-$(cd "$(dirname "$REEL")/../.." && pwd)/web/node_modules}
[[ -d $NODE_MODULES/playwright-core ]] ||
    fail "playwright-core is not in $NODE_MODULES (the build runs npm ci into <build>/web)"
source "$(dirname "$0")/jack_lib.sh"
SHOTS=${REEL_TEST_TMPDIR:-/tmp}/web-screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
reel init >/dev/null
start_jackd
start_metro
URI=stream://jack/metro
reel_bg "$TMP/serve.log" serve --source jack:metro:120_bpm --stream $URI --listen 127.0.0.1:0
serve_pid=$BG_PID
for _ in $(seq 100); do
    URL=$(grep -o 'HTTP on http://[0-9.:]*' "$TMP/serve.log" | head -1 | cut -d' ' -f3) || true
    [[ -n $URL ]] && break
    kill -0 "$serve_pid" 2>/dev/null || fail "serve exited: $(cat "$TMP/serve.log")"
    sleep 0.1
done
[[ -n $URL ]] || fail "serve printed no URL: $(cat "$TMP/serve.log")"

# The page and its library come from reel itself.
curl -sf "$URL/" -o "$TMP/index.html" || fail "GET / failed"
grep -q '<script type="module" src="/web/app.js">' "$TMP/index.html" || fail "GET / is not the page"
curl -sf "$URL/web/wavesurfer.esm.js" -o "$TMP/ws.js" || fail "GET /web/wavesurfer.esm.js failed"
cmp -s "$TMP/ws.js" "$NODE_MODULES/wavesurfer.js/dist/wavesurfer.esm.js" ||
    fail "/web/wavesurfer.esm.js is not the npm package's file"
if grep -Eo '(src|href)="[^"]*"' "$TMP/index.html" | grep -Ev '"(/web/|data:,")'; then
    fail "the page loads something from elsewhere"
fi
sleep 3 # a few beats of history before the browser looks

out=$(cd "$TMP" && NODE_PATH=$NODE_MODULES REEL_URL=$URL STREAM=$URI SHOTS=$SHOTS \
      CHROMIUM=$CHROMIUM timeout -k 5 150 node "$REEL_SRC/tests/web/web_page.cjs") ||
    fail "browser test failed: $(printf "%s" "$out" | tail -n 5 | tr '\n' ' ') (serve log: $(tail -n 5 "$TMP/serve.log" | tr '\n' ' '))"
echo "browser: $out"

# The beeps the page drew and the peaks route gave are where the recorded audio has them: each
# window sliced from the stream, its onsets found here at full resolution (over 0.2 after at
# least 6000 quiet frames, as the page's test looks for them), and each drawn onset within two
# bins of one found here, and the other way round (a beep cut by the window's edges aside).
# (jack_metro counts the frames it is run for, so a cycle the dummy server skips under load
# shifts its later beeps off the beat: the audio, not the beat, is the oracle.)
i=0
while read -r from to; do
    ok reel slice $URI --from "#$from" --to "#$to" --sample-format f32 --out "$TMP/win$i.wav" >/dev/null
    python3 - "$TMP/win$i.wav" "$out" $i <<'EOF' || fail "window $i: the page's beeps are not where the audio has them"
import array, json, subprocess, sys
w = json.loads(sys.argv[2])["windows"][int(sys.argv[3])]
a = array.array("f")
a.frombytes(subprocess.check_output(["sox", "-D", sys.argv[1], "-t", "f32", "-e", "floating-point", "-"]))
ch = int(subprocess.check_output(["soxi", "-c", sys.argv[1]]).strip())
x = a[0::ch]
true, quiet = [], -10**12
for i, v in enumerate(x):
    if abs(v) > 0.2:
        if i - quiet >= 6000:
            true.append(w["from"] + i)
        quiet = 10**12
    elif quiet == 10**12:
        quiet = i
tol, edge = 2 * w["bin_frames"], 6000 + 2 * w["bin_frames"]
drawn = w["onsets"]
for d in drawn:
    if not any(abs(d - t) <= tol for t in true) and d - w["from"] > edge:
        sys.exit("drawn beep at %d: none within %d in the audio (%s)" % (d, tol, true))
for t in true:
    if not any(abs(d - t) <= tol for d in drawn) and t - w["from"] > edge and w["to"] - t > edge:
        sys.exit("a beep at %d in the audio was not drawn (%s)" % (t, drawn))
print("window %d: %d beeps drawn, %d in the audio, all within %d frames" % (int(sys.argv[3]), len(drawn), len(true), tol))
EOF
    i=$((i + 1))
done < <(python3 -c 'import json,sys; [print(w["from"], w["to"]) for w in json.loads(sys.argv[1])["windows"]]' "$out")
[[ $i -eq 2 ]] || fail "checked $i windows, want 2"

# Each artifact equals `reel slice` of its source window (serve keeps recording meanwhile).
n=0
while read -r id from to; do
    curl -sf "$URL/api/artifacts/$id/content" -o "$TMP/$id.wav" || fail "download of $id"
    ok reel slice $URI --from "#$from" --to "#$to" --out "$TMP/$id.cli.wav" >/dev/null
    cmp -s "$TMP/$id.wav" "$TMP/$id.cli.wav" || fail "artifact $id differs from reel slice #$from..#$to"
    [[ $(b3sum --no-names "$TMP/$id.wav") == $(b3sum --no-names "$TMP/$id.cli.wav") ]] || fail "b3sum of $id"
    frames=$(soxi -s "$TMP/$id.wav")
    [[ $frames -eq $((to - from)) ]] || fail "$id holds $frames frames, window $((to - from))"
    n=$((n + 1))
done < <(python3 -c 'import json,sys; [print(a["id"], a["from"], a["to"]) for a in json.loads(sys.argv[1])["artifacts"]]' "$out")
[[ $n -eq 2 ]] || fail "compared $n artifacts, want 2"
for f in 1-live 2-grab-detail 3-selection 4-final; do
    [[ -s $SHOTS/$f.png ]] || fail "screenshot $f.png missing"
done

kill -TERM "$serve_pid"
wait_bg "$serve_pid"
pass
