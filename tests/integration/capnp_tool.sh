#!/usr/bin/env bash
# capnp_tool.sh — reel's Cap'n Proto codec against the reference `capnp` tool.
#
# For every message reel sends or reads, both ways:
#   (a) reel encodes (tests/capnp_roundtrip.c), `capnp decode` prints exactly
#       the expected fields, with no warning;
#   (b) `capnp encode` of the same text gives bytes reel decodes to exactly
#       the same fields, and those bytes are identical to reel's (reel lays
#       objects out as capnp's builder does).
# Plus texts capnp writes differently (fields reordered, defaults and nulls
# left out), placeholders reel must refuse, and reel-side limits.
#
# Env: REEL_SRC (source root, for schemas/), REEL_CAPNP_RT (the compiled
# tests/capnp_roundtrip). Exit 77 (skip) without `capnp`.
set -uo pipefail

if ! command -v capnp >/dev/null 2>&1; then
  echo "SKIP: capnp tool not installed"
  exit 77
fi
: "${REEL_SRC:?REEL_SRC must name the source root}"
: "${REEL_CAPNP_RT:?REEL_CAPNP_RT must name the compiled capnp_roundtrip}"
RT=$REEL_CAPNP_RT
S=$REEL_SRC/schemas
[[ -x $RT ]] || { echo "FAIL: $RT is not executable"; exit 1; }

tmp=$(mktemp -d "${REEL_TEST_TMPDIR:-${TMPDIR:-/tmp}}/capnp_tool.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0 failed=0

ok() { passed=$((passed + 1)); }
bad() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}

# expect NAME EXPECTED ACTUAL
expect() {
  if [[ $2 == "$3" ]]; then
    ok
  else
    bad "$1"
    diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/    /'
  fi
}

# schema_of envelope|broadcast -> "file Root"
schema_of() {
  if [[ $1 == envelope ]]; then echo "$S/envelope.capnp Envelope"; else echo "$S/broadcast.capnp Broadcast"; fi
}

# both_ways KIND NAME CAPNP_TEXT, canonical fields (capnp_roundtrip's form) on stdin.
both_ways() {
  local kind=$1 name=$2 text=$3 canon got
  local -a schema args
  canon=$(cat)
  read -r -a schema <<<"$(schema_of "$kind")"
  mapfile -t args <<<"$canon"

  # (a) reel encodes, capnp decodes.
  if ! "$RT" encode "${args[@]}" >"$tmp/reel.bin" 2>"$tmp/err"; then
    bad "$name: reel encode failed: $(cat "$tmp/err")"
    return
  fi
  got=$(capnp decode --short "${schema[@]}" <"$tmp/reel.bin" 2>"$tmp/err")
  expect "$name: capnp decode of reel's message" "$text" "$got"
  if [[ -s $tmp/err ]]; then bad "$name: capnp decode warned: $(cat "$tmp/err")"; else ok; fi
  got=$("$RT" decode "$kind" <"$tmp/reel.bin" 2>&1)
  expect "$name: reel decode of reel's message" "$canon" "$got"

  # (b) capnp encodes, reel decodes.
  if ! capnp encode "${schema[@]}" <<<"$text" >"$tmp/capnp.bin" 2>"$tmp/err"; then
    bad "$name: capnp encode failed: $(cat "$tmp/err")"
    return
  fi
  got=$("$RT" decode "$kind" <"$tmp/capnp.bin" 2>&1)
  expect "$name: reel decode of capnp's message" "$canon" "$got"
  if cmp -s "$tmp/reel.bin" "$tmp/capnp.bin"; then ok; else bad "$name: bytes differ from capnp's"; fi
}

# capnp_to_reel KIND NAME CAPNP_TEXT: (b) only, for texts capnp lays out differently.
capnp_to_reel() {
  local kind=$1 name=$2 text=$3 canon got
  local -a schema
  canon=$(cat)
  read -r -a schema <<<"$(schema_of "$kind")"
  if ! capnp encode "${schema[@]}" <<<"$text" >"$tmp/capnp.bin" 2>"$tmp/err"; then
    bad "$name: capnp encode failed: $(cat "$tmp/err")"
    return
  fi
  got=$("$RT" decode "$kind" <"$tmp/capnp.bin" 2>&1)
  expect "$name" "$canon" "$got"
}

