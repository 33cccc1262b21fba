// Webhooks (docs/EVENTS.md), for owners and admins: the
// tenant's endpoints (#/webhooks) — list, create with the signing secret
// shown once, enable or disable, delete, send a test ping — and one
// endpoint's deliveries (#/webhooks/<id>): status, attempts, the last
// answer, the next attempt, and a retry of a failed one. While a delivery
// shown is pending, the list reloads itself every few seconds.

import { get, post, patch, del, seg, ApiError } from './api.js';
import {
  $, h, when, badge, shortID, fillRows, actions, button, bindForm, openDialog, confirm, showSecret,
  announce, viewError, clearViewError, setBusy, runAction, clearErrors, showErrors,
} from './ui.js';
import { can } from './state.js';

// ACTIONS are the audit actions Latchkey records (each an event type),
// offered when choosing a webhook's events.
const ACTIONS = ['login', 'logout', 'refresh', 'refresh.reuse', 'signup',
  'token.create', 'token.expiry', 'token.delete', 'token.rotate', 'token.leak',
  'app_token.create', 'app_token.change', 'app_token.expiry', 'app_token.delete', 'app_token.rotate',
  'app_token.rate_limit', 'app_token.leak',
  'user.create', 'user.update', 'user.delete', 'user.expire_tokens', 'user.unlock',
  'tenant.create', 'tenant.update', 'tenant.delete', 'tenant.app_token.create', 'tenant.owner.create',
  'scope.put', 'scope.delete', 'leaks.report',
  'webhook.create', 'webhook.update', 'webhook.delete', 'webhook.retry', 'webhook.disabled'];

// PATTERNS are the usual wildcards, offered before the single actions.
const PATTERNS = [
  ['app_token.*', 'every app token event'], ['token.*', 'every user token event'],
  ['user.*', 'every user event'], ['tenant.*', 'every tenant event'], ['webhook.*', 'every webhook event'],
  ['*', 'every one-part event: login, logout, refresh, signup'], ['*.*', 'every two-part event'],
];

// A pattern is dot-separated parts of a-z, 0-9 and _, or * (as the API checks).
const PATTERN = /^(\*|[a-z0-9_]+)(\.(\*|[a-z0-9_]+))*$/;
const POLL_MS = 3000;
const MAX_POLLS = 40;

const section = () => $('#view-webhooks');
let cursor = null; // the webhook list's next page
let dcursor = null; // the deliveries' next page
let current = null; // the webhook whose deliveries are shown
let chosen = []; // the new webhook's event patterns
let pollTimer = null;
let polls = 0;

