// DOM builders of the status page. Data only ever becomes text nodes and
// attribute values (never HTML): an order's fields cannot inject markup.

/** An element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'dataset') Object.assign(node.dataset, v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** HH:MM:SS.mmm, local time. */
export function clock(ts) {
  if (!ts) return '–';
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return String(ts);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Date and time, to the second. */
export function when(ts) {
  if (!ts) return '–';
  const d = new Date(ts);
  return `${d.toLocaleDateString()} ${clock(ts).slice(0, 8)}`;
}

export const shortId = (id) => (id ? String(id).slice(-8).toUpperCase() : '–');

export const badge = (status) =>
  el('span', { class: `badge st-${status}`, 'data-testid': 'status-badge' }, status);

/** Saga states on the compensation path (the workflow's own names). */
export function isCompensation(state) {
  return /^(Refund|Release|Mark|Compensation|OrderFailed)/.test(state || '');
}

/**
 * The execution's history as states: when each was entered and exited, its
 * retries and the errors of its failed attempts.
 */
export function timeline(history) {
  const states = [];
  let open = null;
  for (const e of history || []) {
    if (e.type === 'StateEntered') {
      open = { state: e.state, entered: e.timestamp, exited: null, retries: 0, errors: [] };
      states.push(open);
    } else if (!open || e.state !== open.state) {
      continue;
    } else if (e.type === 'RetryScheduled') {
      open.retries += 1;
    } else if (e.type === 'TaskFailed' || e.type === 'StateFailed') {
      open.errors.push({ error: e.error, cause: causeText(e.cause) });
    } else if (e.type === 'StateExited') {
      open.exited = e.timestamp;
    }
  }
  return states;
}

/** A Lambda error's cause, its message when it is the usual JSON. */
function causeText(cause) {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause);
    return parsed.errorMessage || cause;
  } catch {
    return cause;
  }
}

function ms(from, to) {
  if (!from || !to) return '';
  const d = new Date(to) - new Date(from);
  return Number.isFinite(d) ? `${d} ms` : '';
}

function timelineItem(s) {
  const comp = isCompensation(s.state);
  return el('li', {
    class: `step${comp ? ' compensation' : ''}${s.errors.length ? ' had-errors' : ''}`,
    'data-testid': 'timeline-state',
    dataset: { state: s.state },
  },
  el('div', { class: 'step-head' },
    el('b', {}, s.state),
    comp ? el('span', { class: 'tag comp' }, 'compensation') : null,
    s.retries ? el('span', { class: 'tag retry', 'data-testid': 'retries' },
      `${s.retries} ${s.retries === 1 ? 'retry' : 'retries'}`) : null,
    el('span', { class: 'times' }, `${clock(s.entered)} → ${s.exited ? clock(s.exited) : '…'}`,
      s.exited ? el('small', {}, ` (${ms(s.entered, s.exited)})`) : null)),
  s.errors.map((e) => el('div', { class: 'step-error' }, el('code', {}, e.error || 'error'), ' ', e.cause)));
}

function field(label, value, testid) {
  return [el('dt', {}, label), el('dd', testid ? { 'data-testid': testid } : {}, value ?? '–')];
}

function section(title, ...body) {
  return el('div', { class: 'sub' }, el('h3', {}, title), ...body);
}

function executionPart(ex) {
  if (!ex) return el('p', { class: 'empty' }, 'The saga has not started yet.');
  const steps = timeline(ex.history);
  return [
    el('p', { class: 'meta' }, 'Execution ', el('b', { 'data-testid': 'execution-status' }, ex.status),
      ` · started ${clock(ex.startedAt)}`, ex.stoppedAt ? ` · stopped ${clock(ex.stoppedAt)}` : '',
      ex.error ? el('span', { class: 'error' }, ` · ${ex.error}: ${causeText(ex.cause)}`) : null),
    el('ol', { class: 'timeline', 'data-testid': 'timeline' }, steps.map(timelineItem)),
  ];
}

function paymentPart(p) {
  if (!p) return el('p', { class: 'empty' }, 'No payment yet.');
  const rows = [
    ...field('Status', p.status, 'payment-status'),
    ...field('Amount', `${p.amount} ${p.currency}`),
    ...field('Payment', p.paymentId),
    ...field('Charged', when(p.createdAt)),
  ];
  if (p.declineCode) rows.push(...field('Decline code', p.declineCode));
  if (p.refund) {
    rows.push(...field('Refund', `${p.refund.amount} ${p.currency} · ${p.refund.refundId}`, 'refund'),
      ...field('Refunded', when(p.refund.refundedAt)));
  }
  return el('dl', { class: 'fields' }, rows);
}

