// User tokens: list and filter, issue an OBO token (the secret shown once),
// change expiry, expire, delete, and the "leaked token" box that expires a
// pasted token string, user token or app token.

import { get, post, patch, del, seg, session, ApiError } from './api.js';
import {
  $, h, when, badge, shortID, fillRows, actions, button, bindForm, openDialog, confirm, showSecret,
  announce, viewError, clearViewError, lifetimeOf, setBusy, isPast, relative, localTime,
} from './ui.js';
import { ctx, can, loadNames, loadUsers, userRef } from './state.js';
import { openRedate } from './apptokens.js';

const section = () => $('#view-tokens');
let cursor = null;

const KINDS = { login: 'Login', personal: 'Personal', obo: 'On behalf of' };

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

const userOf = (t) => (t.user && typeof t.user === 'object' ? t.user.id : t.user);
const mayTouch = (t) => can('expireAnyToken') || userOf(t) === ctx.me?.id;
const mayExtend = (t) => can('extendAnyToken') || userOf(t) === ctx.me?.id;

function describe(t) {
  const u = ctx.users.get(userOf(t));
  return `${KINDS[t.kind] ? KINDS[t.kind].toLowerCase() : t.kind} token${t.name ? ` “${t.name}”` : ''} of ${u ? u.username : userOf(t)}`;
}

function row(t) {
  const expired = t.expired ?? isPast(t.expires);
  const mine = ctx.token?.id === t.id;
  const what = describe(t);
  return h('tr', { 'data-id': t.id, class: expired ? 'is-expired' : null },
    h('th', { scope: 'row' },
      badge(KINDS[t.kind] || t.kind, t.kind === 'obo' ? 'warning' : 'neutral'),
      mine ? [' ', badge('this session', 'info')] : null,
      h('div', { class: 'sub' }, shortID(t.id))),
    h('td', {}, userRef(t.user)),
    h('td', {}, t.actor ? userRef(t.actor) : h('span', { class: 'muted' }, '—')),
    h('td', {}, t.name || h('span', { class: 'muted' }, '—')),
    h('td', {}, when(t.created)),
    h('td', {}, when(t.expires, { expiry: true })),
    h('td', {}, when(t.last_used, { none: 'never' })),
    actions(
      mayExtend(t) && !expired ? button('Change expiry', () => openRedate({
        label: what, path: `/tokens/${seg(t.id)}`, expires: t.expires, done: () => load(), preset: '86400',
      }), { label: `Change expiry of ${what}` }) : null,
      mayTouch(t) && !expired ? button('Expire', () => expire(t, what, mine), { tone: 'warning', label: `Expire ${what}` }) : null,
      mayTouch(t) ? button('Delete', () => remove(t, what, mine), { tone: 'danger', label: `Delete ${what}` }) : null,
    ));
}

const ownWarning = 'This is the session you are using: you will be signed out.';

async function expire(t, what, mine) {
  const ok = await confirm({
    title: 'Expire this token?',
    message: `The ${what} is refused from the next request on. Its record stays for the audit trail.`,
    warning: mine ? ownWarning : '',
    action: 'Expire token',
  });
  if (!ok) return;
  try {
    await patch(`/tokens/${seg(t.id)}`, { seconds_until_expire: -1 });
    announce(`Expired the ${what}.`);
    await load();
  } catch (err) {
    viewError(section(), err);
  }
}

async function remove(t, what, mine) {
  const ok = await confirm({
    title: 'Delete this token?',
    message: `The ${what} stops working and its record is removed. This cannot be undone.`,
    warning: mine ? ownWarning : '',
    action: 'Delete token',
  });
  if (!ok) return;
  try {
    await del(`/tokens/${seg(t.id)}`);
    announce(`Deleted the ${what}.`);
    await load();
  } catch (err) {
    viewError(section(), err);
  }
}

// ---- Leaked token ----

const notFound = (err) => err instanceof ApiError && (err.status === 404 || err.status === 400);

// expireLeaked expires a pasted token string: as a user token first (or
// first as an app token when its prefix says so), then as the other kind.
async function expireLeaked(form) {
  const result = $('#leaked-result');
  result.hidden = true;
  const secret = form.elements.token.value.trim().replace(/^(Bearer|Token)\s+/i, '');
  const s = session.get() || {};
  const own = secret === s.token ? 'your own session' : secret === s.appToken ? 'the app token this console is signed in with' : '';
  if (own && !(await confirm({
    title: 'Expire your own credentials?',
    message: `This string is ${own}. Expiring it signs you out of the console.`,
    action: 'Expire it anyway',
  }))) return;

  const kinds = [
    { path: '/tokens/', label: 'user token' },
    { path: '/app_tokens/', label: 'app token' },
  ];
  if (/^lka_/.test(secret)) kinds.reverse();
  let malformed = 0;
  for (const kind of kinds) {
    try {
      const t = await patch(kind.path + seg(secret), { seconds_until_expire: -1 });
      form.reset();
      const detail = kind.label === 'app token'
        ? `app token ${t.name ? `“${t.name}” ` : ''}(id ${t.id})`
        : `${KINDS[t.kind] ? KINDS[t.kind].toLowerCase() + ' ' : ''}user token of ${ctx.users.get(userOf(t))?.username || userOf(t)} (id ${t.id})`;
      result.replaceChildren(h('strong', {}, `Expired: ${detail}.`), ' It is refused from the next request on.');
      result.hidden = false;
      announce(`Expired the leaked ${kind.label}.`);
      if (kind.label === 'user token') load();
      return;
    } catch (err) {
      if (!notFound(err)) throw err;
      if (err.status === 400) malformed++;
    }
  }
  throw new ApiError(404, {
    token: malformed === kinds.length
      ? 'This is neither a Latchkey token string nor a token id. Check that it was pasted whole.'
      : 'No user token or app token of this tenant matches this string. It may already be deleted, or belong to another tenant.',
  });
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
    const who = ctx.users.get(userOf(res))?.username || userOf(res);
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
    bindForm($('#leaked-form'), expireLeaked);
    bindForm($('#tokens-filter'), () => load());
    for (const name of ['user', 'kind', 'active']) $('#tokens-filter').elements[name].addEventListener('change', () => load());
    $('[data-more]', section()).addEventListener('click', () => load(true));
  },
  show: () => load(),
};
