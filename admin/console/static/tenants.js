// Tenants (owners of the platform tenant only): list, create with a first
// owner (its first app token shown once), edit the name and settings
// (signup, token lifetimes, lockout), disable / enable, and delete after
// the slug is typed.

import { get, post, patch, del, seg, ApiError } from './api.js';
import {
  $, $$, h, when, badge, fillRows, actions, button, bindForm, openDialog, confirm, showSecret,
  announce, viewError, clearViewError, setBusy, span,
} from './ui.js';
import { ctx, can } from './state.js';

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
    for (const t of list.items || []) ctx.names.set(`tenant:${t.id}`, t.slug);
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
    actions(
      button('Settings', () => openSettings(t), { label: `Settings of tenant ${t.slug}` }),
      platform ? null : disabled
        ? button('Enable', () => setStatus(t, 'active'), { label: `Enable tenant ${t.slug}` })
        : button('Disable', () => setStatus(t, 'disabled'), { tone: 'warning', label: `Disable tenant ${t.slug}` }),
      platform ? null : button('Delete', () => openDelete(t), { tone: 'danger', label: `Delete tenant ${t.slug}` })));
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

// ---- Settings ----

// DURATIONS are the settings counted in seconds, by fieldset, with what
// each means.
const DURATIONS = {
  '#ts-lifetimes': [
    ['max_token_ttl', 'Longest user token', 'No user token can be made or extended to live longer than this.'],
    ['user_token_ttl', 'Sign-in', 'A login token, unless the login asks for less.'],
    ['long_token_ttl', 'Long sign-in', 'A login with long=true (“keep me signed in”).'],
    ['obo_token_ttl', 'On-behalf-of token', 'An OBO token, unless its issuer asks for less.'],
    ['refresh_token_ttl', 'Refresh token', 'How long a refresh token can be traded for a new token.'],
    ['app_token_ttl', 'App token', 'A new app token, unless its maker asks for another lifetime.'],
  ],
  '#ts-lockout': [
    ['lockout_window', 'Counting window', 'Failed logins for one username are counted within this window.'],
    ['lockout_duration', 'Lock lasts', 'How long logins for a locked username are refused, even with the right password.'],
  ],
};

// UNITS a duration is shown in: the largest that divides it exactly.
const UNITS = [['years', 365 * 86400], ['days', 86400], ['hours', 3600], ['minutes', 60], ['seconds', 1]];

function durationField([key, text, hint]) {
  const id = `ts-${key}`;
  const name = `settings.${key}`;
  return h('div', { class: 'field' },
    h('label', { for: id }, text),
    h('div', { class: 'inline-row duration' },
      h('input', { id, name, type: 'number', min: 1, step: 1, inputmode: 'numeric', required: true, 'data-duration': key }),
      h('select', { name: `${name}.unit`, 'aria-label': `Unit of ${text.toLowerCase()}` },
        UNITS.map(([unit, secs]) => h('option', { value: secs }, unit)))),
    h('p', { class: 'hint' }, hint, ' ', h('span', { 'data-words': key })),
    h('p', { class: 'field-error', 'data-error-for': name, hidden: true }));
}

const durationOf = (input) => Math.trunc(Number(input.value)) * Number(input.nextElementSibling.value);

// sayDuration puts a duration field's value in words beside it.
function sayDuration(input) {
  const secs = durationOf(input);
  $(`[data-words="${input.dataset.duration}"]`).textContent = secs > 0 ? `Now: ${span(secs)}.` : '';
}

function setDuration(input, seconds) {
  const [, unit] = UNITS.find(([, secs]) => seconds % secs === 0) || UNITS[UNITS.length - 1];
  input.value = String(seconds / unit);
  input.nextElementSibling.value = String(unit);
  sayDuration(input);
}

let editing = null;

// inWords adds the words to the API's counts of seconds: "2592000 seconds
// (30 days)".
function inWords(err) {
  if (!(err instanceof ApiError)) return err;
  const errors = Object.fromEntries(Object.entries(err.errors)
    .map(([k, v]) => [k, v.replace(/\b(\d{3,}) seconds\b/g, (m, n) => `${m} (${span(Number(n))})`)]));
  return new ApiError(err.status, errors, err.retryAfter);
}

