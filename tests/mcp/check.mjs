// check.mjs — reel's MCP server driven by the official MCP TypeScript SDK client.
//
//   MODE=stdio REEL=... STORE=...   spawns `reel --store STORE mcp` (StdioClientTransport)
//   MODE=http  URL=http://H:P       talks to URL/mcp (StreamableHTTPClientTransport)
//
// Also: OPS_JSON (the op table, `reel --json call --list`), OUT_DIR (where the decoded
// grab audio goes, for sox and b3sum in the calling script), GRAB_SECONDS,
// EXPECT_CREATOR (who must have made the grab's artifact: "mcp" in process, the
// daemon's origin when calls are forwarded to a running serve).
//
// Checks: the negotiated protocol and capabilities, listTools against the op table
// (every op a tool, same input schema), grab's structured content and audio block (a
// WAV of the right length, the same bytes as the stored file), artifact_list,
// artifact_get, resources (list, templates, read as JSON and as blob), a bad
// argument (isError naming the field), an unknown tool (a JSON-RPC error), ping.
// Prints one JSON line with what the caller checks further; exits 1 on the first
// failed check with one line saying what.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LATEST_PROTOCOL_VERSION, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isDeepStrictEqual } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const mode = env.MODE;

function fail(msg) {
  console.error(`FAIL check.mjs (${mode}): ${msg}`);
  process.exit(1);
}
function check(cond, msg) {
  if (!cond) fail(msg);
}

// The WAV header's fields, read the way any reader does.
function parseWav(buf) {
  check(buf.length >= 44, `audio is ${buf.length} bytes, too short for a WAV`);
  check(buf.toString('ascii', 0, 4) === 'RIFF' && buf.toString('ascii', 8, 12) === 'WAVE',
    'audio is not RIFF/WAVE');
  check(buf.readUInt32LE(4) === buf.length - 8, `RIFF size ${buf.readUInt32LE(4)} != ${buf.length - 8}`);
  let off = 12, fmt = null, data = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4), size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      fmt = { tag: buf.readUInt16LE(off + 8), channels: buf.readUInt16LE(off + 10),
              rate: buf.readUInt32LE(off + 12), bits: buf.readUInt16LE(off + 22) };
    } else if (id === 'data') {
      data = { offset: off + 8, size };
    }
    off += 8 + size + (size & 1);
  }
  check(fmt && data, 'WAV without fmt or data chunk');
  check(data.offset + data.size <= buf.length, 'WAV data chunk runs past the end');
  return { ...fmt, frames: data.size / (fmt.channels * fmt.bits / 8) };
}

function textOf(result) {
  return result.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n');
}

