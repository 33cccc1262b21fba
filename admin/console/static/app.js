// The console's entry point: signing in and out, the hash router
// (#/app-tokens, #/usage, #/users, #/tokens, #/find, #/audit, #/webhooks,
// #/tenants, #/scopes), and the header.

import { get, post, del, session, onSessionExpired, ApiError, SessionExpired, CONSOLE_APP_TOKEN } from './api.js';
import { $, $$, h, badge, bindForm, wireDialogs, wireLifetimes, wireSecretCopy, relative, clearErrors, announce } from './ui.js';
import { ctx, reset, can } from './state.js';
import appTokens from './apptokens.js';
import users from './users.js';
import tokens from './tokens.js';
import find from './find.js';
import audit from './audit.js';
import tenants from './tenants.js';
import account from './account.js';
import usage from './usage.js';
import webhooks from './webhooks.js';
import scopes from './scopes.js';

const views = [appTokens, usage, users, tokens, find, audit, webhooks, tenants, scopes, account];
const EXPIRED = 'Your session has expired. Please sign in again.';

function section(id) {
  return $(`#view-${id}`);
}

function showSection(id) {
  for (const v of $$('.view')) v.hidden = v.id !== `view-${id}`;
}

// ---- Signing in and out ----

function showSignIn({ message = '', detail = '', tone = 'info' } = {}) {
  $('#topbar').hidden = true;
  for (const d of $$('dialog[open]')) d.close('cancel');
  showSection('sign-in');
  document.title = 'Sign in · Latchkey console';
  const box = $('#sign-in-message');
  box.className = `alert alert-${tone}`;
  box.replaceChildren(...(message ? [h('p', {}, message)] : []), ...(detail ? [h('p', { class: 'hint' }, detail)] : []));
  box.hidden = !message;
  const form = $('#sign-in-form');
  clearErrors(form);
  form.elements.password.value = '';
  if (!form.elements.tenant.value) form.elements.tenant.value = tenantFromPath() || session.rememberedTenant();
  const empty = ['tenant', 'username', 'password'].map((n) => form.elements[n]).find((el) => !el.value);
  (empty || form.elements.password).focus();
}

// tenantFromPath returns the tenant slug of a /console/<slug>/ address.
function tenantFromPath() {
  const m = /^\/console\/([a-z][a-z0-9-]{1,38})\/?$/.exec(location.pathname);
  return m ? m[1] : '';
}

async function signIn(form) {
  const tenant = form.elements.tenant.value.trim().toLowerCase();
  const res = await post('/console/login', {
    tenant,
    username: form.elements.username.value.trim(),
    password: form.elements.password.value,
  }, { signedIn: false });
  session.set({ appToken: CONSOLE_APP_TOKEN, tenant, token: res.token, id: res.id, expires: res.expires, user: res.user });
  session.rememberTenant(tenant);
  form.elements.password.value = '';
  $('#sign-in-message').hidden = true;
  await loadIdentity();
  announce(`Signed in as ${ctx.me.username}.`);
  route({ focus: true });
}

async function signOut() {
  try {
    await del('/token', { quiet: true });
  } catch {
    // The session ends locally whatever the server says.
  }
  session.clear();
  reset();
  location.hash = '#/sign-in';
  showSignIn({ message: 'You have signed out.', tone: 'success' });
}

// loadIdentity reads who is signed in, the session's token and whether the
// user may manage tenants, then draws the header.
async function loadIdentity() {
  const [me, token] = await Promise.all([get('/users/me'), get('/token')]);
  ctx.me = me;
  ctx.token = token;
  ctx.platform = false;
  if (me.role === 'owner' && token.kind !== 'obo') {
    try {
      await get('/tenants', { limit: 1 });
      ctx.platform = true;
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
    }
  }
  drawHeader();
}

function drawHeader() {
  const who = $('#who');
  const parts = [h('span', { class: 'who-user' }, ctx.me.username), ' ', badge(ctx.me.role, 'role')];
  if (ctx.token?.kind === 'obo') parts.push(' ', badge('on behalf of', 'warning'));
  if (ctx.token?.expires) parts.push(h('span', { class: 'who-expiry muted' }, `session ends ${relative(new Date(ctx.token.expires))}`));
  who.replaceChildren(h('span', { class: 'visually-hidden' }, 'Signed in as '), ...parts);
  for (const li of $$('#nav li')) {
    const view = views.find((v) => v.id === li.dataset.view);
    li.hidden = !view.allowed();
  }
  for (const el of $$('[data-can]')) el.hidden = !can(el.dataset.can);
  $('#topbar').hidden = false;
}

// ---- Routing ----

function viewFromHash() {
  const m = /^#\/([a-z-]+)/.exec(location.hash);
  return m ? views.find((v) => v.id === m[1]) : null;
}

function route({ focus = true } = {}) {
  if (!ctx.me) {
    showSignIn();
    return;
  }
  let view = viewFromHash();
  if (!view || !view.allowed()) {
    view = views.find((v) => v.allowed());
    if (!view) {
      showSignIn({ message: 'Your role has no console screens.', tone: 'error' });
      return;
    }
    history.replaceState(null, '', `#/${view.id}`);
  }
  showSection(view.id);
  document.title = `${view.title} · Latchkey console`;
  for (const a of $$('#nav a')) {
    if (a.getAttribute('href') === `#/${view.id}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (focus) $('h1', section(view.id)).focus();
  view.show().catch((err) => {
    if (!(err instanceof SessionExpired)) console.error(err);
  });
}

// ---- Start ----

async function start() {
  wireDialogs();
  wireLifetimes();
  wireSecretCopy();
  for (const v of views) v.init();
  bindForm($('#sign-in-form'), signIn);
  $('#sign-out').addEventListener('click', signOut);
  $('#skip-link').addEventListener('click', (ev) => {
    ev.preventDefault();
    const heading = $('.view:not([hidden]) h1');
    (heading || $('#main')).focus();
  });
  onSessionExpired((errors, ended) => {
    reset();
    // Keep what the person typed, so only the password is asked again.
    const form = $('#sign-in-form');
    if (ended) {
      if (ended.tenant) form.elements.tenant.value = ended.tenant;
      form.elements.username.value = ended.user?.username || '';
    }
    const detail = Object.entries(errors || {})
      .filter(([k]) => k !== 'Token' && k !== '_')
      .map(([, v]) => v).join(' ');
    showSignIn({ message: EXPIRED, detail, tone: 'warning' });
  });
  window.addEventListener('hashchange', () => route({ focus: true }));

  if (!session.get()) {
    showSignIn();
    return;
  }
  try {
    await loadIdentity();
    route({ focus: false });
  } catch (err) {
    if (err instanceof SessionExpired) return;
    showSignIn({ message: 'The console could not load your account.', detail: err.message, tone: 'error' });
  }
}

// Refresh the relative times in the header now and then.
setInterval(() => { if (ctx.me && !$('#topbar').hidden) drawHeader(); }, 60000);

start();
