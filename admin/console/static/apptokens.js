// App tokens: list, one token's details (#/app-tokens/<id>), create (the
// secret shown once), edit name, scopes, rate limit and metadata, rotate,
// change expiry, expire, delete. Also the "change expiry" dialog the user
// tokens screen reuses and the rotate dialog the account screen reuses.

import { get, post, patch, del, seg, session, ApiError, SessionExpired } from './api.js';
import {
  $, h, when, badge, shortID, fillRows, actions, button, bindForm, openDialog, confirm, showSecret,
  announce, viewError, clearViewError, lifetimeOf, setBusy, isPast, relative, localTime, runAction,
} from './ui.js';
import { ctx, can, loadNames, userRef } from './state.js';
import { catalog, describeScope } from './scopes.js';
import { credentialFields, readCredentials, rateText, sameRate } from './fields.js';

const section = () => $('#view-app-tokens');
let cursor = null;

// ---- The shared "change expiry" dialog ----

let redating = null;

// openRedate asks for a new lifetime (offering `preset` seconds first) and
// PATCHes path with it; done runs after a success.
export function openRedate({ label, path, expires, done, preset = '7776000' }) {
  redating = { label, path, done };
  $('#redate-title').textContent = `Change expiry of ${label}`;
  $('#redate-subject').textContent = expires ? `Now: ${localTime(new Date(expires))} (${relative(new Date(expires), { expiry: true })}).` : '';
  openDialog($('#redate-dialog'));
  const select = $('#rd-lifetime');
  select.value = preset;
  select.dispatchEvent(new Event('change'));
  select.focus();
}

function wireRedate() {
  bindForm($('#redate-dialog form'), async (form) => {
    const secs = lifetimeOf(form);
    const res = await patch(redating.path, { seconds_until_expire: secs });
    $('#redate-dialog').close();
    announce(`${redating.label} now expires ${res && res.expires ? relative(new Date(res.expires)) : 'as asked'}.`);
    await redating.done();
  });
}

// ---- The list and one token's details ----

let listed = []; // the tokens of the list, for successors
let tenantDefault; // the tenant's default rate limit; undefined when unknown

// readTenantDefault reads the tenant's app_token_rate_limit where the
// signed-in user may read the tenant (the platform's owners).
async function readTenantDefault() {
  if (!ctx.platform) return undefined;
  try {
    const t = await get(`/tenants/${seg(session.get()?.tenant || 'platform')}`);
    return t.settings?.app_token_rate_limit ?? null;
  } catch (err) {
    if (err instanceof SessionExpired) throw err;
    return undefined;
  }
}

const detailID = () => /^#\/app-tokens\/([0-9a-f]{24})$/.exec(location.hash)?.[1];

