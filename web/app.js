// app.js — reel's web page: live streams (meters, waveform overview, grab),
// sessions, artifacts (search, playback, waveform, lineage). Everything comes
// from this server's /api; the waveform overview is drawn from the peak
// summary (/api/streams/{uri}/peaks), never from raw audio.
import WaveSurfer from '/web/wavesurfer.esm.js';

const $ = (sel, el = document) => el.querySelector(sel);
const enc = encodeURIComponent;
const streams = new Map(); // uri -> view state
let artifactsCache = [];
let selectedArtifact = null;
let artWave = null;
const avail = { sessions: null, moments: null };
// Exposed for tests and debugging: what the page last drew and heard.
window.reel = { streams, levels: {}, peaks: {}, events: 0 };

// ---- helpers -------------------------------------------------------------

async function api(path, opts = {}) {
  const r = await fetch(path, opts);
  let body = null;
  const text = await r.text();
  try { body = text ? JSON.parse(text) : null; } catch { body = text; }
  if (!r.ok) {
    const e = new Error(body?.error?.message || `${r.status} ${r.statusText}`);
    e.status = r.status;
    throw e;
  }
  return body;
}

function say(text, error = false) {
  const m = $('#msg');
  m.textContent = text;
  m.className = error ? 'error' : '';
  clearTimeout(say.t);
  if (text) say.t = setTimeout(() => { m.textContent = ''; }, 6000);
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function fmtDur(sec) {
  if (!isFinite(sec)) return '—';
  const s = Math.max(0, sec);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return (h ? `${h}:${String(m).padStart(2, '0')}:` : `${m}:`) + r.toFixed(1).padStart(4, '0');
}
const fmtWall = (ns) => (ns ? new Date(Number(ns) / 1e6).toISOString().replace('T', ' ').replace('Z', ' UTC') : '—');
const short = (h) => (h && h.length > 20 ? h.slice(0, 19) + '…' : h);

// ---- streams ---------------------------------------------------------------

function windowSeconds() { return Number($('#window').value); }

function streamView(doc) {
  const uri = doc.uri;
  const card = el('div', { class: 'stream', 'data-uri': uri });
  const v = { uri, doc, card, sel: null, peaks: null, moments: [], headWall: null };
  const meters = el('div', { class: 'meters' });
  const canvas = el('canvas', { height: 120, 'aria-label': `waveform of ${uri}` });
  const grabBtns = [10, 30, 120].map((s) =>
    el('button', { class: 'grab-last', 'data-seconds': s, onclick: () => grab(v, { last: `${s}s` }) },
       `grab last ${s < 60 ? s + ' s' : s / 60 + ' min'}`));
  const selBtn = el('button', { class: 'grab-sel', disabled: '', onclick: () => grabSelection(v) }, 'grab selection');
  const selInfo = el('span', { class: 'dim sel-info' });
  card.append(
    el('div', { class: 'top' }, el('h3', {}, uri), el('span', { class: 'badge state' }),
       el('span', { class: 'dim fmt' })),
    el('div', { class: 'stats' }),
    el('div', { class: 'body' }, meters, el('div', { class: 'wave' }, canvas)),
    el('div', { class: 'grab' }, ...grabBtns, selBtn, selInfo));
  Object.assign(v, { meters, canvas, selBtn, selInfo });
  setupSelection(v);
  return v;
}

function renderStream(v) {
  const d = v.doc;
  $('.state', v.card).textContent = d.state;
  $('.state', v.card).className = `badge state ${d.state}`;
  $('.fmt', v.card).textContent = d.kind === 'midi' ? `MIDI, ${d.sample_rate} Hz clock`
    : `${d.sample_rate} Hz · ${d.channels} ch · ${d.sample_format}`;
  const rate = d.sample_rate || 1;
  const held = (d.head_frame - d.first_frame) / rate;
  const stat = (label, value, warn = false) =>
    el('span', { class: warn ? 'warn' : '' }, `${label} `, el('b', {}, value));
  $('.stats', v.card).replaceChildren(
    stat('head', `${fmtDur(d.head_frame / rate)} (#${d.head_frame})`),
    stat('held', d.first_frame > 0 ? `${fmtDur(held)} from #${d.first_frame} (retention)` : fmtDur(held)),
    stat('xruns', String(d.xruns ?? 0), d.xruns > 0),
    stat('overruns', `${d.overrun_frames ?? 0} frames`, d.overrun_frames > 0),
    stat('gaps', String(d.gaps ?? 0), d.gaps > 0),
    stat('chunks', String(d.chunks)));
  const n = d.kind === 'midi' ? 0 : d.channels;
  if (v.meters.children.length !== n) {
    v.meters.replaceChildren(...Array.from({ length: n }, (_, i) =>
      el('div', { class: 'meter', title: `channel ${i + 1}` }, el('div', { class: 'fill' }), el('div', { class: 'db' }))));
  }
  if (d.kind === 'midi' && v.canvas.isConnected) v.canvas.parentElement.replaceChildren(el('p', { class: 'empty' }, 'MIDI stream: no waveform'));
}

async function loadStreams() {
  let list;
  try { list = await api('/api/streams'); } catch (e) { say(`streams: ${e.message}`, true); return; }
  const box = $('#streams');
  if (list.length && $('.empty', box)) box.replaceChildren();
  for (const doc of list) {
    let v = streams.get(doc.uri);
    if (!v) {
      v = streamView(doc);
      streams.set(doc.uri, v);
      box.append(v.card);
      loadMoments(v);
    }
    // A head event may be newer than this document.
    if (v.doc && v.doc.head_frame > doc.head_frame) doc.head_frame = v.doc.head_frame;
    v.doc = doc;
    renderStream(v);
  }
  renderSessionForm();
}

function setLevels(ev) {
  const v = streams.get(ev.stream);
  window.reel.levels[ev.stream] = ev;
  if (!v) return;
  ev.peak.forEach((p, i) => {
    const m = v.meters.children[i];
    if (!m) return;
    const db = p > 0 ? 20 * Math.log10(p) : -Infinity;
    const pct = Math.max(0, Math.min(100, ((db + 60) / 60) * 100));
    $('.fill', m).style.setProperty('--lvl', `${pct}%`);
    $('.db', m).textContent = isFinite(db) ? db.toFixed(0) : '-∞';
    m.dataset.peak = p;
    if (ev.rms) m.dataset.rms = ev.rms[i];
    m.title = `channel ${i + 1}: peak ${isFinite(db) ? db.toFixed(1) : '-∞'} dBFS` +
      (ev.rms && ev.rms[i] > 0 ? `, RMS ${(20 * Math.log10(ev.rms[i])).toFixed(1)} dBFS` : '');
  });
}

// The overview: fetch the peak summary of the visible window, draw it with
// the head at the right edge.
async function refreshPeaks(v) {
  // While a selection is dragged the view holds still, so the range under the
  // pointer is the range the person sees.
  if (v.doc.kind === 'midi' || v.busy || v.dragging) return;
  v.busy = true;
  try {
    const w = v.canvas.clientWidth || 800;
    const p = await api(`/api/streams/${enc(v.uri)}/peaks?from=-${windowSeconds()}s&to=head&bins=${Math.min(w, 4000)}`);
    // A drag that began while this was in flight keeps the view it began on: the frames
    // under the pointer must not move under it.
    if (v.dragging) return;
    v.peaks = p;
    window.reel.peaks[v.uri] = p;
    if (p.head_frame > v.doc.head_frame) v.doc.head_frame = p.head_frame;
    draw(v);
  } catch (e) {
    if (e.status !== 404) say(`peaks of ${v.uri}: ${e.message}`, true);
  } finally { v.busy = false; }
}

function frameToX(v, f, W) {
  const rate = v.doc.sample_rate;
  const right = v.peaks ? v.peaks.head_frame : v.doc.head_frame;
  const left = right - windowSeconds() * rate;
  return ((f - left) / (right - left)) * W;
}
function xToFrame(v, x, W) {
  const rate = v.doc.sample_rate;
  const right = v.peaks ? v.peaks.head_frame : v.doc.head_frame;
  const left = right - windowSeconds() * rate;
  return Math.round(left + (x / W) * (right - left));
}

function draw(v) {
  const c = v.canvas;
  const W = c.clientWidth, H = c.clientHeight;
  if (c.width !== W) c.width = W;
  if (c.height !== H) c.height = H;
  const g = c.getContext('2d');
  g.clearRect(0, 0, W, H);
  const p = v.peaks;
  const rate = v.doc.sample_rate;
  // Seconds grid, labelled back from the head.
  g.fillStyle = '#2c313a';
  g.font = '10px system-ui';
  const span = windowSeconds();
  const step = span <= 30 ? 5 : span <= 120 ? 15 : span <= 600 ? 60 : 300;
  for (let s = 0; s <= span; s += step) {
    const x = W - (s / span) * W;
    g.fillRect(Math.round(x), 0, 1, H);
    g.fillStyle = '#5a6270';
    g.fillText(s ? `-${s}s` : 'head', Math.max(2, x - (s ? 28 : 26)), 10);
    g.fillStyle = '#2c313a';
  }
  // Session segments (when the sessions routes answer).
  for (const seg of segmentsFor(v.uri)) {
    const x0 = frameToX(v, wallToFrame(v, seg.start), W);
    const x1 = seg.end ? frameToX(v, wallToFrame(v, seg.end), W) : W;
    if (x1 < 0 || x0 > W) continue;
    g.fillStyle = 'rgba(79,179,255,.10)';
    g.fillRect(x0, 0, x1 - x0, H);
  }
  if (p && p.bins) {
    const ch = p.channels, lane = H / ch;
    g.fillStyle = '#6fd08c';
    for (let c2 = 0; c2 < ch; c2++) {
      const mid = lane * c2 + lane / 2, amp = lane / 2 - 1;
      const mins = p.min[c2], maxs = p.max[c2];
      for (let i = 0; i < p.bins; i++) {
        const x0 = frameToX(v, p.from_frame + i * p.bin_frames, W);
        const x1 = frameToX(v, p.from_frame + (i + 1) * p.bin_frames, W);
        const y0 = mid - (maxs[i] / p.scale) * amp, y1 = mid - (mins[i] / p.scale) * amp;
        g.fillRect(Math.floor(x0), y0, Math.max(1, Math.ceil(x1 - x0)), Math.max(1, y1 - y0));
      }
    }
  }
  // Moments.
  g.fillStyle = '#ffb347';
  let lastLabel = -Infinity;
  for (const m of v.moments) {
    const x = frameToX(v, m.frame, W);
    if (x < 0 || x > W) continue;
    // A tick along the top edge, not a full-height line: the wave under it stays readable.
    g.fillRect(x, 0, 2, 10);
    const label = m.name || m.kind || 'moment';
    if (x - lastLabel > g.measureText(label).width + 8) { // no labels on top of each other
      g.fillText(label, x + 3, 10);
      lastLabel = x;
    }
  }
  // The selection.
  if (v.sel) {
    const a = frameToX(v, Math.min(v.sel.a, v.sel.b), W), b = frameToX(v, Math.max(v.sel.a, v.sel.b), W);
    g.fillStyle = 'rgba(79,179,255,.25)';
    g.fillRect(a, 0, b - a, H);
    g.fillStyle = '#4fb3ff';
    g.fillRect(a, 0, 1, H);
    g.fillRect(b, 0, 1, H);
  }
  if (rate && p) {
    g.fillStyle = '#5a6270';
    g.fillText(`${p.bin_frames} frames/bin`, W - 90, H - 4);
  }
}

function setupSelection(v) {
  const c = v.canvas;
  const frameAt = (e) => {
    const r = c.getBoundingClientRect();
    const f = xToFrame(v, Math.max(0, Math.min(r.width, e.clientX - r.left)), r.width);
    return Math.max(v.doc.first_frame, Math.min(v.peaks ? v.peaks.head_frame : v.doc.head_frame, f));
  };
  c.addEventListener('pointerdown', (e) => {
    v.dragging = true;
    c.setPointerCapture(e.pointerId);
    v.sel = { a: frameAt(e), b: frameAt(e) };
    updateSel(v);
  });
  c.addEventListener('pointermove', (e) => { if (v.dragging) { v.sel.b = frameAt(e); updateSel(v); } });
  c.addEventListener('pointerup', (e) => { if (!v.dragging) return; v.sel.b = frameAt(e); v.dragging = false; updateSel(v); });
}

function updateSel(v) {
  const s = v.sel;
  const n = s ? Math.abs(s.b - s.a) : 0;
  v.selBtn.disabled = n === 0;
  v.selInfo.textContent = n ? `#${Math.min(s.a, s.b)} – #${Math.max(s.a, s.b)} (${(n / v.doc.sample_rate).toFixed(2)} s)` : '';
  draw(v);
}

async function grab(v, body) {
  say(`grabbing from ${v.uri}…`);
  try {
    const r = await api(`/api/streams/${enc(v.uri)}/slice`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ...body, tags: ['source:web'] }),
    });
    say(`grabbed ${r.artifact}: ${(r.frames / v.doc.sample_rate).toFixed(2)} s`);
    await loadArtifacts();
    selectArtifact(r.artifact);
  } catch (e) { say(`grab failed: ${e.message}`, true); }
}

