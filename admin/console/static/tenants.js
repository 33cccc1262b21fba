// Tenants (owners of the platform tenant only): list, create with a first
// owner (its first app token shown once), disable / enable.

import { get, post, patch, seg } from './api.js';
import {
  $, h, when, badge, fillRows, actions, button, bindForm, openDialog, confirm, showSecret,
  announce, viewError, clearViewError, setBusy,
} from './ui.js';
import { can } from './state.js';

const section = () => $('#view-tenants');
let cursor = null;

async function load(append = false) {
  const view = section();
  const table = $('#tenants-table');
  clearViewError(view);
  setBusy(table, true);
  try {
    const list = await get('/tenants', { limit: 100, cursor: append ? cursor : undefined });
    cursor = list.next_cursor || null;
    fillRows(table, (list.items || []).map(row), { append, empty: 'No tenants yet.' });
    $('[data-more]', view).hidden = !cursor;
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

function row(t) {
  const disabled = t.status === 'disabled';
  const platform = t.slug === 'platform';
  return h('tr', { 'data-id': t.id, class: disabled ? 'is-expired' : null },
    h('th', { scope: 'row' }, h('span', { class: 'name' }, t.name || t.slug), platform ? [' ', badge('platform', 'info')] : null),
    h('td', {}, h('code', {}, t.slug)),
    h('td', {}, h('code', { class: 'id' }, t.id)),
    h('td', {}, disabled ? badge('Disabled', 'bad') : badge('Active', 'good')),
    h('td', {}, when(t.created)),
    actions(platform ? null : disabled
      ? button('Enable', () => setStatus(t, 'active'), { label: `Enable tenant ${t.slug}` })
      : button('Disable', () => setStatus(t, 'disabled'), { tone: 'warning', label: `Disable tenant ${t.slug}` })));
}

async function setStatus(t, status) {
  if (status === 'disabled') {
    const ok = await confirm({
      title: `Disable tenant ${t.slug}?`,
      message: `Every app token and user token of ${t.name || t.slug} stops working at once, and no one of it can sign in. Its data is kept; you can enable it again.`,
      action: 'Disable tenant',
    });
    if (!ok) return;
  }
  try {
    await patch(`/tenants/${seg(t.id || t.slug)}`, { status });
    announce(`Tenant ${t.slug} ${status === 'disabled' ? 'disabled' : 'enabled'}.`);
    await load();
  } catch (err) {
    viewError(section(), err);
  }
}

function wire() {
  const dialog = $('#tenant-dialog');
  const opener = $('#tenant-new');
  opener.addEventListener('click', () => openDialog(dialog));
  bindForm($('form', dialog), async (form) => {
    const e = form.elements;
    const res = await post('/tenants', {
      slug: e.slug.value.trim(),
      name: e.name.value.trim(),
      admin: {
        username: e['admin.username'].value.trim(),
        email: e['admin.email'].value.trim(),
        password: e['admin.password'].value,
      },
    });
    dialog.close();
    load();
    const t = res.tenant || {};
    await showSecret({
      title: `Tenant ${t.slug || ''} created`,
      note: `Its first owner is ${res.admin ? res.admin.username : 'set up'}. Give them this App-Token with their username and password: with it they sign in to this console for ${t.name || t.slug}.`,
      returnTo: opener,
    }, res.app_token);
  });
  $('[data-more]', section()).addEventListener('click', () => load(true));
}

export default {
  id: 'tenants',
  title: 'Tenants',
  allowed: () => can('manageTenants'),
  init: wire,
  show: () => load(),
};
