// Users: list and search, create, change role, disable / enable, expire all
// tokens of a user, and a shortcut to issue an OBO token for one.

import { get, post, patch, seg } from './api.js';
import {
  $, h, when, badge, fillRows, actions, button, bindForm, openDialog, confirm, announce,
  viewError, clearViewError, setBusy,
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
      mayIssueOBOFor(u) ? button('Issue OBO token', () => openOBO(u.id), { label: `Issue an on-behalf-of token for ${u.username}` }) : null,
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