async function main() {
  const ops = JSON.parse(fs.readFileSync(env.OPS_JSON, 'utf8'));
  const grabSeconds = Number(env.GRAB_SECONDS || '1.5');
  let transport;
  if (mode === 'stdio') {
    transport = new StdioClientTransport({
      command: env.REEL, args: ['--store', env.STORE, 'mcp'], env: { ...process.env },
      stderr: 'inherit',
    });
  } else if (mode === 'http') {
    transport = new StreamableHTTPClientTransport(new URL('/mcp', env.URL));
  } else {
    fail('MODE must be stdio or http');
  }
  const client = new Client({ name: 'reel-mcp-check', version: '1.0.0' });
  await client.connect(transport);
  const info = client.getServerVersion();
  check(info && info.name === 'reel', `serverInfo ${JSON.stringify(info)}`);
  const caps = client.getServerCapabilities();
  check(caps.tools && caps.resources, `capabilities ${JSON.stringify(caps)}`);
  if (mode === 'http') {
    check(transport.sessionId && /^[0-9a-f]{64}$/.test(transport.sessionId),
      `session id ${transport.sessionId}`);
    check(transport.protocolVersion === LATEST_PROTOCOL_VERSION,
      `negotiated ${transport.protocolVersion}, the SDK's latest is ${LATEST_PROTOCOL_VERSION}`);
  }
  await client.ping();

  // Every op is a tool with the op's schema, and nothing else is.
  const { tools } = await client.listTools();
  const byName = new Map(tools.map((t) => [t.name, t]));
  check(tools.length === ops.length, `${tools.length} tools for ${ops.length} ops`);
  for (const op of ops) {
    const t = byName.get(op.name);
    check(t, `op ${op.name} is not a tool`);
    check(isDeepStrictEqual(t.inputSchema, op.input_schema), `${op.name}: inputSchema differs`);
    check(t.description.startsWith(op.summary), `${op.name}: description is not the summary`);
  }

  // grab: structured content, a link to the artifact, and the audio itself.
  const g = await client.callTool({ name: 'grab', arguments: { seconds: grabSeconds } });
  check(!g.isError, `grab failed: ${textOf(g)}`);
  const sc = g.structuredContent;
  check(sc && /^art-/.test(sc.artifact) && /^blake3:[0-9a-f]{64}$/.test(sc.content_hash) &&
    typeof sc.path === 'string', `grab structuredContent ${JSON.stringify(sc)}`);
  check(isDeepStrictEqual(JSON.parse(g.content[0].text), sc), 'grab: text block is not the JSON');
  const audio = g.content.find((b) => b.type === 'audio');
  check(audio, `grab returned no audio block: ${JSON.stringify(g.content.map((b) => b.type))}`);
  check(audio.mimeType === 'audio/wav', `audio mimeType ${audio.mimeType}`);
  const wav = Buffer.from(audio.data, 'base64');
  check(wav.toString('base64') === audio.data, 'audio data is not canonical base64');
  const w = parseWav(wav);
  check(w.frames === sc.frames, `WAV has ${w.frames} frames, the result says ${sc.frames}`);
  check(Math.abs(w.frames - grabSeconds * w.rate) <= 1,
    `WAV has ${w.frames} frames at ${w.rate} Hz for a ${grabSeconds} s grab`);
  check(wav.equals(fs.readFileSync(sc.path)), 'the audio block differs from the stored file');
  const link = g.content.find((b) => b.type === 'resource_link');
  check(link && link.uri === `reel://artifact/${sc.artifact}`, `resource link ${JSON.stringify(link)}`);
  const wavFile = path.join(env.OUT_DIR, `grab-${mode}.wav`);
  fs.writeFileSync(wavFile, wav);

  // The artifact is listed, and artifact_get shows it with its lineage.
  const l = await client.callTool({ name: 'artifact_list', arguments: { tags: ['grab'] } });
  check(!l.isError && Array.isArray(l.structuredContent.result), `artifact_list ${textOf(l)}`);
  check(l.structuredContent.result.some((a) => a.id === sc.artifact), 'grab not in artifact_list');
  const a = await client.callTool({ name: 'artifact_get', arguments: { id: sc.artifact } });
  check(!a.isError && a.structuredContent.id === sc.artifact, `artifact_get ${textOf(a)}`);
  check(a.structuredContent.content_hash === sc.content_hash, 'artifact_get: another hash');
  check(Array.isArray(a.structuredContent.ancestors) && a.structuredContent.ancestors.length >= 1,
    'artifact_get: no lineage (ancestors)');
  check(env.EXPECT_CREATOR, 'EXPECT_CREATOR is not set (who must have made the grab)');
  check(a.structuredContent.creator === env.EXPECT_CREATOR,
    `artifact made by ${a.structuredContent.creator}, expected ${env.EXPECT_CREATOR}`);

  // Resources: listed, templated, readable as the JSON document and as the bytes.
  const uri = `reel://artifact/${sc.artifact}`;
  const rl = await client.listResources();
  check(rl.resources.some((r) => r.uri === uri), `${uri} not in resources/list`);
  const rt = await client.listResourceTemplates();
  check(rt.resourceTemplates.map((t) => t.uriTemplate).includes('reel://artifact/{id}'),
    'no reel://artifact/{id} template');
  const rr = await client.readResource({ uri });
  check(rr.contents[0].mimeType === 'application/json', 'resource is not JSON');
  check(JSON.parse(rr.contents[0].text).id === sc.artifact, 'resource JSON is another artifact');
  const blob = rr.contents.find((c) => c.uri === `${uri}/content`);
  check(blob && blob.mimeType === 'audio/wav' && Buffer.from(blob.blob, 'base64').equals(wav),
    'resource content is not the grabbed WAV');
  const rc = await client.readResource({ uri: `${uri}/content` });
  check(rc.contents.length === 1 && Buffer.from(rc.contents[0].blob, 'base64').equals(wav),
    'reading /content alone');
  try {
    await client.readResource({ uri: 'reel://artifact/art-nonexistent' });
    fail('reading a missing artifact succeeded');
  } catch (e) {
    check(e instanceof McpError && e.code === -32002, `missing resource: ${e}`);
  }

  // The stream the grab came from.
  const st = await client.callTool({ name: 'stream_status', arguments: { stream: sc.stream } });
  check(!st.isError && st.structuredContent.uri === sc.stream, `stream_status ${textOf(st)}`);

  // Bad arguments are tool errors naming the field; an unknown tool is a protocol error.
  const bad = await client.callTool({ name: 'grab', arguments: { seconds: 'ten' } });
  check(bad.isError === true && /seconds/.test(textOf(bad)), `bad argument: ${JSON.stringify(bad)}`);
  const unk = await client.callTool({ name: 'grab', arguments: { secs: 3 } });
  check(unk.isError === true && /secs/.test(textOf(unk)), `unknown field: ${JSON.stringify(unk)}`);
  const miss = await client.callTool({ name: 'artifact_get', arguments: { id: 'art-nonexistent' } });
  check(miss.isError === true && miss.structuredContent.error.code === 'not_found',
    `missing artifact: ${JSON.stringify(miss)}`);
  try {
    await client.callTool({ name: 'no_such_tool', arguments: {} });
    fail('an unknown tool was called');
  } catch (e) {
    check(e instanceof McpError && e.code === -32602 && /no_such_tool/.test(e.message),
      `unknown tool: ${e}`);
  }

  // With a recorder behind the server (http: reel serve), every tool is called once and
  // must succeed: the seed's ten, grab, artifacts, moments, markers, takes, import. Only
  // session_request is called with an argument that must fail (it needs a JACK synth;
  // tests/integration/request_response.sh drives it for real).
  const called = new Set(['grab', 'artifact_list', 'artifact_get', 'stream_status']);
  if (mode === 'http') {
    const call = async (name, args) => {
      const r = await client.callTool({ name, arguments: args });
      check(!r.isError, `${name}(${JSON.stringify(args)}): ${textOf(r)}`);
      called.add(name);
      return r.structuredContent;
    };
    const all = await call('streams', {});
    check(all.result.some((s) => s.uri === sc.stream), `streams lacks ${sc.stream}`);
    const sl = await call('stream_slice', { stream: sc.stream, last: '0.5s', virtual: true });
    check(sl.frames === 24000, `stream_slice frames ${sl.frames}`);
    await call('moments', { stream: sc.stream });
    const mk = await call('marker', { stream: sc.stream, name: 'mcp' });
    check(mk.name === 'mcp' && mk.kind === 'marker', `marker ${JSON.stringify(mk)}`);
    const ms = await call('moments', { stream: sc.stream });
    check(ms.result.some((m) => m.id === mk.id), 'moments lacks the marker');
    const uri = 'stream://mcp/extra';
    await call('stream_create', { source: 'tone:660', uri });
    await call('stream_start', { stream: uri });
    const ses = await call('session_create', { streams: [sc.stream, uri] });
    await call('session_play', { id: ses.id });
    await new Promise((r) => setTimeout(r, 600));
    await call('session_play', { id: ses.id }); // a second segment
    await new Promise((r) => setTimeout(r, 600));
    const done = await call('session_stop', { id: ses.id });
    check(done.segments.length === 2, `session segments ${done.segments.length}`);
    const stat = await call('session_status', { id: ses.id });
    check(stat.state === done.state, `session_status ${stat.state}`);
    const ex = await call('session_export', { id: ses.id, format: 'json' });
    check(JSON.stringify(ex).includes(ses.id), 'session_export lacks the session');
    await call('stream_stop', { stream: uri });
    const take = await call('record_start', { filename: 'mcp-take' });
    await call('record_status', {});
    await new Promise((r) => setTimeout(r, 400));
    const stopped = await call('record_stop', {});
    check(JSON.stringify(stopped).includes('mcp-take'), `record_stop ${JSON.stringify(stopped)}`);
    check(JSON.stringify(take).includes('mcp-take'), `record_start ${JSON.stringify(take)}`);
    // import: the grabbed WAV, stored again byte for byte (the same hash, CAS dedup).
    const imp = await call('import', { path: wavFile, name: 'mcp' });
    check(imp.hash === sc.content_hash && imp.frames === sc.frames && imp.format === 'WAV' &&
      imp.name === 'mcp' && /^art-/.test(imp.artifact), `import ${JSON.stringify(imp)}`);
    // Projects: every project op once, as an agent would use them.
    const pj = await call('project_create', { name: 'mcp' });
    const P = pj.project;
    const tr = await call('track_add', { project: P, name: 'a' });
    const tr2 = await call('track_add', { project: P, name: 'spare' });
    await call('track_update', { project: P, track: tr.track, gain: 0.5 });
    await call('track_remove', { project: P, track: tr2.track });
    const tl = await call('timeline_add', { project: P, name: 'song', timebase: 'beats' });
    await call('timeline_update', { project: P, timeline: tl.timeline, loop_from: 0, loop_to: 8 });
    await call('tempo_set', { project: P, tempo: [{ beat: 0, bpm: 120, num: 4, den: 4 },
      { beat: 8, bpm: 90, num: 3, den: 4 }] });
    const mrk = await call('marker_add', { project: P, timeline: tl.timeline, name: 'verse', at: 4,
      tags: ['cue'] });
    await call('marker_remove', { project: P, marker: mrk.marker });
    const ev = await call('timeline_event_add', { project: P, timeline: tl.timeline, at: 2,
      type: 'timeline_play', target: tl.timeline });
    await call('timeline_event_remove', { project: P, event: ev.event });
    const secs = imp.frames / imp.rate;
    const cl = await call('clip_add', { project: P, track: tr.track, at: 1, source: imp.artifact });
    await call('clip_update', { project: P, clip: cl.clip, gain: 0.8, pitch: 2 });
    const sp = await call('clip_split', { project: P, clip: cl.clip, at: 1 + secs / 2 });
    check(sp.clips.length === 2 && sp.clips[0] === cl.clip, `clip_split ${JSON.stringify(sp)}`);
    const jn = await call('clip_join', { project: P, clips: sp.clips });
    check(jn.clip === cl.clip, `clip_join ${JSON.stringify(jn)}`);
    await call('clip_trim', { project: P, clip: cl.clip, start: 10, end: imp.frames - 10 });
    await call('clip_move', { project: P, clip: cl.clip, at: 3 });
    await call('clip_group', { project: P, clips: [cl.clip] });
    await call('clip_update', { project: P, clip: cl.clip, pitch: 0 });
    await call('graph_set', { project: P, graph: { nodes: [{ id: 'a', kind: 'track', track: tr.track },
      { id: 'out', kind: 'output', channels: 2 }], connections: [{ from: 'a', to: 'out' }] } });
    // Automation lanes: a set and a ramp on the track node's gain, a window read back, compacted.
    const ln = await call('lane_add', { project: P, target: 'a:gain' });
    await call('lane_write', { project: P, lane: ln.lane, events: [{ frame: 100, value: 0.5 },
      { frame: 200, type: 'ramp', value: 1, ramp_frames: 480, curve: 's_curve' }] });
    await call('lane_mode_set', { project: P, lane: ln.lane, mode: 'touch' });
    await call('lane_clear', { project: P, lane: ln.lane, from: 0.5, to: 1 });
    const lg = await call('lane_get', { project: P, lane: ln.lane, from_frame: 150 });
    check(lg.total === 2 && lg.events.length === 1 && lg.before.frame === 100,
      `lane_get ${JSON.stringify(lg)}`);
    const lc = await call('lane_compact', { project: P, lane: ln.lane });
    check(lc.chunks_before === 2 && lc.events === 2, `lane_compact ${JSON.stringify(lc)}`);
    const ll = await call('lane_list', { project: P });
    check(ll.lanes.length === 1 && ll.lanes[0].mode === 'touch', `lane_list ${JSON.stringify(ll)}`);
    const spare = await call('lane_add', { project: P, target: 'a:pan' });
    await call('lane_remove', { project: P, lane: spare.lane });
    const scn = await call('scene_capture', { project: P, name: 'a' });
    check(scn.from === 'document' && scn.values['a:gain'] === 0.5, `scene_capture ${JSON.stringify(scn)}`);
    const rcl = await call('scene_recall', { project: P, scene: scn.scene });
    check(rcl.applied_to === 'document', `scene_recall ${JSON.stringify(rcl)}`);
    await call('scene_remove', { project: P, scene: scn.scene });
    const mp = await call('mapping_add', { project: P, mapping: { input: { osc: '/fader/1' },
      target: 'a:gain', transform: { min: 0, max: 1, curve: 's_curve' } } });
    const ml = await call('mapping_list', { project: P });
    check(ml.mappings.length === 1 && ml.mappings[0].id === mp.mapping, `mapping_list ${JSON.stringify(ml)}`);
    await call('mapping_remove', { project: P, mapping: mp.mapping });
    const wd = await call('widget_add', { project: P, widget: { kind: 'xy', name: 'pad',
      targets: [{ target: 'a:gain', transform: { min: 0, max: 1 } }, { target: 'a:pan', axis: 'y' }] } });
    await call('widget_update', { project: P, widget: wd.widget, name: 'pad 2' });
    const ws = await client.callTool({ name: 'widget_set', arguments: { project: P, widget: wd.widget, x: 0.5, y: 0.5 } });
    check(ws.isError === true && /transport_play/.test(textOf(ws)), `widget_set stopped: ${textOf(ws)}`);
    called.add('widget_set');
    await call('widget_remove', { project: P, widget: wd.widget });
    const fl = await call('follow_set', { project: P, scope: 'clip', target: cl.clip,
      a: { action: 'PlayAgain' }, b: { action: 'Stop' }, chance: 60, loops: 2, quantize: 'beat' });
    await call('follow_enable', { project: P, enabled: false });
    await call('follow_enable', { project: P, enabled: true });
    const scr = await call('script_run', { source: 'return reel.call("project_get", {project = args.p}).project', args: { p: P } });
    check(scr.result === P && /^blake3:/.test(scr.script), `script_run ${JSON.stringify(scr)}`);
    const fc = await call('follow_clear', { project: P, follow: fl.follow });
    check(fc.removed === 1, `follow_clear ${JSON.stringify(fc)}`);
    const oq = await call('oscquery', {});
    check(oq.FULL_PATH === '/' && oq.CONTENTS.reel, `oscquery ${JSON.stringify(oq)}`);
    const rn = await call('render', { project: P, stems: true });
    // The transport: its state without a device; the rest need JACK, which this test does not
    // start: each answers with an error naming why (or plays, if a default server runs).
    const ts = await call('transport_state', {});
    check(ts.playing === false, `transport_state ${JSON.stringify(ts)}`);
    await call('transport_stop', {});
    for (const [name, args] of [['transport_play', { project: P }], ['transport_seek', { to: 1 }],
      ['node_param_set', { node: 'a', param: 'gain', value: 0.5 }],
      ['automation_schedule', { target: 'a:gain', value: 0.5 }],
      ['record_arm', { lane: ln.lane }],
      ['param_values', {}],
      ['scene_push', { project: P, scene: 's1-0000' }],
      ['scene_pop', {}],
      ['mapping_learn', { project: P, mapping: { target: 'a:gain' }, timeout: 0.2 }],
      ['mapping_input', { osc: '/fader/1', value: 0.5 }],
      ['track_record_start', { project: P, track: tr.track, stream: sc.stream }],
      ['track_record_stop', {}],
      ['track_record_place', { project: P, track: tr.track, stream: sc.stream, from: '-1s', to: '-0.5s' }],
      ['timeline_play', { project: P, timeline: tl.timeline, from: 0 }],
      ['timeline_seek', { to: 0 }], ['timeline_stop', {}],
      ['play_marker_segment', { project: P, timeline: tl.timeline, start_marker: 'm0-0000', end_marker: 'm1-0000' }],
      ['play_asset_as_timeline', { project: P, artifact: imp.artifact }]]) {
      const r = await client.callTool({ name, arguments: args });
      check(r.isError !== true || textOf(r).length > 0, `${name}: ${textOf(r)}`);
      called.add(name);
    }
    await client.callTool({ name: 'transport_stop', arguments: {} });
    const gs = await call('timeline_get_state', { project: P, timeline: tl.timeline });
    check(gs.timeline === tl.timeline && gs.timebase === 'beats' && gs.playing === false, `timeline_get_state ${JSON.stringify(gs)}`);
    const tsl = await call('timeline_set_loop', { project: P, timeline: tl.timeline });
    check(tsl.loop === null, `timeline_set_loop ${JSON.stringify(tsl)}`);
    check(/^art-/.test(rn.artifact) && rn.from_frame === 0 &&
      Math.abs(rn.frames - Math.round(3 * 48000 + (imp.frames - 20) * 48000 / imp.rate)) <= 1 &&
      rn.stems.length === 1, `render ${JSON.stringify(rn)}`);
    const tp = await call('take_place', { project: P, stream: sc.stream, from: '-0.4s', to: '-0.1s',
      track: tr.track, at: 8 });
    check(tp.to_frame - tp.from_frame === 14400, `take_place ${JSON.stringify(tp)}`);
    await call('clip_remove', { project: P, clip: tp.clip });
    await call('timeline_remove', { project: P, timeline: tl.timeline });
    const stale = await client.callTool({ name: 'track_add',
      arguments: { project: P, base: pj.version, name: 'late' } });
    check(stale.isError === true && /but the head is/.test(textOf(stale)), `stale base: ${textOf(stale)}`);
    const hist = await call('project_history', { project: P });
    check(hist.versions.length >= 20, `project_history ${hist.versions.length}`);
    const un = await call('project_undo', { project: P });
    const re = await call('project_redo', { project: P });
    check(re.version === hist.head && un.version !== hist.head, 'undo/redo');
    const got = await call('project_get', { project: P });
    check(got.document.id === P && got.version === hist.head, 'project_get');
    const lst = await call('project_list', {});
    check(lst.projects.some((p) => p.project === P), 'project_list');
    const pr = await call('project_prune', { project: P, keep: 2 });
    check(pr.dropped === hist.versions.length - 2, `project_prune ${JSON.stringify(pr)}`);
    const rq = await client.callTool({ name: 'session_request',
      arguments: { midi: 'art-nonexistent', out: 'nobody:in', audio: sc.stream } });
    check(rq.isError === true, `session_request without a synth: ${textOf(rq)}`);
    called.add('session_request');
    const never = tools.map((t) => t.name).filter((n) => !called.has(n));
    check(never.length === 0, `tools never called: ${never.join(', ')}`);
  }

  let terminated = null;
  if (mode === 'http') {
    // DELETE ends the session; the next request on it is refused.
    const sid = transport.sessionId;
    await transport.terminateSession();
    terminated = sid;
  }
  await client.close();
  console.log(JSON.stringify({
    tools: tools.map((t) => t.name), called: [...called], grab: { ...sc, wav_file: wavFile, wav_rate: w.rate,
      wav_channels: w.channels, wav_bits: w.bits, wav_frames: w.frames },
    terminated_session: terminated,
  }));
}

main().catch((e) => fail(e && e.stack ? e.stack.split('\n')[0] : String(e)));