function grabSelection(v) {
  if (!v.sel) return;
  const a = Math.min(v.sel.a, v.sel.b), b = Math.max(v.sel.a, v.sel.b);
  grab(v, { from: `#${a}`, to: `#${b}` });
}

// ---- moments ---------------------------------------------------------------

async function loadMoments(v) {
  if (avail.moments === false) return;
  try {
    const list = await api(`/api/streams/${enc(v.uri)}/moments`);
    avail.moments = true;
    v.moments = Array.isArray(list) ? list : list.moments || [];
  } catch (e) {
    if (e.status === 404 && /route/i.test(e.message)) avail.moments = false;
  }
}

// ---- sessions --------------------------------------------------------------

let sessions = [];

function segmentsFor(uri) {
  const out = [];
  for (const s of sessions) if ((s.streams || []).includes(uri)) for (const g of s.segments || []) out.push({ start: g.start?.wall_ns, end: g.end?.wall_ns });
  return out.filter((g) => g.start);
}

function wallToFrame(v, wall) {
  const h = v.headWall;
  if (!h) return -1e18;
  return h.frame + ((Number(wall) - h.wall_ns) / 1e9) * v.doc.sample_rate;
}

async function loadSessions() {
  const box = $('#sessions');
  try {
    const r = await api('/api/sessions');
    sessions = Array.isArray(r) ? r : r.sessions || [];
    avail.sessions = true;
  } catch (e) {
    if (e.status === 404 || e.status === 405) {
      avail.sessions = false;
      box.replaceChildren(el('p', { class: 'empty' }, 'Sessions are not available on this server.'));
      return;
    }
    say(`sessions: ${e.message}`, true);
    return;
  }
  renderSessions();
}

