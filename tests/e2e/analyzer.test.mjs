// The analyzer page end to end, on the release build, in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { serve, launch, open, foreignRequests, scenarioFile, screenshot } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const TRACE = 'sas-expired.dotnet-legacy-trace.log';

test('dropping the expired-SAS trace shows the sas-expired finding with evidence', async () => {
  const server = await serve('/');
  try {
    const { page, requests, errors } = await open(browser, server.url);
    await screenshot(page, 'empty');
    // A real drop: dragenter/dragover/drop with a DataTransfer holding the file.
    await page.locator('[data-drop-zone]').drop({
      files: { name: TRACE, mimeType: 'text/plain', buffer: fs.readFileSync(scenarioFile(TRACE)) },
    });
    await page.waitForSelector('main[data-state="done"]');
    const finding = page.locator('[data-rule="sas-expired"][data-severity="error"]');
    await finding.waitFor();
    assert.equal(await finding.locator('[data-evidence]').count(), 3);
    assert.match(await finding.innerText(), new RegExp(`${TRACE}:19`));
    const input = page.locator('[data-input]');
    assert.equal(await input.getAttribute('data-format'), 'dotnet-legacy-trace');
    assert.equal(await input.getAttribute('data-events'), '4');
    assert.equal(await input.getAttribute('data-skipped'), '0');
    // The SAS signature in the trace never reaches the screen.
    // textContent, not innerText: it also holds the cards that are off screen (and not rendered).
    assert.doesNotMatch(await page.locator('main').textContent(), /Q2xpZW50U2VjcmV0/);
    await screenshot(page, 'findings');
    assert.deepEqual(foreignRequests(requests, server.origin), []);
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test('the release build works from a sub-path, with the built-in example', async () => {
  const server = await serve('/tools/doctor/');
  try {
    const { page, requests, errors } = await open(browser, server.url);
    await page.locator('[data-example="sas-expired"]').click();
    await page.locator('main[data-state="done"] [data-rule="sas-expired"]').waitFor();
    const outside = requests.filter((u) => u.startsWith(server.origin) && !u.startsWith(server.url));
    assert.deepEqual(outside, [], 'every request stays under the sub-path');
    assert.deepEqual(foreignRequests(requests, server.origin), []);
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test('empty and malformed files get a clear per-file message, never a crash', async () => {
  const server = await serve('/');
  try {
    const { page, errors } = await open(browser, server.url);
    await page.setInputFiles('#file-input', [
      { name: 'empty.log', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
      { name: 'garbage.bin', mimeType: 'application/octet-stream', buffer: Buffer.from([0, 159, 146, 150, 10, 255, 254, 0, 10, 65, 66]) },
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just some notes\nnothing to see\n') },
    ]);
    await page.waitForSelector('main[data-state="done"]');
    const empty = page.locator('[data-input]', { hasText: 'empty.log' });
    assert.match(await empty.innerText(), /empty/i);
    const notes = page.locator('[data-input]', { hasText: 'notes.txt' });
    assert.equal(await notes.getAttribute('data-format'), 'unknown');
    assert.equal(await notes.getAttribute('data-skipped'), '2');
    assert.match(await notes.innerText(), /Not recognised/);
    assert.equal(await page.locator('.all-clear').count(), 1);
    assert.deepEqual(errors, []);
  } finally {
    await server.close();
  }
});

test('pasted text goes through the same analysis', async () => {
  const server = await serve('/');
  try {
    const { page } = await open(browser, server.url);
    await page.fill('#paste-input', fs.readFileSync(scenarioFile(TRACE), 'utf8'));
    await page.click('button[data-action="analyze-paste"]');
    await page.locator('main[data-state="done"] [data-rule="sas-expired"]').waitFor();
  } finally {
    await server.close();
  }
});
