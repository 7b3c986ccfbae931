// Renders assets/favicon.svg into the PNG icons the web app manifest lists (192 and 512 px),
// with the Chromium the tests use, so nothing is downloaded. Run it after changing the SVG:
//   node assets/make-icons.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const dir = path.dirname(fileURLToPath(import.meta.url));
const svg = fs.readFileSync(path.join(dir, 'favicon.svg')).toString('base64');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  for (const size of [192, 512]) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<body style="margin:0"><img src="data:image/svg+xml;base64,${svg}" width="${size}" height="${size}"></body>`,
    );
    await page.locator('img').evaluate((img) => img.decode());
    const out = path.join(dir, `icon-${size}.png`);
    await page.screenshot({ path: out, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
    console.log(`${out}: ${fs.statSync(out).size} bytes`);
  }
} finally {
  await browser.close();
}
