// DOM helpers shared by every screen: building elements (always as text,
// never as HTML), times, forms and their field errors, dialogs, the status
// region.

import { ApiError, SessionExpired } from './api.js';

// h builds an element: h('td', {class: 'x', onclick: fn}, 'text', child).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// ---- Times ----

const thisYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
const otherYear = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

// localTime shows a time in the browser's zone; the year only when it is
// not this year.
export function localTime(d) {
  return (d.getFullYear() === new Date().getFullYear() ? thisYear : otherYear).format(d);
}

function plural(n, unit) {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

// span says a number of seconds the way a person would: "45 s", "3 min",
// "2 h", "3 days", "4 months", "200 years".
export function span(seconds) {
  const s = Math.abs(seconds);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  const days = Math.round(s / 86400);
  if (days < 60) return plural(days, 'day');
  if (days < 730) return plural(Math.round(days / 30.44), 'month');
  return plural(Math.round(days / 365.25), 'year');
}

// relative says when a time is from now: "in 3 days", "2 h ago", or for an
// expiry "expired 2 h ago".
export function relative(date, { expiry = false, now = Date.now() } = {}) {
  const diff = (date.getTime() - now) / 1000;
  if (diff >= 0) return diff < 5 ? 'in a moment' : `in ${span(diff)}`;
  if (-diff < 5) return expiry ? 'expired just now' : 'just now';
  return expiry ? `expired ${span(diff)} ago` : `${span(diff)} ago`;
}

// when renders an RFC 3339 time in the browser's zone plus the relative
// phrase; empty is shown as `none`.
export function when(iso, { expiry = false, none = '—' } = {}) {
  if (!iso) return h('span', { class: 'muted' }, none);
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return h('span', {}, String(iso));
  return h('time', { datetime: iso, title: d.toISOString() },
    h('span', { class: 'abs' }, localTime(d)),
    h('span', { class: 'rel' + (expiry && d <= Date.now() ? ' rel-past' : '') }, relative(d, { expiry })));
}

export const isPast = (iso) => !!iso && new Date(iso).getTime() <= Date.now();

export function badge(text, tone = 'neutral') {
  return h('span', { class: `badge badge-${tone}` }, text);
}

// shortID shows the end of a 24-hex id; the whole id is in the title.
export function shortID(id) {
  if (!id) return h('span', { class: 'muted' }, '—');
  const s = String(id);
  return h('code', { class: 'id', title: s }, s.length > 10 ? '…' + s.slice(-8) : s);
}

// ---- Status messages ----

let toastTimer;
// TOAST_MS is how long a success message shows.
export const TOAST_MS = 2000;

// announce shows a short message in the polite live region.
export function announce(message, tone = 'success') {
  const el = $('#status');
  el.className = `toast toast-${tone} toast-show`;
  el.textContent = message;
  clearTimeout(toastTimer);
  // Gone after two seconds (errors stay longer: they are read, not glanced
  // at), so it never covers what the person works on for long.
  toastTimer = setTimeout(() => { el.className = 'toast'; el.textContent = ''; }, tone === 'error' ? 6000 : TOAST_MS);
}

// General error keys are not fields: their messages stand alone.
const general = new Set(['_', 'credentials', 'permission', 'server', 'network', 'App-Token', 'Token', 'Authorization']);

// messagesOf lists an error's messages; a field the form does not show is
// named before its message.
export function messagesOf(err) {
  if (err instanceof ApiError) {
    const out = Object.entries(err.errors).map(([k, v]) => (general.has(k) ? v : `${k}: ${v}`));
    if (err.status === 429 && err.retryAfter) out.push(`Try again in ${span(Number(err.retryAfter))}.`);
    return out;
  }
  return [err && err.message ? err.message : String(err)];
}

function fillAlert(alert, messages) {
  alert.replaceChildren(...(messages.length === 1 ? messages : [h('ul', {}, messages.map((m) => h('li', {}, m)))]));
  alert.hidden = false;
}

// viewError shows err in the view's alert (for row actions).
export function viewError(view, err) {
  if (err instanceof SessionExpired) return;
  const alert = $('[data-view-error]', view);
  fillAlert(alert, messagesOf(err));
  alert.scrollIntoView({ block: 'nearest' });
}

// runAction runs a row action (which asks, then calls the API, and returns
// true when it did something), then `then` (a reload); errors go to the
// view's alert.
export async function runAction(view, action, then) {
  try {
    if (await action()) await then();
  } catch (err) {
    viewError(view, err);
  }
}

export function clearViewError(view) {
  const alert = $('[data-view-error]', view);
  if (alert) { alert.hidden = true; alert.replaceChildren(); }
}

// ---- Forms ----

function errorSlot(form, key) {
  return $$('[data-error-for]', form).find((el) => el.dataset.errorFor.split(/\s+/).includes(key));
}

export function clearErrors(form) {
  for (const el of $$('[data-error-for]', form)) { el.hidden = true; el.textContent = ''; }
  for (const el of $$('[aria-invalid]', form)) el.removeAttribute('aria-invalid');
  const alert = $('[data-form-error]', form);
  if (alert) { alert.hidden = true; alert.replaceChildren(); }
}

function controlFor(form, key) {
  return $$('input, select, textarea', form).find((c) => c.name === key && !c.hidden)
    || $$('input, select, textarea', form).find((c) => c.name === key);
}

// showErrors puts each of the API's field messages beside its field (the
// element whose data-error-for names it) and the rest in the form's alert.
export function showErrors(form, err) {
  if (err instanceof SessionExpired) return;
  const rest = [];
  let first = null;
  const fields = err instanceof ApiError ? err.errors : null;
  for (const [key, msg] of Object.entries(fields || {})) {
    const slot = errorSlot(form, key);
    if (!slot) { rest.push(key); continue; }
    slot.textContent = slot.hidden ? msg : `${slot.textContent} ${msg}`;
    slot.hidden = false;
    const control = controlFor(form, key) || (slot.closest('.field') && $('input, select, textarea', slot.closest('.field')));
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      if (!slot.id) slot.id = `err-${Math.random().toString(36).slice(2)}`;
      control.setAttribute('aria-describedby', slot.id);
      first = first || control;
    }
  }
  const alert = $('[data-form-error]', form);
  let messages;
  if (!fields) messages = messagesOf(err);
  else messages = messagesOf(new ApiError(err.status, Object.fromEntries(rest.map((k) => [k, fields[k]])), err.retryAfter));
  if (!fields || rest.length || (err.status === 429 && err.retryAfter)) {
    if (alert) fillAlert(alert, messages);
    else announce(messages.join(' '), 'error');
  }
  if (first) first.focus();
}

