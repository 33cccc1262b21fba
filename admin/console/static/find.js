// Find a token: by its public id or by a token string that leaked, a user
// token or an app token of this tenant; show what it is and expire,
// re-date or delete it. The pasted string stays in the form field only:
// the address bar gets the token's public id (#/find/<id>) so a reload
// finds it again, never the string.

import { get, seg, ApiError } from './api.js';
import { $, h, when, badge, shortID, bindForm, clearViewError, isPast, button, runAction } from './ui.js';
import { ctx, can, loadNames, resolveNames, nameOf, userRef } from './state.js';
import { KINDS, userOf, describe, mayTouch, mayExtend, redateUserToken, expireUserToken, deleteUserToken } from './tokens.js';
import { redateAppToken, expireAppToken, deleteAppToken } from './apptokens.js';

const section = () => $('#view-find');
const ID = /^[0-9a-f]{24}$/;

const USER = { path: '/tokens/', type: 'user' };
const APP = { path: '/app_tokens/', type: 'app' };

// found is what the screen shows: {type: 'user'|'app', token}.
let found = null;

const isNotFound = (err) => err instanceof ApiError && (err.status === 404 || err.status === 400);

// lookup asks the API for the token q names; kinds the prefix rules out
// are not asked.
async function lookup(q) {
  if (/^lkr_/.test(q)) {
    throw new ApiError(400, { token: 'This is a refresh token (lkr_…). The API finds user tokens and app tokens: expire the user token it belongs to (Tokens screen, or Expire tokens on its user) and the refresh token ends with it.' });
  }
  const kinds = /^lka_/.test(q) ? [APP] : /^lku_/.test(q) ? [USER] : [USER, APP];
  const answers = await Promise.allSettled(kinds.map((k) => get(k.path + seg(q))));
  for (const [i, a] of answers.entries()) {
    if (a.status === 'fulfilled') return { type: kinds[i].type, token: a.value };
  }
  const errors = answers.map((a) => a.reason);
  const other = errors.find((err) => !isNotFound(err));
  if (other) throw other;
  const malformed = errors.every((err) => err.status === 400);
  throw new ApiError(404, {
    token: malformed
      ? 'This is neither a Latchkey token string nor a token id. Check that it was pasted whole.'
      : 'No user token or app token of this tenant matches. It may have been deleted, or belong to another tenant.',
  });
}

async function find(form) {
  const q = form.elements.token.value.trim().replace(/^(Bearer|Token)\s+/i, '');
  found = null;
  $('#find-result').hidden = true;
  clearViewError(section());
  const res = await lookup(q);
  history.replaceState(null, '', `#/find/${res.token.id}`);
  await show(res);
  $('#find-result').focus();
}

// refresh reads the shown token again after a change; a deleted one is
// no longer shown.
async function refresh() {
  const { type, token } = found;
  try {
    await show({ type, token: await get((type === 'app' ? APP : USER).path + seg(token.id)) });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    found = null;
    $('#find-result').hidden = true;
    $('#find-form').reset();
    history.replaceState(null, '', '#/find');
  }
}

function fact(term, ...value) {
  return [h('dt', {}, term), h('dd', {}, ...value)];
}

async function show(res) {
  found = res;
  const t = res.token;
  const app = res.type === 'app';
  await loadNames();
  await resolveNames([['user', userOf(t)], ['user', t.actor], ['user', t.created_by], ['app_token', t.app_token_id]]);
  const expired = t.expired ?? isPast(t.expires);
  const title = app ? `App token ${t.name ? `“${t.name}”` : '(no name)'}` : `${KINDS[t.kind] || t.kind} token of ${nameOf('user', userOf(t)) || userOf(t)}`;
  $('#find-result-title').textContent = title;
  const mine = app ? ctx.token?.app_token_id === t.id : ctx.token?.id === t.id;
  $('#find-state').replaceChildren(expired ? badge('Expired', 'bad') : badge('Active', 'good'),
    ...(mine ? [' ', badge(app ? 'this console' : 'this session', 'info')] : []));
  const facts = app ? [
    fact('Kind', 'App token'),
    fact('Id', h('code', { class: 'id' }, t.id)),
    fact('Name', t.name || h('span', { class: 'muted' }, '—')),
    fact('Created by', userRef(t.created_by)),
  ] : [
    fact('Kind', `User token: ${(KINDS[t.kind] || t.kind).toLowerCase()}`),
    fact('Id', h('code', { class: 'id' }, t.id)),
    fact('User', userRef(userOf(t))),
    t.actor ? fact('Issued by', userRef(t.actor)) : null,
    t.name ? fact('Name', t.name) : null,
    fact('Made through app token', t.app_token_id
      ? h('span', { title: t.app_token_id }, nameOf('app_token', t.app_token_id) || shortID(t.app_token_id))
      : h('span', { class: 'muted' }, '—')),
  ];
  facts.push(fact('Created', when(t.created)), fact('Expires', when(t.expires, { expiry: true, none: 'never' })),
    fact('Last used', when(t.last_used, { none: 'never' })));
  $('#find-facts').replaceChildren(...facts.flat().filter(Boolean));

  const view = section();
  const act = (action) => () => runAction(view, action, refresh);
  const label = app ? `app token ${t.name || t.id}` : describe(t);
  const buttons = app ? [
    can('expireAppTokens') && !expired ? button('Expire now', act(() => expireAppToken(t)), { tone: 'danger', label: `Expire ${label}` }) : null,
    can('manageAppTokens') ? button('Change expiry', () => redateAppToken(t, refresh), { label: `Change expiry of ${label}` }) : null,
    can('expireAppTokens') ? button('Delete', act(() => deleteAppToken(t)), { tone: 'danger', label: `Delete ${label}` }) : null,
  ] : [
    mayTouch(t) && !expired ? button('Expire now', act(() => expireUserToken(t)), { tone: 'danger', label: `Expire ${label}` }) : null,
    mayExtend(t) && !expired ? button('Change expiry', () => redateUserToken(t, refresh), { label: `Change expiry of ${label}` }) : null,
    mayTouch(t) ? button('Delete', act(() => deleteUserToken(t)), { tone: 'danger', label: `Delete ${label}` }) : null,
  ];
  $('#find-actions').replaceChildren(...buttons.filter(Boolean));
  $('#find-result').hidden = false;
}

// showFromHash finds the token whose id the address names (#/find/<id>).
async function showFromHash() {
  const id = location.hash.split('/')[2] || '';
  if (!ID.test(id) || found?.token.id === id) return;
  const form = $('#find-form');
  form.elements.token.value = id;
  form.requestSubmit();
}

export default {
  id: 'find',
  title: 'Find a token',
  allowed: () => can('viewAnyToken'),
  init() {
    bindForm($('#find-form'), find);
  },
  show: showFromHash,
};
