// The audit log: newest first, filtered by action, user and time (since),
// paged with the API's next_cursor (a stack of cursors lets the person go
// back). Users, app tokens and tenants are shown by name, each id asked of
// the API once; token ids link to the Find token screen. Export CSV writes
// every record the filters select, up to a bound, into a file made in the
// browser.

import { get } from './api.js';
import {
  $, h, when, badge, shortID, fillRows, bindForm, checkForm, clearErrors, showErrors, clearViewError, setBusy,
  announce,
} from './ui.js';
import { can, loadNames, resolveNames, nameOf, userRef } from './state.js';
import { toCSV, download } from './csv.js';

// One export reads at most the Export button's data-max records (10,000:
// 20 requests of EXPORT_PAGE).
const EXPORT_PAGE = 500;

// ACTIONS are the actions Latchkey records, offered in the action filter
// (with any other action seen in the log).
const ACTIONS = ['login', 'logout', 'refresh', 'refresh.reuse', 'signup', 'token.create', 'token.expiry', 'token.delete',
  'app_token.create', 'app_token.expiry', 'app_token.delete', 'user.create', 'user.update', 'user.delete',
  'user.expire_tokens', 'user.unlock', 'tenant.create', 'tenant.update', 'tenant.delete'];

const section = () => $('#view-audit');
let cursors = [null]; // cursors[i] fetches page i+1
let page = 0;
let next = null;
const seenActions = new Set(ACTIONS);

// since reads the since field (the browser's local time) as RFC 3339 UTC.
function since(f) {
  if (!f.since.value) return '';
  const d = new Date(f.since.value);
  return Number.isNaN(d.getTime()) ? f.since.value : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function filters() {
  const f = $('#audit-filter').elements;
  return { action: f.action.value.trim(), user: f.user.value, since: since(f), limit: f.limit.value };
}

// targetKind says what an action's target id names.
function targetKind(action) {
  const kinds = { user: 'user', signup: 'user', app_token: 'app_token', tenant: 'tenant', token: 'token', login: 'token', logout: 'token', refresh: 'token' };
  return kinds[String(action).split('.')[0]];
}

const ID = /^[0-9a-f]{24}$/;
const DETAIL_USER = /\buser ([0-9a-f]{24})\b/g;

// refsOf lists the ids of records that have names: users, actors, targets
// and users named in details.
function refsOf(records) {
  return records.flatMap((r) => {
    const kind = targetKind(r.action);
    return [['user', r.user], ['user', r.actor], ...(kind && kind !== 'token' ? [[kind, r.target]] : []),
      ...[...String(r.detail || '').matchAll(DETAIL_USER)].map((m) => ['user', m[1]])];
  });
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
    await resolveNames(refsOf(items));
    fillRows(table, items.map(row), { empty: page ? 'No older records.' : 'No audit records match these filters.' });
    for (const r of items) if (r.action) seenActions.add(r.action);
    $('#audit-actions').replaceChildren(...[...seenActions].sort().map((a) => h('option', { value: a })));
  } catch (err) {
    showErrors($('#audit-filter'), err);
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

// targetName is the name of a record's target, or '' when it has none.
function targetName(r) {
  const kind = targetKind(r.action);
  return (kind && kind !== 'token' && nameOf(kind, r.target)) || '';
}

function target(r) {
  const t = r.target;
  if (!t) return h('span', { class: 'muted' }, '—');
  const kind = targetKind(r.action);
  if (kind === 'user') return userRef(t);
  if (kind === 'tenant') return h('code', { title: t }, targetName(r) || t);
  if ((kind === 'token' || kind === 'app_token') && ID.test(t)) {
    const label = targetName(r) || shortID(t);
    return can('viewAnyToken') ? h('a', { href: `#/find/${t}`, title: `Find token ${t}` }, label) : h('span', { title: t }, label);
  }
  return ID.test(t) ? shortID(t) : h('span', {}, t);
}

// detail shows a record's detail with user ids as usernames.
const detail = (r) => String(r.detail || '').replace(DETAIL_USER, (m, id) => `user ${nameOf('user', id) || id}`);

function row(r) {
  return h('tr', {},
    h('td', {}, when(r.at)),
    h('th', { scope: 'row' }, h('code', {}, r.action || '—')),
    h('td', {}, outcome(r.outcome)),
    h('td', {}, userRef(r.user, r.username)),
    h('td', {}, r.actor ? userRef(r.actor) : h('span', { class: 'muted' }, '—')),
    h('td', {}, target(r), r.detail ? h('div', { class: 'sub' }, detail(r)) : null),
    h('td', {}, r.ip ? h('code', {}, r.ip) : h('span', { class: 'muted' }, '—')),
    h('td', {}, r.request_id ? h('code', { class: 'id', title: r.request_id }, r.request_id) : h('span', { class: 'muted' }, '—')));
}

function restart() {
  cursors = [null];
  page = 0;
  return load();
}

// ---- CSV export ----

const HEADER = ['id', 'at', 'action', 'outcome', 'user_id', 'user', 'actor_id', 'actor', 'target', 'target_name', 'detail', 'ip', 'request_id'];

function csvRow(r) {
  return [r.id, r.at, r.action, r.outcome, r.user, nameOf('user', r.user) || r.username || '', r.actor, nameOf('user', r.actor) || '',
    r.target, targetName(r), detail(r), r.ip, r.request_id];
}

// exportCSV reads every page the filters select (up to the bound) and
// downloads them as CSV.
async function exportCSV() {
  const form = $('#audit-filter');
  const button = $('#audit-export');
  const status = $('#audit-export-status');
  clearErrors(form);
  if (!checkForm(form)) return;
  button.disabled = true;
  try {
    const max = Number(button.dataset.max) || 10000;
    const f = filters();
    delete f.limit;
    let records = [];
    let cursor;
    do {
      const list = await get('/audit', { ...f, limit: EXPORT_PAGE, cursor });
      records.push(...(list.items || []));
      cursor = list.next_cursor || null;
      status.textContent = `Reading the audit log: ${records.length} records…`;
    } while (cursor && records.length < max);
    const cut = !!cursor || records.length > max;
    records = records.slice(0, max);
    status.textContent = 'Looking up names…';
    await loadNames();
    await resolveNames(refsOf(records), 500);
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    const filename = `latchkey-audit-${stamp}.csv`;
    download(filename, toCSV(HEADER, records.map(csvRow)));
    status.textContent = `${records.length} record${records.length === 1 ? '' : 's'} exported to ${filename}.` + (cut
      ? ` The filters select more than ${max.toLocaleString()}: the file has the newest ones. Filter by action or user to export the rest in parts.`
      : '');
    announce(`Exported ${records.length} audit record${records.length === 1 ? '' : 's'}.`);
  } catch (err) {
    status.textContent = '';
    showErrors(form, err);
  } finally {
    button.disabled = false;
  }
}

export default {
  id: 'audit',
  title: 'Audit log',
  allowed: () => can('readAudit'),
  init() {
    bindForm($('#audit-filter'), restart);
    for (const name of ['user', 'limit']) $('#audit-filter').elements[name].addEventListener('change', restart);
    $('#audit-export').addEventListener('click', exportCSV);
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
