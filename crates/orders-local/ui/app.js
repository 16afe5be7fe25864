// The status page of orders-local: polls /local/summary every second and
// reloads the orders, stock, pipeline and the open detail when it changes.
// The API key comes in the address's fragment (#key=…, never sent to the
// host), moves to sessionStorage and leaves the address bar; every data
// request carries it in x-api-key.

import { el, detail, orderRow, queueRow, deadLetterList } from './render.js';

const KEY_SLOT = 'orders-local.api-key';
const POLL_MS = 1000;
const STATUSES = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED'];
const UNSTOCKED = 'unstocked-sku';

const $ = (id) => document.getElementById(id);
const state = { key: null, signature: null, openId: null, timer: null, busy: false };

class Locked extends Error {}

function takeKeyFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const key = params.get('key');
  if (key) {
    sessionStorage.setItem(KEY_SLOT, key);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY_SLOT);
}

/** A JSON request with the key; a 403 locks the page. */
async function api(path, { method = 'GET', body } = {}) {
  if (!state.key) throw new Locked();
  const headers = { 'x-api-key': state.key };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method === 'POST' && path === '/orders') headers['idempotency-key'] = crypto.randomUUID();
  const resp = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store',
  });
  if (resp.status === 403) {
    lock('The key was refused: paste the key the host printed.');
    throw new Locked();
  }
  const data = await resp.json();
  if (!resp.ok) {
    const e = data?.error;
    const details = (e?.details || []).map((d) => `${d.field}: ${d.problem}`).join('; ');
    throw new Error(`${e?.code || resp.status}: ${e?.message || 'request failed'}${details ? ` (${details})` : ''}`);
  }
  return data;
}

function lock(message = '') {
  sessionStorage.removeItem(KEY_SLOT);
  state.key = null;
  clearTimeout(state.timer);
  $('app').hidden = true;
  $('key-gate').hidden = false;
  $('key-error').textContent = message;
  $('live').textContent = 'locked';
}

function unlock(key) {
  state.key = key;
  state.signature = null;
  $('key-gate').hidden = true;
  $('app').hidden = false;
  tick();
}

// ---- polling ----

async function tick() {
  clearTimeout(state.timer);
  if (!state.key) return;
  if (!state.busy) {
    state.busy = true;
    try {
      await refresh(false);
      $('live').textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      $('live').classList.remove('stale');
    } catch (e) {
      if (e instanceof Locked) return;
      $('live').textContent = `connection problem: ${e.message}`;
      $('live').classList.add('stale');
    } finally {
      state.busy = false;
    }
  }
  state.timer = setTimeout(tick, POLL_MS);
}

/** The summary; everything else only when it changed (or `force`). */
async function refresh(force) {
  const summary = await api('/local/summary');
  renderCounts(summary);
  const signature = JSON.stringify(summary);
  if (!force && signature === state.signature) return;
  await Promise.all([loadOrders(), loadStock(), renderPipeline(summary), loadDetail()]);
  state.signature = signature;
}

function renderCounts(summary) {
  for (const s of STATUSES) {
    const tile = document.querySelector(`[data-testid="count-${s}"] b`);
    const n = String(summary.counts[s] ?? 0);
    if (tile.textContent !== n) tile.textContent = n;
  }
  document.querySelector('[data-testid="outbox"]').textContent = String(summary.outbox);
}

// ---- orders and detail ----

async function loadOrders() {
  const status = $('status-filter').value;
  const query = new URLSearchParams({ limit: '25' });
  if (status) query.set('status', status);
  const page = await api(`/orders?${query}`);
  $('orders').replaceChildren(...page.orders.map((o) => orderRow(o, o.orderId === state.openId, openDetail)));
  $('orders-empty').hidden = page.orders.length > 0;
}

function openDetail(id) {
  state.openId = id;
  for (const row of document.querySelectorAll('[data-testid="order-row"]')) {
    row.classList.toggle('selected', row.dataset.orderId === id);
  }
  loadDetail().catch(report);
}

