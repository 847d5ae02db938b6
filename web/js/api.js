// The only module that talks to the server: bearer tokens, ETags and
// If-Match / If-None-Match, Idempotency-Key, the error body of API.md
// section 2, and the event stream of section 7.3 (read with fetch and a
// stream reader, since EventSource cannot send a bearer token).

/**
 * @typedef {object} User
 * @property {string} id
 * @property {string} email
 * @property {string | null} name
 * @property {string | null} created_at
 *
 * @typedef {object} Session
 * @property {User} user
 * @property {string} token
 * @property {string} expires_at
 *
 * @typedef {'low' | 'medium' | 'high'} Priority
 * @typedef {'daily' | 'weekly' | 'monthly'} Pattern
 *
 * @typedef {object} Task
 * @property {number} id
 * @property {string} user_id
 * @property {string} title
 * @property {string | null} description
 * @property {boolean} completed
 * @property {string | null} completed_at
 * @property {Priority | null} priority
 * @property {string | null} tags
 * @property {string | null} due_date
 * @property {string | null} due_time
 * @property {Pattern | null} recurrence_pattern
 * @property {number | null} recurrence_day
 * @property {string} created_at
 * @property {string} updated_at
 *
 * @typedef {object} FieldProblem
 * @property {string} field
 * @property {string} code
 * @property {string} detail
 *
 * @typedef {object} Page
 * @property {Task[]} tasks
 * @property {number} total
 * @property {string | null} etag
 *
 * @typedef {object} ServerEvent
 * @property {string} type   task.created | task.updated | task.deleted | reset
 * @property {string} id
 * @property {unknown} data
 */

/** An answer that is not a success, with the error body's fields. */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the server could not be reached
   * @param {string} code
   * @param {string} detail
   * @param {FieldProblem[]} errors
   * @param {number} retryAfter seconds (429), else 0
   */
  constructor(status, code, detail, errors, retryAfter) {
    super(detail);
    this.status = status;
    this.code = code;
    this.errors = errors;
    this.retryAfter = retryAfter;
  }
}

/** @type {string | null} */
let token = null;
/** @type {() => void} */
let onUnauthorized = () => {};
/** ETags of single tasks, from the answers that carried one. */
const taskEtags = new Map();

/**
 * Sets the bearer token (null: none) and what a 401 on an authenticated
 * request does.
 * @param {string | null} t
 * @param {() => void} [unauthorized]
 */
export function useToken(t, unauthorized) {
  token = t;
  taskEtags.clear();
  if (unauthorized) onUnauthorized = unauthorized;
}

/** A new Idempotency-Key (one per user action, reused by its retries). */
export function newKey() {
  return crypto.randomUUID();
}

/**
 * @typedef {object} CallOptions
 * @property {unknown} [body]
 * @property {string} [ifMatch]
 * @property {string} [ifNoneMatch]
 * @property {string} [key] Idempotency-Key
 * @property {boolean} [auth] default true
 * @property {AbortSignal} [signal]
 */

/**
 * One request; resolves with the Response (2xx or 304), throws ApiError.
 * A request that has an idempotency key, or is a read, is retried once when
 * the network fails.
 * @param {string} method
 * @param {string} path under /api/, no leading slash
 * @param {CallOptions} [opt]
 * @returns {Promise<Response>}
 */
async function call(method, path, opt = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json' };
  const auth = opt.auth !== false;
  if (auth && token) headers.Authorization = `Bearer ${token}`;
  if (opt.body !== undefined) headers['Content-Type'] = 'application/json';
  if (opt.ifMatch) headers['If-Match'] = opt.ifMatch;
  if (opt.ifNoneMatch) headers['If-None-Match'] = opt.ifNoneMatch;
  if (opt.key) headers['Idempotency-Key'] = opt.key;
  const init = {
    method,
    headers,
    body: opt.body === undefined ? undefined : JSON.stringify(opt.body),
    signal: opt.signal,
    cache: /** @type {RequestCache} */ ('no-cache'),
  };
  const retriable = method === 'GET' || Boolean(opt.key);
  let res;
  try {
    res = await fetch(`api/${path}`, init);
  } catch (e) {
    if (!retriable || opt.signal?.aborted) throw networkError(e);
    await new Promise((ok) => setTimeout(ok, 300));
    try {
      res = await fetch(`api/${path}`, init);
    } catch (e2) {
      throw networkError(e2);
    }
  }
  if (res.ok || res.status === 304) return res;
  throw await errorOf(res, auth);
}

/** @param {unknown} e */
function networkError(e) {
  if (e instanceof DOMException && e.name === 'AbortError') return e;
  return new ApiError(0, 'NETWORK', String(e), [], 0);
}

/**
 * @param {Response} res
 * @param {boolean} auth
 */
async function errorOf(res, auth) {
  /** @type {{detail?: unknown, code?: unknown, field?: unknown, errors?: unknown}} */
  let body = {};
  try {
    body = await res.json();
  } catch {
    body = {};
  }
  /** @type {FieldProblem[]} */
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (errors.length === 0 && typeof body.field === 'string') {
    errors.push({ field: body.field, code: String(body.code), detail: String(body.detail) });
  }
  if (res.status === 401 && auth) onUnauthorized();
  return new ApiError(res.status, typeof body.code === 'string' ? body.code : 'HTTP',
    typeof body.detail === 'string' ? body.detail : res.statusText, errors,
    Number(res.headers.get('Retry-After')) || 0);
}