const idFromHash = () => (/^#\/webhooks\/([0-9a-f]{24})/.exec(location.hash) || [])[1] || null;

// ---- The list ----

async function loadList(append = false) {
  const view = section();
  const table = $('#webhooks-table');
  clearViewError(view);
  setBusy(table, true);
  try {
    const list = await get('/webhooks', { limit: 100, cursor: append ? cursor : undefined });
    cursor = list.next_cursor || null;
    fillRows(table, (list.items || []).map(row), { append, empty: 'No webhooks yet.' });
    $('#webhooks-more').hidden = !cursor;
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

function statusBadge(w) {
  return [w.status === 'enabled' ? badge('Enabled', 'good') : badge('Disabled', 'bad'),
    w.failing_since ? h('div', { class: 'sub' }, 'Failing since ', when(w.failing_since)) : null];
}

const events = (w) => h('ul', { class: 'patterns' }, (w.events || []).map((e) => h('li', {}, h('code', {}, e))));

function row(w) {
  const then = () => loadList();
  return h('tr', { 'data-id': w.id, class: w.status === 'disabled' ? 'is-expired' : null },
    h('th', { scope: 'row' },
      h('span', { class: 'name wh-url' }, w.url),
      w.description ? h('div', { class: 'sub' }, w.description) : null,
      h('div', { class: 'sub' }, shortID(w.id))),
    h('td', {}, events(w)),
    h('td', {}, statusBadge(w)),
    h('td', {}, when(w.created)),
    actions(
      button('Deliveries', () => { location.hash = `#/webhooks/${w.id}`; }, { label: `Deliveries of webhook ${w.url}` }),
      button('Send test ping', () => runAction(section(), () => ping(w, true), then), { label: `Send a test ping to ${w.url}` }),
      toggleButton(w, then),
      button('Delete', () => runAction(section(), () => remove(w), then), { tone: 'danger', label: `Delete webhook ${w.url}` }),
    ));
}

function toggleButton(w, then, id) {
  const on = w.status === 'enabled';
  const b = button(on ? 'Disable' : 'Enable', () => runAction(section(), () => toggle(w), then),
    { tone: on ? 'warning' : 'secondary', label: `${on ? 'Disable' : 'Enable'} webhook ${w.url}` });
  if (id) b.id = id;
  return b;
}

// ---- Actions ----

// ping queues a webhook.ping to w; from the list it then shows w's deliveries.
async function ping(w, go) {
  await post(`/webhooks/${seg(w.id)}/test`);
  announce(`Test ping queued for ${w.url}.`);
  if (go) {
    location.hash = `#/webhooks/${w.id}`;
    return false;
  }
  return true;
}

// toggle asks before disabling w, then flips its status; true when it did.
async function toggle(w) {
  if (w.status === 'enabled') {
    const ok = await confirm({
      title: `Disable webhook ${w.url}?`,
      message: 'Nothing is sent to it while it is disabled: deliveries already queued for it fail. Enabling it again forgets its failures.',
      action: 'Disable webhook', tone: 'danger',
    });
    if (!ok) return false;
  }
  const status = w.status === 'enabled' ? 'disabled' : 'enabled';
  await patch(`/webhooks/${seg(w.id)}`, { status });
  announce(`Webhook ${w.url} ${status}.`);
  return true;
}

// remove asks, then deletes w and its deliveries; true when it did.
async function remove(w) {
  const ok = await confirm({
    title: `Delete webhook ${w.url}?`,
    message: 'The endpoint and its deliveries are removed and nothing more is sent to it. This cannot be undone.',
    action: 'Delete webhook',
  });
  if (!ok) return false;
  await del(`/webhooks/${seg(w.id)}`);
  announce(`Webhook ${w.url} deleted.`);
  return true;
}

// ---- One webhook's deliveries ----

const DELIVERY = { delivered: ['Delivered', 'good'], pending: ['Pending', 'info'], failed: ['Failed', 'bad'] };

function deliveryRow(d) {
  const [text, tone] = DELIVERY[d.status] || [d.status, 'neutral'];
  const what = `delivery ${String(d.id).slice(-8)} (${d.type})`;
  return h('tr', { 'data-id': d.id, 'data-status': d.status },
    h('th', { scope: 'row' }, h('code', {}, d.type), h('div', { class: 'sub' }, 'event ', shortID(d.event))),
    h('td', {}, badge(text, tone), d.last_error ? h('div', { class: 'sub' }, d.last_error) : null),
    h('td', { class: 'num' }, String(d.attempts)),
    h('td', { class: 'num' }, d.last_status_code ? String(d.last_status_code) : h('span', { class: 'muted' }, '—')),
    h('td', {}, when(d.next_attempt)),
    h('td', {}, when(d.created)),
    actions(d.status === 'failed'
      ? button('Retry', () => runAction(section(), () => retry(d, what), () => { polls = 0; return loadDeliveries(); }), { label: `Retry ${what}` })
      : null));
}

async function retry(d, what) {
  await post(`/webhooks/${seg(current.id)}/deliveries/${seg(d.id)}/retry`);
  announce(`The ${what} is queued again.`);
  return true;
}

function drawWebhook(w) {
  $('#webhook-facts').replaceChildren(...[
    h('dt', {}, 'URL'), h('dd', { class: 'wh-url' }, w.url),
    h('dt', {}, 'Events'), h('dd', {}, events(w)),
    h('dt', {}, 'Status'), h('dd', {}, statusBadge(w)),
    w.description ? [h('dt', {}, 'Description'), h('dd', {}, w.description)] : [],
    h('dt', {}, 'Created'), h('dd', {}, when(w.created))].flat());
  const old = $('#webhook-toggle');
  old.replaceWith(toggleButton(w, () => loadDeliveries(), 'webhook-toggle'));
}

// loadDeliveries draws the webhook of the address and its deliveries (or
// one more page of them).
async function loadDeliveries(append = false) {
  const view = section();
  const table = $('#deliveries-table');
  const id = idFromHash();
  clearTimeout(pollTimer);
  clearViewError(view);
  setBusy(table, true);
  try {
    const [w, list] = await Promise.all([
      get(`/webhooks/${seg(id)}`),
      get(`/webhooks/${seg(id)}/deliveries`, { limit: 50, cursor: append ? dcursor : undefined }),
    ]);
    if (idFromHash() !== id) return;
    current = w;
    drawWebhook(w);
    dcursor = list.next_cursor || null;
    const items = list.items || [];
    fillRows(table, items.map(deliveryRow), { append, empty: 'No deliveries yet: an event this webhook chooses, or a test ping, makes one.' });
    $('#deliveries-more').hidden = !dcursor;
    // Follow pending deliveries for a while.
    if (items.some((d) => d.status === 'pending') && polls < MAX_POLLS && !append) {
      polls++;
      pollTimer = setTimeout(() => {
        if (idFromHash() === id && !section().hidden && !$('dialog[open]')) loadDeliveries();
      }, POLL_MS);
    }
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

// ---- Creating ----

function drawChosen() {
  $('#wh-events').replaceChildren(...chosen.map((p) => h('li', {}, h('code', {}, p),
    h('button', {
      type: 'button', class: 'chip-remove', 'aria-label': `Remove ${p}`,
      onclick: () => { chosen = chosen.filter((x) => x !== p); drawChosen(); $('#wh-event').focus(); },
    }, '×'))));
  $('#wh-events-none').hidden = chosen.length > 0;
}

// addPattern adds the typed or chosen pattern; false (with the reason
// beside the field) when it is not one.
function addPattern(form) {
  const input = form.elements.event;
  const p = input.value.trim();
  if (!p) return true;
  if (p.length > 100 || !PATTERN.test(p)) {
    clearErrors(form);
    showErrors(form, new ApiError(400, { events: `A pattern is dot-separated parts of a-z, 0-9 and _, or *: "${p}".` }));
    return false;
  }
  if (!chosen.includes(p)) chosen.push(p);
  input.value = '';
  clearErrors(form);
  drawChosen();
  return true;
}

function wireCreate() {
  const dialog = $('#webhook-dialog');
  const form = $('form', dialog);
  const opener = $('#webhook-new');
  $('#wh-event-list').replaceChildren(
    ...PATTERNS.map(([v, label]) => h('option', { value: v, label: `${v} — ${label}` })),
    ...ACTIONS.map((a) => h('option', { value: a })));
  opener.addEventListener('click', () => { chosen = []; drawChosen(); openDialog(dialog); });
  $('#wh-event-add').addEventListener('click', () => { if (addPattern(form)) form.elements.event.focus(); });
  // Enter in the event field adds the pattern instead of submitting (the
  // form submits on the keypress that follows an unhandled keydown).
  form.elements.event.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { ev.preventDefault(); addPattern(form); }
  });
  form.elements.event.addEventListener('keypress', (ev) => { if (ev.key === 'Enter') ev.preventDefault(); });
  bindForm(form, async () => {
    if (!addPattern(form)) return;
    if (!chosen.length) throw new ApiError(400, { events: 'Add at least one event.' });
    const body = { url: form.elements.url.value.trim(), events: chosen };
    const description = form.elements.description.value.trim();
    if (description) body.description = description;
    const res = await post('/webhooks', body);
    dialog.close();
    loadList();
    await showSecret({
      title: 'Webhook created',
      note: `Latchkey signs every delivery to ${res.url} with this secret (Standard Webhooks: the webhook-signature header). Put it where the receiver checks signatures.`,
      warning: 'This secret will not be shown again: Latchkey keeps it sealed and no answer shows it. If it is lost, delete the webhook and make a new one.',
      returnTo: opener,
    }, res.secret);
  });
}

// ---- The screen ----

function show() {
  const id = idFromHash();
  const deliveries = !!id;
  $('#webhooks-title').textContent = deliveries ? 'Webhook deliveries' : 'Webhooks';
  $('#webhook-new').hidden = deliveries;
  $('#webhooks-list').hidden = deliveries;
  $('#webhook-deliveries').hidden = !deliveries;
  clearTimeout(pollTimer);
  if (!deliveries) {
    current = null;
    return loadList();
  }
  if (current?.id !== id) {
    $('#webhook-facts').replaceChildren();
    fillRows($('#deliveries-table'), [], { empty: 'Loading…' });
  }
  polls = 0;
  return loadDeliveries();
}

export default {
  id: 'webhooks',
  title: 'Webhooks',
  allowed: () => can('manageWebhooks'),
  init() {
    wireCreate();
    $('#webhooks-more').addEventListener('click', () => loadList(true));
    $('#deliveries-more').addEventListener('click', () => loadDeliveries(true));
    $('#webhook-refresh').addEventListener('click', () => { polls = 0; loadDeliveries(); });
    $('#webhook-ping').addEventListener('click', () => runAction(section(), () => ping(current, false), () => { polls = 0; return loadDeliveries(); }));
  },
  show,
};
