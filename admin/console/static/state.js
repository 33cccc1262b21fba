// Who is signed in, what their role lets them do (SPEC §6), and a small
// directory of the tenant's users for showing names instead of ids. The
// API is the real guard; this only hides what would be refused anyway.

import { get, SessionExpired } from './api.js';
import { h, $$, shortID } from './ui.js';

export const ROLES = ['member', 'support', 'admin', 'owner'];
export const RANK = { member: 0, support: 1, admin: 2, owner: 3 };

export const ctx = {
  me: null, // GET /users/me
  token: null, // GET /token: the session's own token (id, kind, app_token_id, expires)
  platform: false, // may manage tenants (an owner of the platform tenant)
  users: new Map(), // id → user
  usersLoaded: 0,
};

export function reset() {
  ctx.me = null;
  ctx.token = null;
  ctx.platform = false;
  ctx.users = new Map();
  ctx.usersLoaded = 0;
}

export const rank = (role) => RANK[role] ?? -1;

// can says whether the signed-in user's role allows an action.
export function can(action) {
  const r = rank(ctx.me?.role);
  switch (action) {
    case 'viewAppTokens':
    case 'expireAppTokens':
    case 'viewUsers':
    case 'viewAnyToken':
    case 'expireAnyToken':
    case 'readAudit':
      return r >= RANK.support;
    case 'manageAppTokens':
    case 'manageUsers':
    case 'extendAnyToken':
      return r >= RANK.admin;
    case 'issueOBO':
      return r >= RANK.admin && ctx.token?.kind !== 'obo';
    case 'manageTenants':
      return ctx.platform;
    default:
      return false;
  }
}

// assignableRoles are the roles the signed-in user may give: an admin may
// not make owners.
export function assignableRoles() {
  const r = rank(ctx.me?.role);
  return ROLES.filter((role) => RANK[role] <= r && (r === RANK.owner || role !== 'owner'));
}

// mayManage says whether the signed-in user may change another user.
export function mayManage(user) {
  return can('manageUsers') && user.id !== ctx.me?.id && (ctx.me.role === 'owner' || user.role !== 'owner');
}

// mayIssueOBOFor says whether the signed-in user may issue an OBO token for user.
export function mayIssueOBOFor(user) {
  return can('issueOBO') && user.id !== ctx.me?.id && user.status !== 'disabled' && rank(user.role) <= rank(ctx.me.role);
}

// loadUsers fills the directory (at most every 30 s unless forced) and the
// user pickers; roles that may not list users get only themselves.
export async function loadUsers(force = false) {
  if (!force && Date.now() - ctx.usersLoaded < 30000) return;
  const users = new Map();
  if (ctx.me) users.set(ctx.me.id, ctx.me);
  if (can('viewUsers')) {
    let cursor;
    for (let page = 0; page < 4; page++) {
      const list = await get('/users', { limit: 500, cursor });
      for (const u of list.items || []) users.set(u.id, u);
      cursor = list.next_cursor;
      if (!cursor) break;
    }
  }
  ctx.users = users;
  ctx.usersLoaded = Date.now();
  fillUserPickers();
}

// loadNames is loadUsers for screens that only show names: a failure other
// than an ended session just leaves ids unnamed.
export async function loadNames(force = false) {
  try {
    await loadUsers(force);
  } catch (err) {
    if (err instanceof SessionExpired) throw err;
  }
}

function fillUserPickers() {
  const sorted = [...ctx.users.values()].sort((a, b) => a.username.localeCompare(b.username));
  for (const select of $$('select[data-users]')) {
    const keep = select.value;
    const first = select.dataset.users === 'all' ? [h('option', { value: '' }, 'All users')] : [h('option', { value: '' }, 'Choose a user…')];
    const options = sorted
      .filter((u) => select.dataset.users !== 'obo' || mayIssueOBOFor(u))
      .map((u) => h('option', { value: u.id }, `${u.username} (${u.role}${u.status === 'disabled' ? ', disabled' : ''})`));
    select.replaceChildren(...first, ...options);
    if ([...select.options].some((o) => o.value === keep)) select.value = keep;
  }
}

// userRef shows a user id as its username when known.
export function userRef(id) {
  if (!id) return h('span', { class: 'muted' }, '—');
  if (typeof id === 'object') return h('span', {}, id.username || id.id || '—');
  const u = ctx.users.get(id);
  if (!u) return shortID(id);
  return h('span', { title: id }, u.username, u.id === ctx.me?.id ? h('span', { class: 'muted' }, ' (you)') : null);
}
