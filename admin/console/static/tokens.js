// User tokens: list and filter, issue an OBO token (the secret shown once),
// change expiry, expire, delete. Finding one token by id or leaked string
// is the Find token screen (find.js).

import { get, post, patch, del, seg, ApiError } from './api.js';
import {
  $, h, when, badge, shortID, fillRows, actions, button, bindForm, openDialog, confirm, showSecret,
  announce, viewError, clearViewError, lifetimeOf, setBusy, isPast, relative, localTime, runAction,
} from './ui.js';
import { ctx, can, loadNames, loadUsers, userRef, nameOf } from './state.js';
import { openRedate } from './apptokens.js';

const section = () => $('#view-tokens');
let cursor = null;

export const KINDS = { login: 'Login', personal: 'Personal', obo: 'On behalf of' };

function filters() {
  const f = $('#tokens-filter').elements;
  return { user: can('viewUsers') ? f.user.value : '', kind: f.kind.value, active: f.active.value };
}

async function load(append = false) {
  const view = section();
  const table = $('#tokens-table');
  clearViewError(view);
  setBusy(table, true);
  try {
    await loadNames();
    const list = await get('/tokens', { ...filters(), limit: 100, cursor: append ? cursor : undefined });
    cursor = list.next_cursor || null;
    fillRows(table, (list.items || []).map(row), { append, empty: 'No token matches these filters.' });
    $('[data-more]', view).hidden = !cursor;
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

export const userOf = (t) => (t.user && typeof t.user === 'object' ? t.user.id : t.user);
export const mayTouch = (t) => can('expireAnyToken') || userOf(t) === ctx.me?.id;
export const mayExtend = (t) => can('extendAnyToken') || userOf(t) === ctx.me?.id;

// describe names a user token in words: "on behalf of token “x” of casey".
export function describe(t) {
  return `${KINDS[t.kind] ? KINDS[t.kind].toLowerCase() : t.kind} token${t.name ? ` “${t.name}”` : ''} of ${nameOf('user', userOf(t)) || userOf(t)}`;
}

// endedNote says why an expired token ended (its ended_by).
const endedNote = (t) => t.ended_by ? h('div', { class: 'sub' }, t.ended_by === 'time' ? 'Ran out' : `Ended by ${t.ended_by}`) : null;

function row(t) {
  const expired = t.expired ?? isPast(t.expires);
  const mine = ctx.token?.id === t.id;
  const what = describe(t);
  const then = () => load();
  return h('tr', { 'data-id': t.id, class: expired ? 'is-expired' : null },
    h('th', { scope: 'row' },
      badge(KINDS[t.kind] || t.kind, t.kind === 'obo' ? 'warning' : 'neutral'),
      mine ? [' ', badge('this session', 'info')] : null,
      h('div', { class: 'sub' }, shortID(t.id))),
    h('td', {}, userRef(t.user)),
    h('td', {}, t.actor ? userRef(t.actor, t.actor_username) : h('span', { class: 'muted' }, '—')),
    h('td', {}, t.name || h('span', { class: 'muted' }, '—')),
    h('td', {}, when(t.created)),
    h('td', {}, when(t.expires, { expiry: true }), expired ? endedNote(t) : null),
    h('td', {}, when(t.last_used, { none: 'never' })),
    actions(
      mayExtend(t) && !expired ? button('Change expiry', () => redateUserToken(t, then), { label: `Change expiry of ${what}` }) : null,
      mayTouch(t) && !expired ? button('Expire', () => runAction(section(), () => expireUserToken(t), then), { tone: 'warning', label: `Expire ${what}` }) : null,
      mayTouch(t) ? button('Delete', () => runAction(section(), () => deleteUserToken(t), then), { tone: 'danger', label: `Delete ${what}` }) : null,
    ));
}

const ownWarning = 'This is the session you are using: you will be signed out.';

// redateUserToken opens the change expiry dialog for user token t.
export function redateUserToken(t, done) {
  openRedate({ label: describe(t), path: `/tokens/${seg(t.id)}`, expires: t.expires, done, preset: '86400' });
}

// expireUserToken asks, then expires user token t; true when it did.
export async function expireUserToken(t) {
  const what = describe(t);
  const ok = await confirm({
    title: 'Expire this token?',
    message: `The ${what} is refused from the next request on. Its record stays for the audit trail.`,
    warning: ctx.token?.id === t.id ? ownWarning : '',
    action: 'Expire token',
  });
  if (!ok) return false;
  await patch(`/tokens/${seg(t.id)}`, { seconds_until_expire: -1 });
  announce(`Expired the ${what}.`);
  return true;
}

// deleteUserToken asks, then deletes user token t; true when it did.
export async function deleteUserToken(t) {
  const what = describe(t);
  const ok = await confirm({
    title: 'Delete this token?',
    message: `The ${what} stops working and its record is removed. This cannot be undone.`,
    warning: ctx.token?.id === t.id ? ownWarning : '',
    action: 'Delete token',
  });
  if (!ok) return false;
  await del(`/tokens/${seg(t.id)}`);
  announce(`Deleted the ${what}.`);
  return true;
}

// ---- Issuing OBO tokens ----

// openOBO opens the OBO dialog, with userID chosen when given.
export async function openOBO(userID) {
  const dialog = $('#obo-dialog');
  openDialog(dialog);
  try {
    await loadUsers();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
  }
  const select = $('#obo-user');
  if (userID) {
    select.value = userID;
    $('#obo-name').focus();
  }
}

function wireOBO() {
  const dialog = $('#obo-dialog');
  const opener = $('#obo-new');
  opener.addEventListener('click', () => openOBO());
  bindForm($('form', dialog), async (form) => {
    const body = { user: form.elements.user.value };
    const name = form.elements.name.value.trim();
    if (name) body.name = name;
    const secs = lifetimeOf(form);
    if (secs !== undefined) body.seconds_until_expire = secs;
    const res = await post('/tokens', body);
    dialog.close();
    const who = nameOf('user', userOf(res)) || userOf(res);
    if (!section().hidden) load();
    await showSecret({
      title: `On-behalf-of token for ${who}`,
      note: `It acts as ${who} with permissions capped by your role, and expires ${res.expires ? `${localTime(new Date(res.expires))} (${relative(new Date(res.expires))})` : 'at the tenant default'}. Send it as the Token header together with an App-Token.`,
      returnTo: opener,
    }, res.token);
  });
}

export default {
  id: 'tokens',
  title: 'User tokens',
  allowed: () => !!ctx.me,
  init() {
    wireOBO();
    bindForm($('#tokens-filter'), () => load());
    for (const name of ['user', 'kind', 'active']) $('#tokens-filter').elements[name].addEventListener('change', () => load());
    $('[data-more]', section()).addEventListener('click', () => load(true));
  },
  show: () => load(),
};
