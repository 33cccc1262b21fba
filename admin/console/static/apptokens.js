// App tokens: list, create (the secret shown once), change expiry, expire,
// delete. Also the "change expiry" dialog the user tokens screen reuses.

import { get, post, patch, del, seg } from './api.js';
import {
  $, h, when, badge, shortID, fillRows, actions, button, bindForm, openDialog, confirm, showSecret,
  announce, viewError, clearViewError, lifetimeOf, setBusy, isPast, relative, localTime, runAction,
} from './ui.js';
import { ctx, can, loadNames, userRef } from './state.js';

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

// ---- The list ----

async function load(append = false) {
  const view = section();
  const table = $('#app-tokens-table');
  clearViewError(view);
  setBusy(table, true);
  try {
    await loadNames();
    const list = await get('/app_tokens', { limit: 100, cursor: append ? cursor : undefined });
    cursor = list.next_cursor || null;
    fillRows(table, (list.items || []).map(row), { append, empty: 'No app tokens yet.' });
    $('[data-more]', view).hidden = !cursor;
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

const tokenName = (t) => t.name || 'without a name';
const isMine = (t) => ctx.token?.app_token_id === t.id;

// endedNote says why an expired token ended (its ended_by).
const endedNote = (t) => t.ended_by ? h('div', { class: 'sub' }, t.ended_by === 'time' ? 'Ran out' : `Ended by ${t.ended_by}`) : null;

function row(t) {
  const expired = t.expired ?? isPast(t.expires);
  const name = tokenName(t);
  const then = () => load();
  return h('tr', { 'data-id': t.id, class: expired ? 'is-expired' : null },
    h('th', { scope: 'row' },
      h('span', { class: t.name ? 'name' : 'name muted' }, t.name || '(no name)'),
      t.console ? [' ', badge('built-in console', 'info')] : isMine(t) ? [' ', badge('this console', 'info')] : null,
      h('div', { class: 'sub' }, shortID(t.id))),
    h('td', {}, when(t.created)),
    h('td', {}, userRef(t.created_by)),
    h('td', {}, when(t.expires, { expiry: true, none: 'never' })),
    h('td', {}, expired ? [badge('Expired', 'bad'), endedNote(t)] : badge('Active', 'good')),
    h('td', {}, when(t.last_used, { none: 'never' })),
    actions(
      // An expired app token is never re-dated (the API answers 409).
      can('manageAppTokens') && !expired && !t.console ? button('Change expiry', () => redateAppToken(t, then), { label: `Change expiry of app token ${name}` }) : null,
      can('expireAppTokens') && !expired && !t.console ? button('Expire', () => runAction(section(), () => expireAppToken(t), then), { tone: 'warning', label: `Expire app token ${name}` }) : null,
      can('expireAppTokens') && !t.console ? button('Delete', () => runAction(section(), () => deleteAppToken(t), then), { tone: 'danger', label: `Delete app token ${name}` }) : null,
    ));
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

function wireCreate() {
  const dialog = $('#app-token-dialog');
  const opener = $('#app-token-new');
  opener.addEventListener('click', () => openDialog(dialog));
  bindForm($('form', dialog), async (form) => {
    const body = {};
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

export default {
  id: 'app-tokens',
  title: 'App tokens',
  allowed: () => can('viewAppTokens'),
  init() {
    wireRedate();
    wireCreate();
    $('[data-more]', section()).addEventListener('click', () => load(true));
  },
  show: () => load(),
};
