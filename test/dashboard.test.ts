/**
 * The dashboard in a real browser (Debian's headless Chromium through playwright-core) on a
 * slabcached under traffic: it draws a bar per slab class, shows a non-zero ops/s and its
 * charts, with no script or CSP error. Leaves a screenshot in test/artifacts/. In CI it must
 * run: a missing /usr/bin/chromium fails there, and only skips on a developer's machine.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import t from 'tap';
import { runTraffic, startAdminServer } from './helpers/admin.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('./artifacts/', import.meta.url);
const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is not installed (apt install chromium)`
    : false;

t.test('the dashboard shows slab bars and live ops/s', { skip }, async (t) => {
  const server = await startAdminServer(['-t', '2']);
  const traffic = await runTraffic(server.port);
  let browser: Browser | null = null;
  // The browser stops polling first, then the traffic, then the server.
  t.teardown(async () => {
    await browser?.close();
    await traffic.stop();
    await server.close();
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  // Poll fast so that two readings, and so a rate, come within the test's time.
  await page.goto(`${server.adminUrl}?interval=200`);

  await page.waitForSelector('#slabs tr.slab-row', { timeout: 10_000 });
  // Polled from here: the page's CSP forbids the eval a string predicate would need.
  const opsNow = async () => Number((await page.textContent('#ops-now'))?.replace(/,/g, ''));
  const deadline = Date.now() + 10_000;
  while ((await opsNow()) === 0 && Date.now() < deadline) await page.waitForTimeout(50);
  const ops = await opsNow();
  t.ok(ops > 0, `ops/s is above zero (${ops})`);
  // The share each bar is given (a class with a few items in a page of thousands of chunks
  // can be drawn under a pixel wide, so the rendered width is not the measure).
  const bars = await page.$$eval('#slabs tr.slab-row .bar-used', (els) =>
    els.map((el) => Number.parseFloat((el as { style: { width: string } }).style.width)),
  );
  t.ok(bars.length >= 2, `a bar per slab class (${bars.length})`);
  t.ok(
    bars.some((w) => w > 0),
    'used chunks are drawn',
  );
  t.equal(await page.getAttribute('#status', 'data-state'), 'ok', 'the JSON routes answered');
  t.match(await page.textContent('#hit-now'), /%/, 'a hit ratio');
  await page.waitForSelector('#chart-ops canvas', { timeout: 5_000 });
  t.equal(await page.locator('.uplot').count(), 5, 'five uPlot charts');
  t.same(errors, [], 'no script or CSP errors');

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = new URL('dashboard.png', ARTIFACTS).pathname;
  await page.screenshot({ path: shot, fullPage: true });
  t.ok(existsSync(shot), `screenshot at ${shot}`);
});
