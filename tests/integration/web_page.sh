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