const validity = (c) => {
  const v = c.validity;
  if (v.valueMissing) return 'Required.';
  if (v.typeMismatch && c.type === 'email') return 'Enter an email address, like name@example.com.';
  if (v.patternMismatch) return 'This does not have the expected form.';
  if (c.type === 'datetime-local') return 'Enter a date and time.';
  if (v.tooShort) return `At least ${c.minLength} characters.`;
  if (v.rangeUnderflow || v.rangeOverflow || v.badInput || v.stepMismatch) return c.dataset.range || 'Enter a whole number of seconds.';
  return c.validationMessage;
};

// checkForm runs the browser's checks (required, email, pattern) and shows
// their messages beside the fields; it returns whether the form is valid.
export function checkForm(form) {
  const fields = {};
  for (const c of $$('input, select, textarea', form)) {
    if (c.hidden || c.disabled || c.checkValidity()) continue;
    fields[c.name] = validity(c);
  }
  if (!Object.keys(fields).length) return true;
  showErrors(form, new ApiError(400, fields));
  return false;
}

// bindForm runs handler(form) on submit with the submit button disabled,
// after the local checks, and shows any error it throws on the form.
export function bindForm(form, handler) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!checkForm(form)) return;
    const buttons = $$('button[type=submit]', form);
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute('aria-busy', 'true');
    try {
      await handler(form);
    } catch (err) {
      showErrors(form, err);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute('aria-busy');
    }
  });
}

// ---- Lifetimes ----

// wireLifetimes makes every [data-lifetime] select show its seconds field
// for "custom" and a plain-words hint of the chosen lifetime.
export function wireLifetimes(root = document) {
  for (const select of $$('select[data-lifetime]', root)) {
    const field = select.closest('.field');
    const input = $('input[name=seconds_until_expire]', field);
    const hint = $('[data-lifetime-hint]', field);
    const update = () => {
      const custom = select.value === 'custom';
      input.hidden = !custom;
      input.required = custom;
      const secs = custom ? Number(input.value) : Number(select.value);
      const now = Date.now(); // one reading: 3600 s reads "in 1 h", never "in 60 min"
      hint.textContent = secs > 0 ? `Expires ${relative(new Date(now + secs * 1000), { now })}.` : '';
    };
    select.addEventListener('change', () => { update(); if (select.value === 'custom') input.focus(); });
    input.addEventListener('input', update);
    select.form.addEventListener('reset', () => setTimeout(update));
    update();
  }
}

// lifetimeOf reads a form's lifetime: a number of seconds, or undefined for
// the tenant's default.
export function lifetimeOf(form) {
  const select = $('select[data-lifetime]', form);
  if (select.value === 'custom') return Math.trunc(Number(form.elements.seconds_until_expire.value));
  return select.value === '' ? undefined : Number(select.value);
}

// ---- Dialogs ----