async function load(append = false, { focus = false } = {}) {
  const view = section();
  const table = $('#app-tokens-table');
  const id = detailID();
  clearViewError(view);
  $('.table-wrap', view).hidden = !!id;
  $('[data-more]', view).hidden = true;
  if (!id) $('#app-token-detail').hidden = true;
  setBusy(table, true);
  try {
    await loadNames();
    const [list, def] = await Promise.all([
      get('/app_tokens', { limit: 100, cursor: append ? cursor : undefined }),
      append ? tenantDefault : readTenantDefault(),
    ]);
    tenantDefault = def;
    listed = append ? [...listed, ...(list.items || [])] : list.items || [];
    cursor = list.next_cursor || null;
    fillRows(table, (list.items || []).map(row), { append, empty: 'No app tokens yet.' });
    $('[data-more]', view).hidden = !cursor || !!id;
    if (id) await showDetail(id, focus);
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

const tokenName = (t) => t.name || 'without a name';
const isMine = (t) => ctx.token?.app_token_id === t.id;
const successorOf = (t) => listed.find((s) => s.rotated_from === t.id);
const ENDED = { time: 'Ran out', rotation: 'Ended by rotation', leak: 'Ended as leaked', support: 'Expired by support', user: 'Expired by a user', tenant: 'Ended with its tenant' };

// endedNote says why an expired token ended (its ended_by).
const endedNote = (t) => t.ended_by ? h('div', { class: 'sub' }, ENDED[t.ended_by] || `Ended by ${t.ended_by}`) : null;

// state shows whether t works: active, rotated (working until its grace
// ends) or expired and why.
function state(t) {
  if (t.expired ?? isPast(t.expires)) return [badge('Expired', 'bad'), endedNote(t)];
  if (successorOf(t)) return [badge('Rotated', 'warning'), h('div', { class: 'sub' }, `works until ${relative(new Date(t.expires))}`)];
  return badge('Active', 'good');
}

// scopesShown shows a token's scopes: unrestricted (null) or the names.
function scopesShown(t, { long = false } = {}) {
  if (t.scopes === null || t.scopes === undefined) return badge('Unrestricted', 'neutral');
  if (!t.scopes.length) return h('span', { class: 'muted' }, 'None: it may use no scope');
  if (!long) return h('span', { class: 'scope-names' }, t.scopes.map((n) => h('code', {}, n)));
  return h('ul', { class: 'scope-list' }, t.scopes.map((n) => h('li', {}, h('code', {}, n), describeScope(n) ? h('span', { class: 'muted' }, ` ${describeScope(n)}`) : null)));
}

// rateShown shows a token's rate limit; in full, whether it is the
// tenant's default when that can be read.
function rateShown(t, { long = false } = {}) {
  if (!long) return h('span', {}, rateText(t.rate_limit, { short: true }));
  const out = [h('span', {}, rateText(t.rate_limit))];
  if (tenantDefault !== undefined && sameRate(t.rate_limit, tenantDefault)) {
    out.push(h('div', { class: 'sub' }, 'the tenant default'));
  } else if (tenantDefault !== undefined) {
    out.push(h('div', { class: 'sub' }, `not the tenant default, which is ${rateText(tenantDefault, { short: true }).toLowerCase()}`));
  } else {
    out.push(h('div', { class: 'sub' }, "New app tokens get the tenant's default (app_token_rate_limit), which the platform's owners set."));
  }
  return out;
}

function row(t) {
  const expired = t.expired ?? isPast(t.expires);
  const name = tokenName(t);
  const then = () => load();
  return h('tr', { 'data-id': t.id, class: expired ? 'is-expired' : null },
    h('th', { scope: 'row' },
      h('a', { href: `#/app-tokens/${t.id}`, class: t.name ? 'name' : 'name muted', 'aria-label': `Details of app token ${name}` }, t.name || '(no name)'),
      t.console ? [' ', badge('built-in console', 'info')] : isMine(t) ? [' ', badge('this console', 'info')] : null,
      h('div', { class: 'sub' }, t.hint ? h('code', { class: 'id hint-code', title: t.id }, t.hint) : shortID(t.id))),
    h('td', {}, when(t.created), t.created_by ? h('div', { class: 'sub' }, 'by ', userRef(t.created_by)) : null),
    h('td', {}, when(t.expires, { expiry: true, none: 'never' })),
    h('td', {}, state(t)),
    h('td', {}, scopesShown(t)),
    h('td', {}, rateShown(t)),
    h('td', {}, when(t.last_used, { none: 'never' })),
    actions(...tokenActions(t, then)));
}

// tokenActions are the buttons for app token t; then runs after a change.
function tokenActions(t, then, { detail = false } = {}) {
  const name = tokenName(t);
  const live = !(t.expired ?? isPast(t.expires)) && !t.console;
  return [
    detail && can('manageAppTokens') && live ? button('Edit', () => openEdit(t, then), { label: `Edit app token ${name}` }) : null,
    can('manageAppTokens') && live && !successorOf(t) ? button('Rotate', () => rotateAppToken(t, then), { label: `Rotate app token ${name}` }) : null,
    // An expired app token is never re-dated (the API answers 409).
    can('manageAppTokens') && live ? button('Change expiry', () => redateAppToken(t, then), { label: `Change expiry of app token ${name}` }) : null,
    can('expireAppTokens') && live ? button('Expire', () => runAction(section(), () => expireAppToken(t), then), { tone: 'warning', label: `Expire app token ${name}` }) : null,
    can('expireAppTokens') && !t.console ? button('Delete', () => runAction(section(), () => deleteAppToken(t), () => {
      if (detail) location.hash = '#/app-tokens';
      else then();
    }), { tone: 'danger', label: `Delete app token ${name}` }) : null,
  ];
}

const tokenLink = (id) => {
  const other = listed.find((x) => x.id === id);
  return h('a', { href: `#/app-tokens/${id}` }, other ? tokenName(other) : shortID(id));
};

// showDetail shows app token id in the detail card.
async function showDetail(id, focus) {
  // The catalog is read for the scopes' descriptions.
  const [t] = await Promise.all([get(`/app_tokens/${seg(id)}`), catalog()]);
  const card = $('#app-token-detail');
  $('#atd-title').textContent = t.name ? `App token “${t.name}”` : 'App token without a name';
  $('#atd-state').replaceChildren(...[state(t)].flat().filter(Boolean));
  const next = successorOf(t);
  const meta = Object.entries(t.meta || {});
  const fact = (dt, ...dd) => [h('dt', {}, dt), h('dd', {}, ...dd)];
  $('#atd-facts').replaceChildren(
    ...fact('Id', h('code', { class: 'id' }, t.id)),
    ...fact('Hint', t.hint ? h('code', { class: 'id' }, t.hint) : h('span', { class: 'muted' }, '—'), h('div', { class: 'sub' }, 'The start and the last characters of the secret, to recognise it; the secret itself is never shown again.')),
    ...fact('Created', when(t.created), ' ', t.created_by ? h('span', {}, 'by ', userRef(t.created_by)) : null),
    ...fact('Expires', when(t.expires, { expiry: true, none: 'never' }), t.ended_by ? endedNote(t) : null),
    ...fact('Last used', when(t.last_used, { none: 'never' })),
    ...(t.rotated_from ? fact('Rotated from', tokenLink(t.rotated_from)) : []),
    ...(next ? fact('Rotated to', tokenLink(next.id)) : []),
    ...fact('Scopes', scopesShown(t, { long: true })),
    ...fact('Rate limit', rateShown(t, { long: true })),
    ...fact('External id', t.external_id ? h('code', {}, t.external_id) : h('span', { class: 'muted' }, '—')),
    ...fact('Meta', meta.length ? h('dl', { class: 'meta-list' }, meta.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, typeof v === 'string' ? v : h('code', {}, JSON.stringify(v)))])) : h('span', { class: 'muted' }, '—')),
  );
  $('#atd-actions').replaceChildren(...tokenActions(t, () => load(), { detail: true }).filter(Boolean),
    can('readUsage') ? h('a', { href: `#/usage/${t.id}`, class: 'button-link' }, 'Usage') : null);
  card.hidden = false;
  if (focus) card.focus();
}