# refused KIND NAME CAPNP_TEXT NEEDLE: reel's decoder fails, naming NEEDLE.
refused() {
  local kind=$1 name=$2 text=$3 needle=$4 out
  local -a schema
  read -r -a schema <<<"$(schema_of "$kind")"
  capnp encode "${schema[@]}" <<<"$text" >"$tmp/capnp.bin" 2>"$tmp/err" ||
    { bad "$name: capnp encode failed: $(cat "$tmp/err")"; return; }
  if out=$("$RT" decode "$kind" <"$tmp/capnp.bin" 2>&1); then
    bad "$name: decoded, should have been refused: $out"
  elif [[ $out != *"$needle"* || $(wc -l <<<"$out") -ne 1 ]]; then
    bad "$name: expected one line with '$needle', got: $out"
  else
    ok
  fi
}

ID=00112233445566778899aabbccddeeff
# The same id as Common.Uuid: low = bytes 0..8, high = bytes 8..16, little-endian.
ID_CAPNP="(low = 8603657889541918976, high = 18441921395520346504)"
TP=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01

# ---- Envelope: commands ---------------------------------------------------

both_ways envelope "streamStart audio" "(id = $ID_CAPNP, traceparent = \"$TP\", payload = (streamStart = (uri = \"stream://jack/system\", definition = (uri = \"stream://jack/system\", deviceIdentity = \"jack:system:capture_1\", format = (audio = (sampleRate = 96000, channels = 255, sampleFormat = i24, channelsWide = 255)), chunkSizeBytes = 1048576), chunkPath = \"/home/u/.local/share/reel/cas/staging/blake3/ab/cd/abcd\", startFrame = 18446744073709551615, clockRate = 0)))" <<EOF
stream_start
id=$ID
traceparent=$TP
uri=stream://jack/system
def.uri=stream://jack/system
device=jack:system:capture_1
format=audio
sample_rate=96000
channels=255
sample_format=i24
chunk_size=1048576
chunk_path=/home/u/.local/share/reel/cas/staging/blake3/ab/cd/abcd
start_frame=18446744073709551615
EOF

both_ways envelope "streamStart f32/i16" "(id = (low = 0, high = 0), traceparent = \"\", payload = (streamStart = (uri = \"stream://tone/a440\", definition = (uri = \"stream://tone/other\", deviceIdentity = \"tone:440\", format = (audio = (sampleRate = 48000, channels = 0, sampleFormat = i16, channelsWide = 4096)), chunkSizeBytes = 0), chunkPath = \"\", startFrame = 0, clockRate = 0)))" <<'EOF'
stream_start
id=00000000000000000000000000000000
traceparent=
uri=stream://tone/a440
def.uri=stream://tone/other
device=tone:440
format=audio
sample_rate=48000
channels=4096
sample_format=i16
chunk_size=0
chunk_path=
start_frame=0
EOF

both_ways envelope "streamStart midi, UTF-8" "(id = $ID_CAPNP, traceparent = \"\", payload = (streamStart = (uri = \"stream://alsa-midi/clé\", definition = (uri = \"stream://alsa-midi/clé\", deviceIdentity = \"alsa-midi:20:0\", format = (midi = void), chunkSizeBytes = 524288), chunkPath = \"/tmp/ü/chunk\", startFrame = 96000, clockRate = 44100)))" <<EOF
stream_start
id=$ID
traceparent=
uri=stream://alsa-midi/clé
def.uri=stream://alsa-midi/clé
device=alsa-midi:20:0
format=midi
clock_rate=44100
chunk_size=524288
chunk_path=/tmp/ü/chunk
start_frame=96000
EOF