async function openSettings(t) {
  try {
    editing = await get(`/tenants/${seg(t.id)}`);
  } catch (err) {
    viewError(section(), err);
    return;
  }
  const dialog = $('#tenant-settings-dialog');
  $('#ts-title').textContent = `Settings of ${editing.slug}`;
  $('#ts-subject').textContent = `Changes apply to ${editing.name || editing.slug} from its next request on.`;
  openDialog(dialog);
  const form = $('form', dialog);
  const st = editing.settings || {};
  form.elements.name.value = editing.name || '';
  form.elements['settings.allow_signup'].checked = !!st.allow_signup;
  form.elements['settings.lockout_attempts'].value = String(st.lockout_attempts ?? '');
  for (const input of $$('input[data-duration]', form)) setDuration(input, st[input.dataset.duration]);
}

// changes returns the PATCH body for what the form changed, or null.
function changes(form) {
  const st = editing.settings || {};
  const settings = {};
  const allow = form.elements['settings.allow_signup'].checked;
  if (allow !== !!st.allow_signup) settings.allow_signup = allow;
  const attempts = Math.trunc(Number(form.elements['settings.lockout_attempts'].value));
  if (attempts !== st.lockout_attempts) settings.lockout_attempts = attempts;
  for (const input of $$('input[data-duration]', form)) {
    const secs = durationOf(input);
    if (secs !== st[input.dataset.duration]) settings[input.dataset.duration] = secs;
  }
  const body = {};
  const name = form.elements.name.value.trim();
  if (name !== (editing.name || '')) body.name = name;
  if (Object.keys(settings).length) body.settings = settings;
  return Object.keys(body).length ? body : null;
}

function wireSettings() {
  const dialog = $('#tenant-settings-dialog');
  for (const [sel, fields] of Object.entries(DURATIONS)) $(sel).append(...fields.map(durationField));
  const form = $('form', dialog);
  const retell = (ev) => {
    const input = ev.target.closest('.duration')?.querySelector('input');
    if (input) sayDuration(input);
  };
  form.addEventListener('input', retell);
  form.addEventListener('change', retell);
  bindForm(form, async () => {
    const body = changes(form);
    if (body) await patch(`/tenants/${seg(editing.id)}`, body).catch((err) => { throw inWords(err); });
    dialog.close();
    announce(body ? `Settings of ${editing.slug} saved.` : 'Nothing was changed.');
    await load();
  });
}

// ---- Deleting ----

let deleting = null;

function openDelete(t) {
  deleting = t;
  const dialog = $('#tenant-delete-dialog');
  $('#tdel-title').textContent = `Delete tenant ${t.slug}?`;
  $('#tdel-message').textContent = `${t.name || t.slug} and everything in it are removed, and every token of it stops working at once.`;
  $('#tdel-slug').textContent = t.slug;
  openDialog(dialog);
  $('#tdel-ok').disabled = true;
}

function wireDelete() {
  const dialog = $('#tenant-delete-dialog');
  const form = $('form', dialog);
  const input = form.elements.confirm;
  // The button stays off until the slug is typed exactly.
  input.addEventListener('input', () => { $('#tdel-ok').disabled = input.value !== deleting?.slug; });
  bindForm(form, async () => {
    if (input.value !== deleting.slug) throw new ApiError(400, { confirm: `Type ${deleting.slug} exactly.` });
    await del(`/tenants/${seg(deleting.id)}`, { query: { confirm: input.value } });
    dialog.close();
    announce(`Tenant ${deleting.slug} deleted.`);
    await load();
  });
}

function wire() {
  wireSettings();
  wireDelete();
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
      note: `Its first owner is ${res.admin ? res.admin.username : 'set up'}; they sign in to this console at ${location.origin}/console/${t.slug}/ with their username and password. This is the tenant's first App-Token, for the apps that call Latchkey for ${t.name || t.slug}.`,
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
