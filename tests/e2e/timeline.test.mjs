// The timeline end to end: a $logs file with requests spread over ten minutes; dragging across
// the bars with the mouse filters the table to the requests of that range (counted here from
// the generated times, not by the page), the keyboard and the From/To inputs do the same, a
// finding's band selects its time range, and Clear brings every request back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, foreignRequests, screenshot } from './harness.mjs';

let browser;
let server;
before(async () => {
  browser = await launch();
  server = await serve('/');
});
after(async () => {
  await server?.close();
  await browser?.close();
});

const BASE = Date.UTC(2024, 2, 5, 2, 0, 0);
const N = 80;

/** N requests over about ten minutes at irregular times; a few 404s, a burst of 503 ServerBusy. */
function spreadLog() {
  const times = [];
  const lines = [];
  for (let i = 0; i < N; i++) {
    const ms = BASE + i * 7_500 + ((i * 7919) % 6_000);
    times.push(ms);
    const busy = i >= 40 && i < 46;
    const missing = i % 9 === 4;
    const status = busy ? 503 : missing ? 404 : 200;
    const op = missing ? 'GetBlobProperties' : 'GetBlob';
    const rs = busy ? 'ServerBusyError' : missing ? 'ClientOtherError' : 'Success';
    const t = new Date(ms).toISOString().replace('Z', '0000Z');
    const hex = i.toString(16).padStart(8, '0');
    lines.push(
      `1.0;${t};${op};${rs};${status};${20 + (i % 9)};${10 + (i % 7)};authenticated;acct;acct;blob;` +
        `"https://acct.blob.core.windows.net/c/b${i}.bin";"/acct/c/b${i}.bin";${hex}-a01e-0023-1f0b-5f2c8a000000;0;10.0.0.4:5${i};2023-11-03;` +
        `512;0;300;1024;0;;;;;;"azsdk-net-Storage.Blobs/12.19.1";;"${hex}-4f0c-4e3b-9a5e-6d1c2b3a4f51"\n`,
    );
  }
  return { times, text: lines.join('') };
}

/** Requests whose time is in the inclusive ISO range (µs digits beyond ms do not matter here:
 * the generated times are whole milliseconds). */
function countIn(times, from, to) {
  const a = from ? Date.parse(from) : -Infinity;
  const b = to ? Date.parse(to) : Infinity;
  return times.filter((t) => t >= a && t <= b).length;
}

const rowCount = (page) => page.locator('.req-table').getAttribute('aria-rowcount').then(Number);

async function waitForRows(page, n) {
  await page.waitForFunction(
    (n) => document.querySelector('.req-table')?.getAttribute('aria-rowcount') === String(n),
    n,
    { timeout: 20_000 },
  );
}

async function brushRange(page) {
  const brush = page.locator('[data-timeline-brush]');
  await page.waitForFunction(() => document.querySelector('[data-timeline-brush]:not(.dragging)')?.getAttribute('data-from'));
  return { from: await brush.getAttribute('data-from'), to: await brush.getAttribute('data-to') };
}

