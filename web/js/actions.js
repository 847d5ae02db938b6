// What the user can do: each intent calls the API (api.js) and records the
// outcome in the store; the views render from there.
import * as api from './api.js';
import { localToday } from './dates.js';
import { DEFAULT_QUERY, NO_PROBLEMS, PAGE_SIZE, getState, update } from './store.js';
import { T } from './strings.js';

/**
 * @typedef {import('./api.js').Task} Task
 * @typedef {import('./api.js').Session} Session
 * @typedef {import('./store.js').Query} Query
 * @typedef {import('./store.js').FormProblems} FormProblems
 */

const SESSION_KEY = 'todo.session';
/** @type {ReturnType<typeof setTimeout> | undefined} */
let expiryTimer;

// ---- session -----------------------------------------------------------------

/**
 * Starts a session: keeps the token (localStorage) until it expires.
 * @param {Session} s
 */
function begin(s) {
  api.useToken(s.token, () => signOut(T.sessionEnded));
  localStorage.setItem(SESSION_KEY, JSON.stringify(s));
  clearTimeout(expiryTimer);
  const left = Date.parse(s.expires_at) - Date.now();
  expiryTimer = setTimeout(() => signOut(T.sessionEnded), Math.min(Math.max(left, 0), 2 ** 31 - 1));
  update({ session: s, authMessage: '', authFields: {}, query: DEFAULT_QUERY, page: 1,
    tasks: [], total: 0, loaded: false, notice: '' });
}

/** The session kept by an earlier visit, when its token has not expired. */
export function restoreSession() {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    /** @type {Session | null} */
    const s = raw ? JSON.parse(raw) : null;
    if (s && s.token && s.user && s.user.id && Date.parse(s.expires_at) > Date.now() + 5000) {
      begin(s);
      return;
    }
  } catch {
    // a broken entry is forgotten below
  }
  localStorage.removeItem(SESSION_KEY);
}

/**
 * Signs in ('login') or creates an account ('register').
 * @param {'login' | 'register'} mode
 * @param {string} email
 * @param {string} password
 * @param {string} name
 */
export async function authenticate(mode, email, password, name) {
  update({ authMessage: '', authFields: {} });
  try {
    const s = mode === 'login' ? await api.login(email, password)
      : await api.register(email, password, name);
    begin(s);
  } catch (e) {
    const p = problemsOf(e);
    update({ authMessage: p.message, authFields: p.fields });
  }
}

/**
 * Ends the session and forgets the token.
 * @param {string} [why] shown on the sign-in form
 */
export function signOut(why = '') {
  clearTimeout(expiryTimer);
  localStorage.removeItem(SESSION_KEY);
  api.useToken(null);
  update({ session: null, authMessage: why, authFields: {}, tasks: [], total: 0, loaded: false,
    editing: null, deleting: null, notice: '', create: NO_PROBLEMS, edit: NO_PROBLEMS });
}

// ---- errors --------------------------------------------------------------------

/**
 * What to show for a failure: the field errors of the API's body next to
 * their fields, anything else in the form's alert.
 * @param {unknown} e
 * @returns {FormProblems}
 */
export function problemsOf(e) {
  if (!(e instanceof api.ApiError)) return { message: T.failed, fields: {} };
  if (e.status === 0) return { message: T.offline, fields: {} };
  if (e.status === 429) return { message: T.tooMany(e.retryAfter || 60), fields: {} };
  /** @type {Record<string, string>} */
  const fields = {};
  for (const p of e.errors) {
    if (p.field && !fields[p.field]) fields[p.field] = p.detail;
  }
  const message = Object.keys(fields).length ? '' : e.message || T.failed;
  return { message, fields };
}

// ---- the list --------------------------------------------------------------------

let listSeq = 0;
/** @type {{key: string, etag: string} | null} */
let listEtag = null;

/**
 * The list query of the state, as API parameters.
 * @param {Query} q
 * @param {number} page
 * @returns {Record<string, string>}
 */
function listParams(q, page) {
  /** @type {Record<string, string>} */
  const p = { sort_by: q.sortBy, sort_order: q.order, limit: String(PAGE_SIZE),
    offset: String((page - 1) * PAGE_SIZE), today: localToday() };
  if (q.status) p.completed = q.status === 'done' ? 'true' : 'false';
  if (q.priority) p.priority = q.priority;
  if (q.tag.trim()) p.tag = q.tag.trim();
  if (q.search) p.search = q.search;
  if (q.due) p.due_date_filter = q.due;
  return p;
}

