// Who is signed in, what their role lets them do, and a small
// directory of the tenant's users (and names of other ids) for showing
// names instead of ids. The API is the real guard; this only hides what
// would be refused anyway.

import { get, seg, ApiError, SessionExpired } from './api.js';
import { h, $$, shortID } from './ui.js';

export const ROLES = ['member', 'support', 'admin', 'owner'];
export const RANK = { member: 0, support: 1, admin: 2, owner: 3 };

export const ctx = {
  me: null, // GET /users/me
  token: null, // GET /token: the session's own token (id, kind, app_token_id, expires)
  platform: false, // may manage tenants (an owner of the platform tenant)
  users: new Map(), // id → user
  usersLoaded: 0,
  names: new Map(), // "kind:id" → name, or null when the API no longer knows the id
};

export function reset() {
  ctx.me = null;
  ctx.token = null;
  ctx.platform = false;
  ctx.users = new Map();
  ctx.usersLoaded = 0;
  ctx.names = new Map();
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
    case 'unlockUsers':
    case 'readAudit':
    case 'readUsage':
      return r >= RANK.support;
    case 'manageAppTokens':
    case 'manageUsers':
    case 'extendAnyToken':
      return r >= RANK.admin;
    case 'manageWebhooks':
      return r >= RANK.admin;
    case 'issueOBO':
      return r >= RANK.admin && ctx.token?.kind !== 'obo';
    case 'manageTenants':
    case 'viewTenants':
    case 'manageScopes':
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

// ---- Names of ids outside the directory ----

// lookups says where the API answers one id of each kind, who may ask, and
// which field of the answer names it.
const lookups = {
  user: { path: '/users/', may: () => can('viewUsers'), name: (u) => u.username },
  app_token: { path: '/app_tokens/', may: () => can('viewAppTokens'), name: (t) => t.name || '(no name)' },
  tenant: { path: '/tenants/', may: () => can('viewTenants'), name: (t) => t.slug },
};

// nameOf returns the name of a user, app token or tenant id: a string,
// null when the API answered that it has no such id (deleted), undefined
// when unknown.
export function nameOf(kind, id) {
  if (!id) return undefined;
  if (kind === 'user' && ctx.users.has(id)) return ctx.users.get(id).username;
  return ctx.names.get(`${kind}:${id}`);
}

// resolveNames asks the API, four at a time, for the ids of refs
// ([kind, id] pairs) that have no name yet: at most `max` of them, each
// once until sign-out. A failure other than "no such id" leaves the id
// unnamed for a later try.
export async function resolveNames(refs, max = 200) {
  const todo = [...new Set(refs
    .filter(([kind, id]) => id && lookups[kind]?.may() && nameOf(kind, id) === undefined)
    .map(([kind, id]) => `${kind}:${id}`))].slice(0, max);
  let next = 0;
  const worker = async () => {
    while (next < todo.length) {
      const key = todo[next++];
      const [kind, id] = key.split(':');
      const l = lookups[kind];
      try {
        ctx.names.set(key, l.name(await get(l.path + seg(id))));
      } catch (err) {
        if (err instanceof SessionExpired) throw err;
        if (err instanceof ApiError && (err.status === 404 || err.status === 400)) ctx.names.set(key, null);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

// userRef shows a user id as its username when known (fallback: a name
// the caller already has, such as the one an audit record carries).
export function userRef(id, fallback) {
  if (!id) return h('span', { class: 'muted' }, '—');
  if (typeof id === 'object') return h('span', {}, id.username || id.id || '—');
  const name = nameOf('user', id) || fallback;
  if (!name) {
    if (nameOf('user', id) === null) return h('span', { title: id }, h('span', { class: 'muted' }, 'deleted user '), shortID(id));
    return shortID(id);
  }
  return h('span', { title: id }, name, id === ctx.me?.id ? h('span', { class: 'muted' }, ' (you)') : null);
}