function closeDetail() {
  state.openId = null;
  $('detail').hidden = true;
  $('detail').replaceChildren();
  for (const row of document.querySelectorAll('[data-testid="order-row"].selected')) row.classList.remove('selected');
}

async function loadDetail() {
  const id = state.openId;
  if (!id) return;
  const d = await api(`/local/orders/${encodeURIComponent(id)}`);
  if (state.openId !== id) return;
  const panel = $('detail');
  panel.dataset.orderId = id;
  panel.replaceChildren(...detail(d, closeDetail));
  panel.hidden = false;
}

// ---- stock and pipeline ----

async function loadStock() {
  const { stock } = await api('/local/stock');
  $('stock').replaceChildren(...stock.map((s) => el('tr', { dataset: { sku: s.sku } },
    el('td', { class: 'mono' }, s.sku),
    el('td', { class: `num${s.available === 0 ? ' alarm' : ''}` }, s.available),
    el('td', { class: 'num' }, s.reserved))));
  fillSkus(stock.map((s) => s.sku));
}

function fillSkus(skus) {
  const select = document.querySelector('[data-testid="sku"]');
  const wanted = [...skus, UNSTOCKED];
  const have = [...select.options].map((o) => o.value);
  if (have.join('\n') === wanted.join('\n')) return;
  const current = select.value;
  select.replaceChildren(...wanted.map((sku) => el('option', { value: sku },
    sku === UNSTOCKED ? `${UNSTOCKED} (no stock: out-of-stock compensation)` : sku)));
  select.value = wanted.includes(current) ? current : wanted[0];
}

async function renderPipeline(summary) {
  const names = Object.keys(summary.queues);
  $('queues').replaceChildren(...names.map((n) => queueRow(n, summary.queues[n], redrive)));
  const lists = await Promise.all(names.filter((n) => summary.queues[n].deadLetters > 0)
    .map(async (n) => [n, (await api(`/local/queues/${encodeURIComponent(n)}/dead-letters`)).deadLetters]));
  $('dead-letters').replaceChildren(...lists.map(([n, letters]) => deadLetterList(n, letters)));
}

async function redrive(name, button) {
  button.disabled = true;
  try {
    const r = await api(`/local/queues/${encodeURIComponent(name)}/redrive`, { method: 'POST', body: {} });
    $('redrive-result').textContent = `${r.moved} dead ${r.moved === 1 ? 'letter' : 'letters'} of ${r.queue} moved back.`;
    await refresh(true);
  } catch (e) {
    report(e);
  }
}

// ---- the order form ----

async function placeOrder(event) {
  event.preventDefault();
  const form = event.target;
  const f = new FormData(form);
  const body = {
    customerId: f.get('customerId').trim(),
    items: [{ sku: f.get('sku'), quantity: Number(f.get('quantity')), price: f.get('price').trim() }],
  };
  if (f.get('paymentToken')) body.paymentToken = f.get('paymentToken');
  const result = $('order-result');
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const order = await api('/orders', { method: 'POST', body });
    result.className = 'note ok';
    result.textContent = `Order ${order.orderId.slice(-8).toUpperCase()} placed (${order.status}).`;
    result.dataset.orderId = order.orderId;
    state.openId = order.orderId;
    await refresh(true);
  } catch (e) {
    if (!(e instanceof Locked)) {
      result.className = 'note error';
      result.textContent = e.message;
    }
  } finally {
    button.disabled = false;
  }
}

function report(e) {
  if (e instanceof Locked) return;
  $('live').textContent = e.message;
  $('live').classList.add('stale');
}

// ---- start ----

function start() {
  $('order-form').addEventListener('submit', placeOrder);
  $('status-filter').addEventListener('change', () => loadOrders().catch(report));
  $('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const key = $('key-input').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_SLOT, key);
    $('key-input').value = '';
    unlock(key);
  });
  const key = takeKeyFromFragment();
  if (key) unlock(key);
  else lock();
}

start();