/** @type {Promise<void> | null} */
let running = null;
let again = false;

/**
 * Loads the page the state asks for (cheaply: an unchanged list is a 304
 * once the server gives list ETags). A forced load (the query changed)
 * supersedes the one in flight; otherwise a load asked for while one runs
 * makes one more after it, so a slow server is never asked twice at once
 * and its answers are never all superseded.
 * @param {boolean} [force] ignore the list's ETag
 * @returns {Promise<void>}
 */
export function refresh(force = false) {
  if (!force && running) {
    again = true;
    return running;
  }
  const p = load(force);
  running = p;
  p.finally(() => {
    if (running !== p) return;
    running = null;
    if (again) {
      again = false;
      refresh();
    }
  });
  return p;
}

/**
 * @param {boolean} force
 */
async function load(force) {
  const s = getState();
  if (!s.session) return;
  const seq = ++listSeq;
  const params = listParams(s.query, s.page);
  const key = JSON.stringify(params);
  const etag = !force && listEtag && listEtag.key === key && s.loaded ? listEtag.etag : null;
  try {
    const got = await api.listTasks(s.session.user.id, params, etag);
    if (seq !== listSeq || !getState().session) return;
    if (got === null) return;
    listEtag = got.etag ? { key, etag: got.etag } : null;
    const pages = Math.max(1, Math.ceil(got.total / PAGE_SIZE));
    if (s.page > pages) {
      update({ page: pages });
      refresh(true);
      return;
    }
    update({ tasks: got.tasks, total: got.total, loaded: true,
      notice: getState().notice === T.offline ? '' : getState().notice });
  } catch (e) {
    if (seq !== listSeq) return;
    if (e instanceof api.ApiError && e.status === 0) update({ notice: T.offline });
    else if (e instanceof api.ApiError && e.status !== 401) update({ notice: problemsOf(e).message || T.failed });
  }
}

/**
 * Changes some filters (back to page 1).
 * @param {Partial<Query>} change
 */
export function setQuery(change) {
  update({ query: { ...getState().query, ...change }, page: 1 });
  refresh(true);
}

/** @param {number} page */
export function setPage(page) {
  update({ page });
  refresh(true);
}

// ---- tasks ----------------------------------------------------------------------

/**
 * @param {Record<string, string | null>} fields
 * @returns {Promise<boolean>} created
 */
export async function createTask(fields) {
  const s = getState();
  if (!s.session) return false;
  /** @type {Record<string, unknown>} */
  const body = {};
  for (const [k, v] of Object.entries(fields)) if (v !== null) body[k] = v;
  update({ create: NO_PROBLEMS });
  try {
    await api.createTask(s.session.user.id, body, api.newKey());
    update({ created: getState().created + 1 });
    refresh(true);
    return true;
  } catch (e) {
    update({ create: problemsOf(e) });
    return false;
  }
}

/**
 * Completes or reopens a task: shown at once, then saved; put back (with
 * the reason) when the server says no.
 * @param {Task} task
 * @param {boolean} completed
 */
export async function setCompleted(task, completed) {
  const s = getState();
  if (!s.session) return;
  replaceTask({ ...task, completed });
  try {
    const saved = await api.setCompleted(s.session.user.id, task.id, completed, api.newKey());
    replaceTask(saved);
    refresh(true);
  } catch (e) {
    replaceTask(task);
    notifyWriteFailure(e);
    refresh(true);
  }
}

/**
 * @param {Task} task
 */
function replaceTask(task) {
  update({ tasks: getState().tasks.map((t) => (t.id === task.id ? task : t)) });
}

/** @param {unknown} e */
function notifyWriteFailure(e) {
  if (e instanceof api.ApiError && e.status === 412) update({ notice: T.changedElsewhere });
  else if (e instanceof api.ApiError && e.status === 404) update({ notice: T.goneElsewhere });
  else if (!(e instanceof api.ApiError && e.status === 401)) update({ notice: problemsOf(e).message || T.failed });
}