test('dragging across the timeline filters the table to that time range; Clear restores it', async () => {
  const { times, text } = spreadLog();
  const { page, requests, errors } = await open(browser, server.url);
  await page.setInputFiles('#file-input', { name: 'spread.log', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await page.waitForSelector('main[data-state="done"]');
  const timeline = page.locator('[data-timeline]');
  await timeline.waitFor();
  await waitForRows(page, N);
  // The bars hold every request, once.
  const counts = await timeline.locator('.tl-bar').evaluateAll((gs) => gs.map((g) => Number(g.getAttribute('data-count'))));
  assert.equal(counts.reduce((a, b) => a + b, 0), N);
  assert.match(await timeline.innerText(), /80 requests from 2024-03-05 02:00/);

  // A real drag with the mouse, from a quarter to 60 % of the plot's width.
  // Mouse coordinates are the viewport's: bring the chart into view first.
  await timeline.locator('svg.tl-chart').scrollIntoViewIfNeeded();
  const plot = await timeline.locator('.tl-plot').boundingBox();
  const y = plot.y + plot.height / 2;
  await page.mouse.move(plot.x + plot.width * 0.25, y);
  await page.mouse.down();
  await page.mouse.move(plot.x + plot.width * 0.45, y, { steps: 5 });
  await page.locator('[data-timeline-brush].dragging').waitFor();
  await page.mouse.move(plot.x + plot.width * 0.6, y, { steps: 5 });
  await page.mouse.up();
  const { from, to } = await brushRange(page);
  const expected = countIn(times, from, to);
  assert.ok(expected > 0 && expected < N, `range ${from} – ${to} holds ${expected} of ${N}`);
  await waitForRows(page, expected);
  assert.match(await page.locator('.tl-status').innerText(), /Table shows requests from 2024-03-05/);
  // Every row shown is inside the range.
  const shown = await page.locator('.req-row[data-request] .c-time').allInnerTexts();
  assert.ok(shown.length > 0);
  for (const s of shown) {
    const t = Date.parse(s.replace(' UTC', 'Z').replace(' ', 'T'));
    assert.ok(t >= Date.parse(from) && t <= Date.parse(to), `${s} in ${from} – ${to}`);
  }
  await screenshot(page, 'timeline-brushed');

  await page.click('button[data-action="clear-time-range"]');
  await waitForRows(page, N);
  assert.equal(await page.locator('[data-timeline-brush]').count(), 0);
  assert.deepEqual(foreignRequests(requests, server.origin), []);
  assert.deepEqual(errors, []);
});

test('the timeline works from the keyboard, the From/To inputs and a finding marker', async () => {
  const { times, text } = spreadLog();
  const { page, errors } = await open(browser, server.url);
  await page.setInputFiles('#file-input', { name: 'spread.log', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await page.waitForSelector('main[data-state="done"]');
  await waitForRows(page, N);

  // Arrow keys on the focused chart select one bar, Shift+arrow widens the selection.
  await page.locator('svg.tl-chart').focus();
  await page.keyboard.press('ArrowRight');
  const first = Number(await page.locator('.tl-bar[data-bucket="0"]').getAttribute('data-count'));
  await waitForRows(page, first);
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  let r = await brushRange(page);
  await waitForRows(page, countIn(times, r.from, r.to));
  await page.keyboard.press('Escape');
  await waitForRows(page, N);

  // The inputs take UTC (the page's default); To is inclusive of its whole second.
  await page.fill('#timeline-from', '2024-03-05T02:03:00');
  await page.fill('#timeline-to', '2024-03-05T02:05:30');
  await page.click('button[data-action="apply-time-range"]');
  const expected = countIn(times, '2024-03-05T02:03:00Z', '2024-03-05T02:05:30.999Z');
  assert.ok(expected > 0 && expected < N);
  await waitForRows(page, expected);
  r = await brushRange(page);
  assert.equal(r.from, '2024-03-05T02:03:00Z');
  assert.equal(r.to, '2024-03-05T02:05:30.999999Z');

  // The throttling finding's band selects its first..last time.
  const finding = page.locator('[data-rule="throttling"]').first();
  await finding.waitFor();
  const marker = page.locator('[data-timeline-marker="throttling"]');
  assert.match(await marker.getAttribute('aria-label'), /^throttling \(\w+\), 2024-03-05 02:05/);
  await marker.click();
  r = await brushRange(page);
  const busy = times.slice(40, 46);
  assert.equal(Date.parse(r.from), busy[0]);
  assert.equal(Date.parse(r.to), busy[busy.length - 1]);
  await waitForRows(page, countIn(times, r.from, r.to));
  // The table's own "Clear filters" clears the time range too.
  await page.click('[data-facet="clear"]');
  await waitForRows(page, N);
  assert.equal(await page.locator('[data-timeline-brush]').count(), 0);
  assert.deepEqual(errors, []);
});
