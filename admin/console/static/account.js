// Your account: change your own password (with the current one, as the API
// requires) and make, list and end your personal tokens. Everyone may, except
// an on-behalf-of session, which makes no credential.

import { get, post, patch, del, seg, ApiError } from './api.js';
import {
  $, h, when, fillRows, actions, button, bindForm, confirm, showSecret, announce, viewError, clearViewError,
  setBusy, runAction, relative, localTime,
} from './ui.js';
import { ctx } from './state.js';
import { openRotate } from './apptokens.js';

const section = () => $('#view-account');

async function load() {
  const view = section();
  const table = $('#personal-table');
  $('#account-who').textContent = `Signed in as ${ctx.me.username} (${ctx.me.role}${ctx.me.email ? `, ${ctx.me.email}` : ''}).`;
  clearViewError(view);
  setBusy(table, true);
  try {
    const list = await get('/tokens', { user: ctx.me.id, kind: 'personal', active: 'true', limit: 100 });
    fillRows(table, (list.items || []).map(row), { empty: 'You have no live personal token.' });
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

function row(t) {
  const name = t.name || '(no name)';
  return h('tr', { 'data-id': t.id },
    h('th', { scope: 'row' }, name),
    h('td', {}, when(t.created)),
    h('td', {}, when(t.expires, { expiry: true })),
    h('td', {}, when(t.last_used, { none: 'never' })),
    h('td', {}, actions(
      button('Rotate', () => openRotate({ label: `personal token ${name}`, path: `/tokens/${seg(t.id)}`, field: 'token', done: load }), { label: `Rotate personal token ${name}` }),
      button('End', () => runAction(section(), () => endToken(t), () => load()), { tone: 'danger', label: `End personal token ${name}` }),
    )));
}

async function endToken(t) {
  const ok = await confirm({
    title: 'End this personal token?',
    message: `Personal token ${t.name || t.id} stops working at once and is removed.`,
    action: 'End token',
  });
  if (!ok) return false;
  await del(`/tokens/${seg(t.id)}`);
  announce('The personal token has ended.');
  return true;
}

function wirePassword() {
  bindForm($('#account-password-form'), async (form) => {
    const e = form.elements;
    if (e.password.value !== e.password2.value) throw new ApiError(400, { password2: 'The two new passwords differ.' });
    await patch(`/users/${seg(ctx.me.id)}`, { password: e.password.value, current_password: e.current_password.value });
    form.reset();
    announce('Your password has changed. Your other sessions have ended.');
  });
}

function wirePersonal() {
  bindForm($('#personal-form'), async (form) => {
    const body = {};
    const name = form.elements.name.value.trim();
    if (name) body.name = name;
    if (form.elements.seconds_until_expire.value) body.seconds_until_expire = Number(form.elements.seconds_until_expire.value);
    const res = await post('/tokens', body);
    form.reset();
    load();
    await showSecret({
      title: 'Your new personal token',
      note: `It acts as you and expires ${res.expires ? `${localTime(new Date(res.expires))} (${relative(new Date(res.expires))})` : 'at the tenant default'}. Send it as the Token header with an App-Token.`,
      returnTo: $('#personal-new'),
    }, res.token);
  });
}

export default {
  id: 'account',
  title: 'Your account',
  allowed: () => !!ctx.me && ctx.token?.kind !== 'obo',
  init() {
    wirePassword();
    wirePersonal();
  },
  show: () => load(),
};
