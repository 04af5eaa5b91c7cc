// How the fleetlet dashboard talks to the cloud's JSON API: reads (with the operator token when one is set, for a
// server configured to need it), commands (which ask for the token first), and the API's typed errors. The token is
// typed into a password field, kept in sessionStorage (this tab only) and sent only in the Authorization header; it is
// never written into the page.

const TOKEN_KEY = 'fleetlet.operatorToken';
const listeners = new Set();

/** An error the API returned (`{ error: { code, message, field? } }`), or a failure to reach it. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

export function hasToken() {
  return readToken() !== null;
}

function readToken() {
  try {
    const t = sessionStorage.getItem(TOKEN_KEY);
    return t === null || t === '' ? null : t;
  } catch {
    return null;
  }
}

function writeToken(token) {
  try {
    if (token === null) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage refused (private mode): the token lives only for this call.
  }
  for (const f of listeners) f(token !== null);
}

export function forgetToken() {
  writeToken(null);
}

/** Calls `f(hasToken)` whenever the token is set or forgotten. */
export function onTokenChange(f) {
  listeners.add(f);
}

/**
 * Opens the token dialog; resolves true once a token is stored, false if the operator cancelled.
 * `why` says what the token is needed for.
 */
export async function askToken(why = 'This action needs your operator token. It is kept in this tab only, until you close it.') {
  const dialog = document.getElementById('token-dialog');
  const input = dialog.querySelector('input[name="token"]');
  document.getElementById('token-why').textContent = why;
  input.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  input.focus();
  const answer = await new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
  const token = input.value.trim();
  input.value = '';
  if (answer !== 'use' || token === '') return false;
  writeToken(token);
  return true;
}

/**
 * Asks the operator to confirm; resolves `{ note }` (note only when `withNote`) or null when cancelled.
 */
export async function confirmAction({ title, text, ok, withNote = false }) {
  const dialog = document.getElementById('confirm-dialog');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = ok;
  const noteLabel = document.getElementById('confirm-note-label');
  const note = noteLabel.querySelector('input');
  noteLabel.hidden = !withNote;
  note.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  const answer = await new Promise((resolve) => dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true }));
  const value = note.value.trim();
  note.value = '';
  if (answer !== 'ok') return null;
  return withNote && value !== '' ? { note: value } : {};
}

async function call(method, path, body, token) {
  const headers = { accept: 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'unreachable', `Cannot reach the fleetlet cloud: ${e instanceof Error ? e.message : String(e)}`);
  }
  let data = null;
  const text = await res.text();
  if (text !== '') {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad-response', `The cloud answered ${method} ${path} with ${res.status} and a body that is not JSON`);
    }
  }
  if (!res.ok) {
    const err = data !== null && typeof data === 'object' ? data.error : undefined;
    if (err && typeof err.message === 'string') throw new ApiError(res.status, String(err.code), err.message, err.field);
    throw new ApiError(res.status, 'http', `The cloud refused ${method} ${path} with status ${res.status}`);
  }
  return data;
}

/**
 * GET `path` (with `query` params that are not undefined or empty). The token goes along when one is set (a cloud
 * may need it for reads); one the API refuses is forgotten, so the next read goes without it. @throws ApiError
 */
export async function get(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '' && v !== false) params.set(k, String(v));
  const qs = params.toString();
  const token = readToken();
  try {
    return await call('GET', qs === '' ? path : `${path}?${qs}`, undefined, token);
  } catch (e) {
    if (token !== null && e instanceof ApiError && (e.status === 401 || e.status === 403)) writeToken(null);
    throw e;
  }
}

/**
 * A changing call: asks for the token when none is set (rejects with code 'cancelled' if the operator cancels),
 * and forgets a token the API does not know (401/403) so the next command asks again. @throws ApiError
 */
export async function command(method, path, body) {
  if (readToken() === null && !(await askToken())) throw new ApiError(0, 'cancelled', 'Cancelled: no operator token given');
  try {
    return await call(method, path, body, readToken());
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) writeToken(null);
    throw e;
  }
}

/** Every item of a paged list, following `next` for at most `maxPages` pages. */
export async function getAll(path, query = {}, maxPages = 5) {
  const items = [];
  let cursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await get(path, { ...query, cursor });
    items.push(...page.items);
    if (page.next === undefined) break;
    cursor = page.next;
  }
  return items;
}