function renderSessionForm() {
  const f = $('#session-form');
  if (!f) return;
  const box = $('.stream-picks', f);
  const have = new Set([...box.querySelectorAll('input')].map((i) => i.value));
  for (const uri of streams.keys()) if (!have.has(uri))
    box.append(el('label', {}, el('input', { type: 'checkbox', value: uri, checked: '' }), ` ${uri} `));
}

function renderSessions() {
  const box = $('#sessions');
  const form = el('form', { id: 'session-form', class: 'toolbar', onsubmit: createSession },
    el('select', { name: 'mode' }, el('option', { value: 'passive' }, 'passive'),
       el('option', { value: 'request-response' }, 'request-response')),
    el('span', { class: 'stream-picks' }), el('button', { type: 'submit' }, 'create session'));
  const now = Date.now() * 1e6;
  const rows = sessions.map((s) => {
    const segs = s.segments || [];
    const t0 = segs.length ? Number(segs[0].start?.wall_ns) : now;
    const t1 = Math.max(now, ...segs.map((g) => Number(g.end?.wall_ns || now)));
    const span = Math.max(1, t1 - t0);
    const tl = el('div', { class: 'timeline', title: 'segments' },
      ...segs.map((g) => {
        const a = ((Number(g.start?.wall_ns) - t0) / span) * 100;
        const b = ((Number(g.end?.wall_ns || now) - t0) / span) * 100;
        return el('div', { class: 'seg', style: `left:${a}%;width:${Math.max(0.5, b - a)}%`, title: `${g.id}: ${fmtWall(g.start?.wall_ns)} – ${g.end ? fmtWall(g.end.wall_ns) : 'now'}` });
      }));
    return el('div', { class: 'session', 'data-id': s.id },
      el('div', { class: 'row' }, el('h3', {}, s.id), el('span', { class: 'badge' }, s.state), el('span', { class: 'dim' }, `${s.mode} · ${(s.streams || []).join(', ')} · ${segs.length} segment(s)`),
         el('button', { onclick: () => sessionCmd(s.id, 'play') }, 'play'),
         el('button', { onclick: () => sessionCmd(s.id, 'stop') }, 'stop')),
      tl);
  });
  box.replaceChildren(form, ...(rows.length ? rows : [el('p', { class: 'empty' }, 'no sessions')]));
  renderSessionForm();
}