const ownWarning = 'The console is signed in with this app token: it will stop working and you will have to sign in with another one.';

// redateAppToken opens the change expiry dialog for app token t.
export function redateAppToken(t, done) {
  openRedate({ label: `app token ${tokenName(t)}`, path: `/app_tokens/${seg(t.id)}`, expires: t.expires, done });
}

// expireAppToken asks, then expires app token t; true when it did.
export async function expireAppToken(t) {
  const ok = await confirm({
    title: `Expire app token ${tokenName(t)}?`,
    message: 'Every request made with it is refused from now on. The record stays in the app token list and in the audit log.',
    warning: isMine(t) ? ownWarning : '',
    action: 'Expire app token',
  });
  if (!ok) return false;
  await patch(`/app_tokens/${seg(t.id)}`, { seconds_until_expire: -1 });
  announce(`App token ${tokenName(t)} expired.`);
  return true;
}

// deleteAppToken asks, then deletes app token t; true when it did.
export async function deleteAppToken(t) {
  const ok = await confirm({
    title: `Delete app token ${tokenName(t)}?`,
    message: 'It stops working and its record is removed. This cannot be undone.',
    warning: isMine(t) ? ownWarning : '',
    action: 'Delete app token',
  });
  if (!ok) return false;
  await del(`/app_tokens/${seg(t.id)}`);
  announce(`App token ${tokenName(t)} deleted.`);
  return true;
}

// ---- Create and edit ----

function wireCreate() {
  const dialog = $('#app-token-dialog');
  const opener = $('#app-token-new');
  opener.addEventListener('click', async () => {
    const cat = await catalog();
    if (tenantDefault === undefined) tenantDefault = await readTenantDefault();
    credentialFields($('[data-cred-fields]', dialog), 'at', {}, { create: true, cat, tenantDefault });
    openDialog(dialog);
  });
  bindForm($('form', dialog), async (form) => {
    const body = readCredentials(form);
    const name = form.elements.name.value.trim();
    if (name) body.name = name;
    const secs = lifetimeOf(form);
    if (secs !== undefined) body.seconds_until_expire = secs;
    const res = await post('/app_tokens', body);
    dialog.close();
    load();
    await showSecret({
      title: `App token ${res.name ? `“${res.name}” ` : ''}created`,
      note: `It expires ${res.expires ? `${localTime(new Date(res.expires))} (${relative(new Date(res.expires))})` : 'never'}. Give it to the app that will call Latchkey; the app sends it as the App-Token header.`,
      returnTo: opener,
    }, res.app_token);
  });
}