// openDialog resets and opens a form dialog; focus returns to the opener
// when it closes (Escape closes it too).
export function openDialog(dialog) {
  const opener = document.activeElement;
  const form = $('form', dialog);
  if (form && !form.hasAttribute('method')) { form.reset(); clearErrors(form); }
  dialog.addEventListener('close', () => {
    if (opener && opener.isConnected && !$('dialog[open]')) opener.focus();
  }, { once: true });
  dialog.showModal();
  const first = $('input:not([hidden]):not([readonly]), select', dialog);
  if (first) first.focus();
}

export function wireDialogs() {
  for (const b of $$('dialog [data-close]')) b.addEventListener('click', () => b.closest('dialog').close('cancel'));
}

// confirm asks a yes/no question in a modal dialog; resolves true for yes.
export function confirm({ title, message, warning, action = 'Confirm', tone = 'danger' }) {
  const dialog = $('#confirm-dialog');
  $('#confirm-title').textContent = title;
  $('#confirm-message').textContent = message;
  const warn = $('#confirm-warning');
  warn.textContent = warning || '';
  warn.hidden = !warning;
  const ok = $('#confirm-ok');
  ok.textContent = action;
  ok.className = tone;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    const opener = document.activeElement;
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      if (opener && opener.isConnected) opener.focus();
    }, { once: true });
    dialog.showModal();
    $('#confirm-cancel').focus();
  });
}

// The secret dialog's warning for token secrets (Latchkey keeps a hash).
const hashedWarning = $('#secret-warning-text')?.textContent;

// showSecret shows a secret once, with a copy button; the value is dropped
// from the page when the dialog closes. warning replaces the default
// words after "Copy it now." (for a secret Latchkey keeps sealed, not hashed).
export function showSecret({ title, note, warning, returnTo }, secret) {
  const dialog = $('#secret-dialog');
  $('#secret-title').textContent = title;
  $('#secret-note').textContent = note || '';
  $('#secret-warning-text').textContent = warning || hashedWarning;
  const input = $('#secret-value');
  input.value = secret;
  $('#secret-copy-status').textContent = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      input.value = '';
      const back = returnTo && returnTo.isConnected && !returnTo.hidden ? returnTo : $('.view:not([hidden]) h1');
      if (back) back.focus();
      resolve();
    }, { once: true });
    dialog.showModal();
    input.focus();
    input.select();
  });
}

export function wireSecretCopy() {
  const input = $('#secret-value');
  const status = $('#secret-copy-status');
  $('#secret-copy').addEventListener('click', async () => {
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
      await navigator.clipboard.writeText(input.value);
      status.textContent = 'Copied to the clipboard.';
    } catch {
      input.focus();
      input.select();
      let copied = false;
      try { copied = document.execCommand('copy'); } catch { copied = false; }
      status.textContent = copied ? 'Copied to the clipboard.' : 'The text is selected: press Ctrl+C (or ⌘C) to copy it.';
    }
  });
}

// ---- Tables ----

// fillRows replaces or extends a table body; an empty list shows `empty`.
// Focus on a button of a replaced row moves to the same action in the new
// row, or else to the table, so keyboard users keep their place.
export function fillRows(table, rows, { append = false, empty = 'Nothing here yet.' } = {}) {
  const body = $('tbody', table);
  const focused = body.contains(document.activeElement) ? document.activeElement : null;
  const label = focused && focused.getAttribute('aria-label');
  if (!append) body.replaceChildren();
  $('tr.empty', body)?.remove();
  // Each cell names its column, for the card layout of narrow screens.
  const labels = $$('thead th', table).map((th) => th.textContent.trim());
  for (const tr of rows) {
    [...tr.children].forEach((cell, i) => {
      if (labels[i] && !cell.classList.contains('row-actions')) cell.dataset.label = labels[i];
    });
  }
  body.append(...rows);
  if (!body.children.length) {
    body.append(h('tr', { class: 'empty' }, h('td', { colspan: $$('thead th', table).length }, empty)));
  }
  if (focused && !focused.isConnected) {
    const same = label && $$('button[aria-label]', body).find((b) => b.getAttribute('aria-label') === label);
    (same || table.closest('.table-wrap') || table).focus();
  }
}

export function actions(...buttons) {
  return h('td', { class: 'row-actions' }, h('div', { class: 'btn-row' }, buttons.filter(Boolean)));
}

export function button(text, onclick, { tone = 'secondary', label } = {}) {
  return h('button', { type: 'button', class: `${tone} small`, 'aria-label': label, onclick }, text);
}

// setBusy marks a region as loading for assistive technology and styles.
export function setBusy(el, busy) {
  if (busy) el.setAttribute('aria-busy', 'true');
  else el.removeAttribute('aria-busy');
}