both_ways envelope "streamSwitchChunk" "(id = $ID_CAPNP, traceparent = \"$TP\", payload = (streamSwitchChunk = (uri = \"stream://tone/a440\", newChunkPath = \"/store/cas/staging/blake3/ef/gh/efgh\")))" <<EOF
stream_switch_chunk
id=$ID
traceparent=$TP
uri=stream://tone/a440
new_chunk_path=/store/cas/staging/blake3/ef/gh/efgh
EOF

both_ways envelope "streamStop" "(id = $ID_CAPNP, traceparent = \"\", payload = (streamStop = (uri = \"stream://tone/a440\")))" <<EOF
stream_stop
id=$ID
traceparent=
uri=stream://tone/a440
EOF

# ---- Envelope: replies ----------------------------------------------------

both_ways envelope "toolResponse.ack" "(id = $ID_CAPNP, traceparent = \"\", payload = (toolResponse = (ack = (message = \"stream_started: stream://tone/a440\"))))" <<EOF
ack
id=$ID
traceparent=
message=stream_started: stream://tone/a440
EOF

both_ways envelope "error, escapes" "(id = $ID_CAPNP, traceparent = \"\", payload = (error = (code = \"stream_start_failed\", message = \"cannot map chunk:\\n\\t\\\"/x\\\" \\\\ gone\", details = \"{\\\"errno\\\":2}\")))" <<EOF
error
id=$ID
traceparent=
code=stream_start_failed
message=cannot map chunk:\\n\\t"/x" \\\\ gone
details={"errno":2}
EOF

# ---- Broadcast: events ----------------------------------------------------

both_ways broadcast "streamHeadPosition" "(streamHeadPosition = (streamUri = \"stream://tone/a440\", samplePosition = 480000, bytePosition = 3840000, wallClock = (nanos = 1763632800250000000), clockFrame = 479744, monotonicNanos = -5, deviceFrame = 18446744073709551615, events = 7, xruns = 2, overrunFrames = 256, overrunEvents = 1, gaps = 3, chunkBytes = 4096, chunkFrames = 512, eventsLost = 9, midiClockTicks = 96))" <<'EOF'
head_position
stream_uri=stream://tone/a440
sample_position=480000
byte_position=3840000
wall_clock_ns=1763632800250000000
clock_frame=479744
mono_ns=-5
device_frame=18446744073709551615
events=7
xruns=2
overrun_frames=256
overrun_events=1
gaps=3
chunk_bytes=4096
chunk_frames=512
events_lost=9
midi_clock_ticks=96
EOF

both_ways broadcast "streamChunkFull" "(streamChunkFull = (streamUri = \"stream://tone/a440\", path = \"/store/cas/staging/blake3/ab/cd/abcd\", bytesWritten = 18446744073709551615, samplesWritten = 0, wallClock = (nanos = 1), firstFrame = 96000, endFrame = 144000, events = 12, final = true))" <<'EOF'
chunk_full
stream_uri=stream://tone/a440
path=/store/cas/staging/blake3/ab/cd/abcd
bytes_written=18446744073709551615
samples_written=0
wall_clock_ns=1
first_frame=96000
end_frame=144000
events=12
final=true
EOF

# A message from a writer of hootenanny's original schema (no reel additions): they read as 0.
capnp_to_reel broadcast "streamChunkFull without reel's fields" "(streamChunkFull = (streamUri = \"s\", path = \"p\", bytesWritten = 5, samplesWritten = 1, wallClock = (nanos = 2)))" <<'EOF'
chunk_full
stream_uri=s
path=p
bytes_written=5
samples_written=1
wall_clock_ns=2
first_frame=0
end_frame=0
events=0
final=false
EOF

both_ways broadcast "streamError recoverable" "(streamError = (streamUri = \"stream://jack/system\", error = \"xrun: 3 frames lost\", recoverable = true))" <<'EOF'
stream_error
stream_uri=stream://jack/system
message=xrun: 3 frames lost
recoverable=true
EOF

both_ways broadcast "streamError fatal" "(streamError = (streamUri = \"stream://jack/system\", error = \"device gone\", recoverable = false))" <<'EOF'
stream_error
stream_uri=stream://jack/system
message=device gone
recoverable=false
EOF

