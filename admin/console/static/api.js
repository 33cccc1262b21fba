// The one place the console talks to Latchkey: the public /api/v1 API, with
// the App-Token and user Token headers on every call. The console signs in
// by tenant (POST /console/login) and then sends the reserved App-Token
// "console", which the server accepts only with a user token signed in
// through the console: no app token secret is ever in the browser. The user
// token lives only in sessionStorage; the tenant's slug (not a secret) is
// remembered in localStorage to fill the sign-in form next time.

const BASE = '/api/v1';
const SESSION_KEY = 'latchkey.console.session';
const TENANT_KEY = 'latchkey.console.tenant';
// CONSOLE_APP_TOKEN is the App-Token value of console sessions.
export const CONSOLE_APP_TOKEN = 'console';

// ApiError is a failed answer: its status and the API's {"errors": {...}}
// map of field (or header) to message.
export class ApiError extends Error {
  constructor(status, errors, retryAfter) {
    super(Object.values(errors).join(' '));
    this.name = 'ApiError';
    this.status = status;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

// SessionExpired is thrown after a 401 on a signed-in call; the console has
// already gone back to the sign-in page, so callers just stop.
export class SessionExpired extends Error {
  constructor(errors) {
    super('Your session has expired. Please sign in again.');
    this.name = 'SessionExpired';
    this.errors = errors || {};
  }
}

function readJSON(storage, key) {
  try {
    return JSON.parse(storage.getItem(key));
  } catch {
    return null;
  }
}

export const session = {
  // get returns {appToken, token, id, expires, user} or null.
  get() {
    const s = readJSON(sessionStorage, SESSION_KEY);
    return s && s.token && s.appToken ? s : null;
  },
  set(s) {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  },
  clear() {
    sessionStorage.removeItem(SESSION_KEY);
  },
  rememberedTenant() {
    try {
      return localStorage.getItem(TENANT_KEY) || '';
    } catch {
      return '';
    }
  },
  rememberTenant(slug) {
    try {
      localStorage.setItem(TENANT_KEY, slug);
    } catch {
      // Storage may be disabled; the session still works.
    }
  },
};

let expiredHandler = () => {};

// onSessionExpired sets what happens after a 401 on a signed-in call:
// fn(errors, endedSession).
export function onSessionExpired(fn) {
  expiredHandler = fn;
}

const fallback = {
  0: 'Cannot reach the Latchkey server. Check the connection and try again.',
  400: 'The request was not accepted.',
  401: 'The credentials were not accepted.',
  403: 'Your role does not allow this.',
  404: 'Not found. It may have been deleted.',
  405: 'This action is not supported.',
  409: 'This conflicts with the current state. Reload and try again.',
  413: 'The request is too large.',
  429: 'Too many attempts. Wait a moment and try again.',
  503: 'The token store is unavailable. Try again shortly.',
};

function errorsOf(status, data) {
  if (data && typeof data.errors === 'object' && data.errors !== null) {
    const out = {};
    for (const [k, v] of Object.entries(data.errors)) out[k] = String(v);
    if (Object.keys(out).length) return out;
  }
  return { _: fallback[status] || `The server answered HTTP ${status}.` };
}

function url(path, query) {
  const u = new URL(BASE + path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  return u.pathname + u.search;
}

// request calls the API and returns the parsed JSON body (null for 204).
// Options: body (sent as JSON), query (empty values are left out),
// signedIn (default true: send the user Token; a 401 ends the session),
// quiet (a 401 does not end the session: for signing out),
// appToken (overrides the session's, for signing in).
export async function request(method, path, opts = {}) {
  const { body, query, signedIn = true, quiet = false } = opts;
  const s = session.get();
  const headers = { Accept: 'application/json' };
  const appToken = opts.appToken ?? s?.appToken;
  if (appToken) headers['App-Token'] = appToken;
  if (signedIn) {
    // Not signed in (any more): the sign-in page is already showing.
    if (!s) throw new SessionExpired();
    headers.Token = s.token;
  }
  const init = { method, headers, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url(path, query), init);
  } catch {
    throw new ApiError(0, errorsOf(0, null), null);
  }
  const text = res.status === 204 ? '' : await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;
  const errors = errorsOf(res.status, data);
  if (res.status === 401 && signedIn && !quiet) {
    const old = session.get();
    session.clear();
    expiredHandler(errors, old);
    throw new SessionExpired(errors);
  }
  throw new ApiError(res.status, errors, res.headers.get('Retry-After'));
}

// get, post, patch and del are request with the method filled in.
export const get = (path, query, opts) => request('GET', path, { ...opts, query });
export const post = (path, body, opts) => request('POST', path, { ...opts, body });
export const patch = (path, body, opts) => request('PATCH', path, { ...opts, body });
export const del = (path, opts) => request('DELETE', path, opts);

// seg escapes one path segment (an id or a pasted token string).
export const seg = (s) => encodeURIComponent(String(s));