/** Hides the page-wide notice. */
export function dismissNotice() {
  update({ notice: '' });
}

// ---- editing ----------------------------------------------------------------------

/**
 * Opens the edit dialog on a task, then loads its current version (and
 * ETag, so that saving cannot overwrite a change made meanwhile).
 * @param {Task} task
 */
export async function openEdit(task) {
  const s = getState();
  if (!s.session) return;
  update({ editing: { task, stamp: 0 }, edit: NO_PROBLEMS });
  try {
    const fresh = await api.getTask(s.session.user.id, task.id);
    const ed = getState().editing;
    if (!ed || ed.task.id !== task.id || ed.stamp !== 0) return;
    if (sameFields(fresh, task)) {
      update({ editing: { task: fresh, stamp: 0 } }); // the fields shown stay as typed
    } else {
      update({ editing: { task: fresh, stamp: 1 }, edit: { message: T.changedElsewhere, fields: {} } });
    }
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 404) {
      update({ editing: null, notice: T.goneElsewhere });
      refresh(true);
    }
  }
}

const EDITABLE = ['title', 'description', 'priority', 'tags', 'due_date', 'due_time',
  'recurrence_pattern', 'recurrence_day'];

/**
 * True when two versions of a task have the same editable fields.
 * @param {Task} a
 * @param {Task} b
 */
function sameFields(a, b) {
  const pick = (/** @type {Task} */ t) => EDITABLE.map((k) => /** @type {Record<string, unknown>} */ (t)[k]);
  return JSON.stringify(pick(a)) === JSON.stringify(pick(b));
}

/** Closes the edit dialog without saving. */
export function closeEdit() {
  update({ editing: null, edit: NO_PROBLEMS });
}

/**
 * Saves the fields that changed (PATCH with If-Match). When the task
 * changed elsewhere meanwhile (412), its current version is loaded into the
 * dialog and the user is told: nothing is overwritten silently.
 * @param {Record<string, string | null>} fields
 */
export async function saveEdit(fields) {
  const s = getState();
  const ed = s.editing;
  if (!s.session || !ed) return;
  const uid = s.session.user.id;
  /** @type {Record<string, unknown>} */
  const change = {};
  const before = /** @type {Record<string, unknown>} */ (ed.task);
  for (const [k, v] of Object.entries(fields)) {
    let old = before[k];
    if (k === 'due_time' && typeof old === 'string') old = old.slice(0, 5);
    if (k === 'tags' && typeof old === 'string') old = old.split(',').join(', ');
    if ((old ?? null) !== v) change[k] = v;
  }
  if (change.recurrence_pattern !== undefined) change.recurrence_day = null;
  if (Object.keys(change).length === 0) {
    closeEdit();
    return;
  }
  update({ edit: NO_PROBLEMS });
  try {
    const saved = await api.updateTask(uid, ed.task.id, change);
    replaceTask(saved);
    update({ editing: null });
    refresh(true);
  } catch (e) {
    if (e instanceof api.ApiError && e.status === 412) {
      try {
        const current = await api.getTask(uid, ed.task.id);
        update({ editing: { task: current, stamp: ed.stamp + 1 },
          edit: { message: T.changedElsewhere, fields: {} } });
        refresh(true);
      } catch (e2) {
        update({ editing: null });
        notifyWriteFailure(e2);
      }
    } else if (e instanceof api.ApiError && e.status === 404) {
      update({ editing: null, notice: T.goneElsewhere });
      refresh(true);
    } else {
      update({ edit: problemsOf(e) });
    }
  }
}

// ---- deleting ----------------------------------------------------------------------

/** @param {Task} task */
export function askDelete(task) {
  update({ deleting: task, notice: '' });
}

/** Closes the delete dialog. */
export function cancelDelete() {
  update({ deleting: null });
}

/** Deletes the task the dialog asked about. */
export async function confirmDelete() {
  const s = getState();
  const task = s.deleting;
  if (!s.session || !task) return;
  update({ deleting: null, tasks: s.tasks.filter((t) => t.id !== task.id), total: Math.max(0, s.total - 1) });
  try {
    await api.deleteTask(s.session.user.id, task.id);
  } catch (e) {
    if (!(e instanceof api.ApiError && e.status === 404)) notifyWriteFailure(e);
  }
  refresh(true);
}