# ---- capnp layouts reel does not produce ------------------------------------

capnp_to_reel envelope "reordered fields, defaults and nulls left out" \
  "(payload = (streamStart = (chunkPath = \"/c\", definition = (format = (audio = (channels = 1)), deviceIdentity = \"d\"), uri = \"stream://x/y\")))" <<'EOF'
stream_start
id=00000000000000000000000000000000
traceparent=
uri=stream://x/y
def.uri=
device=d
format=audio
sample_rate=0
channels=1
sample_format=f32
chunk_size=0
chunk_path=/c
start_frame=0
EOF

capnp_to_reel envelope "definition absent" "(traceparent = \"t\", payload = (streamStart = (uri = \"stream://x/y\")))" <<'EOF'
stream_start
id=00000000000000000000000000000000
traceparent=t
uri=stream://x/y
def.uri=
device=
format=audio
sample_rate=0
channels=0
sample_format=f32
chunk_size=0
chunk_path=
start_frame=0
EOF

capnp_to_reel broadcast "wallClock absent" "(streamHeadPosition = (bytePosition = 9, streamUri = \"s\"))" <<'EOF'
head_position
stream_uri=s
sample_position=0
byte_position=9
wall_clock_ns=0
clock_frame=0
mono_ns=0
device_frame=0
events=0
xruns=0
overrun_frames=0
overrun_events=0
gaps=0
chunk_bytes=0
chunk_frames=0
events_lost=0
midi_clock_ticks=0
EOF

capnp_to_reel broadcast "empty stream error" "(streamError = ())" <<'EOF'
stream_error
stream_uri=
message=
recoverable=false
EOF

# ---- placeholders and limits --------------------------------------------------

refused envelope "ping refused" "(payload = (ping = void))" "unsupported format: payload member ping (1)"
refused envelope "toolCall refused" "(payload = (toolCall = (name = \"x\", args = \"{}\")))" "toolCall (29)"
refused envelope "pong refused" "(payload = (pong = (uptimeSecs = 3)))" "pong (2)"
refused envelope "no payload = register, refused" "(id = (low = 1))" "register (0)"
refused envelope "toolResponse.casStored refused" "(payload = (toolResponse = (casStored = ())))" "casStored (0)"
refused broadcast "log refused" "(log = ())" "unsupported format: broadcast member log (9)"
refused broadcast "audioUnderrun refused" "(audioUnderrun = ())" "audioUnderrun (17)"

# More than 255 channels: channels (UInt8) is 0 and channelsWide holds the count.
if "$RT" encode stream_start uri=stream://a/b format=audio channels=256 >"$tmp/wide.bin" 2>"$tmp/err"; then
  got=$(capnp decode --short $S/envelope.capnp Envelope <"$tmp/wide.bin" 2>&1)
  if [[ $got == *"channels = 0,"*"channelsWide = 256"* ]]; then ok; else bad "256 channels: capnp reads $got"; fi
else
  bad "256 channels: $(cat "$tmp/err")"
fi

long=$(printf 'u%.0s' {1..600})
capnp encode "$S/envelope.capnp" Envelope <<<"(payload = (streamStop = (uri = \"$long\")))" >"$tmp/long.bin"
if out=$("$RT" decode envelope <"$tmp/long.bin" 2>&1); then
  bad "600-byte uri decoded"
elif [[ $out != *"out of range"*"StreamStop.uri"* ]]; then
  bad "600-byte uri: unexpected error: $out"
else
  ok
fi

# A capnp message cut short is corrupt, not a crash.
capnp encode "$S/broadcast.capnp" Broadcast <<<'(streamError = (streamUri = "s", error = "e"))' >"$tmp/full.bin"
head -c 30 "$tmp/full.bin" >"$tmp/cut.bin"
if out=$("$RT" decode broadcast <"$tmp/cut.bin" 2>&1); then
  bad "truncated message decoded"
elif [[ $out != *"corrupt data"* ]]; then
  bad "truncated message: unexpected error: $out"
else
  ok
fi

echo "capnp_tool: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
