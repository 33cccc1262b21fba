// Scopes: the platform's scope catalog screen (platform owners:
// list, add, edit a description, delete after a confirmation) and the
// scope picker of the app token dialogs, which offers the catalog when it
// can be read and free text when it cannot.

import { get, del, request, seg, ApiError, SessionExpired } from './api.js';
import {
  $, h, when, badge, fillRows, actions, button, bindForm, openDialog, confirm, announce, viewError,
  clearViewError, setBusy, runAction,
} from './ui.js';
import { can } from './state.js';

const section = () => $('#view-scopes');

// ---- The catalog, as any signed-in user reads it ----

let cached = null; // {list}: the last catalog read, for descriptions

// readCatalog reads every scope of the catalog (pages of 500, up to
// 2,000). It throws what the API answered.
async function readCatalog() {
  const out = [];
  let cursor;
  for (let page = 0; page < 4; page++) {
    const res = await get('/scopes', { limit: 500, cursor });
    out.push(...(res.items || []));
    cursor = res.next_cursor;
    if (!cursor) break;
  }
  cached = { list: out };
  return out;
}

// catalog reads the scope catalog afresh (a dialog offers what it holds
// now), or returns null when it cannot be read: the pickers then take
// names as text.
export async function catalog() {
  try {
    return await readCatalog();
  } catch (err) {
    if (err instanceof SessionExpired) throw err;
    return null;
  }
}

// describe returns a scope's description from the last catalog read.
export function describeScope(name) {
  return cached?.list.find((s) => s.name === name)?.description || '';
}

// ---- The picker ----

// scopeField builds the scopes fieldset of a form: unrestricted (null) or
// only the chosen names, from the catalog `cat` (checkboxes) or, when it
// is null, typed as text. Ids start with prefix.
export function scopeField(prefix, scopes, cat) {
  const some = Array.isArray(scopes);
  const chosen = new Set(scopes || []);
  let choices;
  if (cat) {
    // Names the token holds that the catalog lacks stay offered, chosen.
    const names = [...cat.map((s) => s.name), ...[...chosen].filter((n) => !cat.some((s) => s.name === n))];
    choices = h('div', { class: 'scope-choices', role: 'group', 'aria-label': 'Scopes to allow' },
      names.length ? names.map((name, i) => {
        const id = `${prefix}-scope-${i}`;
        const desc = cat.find((s) => s.name === name)?.description;
        return h('div', { class: 'field-check scope-choice' },
          h('input', { type: 'checkbox', id, name: 'scope', value: name, checked: chosen.has(name) }),
          h('label', { for: id }, h('code', {}, name), desc ? h('span', { class: 'hint' }, desc) : null));
      }) : h('p', { class: 'hint' }, 'The catalog is empty.'));
  } else {
    choices = h('div', { class: 'field scope-choices' },
      h('label', { for: `${prefix}-scopes-text` }, 'Scope names'),
      h('input', { id: `${prefix}-scopes-text`, name: 'scopes_text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
        value: [...chosen].join(' '), placeholder: 'orders:read orders:write' }),
      h('p', { class: 'hint' }, 'The scope catalog could not be read: type the names, separated by spaces.'));
  }
  const mode = h('select', { id: `${prefix}-scopes`, name: 'scopes_mode' },
    h('option', { value: 'all', selected: !some }, 'Unrestricted: every scope, latchkey:admin included'),
    h('option', { value: 'some', selected: some }, 'Only the scopes chosen below'));
  const box = h('fieldset', { class: 'scope-field' },
    h('legend', {}, 'Scopes'),
    h('div', { class: 'field' }, h('label', { for: `${prefix}-scopes` }, 'What this token may use'), mode),
    choices,
    h('p', { class: 'field-error', 'data-error-for': 'scopes', hidden: true }));
  const sync = () => {
    choices.hidden = mode.value !== 'some';
    for (const c of choices.querySelectorAll('input')) c.disabled = choices.hidden;
  };
  mode.addEventListener('change', sync);
  sync();
  return box;
}

// readScopes reads a picker: null (unrestricted) or the chosen names.
export function readScopes(form) {
  if (form.elements.scopes_mode.value !== 'some') return null;
  const text = form.elements.scopes_text;
  if (text) return [...new Set(text.value.split(/[\s,]+/).filter(Boolean))];
  return [...form.querySelectorAll('input[name=scope]:checked')].map((c) => c.value);
}

// ---- The catalog screen ----

let editing = null; // the scope whose description is edited, or null to add one
let shown = [];

async function load() {
  const view = section();
  const table = $('#scopes-table');
  clearViewError(view);
  setBusy(table, true);
  try {
    shown = await readCatalog();
    fillRows(table, shown.map(row), { empty: 'The catalog is empty.' });
  } catch (err) {
    viewError(view, err);
  } finally {
    setBusy(table, false);
  }
}

function row(s) {
  return h('tr', { 'data-name': s.name },
    h('th', { scope: 'row' }, h('code', {}, s.name), s.built_in ? [' ', badge('built in', 'info')] : null),
    h('td', {}, s.description || h('span', { class: 'muted' }, '—')),
    // The built-in scope has no time (the zero time in the API).
    h('td', {}, when(s.built_in ? null : s.updated || s.created)),
    actions(
      s.built_in ? null : button('Edit', () => openScope(s), { label: `Edit the description of scope ${s.name}` }),
      s.built_in ? null : button('Delete', () => runAction(section(), () => deleteScope(s), load), { tone: 'danger', label: `Delete scope ${s.name}` }),
    ));
}

// openScope opens the scope dialog: to add one (s undefined) or to edit
// the description of s.
function openScope(s) {
  editing = s || null;
  const dialog = $('#scope-dialog');
  $('#scope-dialog-title').textContent = s ? `Edit scope ${s.name}` : 'New scope';
  $('#scope-save').textContent = s ? 'Save description' : 'Add scope';
  const name = $('#sc-name');
  name.readOnly = !!s;
  name.defaultValue = s ? s.name : '';
  $('#sc-description').defaultValue = s ? s.description || '' : '';
  openDialog(dialog);
  if (s) $('#sc-description').focus();
}

async function deleteScope(s) {
  const ok = await confirm({
    title: `Delete scope ${s.name}?`,
    message: 'It leaves the catalog: no new token can be given it. Latchkey refuses while a live token of any tenant holds it.',
    action: 'Delete scope',
  });
  if (!ok) return false;
  await del(`/scopes/${seg(s.name)}`);
  announce(`Scope ${s.name} deleted.`);
  return true;
}

function wireDialog() {
  const dialog = $('#scope-dialog');
  bindForm($('form', dialog), async (form) => {
    const name = form.elements.name.value.trim();
    if (!editing && shown.some((s) => s.name === name)) {
      throw new ApiError(400, { name: 'This scope exists: edit its description in the list instead.' });
    }
    await request('PUT', `/scopes/${seg(name)}`, { body: { description: form.elements.description.value.trim() } });
    dialog.close();
    announce(editing ? `Scope ${name} saved.` : `Scope ${name} added.`);
    await load();
  });
}

export default {
  id: 'scopes',
  title: 'Scope catalog',
  allowed: () => can('manageScopes'),
  init() {
    wireDialog();
    $('#scope-new').addEventListener('click', () => openScope());
  },
  show: () => load(),
};
