// The credential fields of the app token dialogs: scopes, rate
// limit, external id and meta (a key/value editor). credentialFields
// builds them into a form; readCredentials reads back the JSON the API
// takes, or throws an ApiError naming the field.

import { ApiError } from './api.js';
import { h, span } from './ui.js';
import { scopeField, readScopes } from './scopes.js';

const UNITS = [[86400, 'days'], [3600, 'hours'], [60, 'minutes'], [1, 'seconds']];
const PER = { 1: 'second', 60: 'minute', 3600: 'hour', 86400: 'day' };

// rateText says a rate limit in words: "100 requests per minute", "None
// (unlimited)"; short: "100 per minute", "None".
export function rateText(p, { short = false } = {}) {
  if (!p) return short ? 'None' : 'None (unlimited)';
  const n = new Intl.NumberFormat().format(p.limit);
  if (short) return `${n} per ${PER[p.seconds] || span(p.seconds)}`;
  const what = p.limit === 1 ? 'request' : 'requests';
  return PER[p.seconds] ? `${n} ${what} per ${PER[p.seconds]}` : `${n} ${what} every ${span(p.seconds)}`;
}

export const sameRate = (a, b) => (a?.limit ?? null) === (b?.limit ?? null) && (a?.seconds ?? null) === (b?.seconds ?? null);

// defaultText says the tenant's default rate limit, when it is known.
const defaultText = (tenantDefault) => (tenantDefault === undefined ? '' : ` (now ${rateText(tenantDefault).toLowerCase()})`);

function rateField(prefix, limit, { create, tenantDefault }) {
  const mode = create ? 'default' : limit ? 'custom' : 'none';
  // The window in the largest unit that divides it (a new limit: 1 minute).
  const unit = limit ? UNITS.find(([u]) => limit.seconds % u === 0)[0] : 60;
  const per = limit ? limit.seconds / unit : 1;
  const option = (value, text) => h('option', { value, selected: value === mode }, text);
  const select = h('select', { id: `${prefix}-rl`, name: 'rate_mode' },
    create ? option('default', `Tenant default${defaultText(tenantDefault)}`) : null,
    option('none', 'None: unlimited'),
    option('custom', 'At most…'));
  const custom = h('div', { class: 'rate-custom' },
    h('div', { class: 'field' },
      h('label', { for: `${prefix}-rl-limit` }, 'Requests'),
      h('input', { id: `${prefix}-rl-limit`, name: 'rate_limit.limit', type: 'number', min: 1, max: 1000000, step: 1, inputmode: 'numeric', required: true, value: limit ? limit.limit : 100, 'data-range': 'Enter a whole number from 1 to 1,000,000.' })),
    h('div', { class: 'field' },
      h('label', { for: `${prefix}-rl-per` }, 'Every'),
      h('div', { class: 'inline-row' },
        h('input', { id: `${prefix}-rl-per`, name: 'rate_limit.per', type: 'number', min: 1, step: 1, inputmode: 'numeric', required: true, value: per, 'data-range': 'Enter a whole number, 1 or more.' }),
        h('select', { name: 'rate_limit.unit', 'aria-label': 'Unit of the window' },
          UNITS.slice().reverse().map(([u, text]) => h('option', { value: u, selected: u === unit }, text))))));
  const box = h('fieldset', { class: 'rate-field' },
    h('legend', {}, 'Rate limit'),
    h('div', { class: 'field' }, h('label', { for: `${prefix}-rl` }, 'Requests made with this app token'), select),
    custom,
    h('p', { class: 'hint' }, 'From 1 to 1,000,000 requests in a window of 1 second to 1 day. Every request made with the app token counts, /verify included.'),
    h('p', { class: 'field-error', 'data-error-for': 'rate_limit rate_limit.limit rate_limit.seconds', hidden: true }));
  const sync = () => {
    custom.hidden = select.value !== 'custom';
    for (const c of custom.querySelectorAll('input, select')) c.disabled = custom.hidden;
  };
  select.addEventListener('change', sync);
  sync();
  return box;
}

// readRate reads the rate limit: undefined (the tenant's default), null
// (none) or {limit, seconds}.
function readRate(form) {
  const mode = form.elements.rate_mode.value;
  if (mode === 'default') return undefined;
  if (mode === 'none') return null;
  const e = form.elements;
  return { limit: Math.trunc(Number(e['rate_limit.limit'].value)), seconds: Math.trunc(Number(e['rate_limit.per'].value) * Number(e['rate_limit.unit'].value)) };
}

// ---- Meta: a key/value editor ----