let edited = null; // {t, done}

async function openEdit(t, done) {
  edited = { t, done };
  const dialog = $('#app-token-edit-dialog');
  $('#ate-title').textContent = `Edit app token ${tokenName(t)}`;
  $('#ate-name').defaultValue = t.name || '';
  credentialFields($('[data-cred-fields]', dialog), 'ate', t, { cat: await catalog(), tenantDefault });
  openDialog(dialog);
}

function wireEdit() {
  const dialog = $('#app-token-edit-dialog');
  bindForm($('form', dialog), async (form) => {
    const { t, done } = edited;
    const body = readCredentials(form, t);
    const name = form.elements.name.value.trim();
    if (name !== (t.name || '')) body.name = name;
    if (!Object.keys(body).length) {
      dialog.close();
      announce('Nothing changed.');
      return;
    }
    await patch(`/app_tokens/${seg(t.id)}`, body);
    dialog.close();
    announce(`App token ${name || 'without a name'} saved.`);
    await done();
  });
}

// ---- Rotation: the shared dialog ----

let rotating = null;

// openRotate asks for the grace of a rotation of the token at path (an app
// token or a personal token) and shows the successor's secret once.
// label names the token ("app token billing-sync"); field is the secret's
// name in the answer; done runs after the rotation.
export function openRotate({ label, path, field, done }) {
  rotating = { label, path, field, done, opener: document.activeElement };
  $('#rotate-title').textContent = `Rotate ${label}`;
  $('#rotate-subject').textContent = `A new secret replaces this one, with the same name and settings. Apps keep working with the old secret during the grace you choose; give them the new one before it ends.`;
  openDialog($('#rotate-dialog'));
  syncGrace();
  $('#rot-grace').focus();
}

function graceOf(form) {
  const v = form.elements.grace.value;
  return v === 'custom' ? Math.trunc(Number(form.elements.grace_seconds.value)) : Number(v);
}

function syncGrace() {
  const form = $('#rotate-dialog form');
  const custom = form.elements.grace.value === 'custom';
  const input = form.elements.grace_seconds;
  input.hidden = !custom;
  input.disabled = !custom;
  input.required = custom;
  const g = graceOf(form);
  // One clock reading for the end and the words, so 3600 s reads "in 1 h"
  // however long the page takes between the two.
  const now = Date.now();
  const end = new Date(now + g * 1000);
  $('#rot-hint').textContent = custom && input.value === '' ? '' : g === 0 ? 'The old secret stops working at once.' : `The old secret stops working ${relative(end, { now })}, at ${localTime(end)}.`;
}

function wireRotate() {
  const form = $('#rotate-dialog form');
  form.elements.grace.addEventListener('change', () => { syncGrace(); if (form.elements.grace.value === 'custom') form.elements.grace_seconds.focus(); });
  form.elements.grace_seconds.addEventListener('input', syncGrace);
  bindForm(form, async () => {
    const { label, path, field, done, opener } = rotating;
    const grace = graceOf(form);
    const res = await post(`${path}/rotate`, { grace_seconds: grace });
    // The old token's end, as the API now says it.
    let ends = null;
    try {
      ends = (await get(path)).expires;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
    $('#rotate-dialog').close();
    await done();
    const end = ends ? new Date(ends) : null;
    await showSecret({
      title: `New secret for ${label}`,
      note: end && end > Date.now()
        ? `The old secret keeps working until ${localTime(end)} (${relative(end)}); then only this one works.`
        : 'The old secret has stopped working; only this one works.',
      returnTo: opener,
    }, res[field]);
  });
}

// rotateAppToken opens the rotate dialog for app token t.
function rotateAppToken(t, done) {
  openRotate({ label: `app token ${tokenName(t)}`, path: `/app_tokens/${seg(t.id)}`, field: 'app_token', done });
}

export default {
  id: 'app-tokens',
  title: 'App tokens',
  allowed: () => can('viewAppTokens'),
  init() {
    wireRedate();
    wireCreate();
    wireEdit();
    wireRotate();
    $('[data-more]', section()).addEventListener('click', () => load(true));
  },
  show: () => load(false, { focus: !!detailID() }),
};
