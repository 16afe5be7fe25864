// The status page of orders-local in a real browser: headless Chromium
// (Debian's package) driven by playwright-core.
//
//   node tests/browser/status-page.mjs URL KEY
//   (or ORDERS_URL / ORDERS_API_KEY), with
//   ORDERS_DEAD_LETTER_ORDER  the order whose event is the host's one dead letter
//   ORDERS_SCREENSHOT         where to save the screenshot (default target/status-page.png)
//   ORDERS_CHROMIUM           the browser (default /usr/bin/chromium)
//
// Places orders through the page's form (one completes, one is declined,
// one is compensated out of stock, one gets through after a retry),
// watches the counts and the timeline change without a reload, checks each
// order's detail, redrives the dead letter with the page's button, and that
// a tab without the key sees the key form and no data. Any console error,
// page error, failed request or unexpected HTTP error fails it. Run by
// tests/e2e/tests/status_page.rs against a host it prepared.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const url = (process.argv[2] || process.env.ORDERS_URL || '').replace(/\/$/, '');
const key = process.argv[3] || process.env.ORDERS_API_KEY || '';
const deadLettered = process.env.ORDERS_DEAD_LETTER_ORDER || '';
const screenshot = process.env.ORDERS_SCREENSHOT || 'target/status-page.png';
const executablePath = process.env.ORDERS_CHROMIUM || '/usr/bin/chromium';
const TIMEOUT = 30_000;

if (!url || !key) {
  console.error('usage: node tests/browser/status-page.mjs URL KEY');
  process.exit(2);
}

const problems = [];
const step = (what) => console.log(`- ${what}`);
function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

/**
 * Records what breaks the page: console errors, uncaught errors, failed
 * requests, HTTP errors (except those `expected` allows). Returns a detach.
 */
