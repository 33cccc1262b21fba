// Users: list and search, create, change role, disable / enable, reset a
// password, delete, expire all tokens of a user, unlock one locked out by
// failed logins, and a shortcut to issue an OBO token for one.

import { get, post, patch, del, seg } from './api.js';
import {
  $, h, when, badge, fillRows, actions, button, bindForm, openDialog, confirm, announce,
  viewError, clearViewError, setBusy, runAction, clearErrors,
} from './ui.js';
import { ctx, can, loadNames, assignableRoles, mayManage, mayIssueOBOFor } from './state.js';
import { openOBO } from './tokens.js';

const section = () => $('#view-users');
let cursor = null;
let changing = null;

function filters() {
  const f = $('#users-filter').elements;
  return { q: f.q.value.trim(), role: f.role.value, status: f.status.value };
}

async function load(append = false) {
  const view = section();
  const table = $('#users-table');
  clearViewError(view);
  setBusy(table, true);
  try {
    const f = filters();
    const list = await get('/users', { ...f, limit: 100, cursor: append ? cursor : undefined });
    cursor = list.next_cursor || null;
    for (const u of list.items || []) ctx.users.set(u.id, u);
    const filtered = f.q || f.role || f.status;
    fillRows(table, (list.items || []).map(row), { append, empty: filtered ? 'No user matches this search.' : 'No users yet.' });
    $('[data-more]', view).hidden = !cursor;
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

function row(u) {
  const self = u.id === ctx.me?.id;
  const disabled = u.status === 'disabled';
  return h('tr', { 'data-id': u.id, class: disabled ? 'is-expired' : null },
    h('th', { scope: 'row' }, h('span', { class: 'name' }, u.username), self ? [' ', badge('you', 'info')] : null),
    h('td', {}, u.email || h('span', { class: 'muted' }, '—')),
    h('td', {}, badge(u.role, 'role')),
    h('td', {}, disabled ? badge('Disabled', 'bad') : badge('Active', 'good')),
    h('td', {}, when(u.created)),
    actions(
      mayManage(u) ? button('Change role', () => changeRole(u), { label: `Change role of ${u.username}` }) : null,
      mayManage(u) ? (disabled
        ? button('Enable', () => setStatus(u, 'active'), { label: `Enable ${u.username}` })
        : button('Disable', () => setStatus(u, 'disabled'), { tone: 'warning', label: `Disable ${u.username}` })) : null,
      can('expireAnyToken') ? button('Expire tokens', () => expireTokens(u), { tone: 'warning', label: `Expire all tokens of ${u.username}` }) : null,
      can('unlockUsers') ? button('Unlock', () => unlock(u), { label: `End the login lockout of ${u.username}` }) : null,
      mayIssueOBOFor(u) ? button('Issue OBO token', () => openOBO(u.id), { label: `Issue an on-behalf-of token for ${u.username}` }) : null,
      mayManage(u) ? button('Reset password', () => resetPassword(u), { label: `Reset the password of ${u.username}` }) : null,
      mayManage(u) ? button('Delete', () => runAction(section(), () => remove(u), reload), { tone: 'danger', label: `Delete ${u.username}` }) : null,
    ));
}

function roleOptions(select, selected) {
  select.replaceChildren(...assignableRoles().reverse().map((r) => h('option', { value: r }, r[0].toUpperCase() + r.slice(1))));
  select.value = selected;
}

function changeRole(u) {
  changing = u;
  const dialog = $('#role-dialog');
  $('#role-dialog-title').textContent = `Change role of ${u.username}`;
  $('#role-subject').textContent = `Now: ${u.role}. Owners may do everything; admins manage app tokens, users and OBO tokens; support staff view and expire; members see only their own tokens.`;
  openDialog(dialog);
  roleOptions($('#rl-role'), u.role);
}

async function setStatus(u, status) {
  if (status === 'disabled') {
    const ok = await confirm({
      title: `Disable ${u.username}?`,
      message: `${u.username} can no longer sign in, and every token of ${u.username} stops working at once. You can enable the account again later.`,
      action: 'Disable user',
    });
    if (!ok) return;
  }
  try {
    await patch(`/users/${seg(u.id)}`, { status });
    announce(`${u.username} ${status === 'disabled' ? 'disabled' : 'enabled'}.`);
    await load();
  } catch (err) {
    viewError(section(), err);
  }
}

async function reload() {
  await loadNames(true);
  await load();
}

// remove asks, then deletes user u; true when it did.
async function remove(u) {
  const ok = await confirm({
    title: `Delete ${u.username}?`,
    message: `${u.username} is removed from this tenant and every token of ${u.username} stops working at once. The audit log keeps the records of what ${u.username} did. This cannot be undone; disable the account instead to keep it.`,
    action: 'Delete user',
  });
  if (!ok) return false;
  await del(`/users/${seg(u.id)}`);
  announce(`${u.username} deleted.`);
  return true;
}

function resetPassword(u) {
  changing = u;
  $('#pw-title').textContent = `Reset the password of ${u.username}`;
  $('#pw-subject').textContent = `Every session and token of ${u.username} ends at once; ${u.username} then signs in with the new password. Tell them the password over a channel you trust.`;
  openDialog($('#password-dialog'));
  $('#pw-password').type = 'password';
}

// randomPassword makes 20 characters from a 32-letter alphabet (100 bits)
// with the browser's cryptographic generator.
function randomPassword() {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789_';
  return Array.from(crypto.getRandomValues(new Uint8Array(20)), (b) => alphabet[b & 31]).join('');
}

function wirePassword() {
  const dialog = $('#password-dialog');
  const input = $('#pw-password');
  const show = $('#pw-show');
  show.addEventListener('change', () => { input.type = show.checked ? 'text' : 'password'; });
  $('#pw-generate').addEventListener('click', () => {
    clearErrors($('form', dialog));
    input.value = randomPassword();
    show.checked = true;
    input.type = 'text';
    input.focus();
    input.select();
  });
  bindForm($('form', dialog), async (form) => {
    await patch(`/users/${seg(changing.id)}`, { password: form.elements.password.value });
    form.reset();
    input.type = 'password';
    dialog.close();
    announce(`The password of ${changing.username} was reset; their tokens have ended.`);
  });
  dialog.addEventListener('close', () => { input.value = ''; input.type = 'password'; });
}

async function expireTokens(u) {
  const self = u.id === ctx.me?.id;
  const ok = await confirm({
    title: `Expire every token of ${u.username}?`,
    message: `All sign-ins, personal and on-behalf-of tokens of ${u.username} stop working now. App tokens are not affected.`,
    warning: self ? 'This includes the session you are using: you will be signed out.' : '',
    action: 'Expire all tokens',
  });
  if (!ok) return;
  try {
    const res = await post(`/users/${seg(u.id)}/expire_tokens`);
    const n = res && typeof res.expired === 'number' ? res.expired : 0;
    announce(`${n} token${n === 1 ? '' : 's'} of ${u.username} expired.`);
  } catch (err) {
    viewError(section(), err);
  }
}

// unlock ends u's login lockout at once (a no-op when it is not locked).
async function unlock(u) {
  try {
    await post(`/users/${seg(u.id)}/unlock`);
    announce(`${u.username} may sign in again: the lockout has ended.`);
  } catch (err) {
    viewError(section(), err);
  }
}

function wire() {
  bindForm($('#users-filter'), () => load());
  for (const name of ['role', 'status']) $('#users-filter').elements[name].addEventListener('change', () => load());
  $('[data-more]', section()).addEventListener('click', () => load(true));

  const dialog = $('#user-dialog');
  $('#user-new').addEventListener('click', () => {
    openDialog(dialog);
    roleOptions($('#ud-role'), 'member');
  });
  bindForm($('form', dialog), async (form) => {
    const e = form.elements;
    const user = await post('/users', {
      username: e.username.value.trim(), email: e.email.value.trim(), password: e.password.value, role: e.role.value,
    });
    dialog.close();
    announce(`User ${user.username} created as ${user.role}.`);
    await loadNames(true);
    await load();
  });

  wirePassword();

  bindForm($('#role-dialog form'), async (form) => {
    const role = form.elements.role.value;
    if (role !== changing.role) await patch(`/users/${seg(changing.id)}`, { role });
    $('#role-dialog').close();
    announce(`${changing.username} is now ${role}.`);
    await load();
  });
}

export default {
  id: 'users',
  title: 'Users',
  allowed: () => can('viewUsers'),
  init: wire,
  show: () => load(),
};
