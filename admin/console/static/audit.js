// The audit log: newest first, filtered by action and user, paged with the
// API's next_cursor (a stack of cursors lets the person go back).

import { get } from './api.js';
import { $, h, when, badge, shortID, fillRows, bindForm, viewError, clearViewError, setBusy } from './ui.js';
import { can, loadNames, userRef } from './state.js';

const section = () => $('#view-audit');
let cursors = [null]; // cursors[i] fetches page i+1
let page = 0;
let next = null;
const seenActions = new Set();

function filters() {
  const f = $('#audit-filter').elements;
  return { action: f.action.value.trim(), user: f.user.value, limit: f.limit.value };
}

async function load() {
  const view = section();
  const table = $('#audit-table');
  clearViewError(view);
  setBusy(table, true);
  try {
    await loadNames();
    const list = await get('/audit', { ...filters(), cursor: cursors[page] || undefined });
    next = list.next_cursor || null;
    const items = list.items || [];
    fillRows(table, items.map(row), { empty: page ? 'No older records.' : 'No audit records match these filters.' });
    for (const r of items) if (r.action) seenActions.add(r.action);
    $('#audit-actions').replaceChildren(...[...seenActions].sort().map((a) => h('option', { value: a })));
  } catch (err) {
    viewError(view, err);
    next = null;
  } finally {
    setBusy(table, false);
    $('#audit-newer').disabled = page === 0;
    $('#audit-older').disabled = !next;
    $('#audit-page').textContent = `Page ${page + 1}`;
  }
}

function outcome(o) {
  if (!o) return h('span', { class: 'muted' }, '—');
  const bad = /fail|denied|error|refused|locked|reuse|invalid/i.test(o);
  return badge(o, bad ? 'bad' : /ok|success|succeeded/i.test(o) ? 'good' : 'neutral');
}

function target(t) {
  if (t === undefined || t === null || t === '') return h('span', { class: 'muted' }, '—');
  if (typeof t === 'string') return /^[0-9a-f]{24}$/.test(t) ? shortID(t) : h('span', {}, t);
  if (typeof t === 'object') {
    return h('span', { class: 'kv' }, Object.entries(t).map(([k, v]) => h('span', {},
      h('span', { class: 'muted' }, `${k} `), typeof v === 'string' && /^[0-9a-f]{24}$/.test(v) ? shortID(v) : String(v))));
  }
  return h('span', {}, String(t));
}

function row(r) {
  return h('tr', {},
    h('td', {}, when(r.at)),
    h('th', { scope: 'row' }, h('code', {}, r.action || '—')),
    h('td', {}, outcome(r.outcome)),
    h('td', {}, userRef(r.user)),
    h('td', {}, r.actor ? userRef(r.actor) : h('span', { class: 'muted' }, '—')),
    h('td', {}, target(r.target)),
    h('td', {}, r.ip ? h('code', {}, r.ip) : h('span', { class: 'muted' }, '—')),
    h('td', {}, r.request_id ? h('code', { class: 'id', title: r.request_id }, r.request_id) : h('span', { class: 'muted' }, '—')));
}

function restart() {
  cursors = [null];
  page = 0;
  return load();
}

export default {
  id: 'audit',
  title: 'Audit log',
  allowed: () => can('readAudit'),
  init() {
    bindForm($('#audit-filter'), restart);
    for (const name of ['user', 'limit']) $('#audit-filter').elements[name].addEventListener('change', restart);
    $('#audit-older').addEventListener('click', () => {
      if (!next) return;
      cursors[page + 1] = next;
      page++;
      load();
    });
    $('#audit-newer').addEventListener('click', () => {
      if (page === 0) return;
      page--;
      load();
    });
  },
  show: restart,
};