/**
 * @param {Response} res
 * @returns {Promise<Task>}
 */
async function taskOf(res) {
  /** @type {Task} */
  const task = await res.json();
  const etag = res.headers.get('ETag');
  if (etag) taskEtags.set(task.id, etag);
  else taskEtags.delete(task.id);
  return task;
}

/** @param {string} uid */
const tasksPath = (uid) => `${encodeURIComponent(uid)}/tasks`;

// ---- accounts ---------------------------------------------------------------

/**
 * @param {string} email
 * @param {string} password
 * @returns {Promise<Session>}
 */
export async function login(email, password) {
  const res = await call('POST', 'auth/login', { body: { email, password }, auth: false });
  return res.json();
}

/**
 * @param {string} email
 * @param {string} password
 * @param {string} name
 * @returns {Promise<Session>}
 */
export async function register(email, password, name) {
  /** @type {Record<string, string>} */
  const body = { email, password };
  if (name.trim()) body.name = name.trim();
  const res = await call('POST', 'auth/register', { body, auth: false });
  return res.json();
}

/** @returns {Promise<User>} */
export async function me() {
  return (await call('GET', 'auth/me')).json();
}

// ---- tasks ------------------------------------------------------------------

/**
 * One page of the list. With `etag` (the previous answer's), an unchanged
 * list answers null (304).
 * @param {string} uid
 * @param {Record<string, string>} query
 * @param {string | null} etag
 * @returns {Promise<Page | null>}
 */
export async function listTasks(uid, query, etag) {
  const qs = new URLSearchParams(query).toString();
  const res = await call('GET', `${tasksPath(uid)}?${qs}`, { ifNoneMatch: etag || undefined });
  if (res.status === 304) return null;
  return {
    tasks: await res.json(),
    total: Number(res.headers.get('X-Total-Count')) || 0,
    etag: res.headers.get('ETag'),
  };
}

/**
 * @param {string} uid
 * @param {number} id
 * @returns {Promise<Task>}
 */
export async function getTask(uid, id) {
  return taskOf(await call('GET', `${tasksPath(uid)}/${id}`));
}

/**
 * @param {string} uid
 * @param {Record<string, unknown>} fields
 * @param {string} key Idempotency-Key
 * @returns {Promise<Task>}
 */
export async function createTask(uid, fields, key) {
  return taskOf(await call('POST', tasksPath(uid), { body: fields, key }));
}

/**
 * Changes some fields, only if the task is still the version we saw (its
 * ETag, when we know it): else ApiError 412.
 * @param {string} uid
 * @param {number} id
 * @param {Record<string, unknown>} fields
 * @returns {Promise<Task>}
 */
export async function updateTask(uid, id, fields) {
  return taskOf(await call('PATCH', `${tasksPath(uid)}/${id}`,
    { body: fields, ifMatch: taskEtags.get(id) }));
}

/**
 * @param {string} uid
 * @param {number} id
 * @param {boolean} completed
 * @param {string} key Idempotency-Key
 * @returns {Promise<Task>}
 */
export async function setCompleted(uid, id, completed, key) {
  return taskOf(await call('PATCH', `${tasksPath(uid)}/${id}/complete`,
    { body: { completed }, key, ifMatch: taskEtags.get(id) }));
}

/**
 * @param {string} uid
 * @param {number} id
 */
export async function deleteTask(uid, id) {
  await call('DELETE', `${tasksPath(uid)}/${id}`, { ifMatch: taskEtags.get(id) });
  taskEtags.delete(id);
}

/**
 * Forgets what we know of a task's version (it changed elsewhere).
 * @param {number} id
 */
export function forgetVersion(id) {
  taskEtags.delete(id);
}

// ---- the event stream ---------------------------------------------------------

/**
 * Reads GET /api/{uid}/events until it ends or `signal` aborts, calling
 * onEvent for each event; resolves with the last event id seen (to resume
 * from). Throws ApiError when the stream cannot be opened (404 while the
 * server has no event stream).
 * @param {string} uid
 * @param {string | null} lastEventId
 * @param {AbortSignal} signal
 * @param {(e: ServerEvent) => void} onEvent
 * @param {() => void} onOpen
 * @returns {Promise<string | null>}
 */
export async function streamEvents(uid, lastEventId, signal, onEvent, onOpen) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  let res;
  try {
    res = await fetch(`api/${encodeURIComponent(uid)}/events`,
      { headers, signal, cache: 'no-store' });
  } catch (e) {
    throw networkError(e);
  }
  if (!res.ok || !res.body) throw await errorOf(res, true);
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let last = lastEventId;
  /** @type {{type: string, id: string | null, data: string[]}} */
  let ev = { type: 'message', id: null, data: [] };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop() || '';
      for (const line of lines) {
        if (line === '') {
          if (ev.id !== null) last = ev.id;
          if (ev.data.length || ev.type !== 'message') {
            let data = null;
            try {
              data = JSON.parse(ev.data.join('\n') || 'null');
            } catch {
              data = null;
            }
            onEvent({ type: ev.type, id: ev.id || '', data });
          }
          ev = { type: 'message', id: null, data: [] };
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') ev.type = val;
        else if (field === 'data') ev.data.push(val);
        else if (field === 'id') ev.id = val;
      }
    }
  } catch (e) {
    if (!signal.aborted) throw networkError(e);
  }
  return last;
}