function reservationsPart(list) {
  if (!list?.length) return el('p', { class: 'empty' }, 'No stock reserved.');
  return el('ul', { class: 'plain', 'data-testid': 'reservations' }, list.map((r) =>
    el('li', {}, badge(r.status), ' ', r.lines.map((l) => `${l.quantity} × ${l.sku}`).join(', '),
      el('small', {}, ` · ${when(r.reservedAt)}${r.releasedAt ? ` · released ${when(r.releasedAt)}` : ''}`))));
}

function notificationsPart(list) {
  if (!list?.length) return el('p', { class: 'empty' }, 'Nothing sent yet.');
  return el('ul', { class: 'plain', 'data-testid': 'notifications' }, list.map((n) =>
    el('li', {}, badge(n.status), ` ${n.channels.join(', ')}`,
      n.email?.subject ? el('span', {}, ` · “${n.email.subject}”`) : null,
      el('small', {}, ` · ${clock(n.sentAt)}`))));
}

/** The detail panel's content for `GET /local/orders/{id}`. */
export function detail(d, onClose) {
  const o = d.order;
  const close = el('button', { type: 'button', class: 'link', 'data-testid': 'detail-close' }, 'close');
  close.addEventListener('click', onClose);
  return [
    el('div', { class: 'card-head' },
      el('h2', {}, 'Order ', el('span', { class: 'mono' }, shortId(o.orderId)), ' ', badge(o.status)),
      close),
    el('dl', { class: 'fields' },
      field('Order id', o.orderId, 'detail-order-id'),
      field('Customer', o.customerId),
      field('Status', o.status, 'detail-status'),
      o.statusReason ? field('Reason', `${o.statusReason}${o.statusDetail ? ` (${o.statusDetail})` : ''}`,
        'detail-reason') : [],
      field('Total', `${o.total} ${o.currency}`),
      field('Payment token', o.paymentToken || 'none (normal card)'),
      field('Created', when(o.createdAt)),
      field('Updated', when(o.updatedAt))),
    el('table', { class: 'items' },
      el('thead', {}, el('tr', {}, el('th', {}, 'SKU'), el('th', { class: 'num' }, 'Qty'),
        el('th', { class: 'num' }, 'Price'), el('th', { class: 'num' }, 'Line total'))),
      el('tbody', {}, o.items.map((i) => el('tr', {}, el('td', {}, i.sku), el('td', { class: 'num' }, i.quantity),
        el('td', { class: 'num' }, i.price), el('td', { class: 'num' }, i.lineTotal))))),
    section('Saga', executionPart(d.execution)),
    el('div', { class: 'split' },
      section('Payment', paymentPart(d.payment)),
      section('Reservations', reservationsPart(d.reservations)),
      section('Notifications sent', notificationsPart(d.notifications))),
  ];
}

/** One row of the orders table. */
export function orderRow(o, selected, onOpen) {
  const row = el('tr', {
    class: `clickable${selected ? ' selected' : ''}`,
    tabindex: 0,
    'data-testid': 'order-row',
    dataset: { orderId: o.orderId, status: o.status },
  },
  el('td', {}, clock(o.createdAt).slice(0, 8)),
  el('td', { class: 'mono' }, shortId(o.orderId)),
  el('td', {}, o.customerId),
  el('td', {}, o.items.map((i) => `${i.quantity} × ${i.sku}`).join(', ')),
  el('td', { class: 'num' }, `${o.total} ${o.currency}`),
  el('td', {}, badge(o.status), o.statusReason ? el('small', { class: 'reason' }, ` ${o.statusReason}`) : null));
  row.addEventListener('click', () => onOpen(o.orderId));
  row.addEventListener('keydown', (e) => { if (e.key === 'Enter') onOpen(o.orderId); });
  return row;
}

/** One queue of the pipeline panel, with its Redrive button. */
export function queueRow(name, q, onRedrive) {
  const button = el('button', {
    type: 'button', class: 'small', 'data-testid': `redrive-${name}`, disabled: q.deadLetters === 0,
  }, 'Redrive');
  button.addEventListener('click', () => onRedrive(name, button));
  return el('tr', { 'data-testid': `queue-${name}` },
    el('td', { class: 'mono' }, name),
    el('td', { class: 'num' }, q.visible),
    el('td', { class: 'num' }, q.inFlight),
    el('td', { class: `num${q.deadLetters ? ' alarm' : ''}`, 'data-testid': `dlq-${name}` }, q.deadLetters),
    el('td', {}, button));
}

/** The dead letters of one queue. */
export function deadLetterList(name, letters) {
  return el('div', { class: 'letters' }, el('h3', {}, `Dead letters of ${name}`),
    el('ul', { class: 'plain' }, letters.map((l) => el('li', {},
      el('span', { class: 'mono' }, l.messageId.slice(0, 8)),
      ` · received ${l.receiveCount}× · dead-lettered ${clock(l.deadLetteredAt)}`,
      el('div', { class: 'preview mono' }, l.bodyPreview)))));
}
