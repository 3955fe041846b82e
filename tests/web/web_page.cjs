// web_page.cjs — drives reel's web page in Debian's chromium (playwright-core)
// against a running `reel serve` recording jack_metro at 120 bpm.
//
// Checks: the meters move (loud on the beeps, quiet between), the waveform the
// page drew and the server's peak summary both hold beeps (their windows and
// onsets go to the shell half, which finds them in the recorded audio itself),
// the canvas shows them, "grab last 10 s" and a dragged selection each make an
// artifact that appears in the list, the artifact plays in the page (currentTime
// advances, no media error), its waveform decodes to its length, its lineage is
// shown. Prints the artifacts' ids and source windows, and the drawn onsets
// with their windows, as JSON on stdout for the shell half to compare with
// `reel slice`. Screenshots into $SHOTS.
//
// Env: REEL_URL, STREAM, SHOTS, CHROMIUM (default /usr/bin/chromium).
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const URL = process.env.REEL_URL;
const STREAM = process.env.STREAM;
const SHOTS = process.env.SHOTS;

function fail(msg) {
  console.error(`web_page.cjs: ${msg}`);
  process.exit(1);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Onsets: bins whose peak passes `thr` after at least `gap` quiet frames.
function onsets(p, ch, thr, gap) {
  const out = [];
  let quietFrom = -Infinity;
  for (let i = 0; i < p.bins; i++) {
    const amp = Math.max(Math.abs(p.min[ch][i]), Math.abs(p.max[ch][i])) / p.scale;
    const f = p.from_frame + i * p.bin_frames;
    if (amp > thr) {
      if (f - quietFrom >= gap) out.push(f);
      quietFrom = Infinity;
    } else if (quietFrom === Infinity || quietFrom === -Infinity) {
      quietFrom = f;
    }
  }
  return out;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
           '--disable-dev-shm-usage', '--autoplay-policy=no-user-gesture-required'],
  });
  const errors = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    // Sessions and moments come from other parts of reel: until this server has them,
    // their routes answer 404 and the page says "not available". Any other failing
    // response is an error.
    const optional = /\/api\/sessions$|\/api\/streams\/[^/]+\/moments$/;
    page.on('response', (r) => {
      if (r.status() >= 400 && !(r.status() === 404 && optional.test(r.url().split('?')[0])))
        errors.push(`${r.status()} from ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
    page.on('requestfailed', (r) => {
      // A request cut by navigation or an aborted media range is not the page's fault.
      if (!/ERR_ABORTED/.test(r.failure()?.errorText || '')) errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(URL + '/') && !u.startsWith(`blob:${URL}/`)) errors.push(`external request: ${u}`);
    });
    await page.goto(URL + '/', { waitUntil: 'load' });
    const card = `.stream[data-uri="${STREAM}"]`;
    await page.waitForSelector(card, { timeout: 15000 });
    await page.waitForSelector('#conn.on', { timeout: 10000 });

    // -- meters: sample what the page shows for ~3 s (six beats) --
    const seen = [];
    for (let i = 0; i < 60; i++) {
      const v = await page.$eval(`${card} .meter`, (m) => ({ peak: Number(m.dataset.peak || 0), lvl: m.querySelector('.fill').style.getPropertyValue('--lvl') }));
      seen.push(v);
      await sleep(50);
    }
    const peaks = seen.map((s) => s.peak);
    const hi = Math.max(...peaks), lo = Math.min(...peaks);
    // Rising edges of the bar the page draws: one per beep (2 per second).
    let rises = 0, low = false;
    for (const s of seen) {
      const pct = parseFloat(s.lvl) || 0;
      if (pct < 40) low = true;
      else if (pct > 60 && low) { rises++; low = false; }
    }
    if (!(hi > 0.2)) fail(`meters never showed a beep (max peak ${hi})`);
    if (!(lo < 0.05)) fail(`meters never fell between beeps (min peak ${lo})`);
    if (rises < 3) fail(`meter bar rose ${rises} times in 3 s, want a rise per beep: ${seen.map((s) => s.lvl)}`);

    // -- waveform: the page's drawn data, at 30 s of history --
    await page.selectOption('#window', '30');
    await sleep(1500);
    const drawn = await page.evaluate((s) => window.reel.peaks[s], STREAM);
    if (!drawn || !drawn.bins) fail('the page drew no peaks');
    const held = (drawn.to_frame - drawn.from_frame) / 48000;
    const ons = onsets(drawn, 0, 0.2, 6000);
    // Where the beeps are is checked by web_page.sh against the recorded audio itself.
    if (ons.length < Math.floor(held / 2)) fail(`drawn waveform: ${ons.length} beeps in ${held} s: ${ons}`);
    const drawnWin = { from: drawn.from_frame, to: drawn.to_frame, bin_frames: drawn.bin_frames, onsets: ons };
    // The canvas itself: columns with a tall bar come in groups, one per beep.
    const groups = await page.$eval(`${card} canvas`, (c) => {
      const g = c.getContext('2d');
      const { width: W, height: H } = c;
      const d = g.getImageData(0, 0, W, H).data;
      let n = 0, inBar = false;
      for (let x = 0; x < W; x++) {
        let tall = 0;
        for (let y = 0; y < H; y++) {
          const k = (y * W + x) * 4;
          if (d[k + 1] > 150 && d[k] < 150 && d[k + 2] < 170) tall++; // the wave's green
        }
        const bar = tall > H * 0.3;
        if (bar && !inBar) n++;
        inBar = bar;
      }
      return n;
    });
    if (Math.abs(groups - ons.length) > 2) fail(`canvas shows ${groups} beeps, the data ${ons.length}`);
    // The server's summary on its own, finer than the cache (480-frame bins).
    const fine = await page.evaluate(async (s) => (await fetch(`/api/streams/${encodeURIComponent(s)}/peaks?from=-4s&to=head&bins=400`)).json(), STREAM);
    const fineOns = onsets(fine, 0, 0.2, 6000);
    if (fineOns.length < 3) fail(`peaks route, 4 s: ${fineOns.length} beeps: ${fineOns}`);
    const fineWin = { from: fine.from_frame, to: fine.to_frame, bin_frames: fine.bin_frames, onsets: fineOns };
    await page.screenshot({ path: path.join(SHOTS, '1-live.png'), fullPage: true });

    // -- grab the last 10 s (wait until there are 11) --
    for (let i = 0; i < 100; i++) {
      const h = await page.evaluate((s) => window.reel.peaks[s]?.head_frame || 0, STREAM);
      if (h >= 11 * 48000) break;
      await sleep(200);
    }
    const before = await page.$$eval('#artifacts li[data-id]', (l) => l.map((e) => e.dataset.id));
    await page.click(`${card} button.grab-last[data-seconds="10"]`);
    const id1 = await waitNewArtifact(page, before);
    const w1 = await checkDetail(page, id1, 10);
    await page.screenshot({ path: path.join(SHOTS, '2-grab-detail.png'), fullPage: true });

    // -- drag a selection on the waveform and grab it --
    const box = await page.$eval(`${card} canvas`, (c) => { const r = c.getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; });
    // 70 % to 90 % of the 30 s view: -9 s to -3 s, inside the 11 s recorded.
    await page.mouse.move(box.x + box.w * 0.7, box.y + box.h / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.w * 0.8, box.y + box.h / 2, { steps: 5 });
    await page.mouse.move(box.x + box.w * 0.9, box.y + box.h / 2, { steps: 5 });
    await page.mouse.up();
    const selText = await page.$eval(`${card} .sel-info`, (e) => e.textContent);
    const m = /#(\d+) – #(\d+)/.exec(selText);
    if (!m) fail(`no selection shown after dragging: '${selText}'`);
    await page.screenshot({ path: path.join(SHOTS, '3-selection.png'), fullPage: true });
    const before2 = await page.$$eval('#artifacts li[data-id]', (l) => l.map((e) => e.dataset.id));
    await page.click(`${card} button.grab-sel`);
    const id2 = await waitNewArtifact(page, before2);
    const w2 = await checkDetail(page, id2, null);
    if (w2.from !== Number(m[1]) || w2.to !== Number(m[2]))
      fail(`selection #${m[1]}–#${m[2]} became an artifact of #${w2.from}–#${w2.to}`);
    const secs = (w2.to - w2.from) / 48000;
    if (Math.abs(secs - 6) > 0.1) fail(`selection of ${secs} s, expected 6 s (20 % of the 30 s view)`);

    // -- search and tag filter --
    await page.fill('#search', id1.slice(-6));
    const filtered = await page.$$eval('#artifacts li[data-id]', (l) => l.map((e) => e.dataset.id));
    if (filtered.length !== 1 || filtered[0] !== id1) fail(`search for ${id1.slice(-6)} lists ${filtered}`);
    await page.fill('#search', 'source:web');
    const tagged = await page.$$eval('#artifacts li[data-id]', (l) => l.length);
    if (tagged < 2) fail(`search by tag source:web lists ${tagged} artifacts`);
    await page.fill('#search', '');
    await page.screenshot({ path: path.join(SHOTS, '4-final.png'), fullPage: true });

    if (!(await page.$('#conn.on'))) fail('the event stream badge is not live at the end');
    // Panels whose routes this server lacks say so instead of failing.
    const sess = await page.$eval('#sessions', (e) => e.textContent);
    const sessOk = await page.evaluate(async () => (await fetch('/api/sessions')).status);
    if (sessOk === 404 && !/not available/.test(sess)) fail(`sessions panel without the route: '${sess}'`);
    if (errors.length) fail(errors.join('; '));
    console.log(JSON.stringify({ artifacts: [{ id: id1, ...w1 }, { id: id2, ...w2 }], meters: { hi, lo, rises }, beeps: ons.length, canvas_beeps: groups, windows: [drawnWin, fineWin] }));
  } finally {
    await browser.close();
  }
}

async function waitNewArtifact(page, before) {
  for (let i = 0; i < 100; i++) {
    const ids = await page.$$eval('#artifacts li[data-id]', (l) => l.map((e) => e.dataset.id));
    const fresh = ids.filter((x) => !before.includes(x));
    if (fresh.length === 1) return fresh[0];
    await sleep(100);
  }
  return fail('the grab did not appear in the artifact list');
}

// The artifact's detail: lineage shown, playback advances, waveform decoded.
async function checkDetail(page, id, seconds) {
  await page.waitForSelector(`#detail h3:text("${id}")`, { timeout: 10000 });
  const l = await page.evaluate(() => ({
    stream: document.querySelector('.l-stream')?.textContent,
    window: document.querySelector('.l-window')?.textContent,
    chunks: document.querySelector('.l-chunks')?.textContent,
    download: document.querySelector('#download')?.getAttribute('href'),
  }));
  if (l.stream !== STREAM) fail(`lineage stream '${l.stream}'`);
  const m = /#(\d+) – #(\d+)/.exec(l.window || '');
  if (!m) fail(`lineage window '${l.window}'`);
  if (!l.chunks || l.chunks === '—' || !/blake3:|[0-9a-f]{8}/.test(l.chunks)) fail(`lineage chunks '${l.chunks}'`);
  if (!l.download || !l.download.endsWith('/content')) fail(`download link '${l.download}'`);
  const from = Number(m[1]), to = Number(m[2]);
  if (seconds && to - from !== seconds * 48000) fail(`grab of ${seconds} s holds ${to - from} frames`);
  // Playback: the audio element plays the artifact.
  const t = await page.evaluate(async () => {
    const a = document.querySelector('#player');
    if (a.readyState < 2) await new Promise((r, j) => { a.addEventListener('canplay', r, { once: true }); a.addEventListener('error', () => j(new Error('media error ' + a.error?.code)), { once: true }); });
    await a.play();
    const t0 = a.currentTime;
    await new Promise((r) => setTimeout(r, 1200));
    const res = { t0, t1: a.currentTime, error: a.error && a.error.code, duration: a.duration };
    a.pause();
    return res;
  });
  if (t.error) fail(`audio element error ${t.error}`);
  if (!(t.t1 - t.t0 > 0.5)) fail(`playback did not advance: ${t.t0} -> ${t.t1}`);
  if (Math.abs(t.duration - (to - from) / 48000) > 0.05) fail(`audio duration ${t.duration}, window ${(to - from) / 48000}`);
  // The artifact's waveform (wavesurfer decodes the same content).
  let dur = 0;
  for (let i = 0; i < 50 && !dur; i++) {
    dur = await page.evaluate(() => window.reel.artWave?.getDecodedData()?.duration || 0);
    if (!dur) await sleep(100);
  }
  if (Math.abs(dur - (to - from) / 48000) > 0.05) fail(`artifact waveform decoded ${dur} s`);
  return { from, to };
}

main().catch((e) => fail(e.stack || String(e)));
