// Accessibility: axe-core (from npm, injected into the page) on the main states; no serious or
// critical violation is allowed. Also saves the README screenshots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { serve, launch, screenshot, ROOT } from './harness.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
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

async function audit(page, name) {
  // axe is injected by the test only; the page's own CSP would refuse it, so the context
  // bypasses CSP for this audit.
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(bad, [], `${name}: ${JSON.stringify(bad, null, 1)}`);
}

for (const scheme of ['light', 'dark']) {
  test(`no serious or critical accessibility violation (${scheme})`, async () => {
    const context = await browser.newContext({ bypassCSP: true, colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('main[data-state="empty"]');
    await audit(page, `empty/${scheme}`);
    await page.locator('[data-example="cors-chrome"]').click();
    await page.waitForSelector('main[data-state="done"]');
    await page.locator('.req-row[data-request]').first().waitFor();
    await audit(page, `findings/${scheme}`);
    await page.locator('[data-evidence]').first().click();
    await page.locator('[data-request-detail]').waitFor();
    await audit(page, `detail/${scheme}`);
    // The timeline (bars, a finding's band, a brushed range): the CORS example has no times.
    await page.goto(server.url);
    await page.locator('[data-example="sas-expired"]').click();
    await page.waitForSelector('main[data-state="done"]');
    await page.locator('[data-timeline] .tl-bar').first().waitFor();
    await page.locator('[data-timeline-marker="sas-expired"]').click();
    await page.locator('[data-timeline-brush]').waitFor();
    await audit(page, `timeline/${scheme}`);
    await page.goto(server.url + '#/cors');
    await page.locator('#cors-rules').waitFor();
    await audit(page, `cors/${scheme}`);
    await page.goto(server.url + '#/sas');
    await page.locator('#sas-input').waitFor();
    await audit(page, `sas/${scheme}`);
    if (scheme === 'light') await screenshot(page, 'sas-tool');
    await context.close();
  });
}