function guard(page, name, expected = () => false) {
  const handlers = {
    console: (m) => {
      if (m.type() === 'error' && !expected(m.location()?.url || '')) {
        problems.push(`${name}: console error: ${m.text()} (${m.location()?.url || ''})`);
      }
    },
    pageerror: (e) => problems.push(`${name}: page error: ${e.message}`),
    requestfailed: (r) => problems.push(`${name}: request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`),
    response: (r) => {
      if (r.status() >= 400 && !expected(r.url())) problems.push(`${name}: HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    },
  };
  for (const [ev, h] of Object.entries(handlers)) page.on(ev, h);
  return () => { for (const [ev, h] of Object.entries(handlers)) page.off(ev, h); };
}

const tid = (id) => `[data-testid="${id}"]`;

async function count(page, status) {
  return Number(await page.locator(`${tid(`count-${status}`)} b`).textContent());
}

async function waitCount(page, status, n) {
  await page.waitForFunction(([s, want]) =>
    Number(document.querySelector(`[data-testid="count-${s}"] b`)?.textContent) === want,
  [status, n], { timeout: TIMEOUT });
}

/** Places an order through the form; its id. */
async function placeOrder(page, { customer, sku, token, quantity = 1 }) {
  const before = await page.locator(tid('order-result')).getAttribute('data-order-id');
  await page.fill(tid('customer-id'), customer);
  await page.selectOption(tid('sku'), sku);
  await page.fill(tid('quantity'), String(quantity));
  await page.selectOption(tid('payment-token'), token);
  await page.click(tid('place-order'));
  await page.waitForFunction((prev) => {
    const r = document.querySelector('[data-testid="order-result"]');
    return r.dataset.orderId && r.dataset.orderId !== prev;
  }, before, { timeout: TIMEOUT });
  const id = await page.locator(tid('order-result')).getAttribute('data-order-id');
  step(`placed ${id} (${sku}, ${token || 'no token'})`);
  return id;
}

/** Opens an order's detail from its row and waits until it shows `status`. */
async function openDetail(page, id, status) {
  await page.click(`${tid('order-row')}[data-order-id="${id}"]`);
  await page.waitForSelector(`${tid('detail')}[data-order-id="${id}"]`, { timeout: TIMEOUT });
  await page.waitForFunction(([want]) =>
    document.querySelector('[data-testid="detail-status"]')?.textContent === want,
  [status], { timeout: TIMEOUT });
  const detail = page.locator(tid('detail'));
  const states = await detail.locator(tid('timeline-state')).evaluateAll((els) => els.map((e) => e.dataset.state));
  return { detail, states, text: await detail.innerText() };
}

async function keyed(browser) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const detach = guard(page, 'keyed tab');
  let loads = 0;
  page.on('load', () => { loads += 1; });

  await page.goto(`${url}/#key=${encodeURIComponent(key)}`);
  await page.waitForSelector(`${tid('counts')}`, { state: 'visible', timeout: TIMEOUT });
  check(await page.evaluate(() => location.hash === ''), 'the key left the address bar');
  check(await page.evaluate(() => Boolean(sessionStorage.getItem('orders-local.api-key'))), 'the key is in sessionStorage');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="stock"] tr').length > 0, null, { timeout: TIMEOUT });
  await page.evaluate(() => { window.__sameDocument = true; });
  step('the page opened with the key');

  if (deadLettered) {
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="dlq-order-events"]')?.textContent === '1', null, { timeout: TIMEOUT });
  }
  const completed0 = await count(page, 'COMPLETED');
  const failed0 = await count(page, 'FAILED');

  const done = await placeOrder(page, { customer: 'browser-ok', sku: 'laptop', token: '' });
  const declined = await placeOrder(page, { customer: 'browser-declined', sku: 'mouse', token: 'tok_decline_card' });
  const compensated = await placeOrder(page, { customer: 'browser-oos', sku: 'unstocked-sku', token: '' });
  const retried = await placeOrder(page, { customer: 'browser-retry', sku: 'keyboard', token: 'tok_transient_1', quantity: 2 });
  await waitCount(page, 'COMPLETED', completed0 + 2);
  await waitCount(page, 'FAILED', failed0 + 2);
  step(`counts moved live: COMPLETED ${completed0} → ${completed0 + 2}, FAILED ${failed0} → ${failed0 + 2}`);

  let d = await openDetail(page, done, 'COMPLETED');
  check(d.states.includes('Charge') && d.states.includes('Reserve') && d.states.includes('Complete'), `completed timeline ${d.states}`);
  check(!d.states.some((s) => /^Refund|^Release/.test(s)), 'no compensation on the completed order');
  check((await d.detail.locator(tid('payment-status')).textContent()) === 'CHARGED', 'completed: charged');
  check(/RESERVED/.test(await d.detail.locator(tid('reservations')).innerText()), 'completed: reserved');
  await page.waitForFunction(() => /COMPLETED/.test(document.querySelector('[data-testid="notifications"]')?.textContent || ''), null, { timeout: TIMEOUT });
  step(`completed: ${d.states.join(' → ')}`);

  d = await openDetail(page, declined, 'FAILED');
  check(/PAYMENT_DECLINED/.test(await d.detail.locator(tid('detail-reason')).textContent()), 'declined: PAYMENT_DECLINED');
  check(d.states.includes('MarkPaymentDeclined'), `declined timeline ${d.states}`);
  check((await d.detail.locator(tid('payment-status')).textContent()) === 'DECLINED', 'declined: payment DECLINED');
  step(`declined: ${d.states.join(' → ')}`);

  d = await openDetail(page, retried, 'COMPLETED');
  check((await d.detail.locator(`${tid('timeline-state')}[data-state="Charge"] ${tid('retries')}`).textContent()) === '1 retry', 'the transient token shows one retry');
  step('retried: Charge shows 1 retry');

  d = await openDetail(page, compensated, 'FAILED');
  check(/OUT_OF_STOCK/.test(await d.detail.locator(tid('detail-reason')).textContent()), 'compensated: OUT_OF_STOCK');
  check(d.states.includes('RefundOutOfStock'), `compensated timeline ${d.states}`);
  check(await d.detail.locator(`${tid('timeline-state')}[data-state="RefundOutOfStock"].compensation`).count() === 1, 'the refund state is marked compensation');
  check((await d.detail.locator(tid('payment-status')).textContent()) === 'REFUNDED', 'compensated: REFUNDED');
  check(/rf_/.test(await d.detail.locator(tid('refund')).textContent()), 'compensated: the refund');
  step(`compensated: ${d.states.join(' → ')}`);

  await page.selectOption(tid('status-filter'), 'FAILED');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="order-row"]')];
    return rows.length > 0 && rows.every((r) => r.dataset.status === 'FAILED');
  }, null, { timeout: TIMEOUT });
  await page.selectOption(tid('status-filter'), '');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="order-row"]').length >= n, 4, { timeout: TIMEOUT });
  step('the status filter shows only FAILED orders');

  if (deadLettered) {
    // The dead-lettered order, open while it is redriven: its timeline
    // appears and its status moves without a reload.
    await openDetail(page, deadLettered, 'PENDING');
    check(await page.locator(tid('timeline-state')).count() === 0, 'no saga before the redrive');
    const pending = await count(page, 'PENDING');
    await page.click(tid('redrive-order-events'));
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="dlq-order-events"]')?.textContent === '0', null, { timeout: TIMEOUT });
    check(/1 dead letter of order-events moved back/.test(await page.locator(tid('redrive-result')).textContent()), 'redrive result');
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="detail-status"]')?.textContent === 'COMPLETED'
      && document.querySelector('[data-testid="timeline-state"][data-state="Complete"]'), null, { timeout: TIMEOUT });
    await waitCount(page, 'PENDING', pending - 1);
    step('redrive: dead letters 1 → 0, the order COMPLETED with its timeline, live');
  }

  check(loads === 1, `one page load, got ${loads}`);
  check(await page.evaluate(() => window.__sameDocument === true), 'no reload');

  // The screenshot: the compensated order open.
  await openDetail(page, compensated, 'FAILED');
  await page.mouse.move(0, 0);
  mkdirSync(dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  step(`screenshot: ${screenshot}`);
  detach();
  await context.close();
}

async function keyless(browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const probe = `${url}/local/summary`;
  const detach = guard(page, 'key-less tab', (u) => u === probe);
  const data = [];
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path !== '/' && !path.startsWith('/ui/')) data.push(`${r.status()} ${path}`);
  });
  await page.goto(`${url}/`);
  await page.waitForSelector(tid('key-form'), { state: 'visible', timeout: TIMEOUT });
  check(await page.locator('#app').isHidden(), 'no data panels without the key');
  await page.waitForTimeout(1500);
  check(data.length === 0, `no data request without the key: ${data}`);
  const status = await page.evaluate((p) => fetch(p).then((r) => r.status), probe);
  check(status === 403, `a request without the key is refused (${status})`);
  const text = await page.locator('body').innerText();
  check(!/browser-ok|laptop|COMPLETED/.test(text), 'no order data on the key-less page');
  step('a tab without the key: the key form, no data');
  detach();
  await context.close();
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Playwright gives every launch a fresh temporary --user-data-dir.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  await keyed(browser);
  await keyless(browser);
} catch (e) {
  failed = true;
  console.error(e.stack || String(e));
} finally {
  await browser.close();
}
for (const p of problems) console.error(`problem: ${p}`);
if (failed || problems.length) process.exit(1);
console.log('status page: all checks passed');