function metaRow(list, key = '', value, json = false) {
  const n = list.children.length + 1;
  const shown = json ? JSON.stringify(value) : value ?? '';
  const tr = h('div', { class: 'meta-row', 'data-json': json ? 'true' : null },
    h('input', { name: 'meta_key', value: key, 'aria-label': `Key of field ${n}`, placeholder: 'key', autocomplete: 'off', spellcheck: 'false' }),
    h('input', { name: 'meta_value', value: shown, 'aria-label': `Value of field ${n}${json ? ' (JSON)' : ''}`, placeholder: json ? 'JSON value' : 'value', autocomplete: 'off', spellcheck: 'false' }),
    h('button', { type: 'button', class: 'secondary small', 'aria-label': `Remove field ${n}`, onclick: () => { tr.remove(); } }, 'Remove'));
  list.append(tr);
  return tr;
}

function metaField(prefix, externalID, meta) {
  const list = h('div', { class: 'meta-rows', role: 'group', 'aria-labelledby': `${prefix}-meta-title` });
  for (const [k, v] of Object.entries(meta || {})) metaRow(list, k, v, typeof v !== 'string');
  return h('fieldset', { class: 'meta-field' },
    h('legend', {}, 'Metadata'),
    h('div', { class: 'field' },
      h('label', { for: `${prefix}-ext` }, 'External id ', h('span', { class: 'optional' }, '(optional)')),
      h('input', { id: `${prefix}-ext`, name: 'external_id', maxlength: 128, autocomplete: 'off', spellcheck: 'false', value: externalID || '', placeholder: 'e.g. cust_4711' }),
      h('p', { class: 'hint' }, "Your platform's own id for the customer or app, up to 128 characters. /verify and introspection return it."),
      h('p', { class: 'field-error', 'data-error-for': 'external_id', hidden: true })),
    h('p', { class: 'meta-title', id: `${prefix}-meta-title` }, 'Meta fields'),
    list,
    h('button', { type: 'button', class: 'secondary small', onclick: () => metaRow(list).querySelector('input').focus() }, 'Add a field'),
    h('p', { class: 'hint' }, 'Kept as a JSON object of at most 2 KiB. Values are text; a value that is a number, list or object in the API shows as JSON and stays JSON.'),
    h('p', { class: 'field-error', 'data-error-for': 'meta', hidden: true }));
}

// readMeta reads the editor: null for no fields, else an object.
function readMeta(form) {
  const out = {};
  let any = false;
  for (const row of form.querySelectorAll('.meta-row')) {
    const [k, v] = [...row.querySelectorAll('input')].map((i) => i.value);
    const key = k.trim();
    if (!key && !v) continue;
    if (!key) throw new ApiError(400, { meta: 'Every field needs a key.' });
    if (Object.hasOwn(out, key)) throw new ApiError(400, { meta: `The key ${key} is there twice.` });
    if (row.dataset.json) {
      try {
        out[key] = JSON.parse(v);
      } catch {
        throw new ApiError(400, { meta: `The value of ${key} is not valid JSON.` });
      }
    } else {
      out[key] = v;
    }
    any = true;
  }
  return any ? out : null;
}

// credentialFields fills root with the scopes, rate limit and metadata
// fields of token t ({} for a new one). Options: create, cat (the scope
// catalog or null), tenantDefault (the tenant's default rate limit, or
// undefined when it cannot be read).
export function credentialFields(root, prefix, t, { create = false, cat = null, tenantDefault } = {}) {
  root.replaceChildren(
    scopeField(prefix, create ? null : t.scopes ?? null, cat),
    rateField(prefix, t.rate_limit ?? null, { create, tenantDefault }),
    metaField(prefix, t.external_id, t.meta));
}

// readCredentials returns the fields of the form as the API takes them.
// For a new token (no `was`), a field left at its default is left out;
// for a change, only what differs from `was` is there.
export function readCredentials(form, was) {
  const now = { scopes: readScopes(form), rate_limit: readRate(form), external_id: form.elements.external_id.value.trim(), meta: readMeta(form) };
  const out = {};
  if (!was) {
    if (now.scopes !== null) out.scopes = now.scopes;
    if (now.rate_limit !== undefined) out.rate_limit = now.rate_limit;
    if (now.external_id) out.external_id = now.external_id;
    if (now.meta) out.meta = now.meta;
    return out;
  }
  const sorted = (s) => (s === null ? null : [...s].sort());
  if (JSON.stringify(sorted(now.scopes)) !== JSON.stringify(sorted(was.scopes ?? null))) out.scopes = now.scopes;
  if (!sameRate(now.rate_limit, was.rate_limit)) out.rate_limit = now.rate_limit;
  if (now.external_id !== (was.external_id || '')) out.external_id = now.external_id;
  if (JSON.stringify(now.meta) !== JSON.stringify(was.meta ?? null)) out.meta = now.meta;
  return out;
}
