// The page's performance, for `cargo xtask bench`: headless Chromium (Debian's binary, through
// playwright-core) against the release build in dist/.
//
//   node bench/page.mjs --ingest FILE [--scroll FILE] [--steps N]
//
// --ingest FILE   time from choosing the file to `main[data-state="done"]`, and every main-thread
//                 task over 50 ms meanwhile (PerformanceObserver 'longtask')
// --scroll FILE   after that file is done, scrolls the requests table N steps (one screen each,
//                 spread over the whole table) under a performance trace; per step: the main
//                 thread's busiest task and its total work until the step's rows are on screen
// Prints one JSON object per measurement on standard output.
import { serve, launch } from '../tests/e2e/harness.mjs';
import fs from 'node:fs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const STEPS = Number(opt('--steps') || 20);
const DONE_TIMEOUT = 30 * 60 * 1000;

// Long tasks of the main thread from page start, kept in the page.
const OBSERVE = () => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
};

async function openPage(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(OBSERVE);
  await page.goto(url);
  await page.waitForSelector('main[data-state="empty"]');
  return { page, context, errors };
}

/** Chooses `file`, waits for the analysis; returns { ms, longTasks, longest }. */
async function ingest(page, file) {
  const t0 = await page.evaluate(() => performance.now());
  await page.setInputFiles('#file-input', file);
  await page.waitForSelector('main[data-state="done"]', { timeout: DONE_TIMEOUT });
  const t1 = await page.evaluate(() => performance.now());
  const tasks = await page.evaluate((t) => window.__longtasks.filter((x) => x.start >= t), t0);
  return {
    ms: t1 - t0,
    longTasks: tasks.length,
    longestTaskMs: tasks.reduce((m, x) => Math.max(m, x.duration), 0),
    longTasksMs: tasks.map((x) => Math.round(x.duration)),
  };
}

/**
 * From a trace: the tasks of the page's renderer main thread ({ start, ms }, trace clock in ms)
 * and the `console.timeStamp` marks the page wrote (label → time).
 */
function readTrace(trace) {
  const events = JSON.parse(trace.toString('utf8')).traceEvents || [];
  const main = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  );
  const tasks = events
    .filter((e) => e.ph === 'X' && e.name === 'RunTask' && main.has(`${e.pid}:${e.tid}`))
    .map((e) => ({ start: e.ts / 1000, ms: (e.dur || 0) / 1000 }));
  const marks = new Map();
  for (const e of events) {
    const label = e.name === 'TimeStamp' ? e.args?.data?.message : undefined;
    if (label?.startsWith('sd-')) marks.set(label, e.ts / 1000);
  }
  return { tasks, marks };
}

/** Scrolls the requests table in STEPS jumps; returns per-step figures. */
async function scroll(browser, page) {
  const total = Number(await page.getAttribute('.req-table', 'aria-rowcount'));
  await page.locator('.req-scroll').scrollIntoViewIfNeeded();
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  const steps = [];
  for (let k = 1; k <= STEPS; k++) {
    // Spread over the whole table: each step lands on unseen rows the worker must fetch.
    const step = await page.evaluate(async ({ k, n }) => {
      const el = document.querySelector('.req-scroll');
      const y = Math.floor(((el.scrollHeight - el.clientHeight) * k) / n);
      console.timeStamp(`sd-${k}-start`);
      const t0 = performance.now();
      el.scrollTop = y;
      // Done when no row is missing: every row element of the viewport is present and the
      // first one is past the row the previous step showed.
      const before = document.querySelector('.req-row[data-row]')?.getAttribute('data-row');
      for (;;) {
        await new Promise((r) => requestAnimationFrame(() => r()));
        const first = document.querySelector('.req-rows .req-row[data-row]');
        if (first && first.getAttribute('data-row') !== before) break;
        if (performance.now() - t0 > 10000) return { timeout: true };
      }
      const t1 = performance.now();
      console.timeStamp(`sd-${k}-end`);
      return { k, t0, t1, first: Number(document.querySelector('.req-rows .req-row[data-row]').getAttribute('data-row')) };
    }, { k, n: STEPS });
    steps.push(step);
  }
  const { tasks, marks } = readTrace(await browser.stopTracing());
  const perStep = steps.map((s) => {
    if (s.timeout) return { timeout: true };
    const a = marks.get(`sd-${s.k}-start`);
    const b = marks.get(`sd-${s.k}-end`);
    if (a === undefined || b === undefined) return { rowsShownMs: s.t1 - s.t0, noMarks: true };
    // Every task that ran on the main thread between the scroll and the rows being on screen
    // (the evaluate's own task included: it made the scroll).
    const inside = tasks.filter((t) => t.start + t.ms >= a && t.start <= b);
    return {
      rowsShownMs: s.t1 - s.t0,
      busiestTaskMs: inside.reduce((m, t) => Math.max(m, t.ms), 0),
      mainThreadMs: inside.reduce((m, t) => m + t.ms, 0),
      firstRow: s.first,
    };
  });
  return { total, tasksTraced: tasks.length, steps: perStep };
}

const server = await serve('/');
const browser = await launch();
try {
  for (const [kind, file] of [['ingest', opt('--ingest')], ['scroll', opt('--scroll')]]) {
    if (!file) continue;
    const { page, context, errors } = await openPage(browser, server.url);
    const bytes = fs.statSync(file).size;
    const r = await ingest(page, file);
    const out = { kind, file, bytes, ...r };
    if (kind === 'scroll') out.scroll = await scroll(browser, page);
    out.errors = errors;
    console.log(JSON.stringify(out));
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