async function createSession(e) {
  e.preventDefault();
  const f = e.target;
  const picked = [...f.querySelectorAll('.stream-picks input:checked')].map((i) => i.value);
  try {
    const s = await api('/api/sessions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ mode: f.mode.value, streams: picked }) });
    say(`session ${s.id} created`);
  } catch (err) { say(`create session: ${err.message}`, true); }
  loadSessions();
}

async function sessionCmd(id, cmd) {
  try { await api(`/api/sessions/${enc(id)}/${cmd}`, { method: 'POST' }); say(`session ${id}: ${cmd}`); }
  catch (e) { say(`session ${id} ${cmd}: ${e.message}`, true); }
  loadSessions();
}

// ---- artifacts -------------------------------------------------------------

async function loadArtifacts() {
  const tag = $('#tag').value.trim();
  try {
    const r = await api('/api/artifacts' + (tag ? `?tag=${enc(tag)}` : ''));
    artifactsCache = Array.isArray(r) ? r : r.artifacts || [];
  } catch (e) { say(`artifacts: ${e.message}`, true); return; }
  renderArtifacts();
}

function renderArtifacts() {
  const q = $('#search').value.trim().toLowerCase();
  const shown = artifactsCache.filter((a) => !q || [a.id, a.kind, a.mime, a.stream, ...(a.tags || [])].join(' ').toLowerCase().includes(q));
  $('#artifacts').replaceChildren(...shown.map((a) => {
    const w = a.source_window;
    const li = el('li', { 'data-id': a.id, class: a.id === selectedArtifact ? 'sel' : '', onclick: () => selectArtifact(a.id) },
      el('div', {}, el('span', { class: 'id' }, a.id), ' ', el('span', { class: 'dim' }, a.kind)),
      el('div', { class: 'dim' }, a.stream || '', w ? ` · #${w.from_frame}–#${w.to_frame}` : '', ' · ', fmtWall(a.created_ns)),
      el('div', { class: 'tags' }, ...(a.tags || []).map((t) => el('span', { class: 'tag' }, t))));
    return li;
  }));
  if (!shown.length) $('#artifacts').append(el('li', { class: 'empty' }, artifactsCache.length ? 'nothing matches' : 'no artifacts yet'));
}

async function selectArtifact(id) {
  selectedArtifact = id;
  renderArtifacts();
  const box = $('#detail');
  let a;
  try { a = await api(`/api/artifacts/${enc(id)}`); } catch (e) { box.replaceChildren(el('p', { class: 'error' }, e.message)); return; }
  const url = `/api/artifacts/${enc(id)}/content`;
  const isAudio = /^audio\/(wav|x-w64|flac|x-rf64)/.test(a.mime);
  const w = a.source_window;
  const rate = streams.get(a.stream)?.doc.sample_rate;
  const session = a.session || a.meta?.session || (a.tags || []).find((t) => t.startsWith('session:'))?.slice(8);
  const chunks = a.source_chunks || [];
  const link = (aid) => el('a', { href: '#', onclick: (e) => { e.preventDefault(); selectArtifact(aid); } }, aid);
  const lineage = el('dl', { class: 'lineage' },
    el('dt', {}, 'stream'), el('dd', { class: 'l-stream' }, a.stream || '—'),
    el('dt', {}, 'session'), el('dd', { class: 'l-session' }, session || '—'),
    el('dt', {}, 'source window'), el('dd', { class: 'l-window' }, w ? `#${w.from_frame} – #${w.to_frame}` + (rate ? ` (${((w.to_frame - w.from_frame) / rate).toFixed(3)} s)` : '') : '—'),
    el('dt', {}, 'wall clock'), el('dd', {}, w ? `${fmtWall(w.from_wall_ns)} – ${fmtWall(w.to_wall_ns)}` : '—'),
    el('dt', {}, 'source chunks'), el('dd', { class: 'l-chunks' }, chunks.length ? chunks.map((c) => el('div', { title: c.hash || c.staging_id },
      `${short(c.hash || c.staging_id)} ${c.state} #${c.first_sample} +${c.sample_count}`)) : '—'),
    el('dt', {}, 'content'), el('dd', {}, a.content_hash),
    el('dt', {}, 'mime'), el('dd', {}, a.mime),
    el('dt', {}, 'creator'), el('dd', {}, `${a.creator} · ${fmtWall(a.created_ns)}`),
    el('dt', {}, 'parent'), el('dd', {}, a.parent ? link(a.parent) : '—'),
    el('dt', {}, 'children'), el('dd', {}, ...(a.children || []).map((c) => [link(c.id || c), ' ']), (a.children || []).length ? '' : '—'),
    el('dt', {}, 'tags'), el('dd', {}, el('span', { class: 'tags' }, ...(a.tags || []).map((t) => el('span', { class: 'tag' }, t)))));
  const audio = isAudio ? el('audio', { controls: '', preload: 'auto', id: 'player' }) : null;
  const wave = isAudio ? el('div', { class: 'artwave', id: 'artwave' }) : null;
  box.replaceChildren(...[
    el('div', { class: 'top' }, el('h3', {}, a.id), ' ', el('a', { href: url, download: '', id: 'download' }, 'download')),
    wave, audio, isAudio ? null : el('p', { class: 'dim' }, `${a.mime}: no playback in the page`), lineage].filter(Boolean));
  if (artWave) { artWave.destroy(); artWave = null; }
  if (isAudio) {
    artWave = WaveSurfer.create({ container: wave, media: audio, url, height: 80, waveColor: '#6fd08c', progressColor: '#4fb3ff', cursorColor: '#dde1e7', normalize: true });
    artWave.on('error', (e) => say(`waveform: ${e}`, true));
  }
  window.reel.artWave = artWave;
}

// ---- events ----------------------------------------------------------------

function connectEvents() {
  const es = new EventSource('/api/events');
  const conn = $('#conn');
  es.onopen = () => { conn.textContent = 'live'; conn.className = 'badge on'; };
  // reel's own "error" events arrive as MessageEvents of type "error" too:
  // only a plain Event means the connection itself failed.
  es.onerror = (e) => { if (!(e instanceof MessageEvent)) { conn.textContent = 'reconnecting…'; conn.className = 'badge off'; } };
  const on = (name, fn) => es.addEventListener(name, (m) => {
    if (!(m instanceof MessageEvent)) return;
    window.reel.events++;
    try { fn(JSON.parse(m.data)); } catch (e) { console.error(e); }
  });
  on('levels', setLevels);
  on('head', (h) => {
    const v = streams.get(h.stream);
    if (!v) return;
    v.headWall = { frame: h.frame, wall_ns: h.wall_ns };
    Object.assign(v.doc, { head_frame: Math.max(v.doc.head_frame, h.frame), xruns: h.xruns, overrun_frames: h.overrun_frames, gaps: h.gaps });
  });
  on('artifact', () => loadArtifacts());
  on('seal', () => {});
  on('error', (e) => say(`${e.stream}: ${e.message}`, !e.recoverable));
  on('moment', (m) => { const v = streams.get(m.stream); if (v) v.moments.push(m); });
}

// ---- main ------------------------------------------------------------------

$('#search').addEventListener('input', renderArtifacts);
$('#tag').addEventListener('change', loadArtifacts);
$('#window').addEventListener('change', () => streams.forEach(refreshPeaks));
connectEvents();
await loadStreams();
loadArtifacts();
loadSessions();
streams.forEach(refreshPeaks);
setInterval(() => streams.forEach(refreshPeaks), 500);
setInterval(() => streams.forEach(renderStream), 250);
setInterval(loadStreams, 3000);
setInterval(() => { if (avail.sessions) loadSessions(); }, 3000);
