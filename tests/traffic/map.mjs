// SPDX-License-Identifier: MIT
// The traffic map in a real browser: Debian's headless Chromium, driven by puppeteer-core
// (pinned in package-lock.json; it downloads no browser). Loads the page from the broker, waits
// until every vehicle is drawn, checks that the markers move and that the status line counts
// them, waits for a congestion highlight if asked, and saves a screenshot.
//   node map.mjs <page url> <vehicles> <screenshot.png> [seconds to wait for an alert]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const [url, expectedText, shot, alertWaitText] = process.argv.slice(2);
if (!url || !expectedText || !shot) {
  console.error('usage: node map.mjs <url> <vehicles> <screenshot.png> [alert wait s]');
  process.exit(2);
}
const expected = Number(expectedText);
const alertWait = Number(alertWaitText || 0);
const fail = (msg) => { console.error('FAIL: ' + msg); process.exitCode = 1; };

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'traffic-chromium-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--user-data-dir=' + profile],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => { if (r.status() >= 400) errors.push(r.status() + ' ' + r.url()); });
  // Only 127.0.0.1 may be asked for anything: the page must fetch nothing from the internet.
  const foreign = [];
  await page.setRequestInterception(true);
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost' && u.protocol !== 'data:') {
      foreign.push(r.url());
      r.abort();
    } else {
      r.continue();
    }
  });
  await page.goto(url, { waitUntil: 'load', timeout: 20000 });
  await page.waitForFunction(
      (n) => window.trafficMap && window.trafficMap.connected && window.trafficMap.networkShown &&
             window.trafficMap.vehicles === n,
      { timeout: 30000, polling: 200 }, expected);
  const segments = await page.evaluate(() => window.trafficMap.segments);
  const first = await page.evaluate(() => window.trafficMap.positions());
  await new Promise((r) => setTimeout(r, 3000));
  const second = await page.evaluate(() => window.trafficMap.positions());
  let moved = 0;
  for (const id of Object.keys(first)) {
    const a = first[id], b = second[id];
    if (b && Math.hypot(a[0] - b[0], a[1] - b[1]) > 1.0) moved++;
  }
  // the status line updates once a second: give it one more tick
  await new Promise((r) => setTimeout(r, 1100));
  const status = await page.evaluate(() => window.trafficMap.status());
  const m = /^(\d+) vehicles?, (\d+) msg\/s$/.exec(status);
  let alerts = [];
  if (alertWait > 0) {
    try {
      await page.waitForFunction(() => window.trafficMap.alerts.length > 0,
                                 { timeout: alertWait * 1000, polling: 250 });
    } catch (e) { /* reported below */ }
    alerts = await page.evaluate(() => window.trafficMap.alerts);
    await new Promise((r) => setTimeout(r, 1100));  // one more status tick with the alert
  }
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot });
  const result = { vehicles: Object.keys(second).length, segments, moved, status, alerts, errors, foreign };
  console.log(JSON.stringify(result));
  if (Object.keys(first).length !== expected) fail(`drawn ${Object.keys(first).length}, expected ${expected}`);
  if (segments === 0) fail('no road segment drawn');
  if (moved < Math.ceil(expected / 2)) fail(`only ${moved} of ${expected} markers moved in 3 s`);
  if (!m) fail('status line "' + status + '" is not "N vehicles, R msg/s"');
  else {
    if (Number(m[1]) !== expected) fail(`status line counts ${m[1]} vehicles, expected ${expected}`);
    if (Number(m[2]) <= 0) fail('status line shows no messages per second');
  }
  if (alertWait > 0 && alerts.length === 0) fail(`no congestion highlighted within ${alertWait} s`);
  if (errors.length) fail('page errors: ' + errors.join('; '));
  if (foreign.length) fail('requests beyond 127.0.0.1: ' + foreign.join(', '));
} finally {
  await browser.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
