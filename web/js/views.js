// The views: each renders its part of the page from the state, and sends
// the user's intents to actions.js. Nothing here calls the server.
import * as act from './actions.js';
import { formatDue, formatInstant, isOverdue, localToday } from './dates.js';
import { buildFields, fillFields, firstInvalid, readFields, showFieldErrors } from './fields.js';
import { PAGE_SIZE, getState, subscribe } from './store.js';
import { T, applyStrings } from './strings.js';

/**
 * @typedef {import('./api.js').Task} Task
 * @typedef {import('./store.js').State} State
 * @typedef {import('./store.js').FormProblems} FormProblems
 */

/**
 * @template {HTMLElement} E
 * @param {string} id
 * @returns {E}
 */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing`);
  return /** @type {E} */ (el);
}

/**
 * Shows a message in an alert element (hidden when empty).
 * @param {HTMLElement} el
 * @param {string} msg
 */
function say(el, msg) {
  if (el.textContent !== msg) el.textContent = msg;
  el.hidden = !msg;
}

/**
 * @param {string} tag
 * @param {string} [cls]
 * @param {string} [text]
 */
function h(tag, cls, text) {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
}

const PRIORITY = /** @type {Record<string, string>} */ ({ low: T.low, medium: T.medium, high: T.high });
const PATTERN = /** @type {Record<string, string>} */ ({ daily: T.daily, weekly: T.weekly, monthly: T.monthly });

// ---- one task -------------------------------------------------------------------

/** @param {Task} task */
function makeItem(task) {
  const li = h('li', 'task');
  li.dataset.id = String(task.id);
  const box = /** @type {HTMLInputElement} */ (h('input', 'check'));
  box.type = 'checkbox';
  box.id = `task-${task.id}`;
  const body = h('div', 'body');
  const label = /** @type {HTMLLabelElement} */ (h('label', 'title'));
  label.htmlFor = box.id;
  body.append(label, h('p', 'desc'), h('p', 'meta'));
  const tools = h('div', 'tools');
  for (const [cls, word] of [['edit', T.edit], ['delete', T.delete]]) {
    const b = /** @type {HTMLButtonElement} */ (h('button', cls, word));
    b.type = 'button';
    b.append(h('span', 'sr'));
    tools.append(b);
  }
  li.append(box, body, tools);
  return li;
}

/**
 * Updates an item in place (the focus stays where it is).
 * @param {HTMLElement} li
 * @param {Task} task
 * @param {string} today
 */
function fillItem(li, task, today) {
  const sig = JSON.stringify(task) + today;
  if (li.dataset.sig === sig) return;
  li.dataset.sig = sig;
  const overdue = isOverdue(task, today);
  li.classList.toggle('done', task.completed);
  li.classList.toggle('overdue', overdue);
  const box = /** @type {HTMLInputElement} */ (li.querySelector('.check'));
  box.checked = task.completed;
  /** @type {HTMLElement} */ (li.querySelector('.title')).textContent = task.title;
  const desc = /** @type {HTMLElement} */ (li.querySelector('.desc'));
  desc.textContent = task.description || '';
  desc.hidden = !task.description;
  for (const span of li.querySelectorAll('.tools .sr')) span.textContent = ` ${task.title}`;
  const meta = /** @type {HTMLElement} */ (li.querySelector('.meta'));
  const parts = [];
  if (overdue) parts.push(h('span', 'badge overdue', T.overdue));
  if (task.priority) parts.push(h('span', `badge prio-${task.priority}`, T.priorityLabel(PRIORITY[task.priority])));
  if (task.due_date) parts.push(h('span', 'due', T.dueOn(formatDue(task.due_date, task.due_time))));
  if (task.recurrence_pattern) parts.push(h('span', 'repeat', T.repeats(PATTERN[task.recurrence_pattern])));
  if (task.completed && task.completed_at) parts.push(h('span', 'when', T.completedOn(formatInstant(task.completed_at))));
  for (const tag of (task.tags || '').split(',').filter(Boolean)) parts.push(h('span', 'tag', tag));
  meta.replaceChildren(...parts);
  meta.hidden = parts.length === 0;
}

// ---- the list -------------------------------------------------------------------

/** @param {State} s */
function renderList(s) {
  const list = $('task-list');
  const today = localToday();
  /** @type {Map<string, HTMLElement>} */
  const have = new Map();
  for (const li of /** @type {HTMLCollectionOf<HTMLElement>} */ (list.children)) have.set(li.dataset.id || '', li);
  s.tasks.forEach((task, i) => {
    const id = String(task.id);
    let li = have.get(id);
    if (li) have.delete(id);
    else li = makeItem(task);
    fillItem(li, task, today);
    if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null);
  });
  for (const li of have.values()) li.remove();

  const pages = Math.max(1, Math.ceil(s.total / PAGE_SIZE));
  say($('count'), s.loaded ? T.count(s.total) : '');
  const q = s.query;
  const filtered = q.status || q.priority || q.tag || q.search || q.due;
  say($('empty'), s.loaded && s.tasks.length === 0 ? (filtered ? T.emptyFiltered : T.empty) : '');
  $('pager').hidden = pages <= 1;
  $('page-of').textContent = T.pageOf(s.page, pages);
  /** @type {HTMLButtonElement} */ ($('prev-page')).disabled = s.page <= 1;
  /** @type {HTMLButtonElement} */ ($('next-page')).disabled = s.page >= pages;
}

/**
 * @param {string} id
 * @param {string} value
 */
function setValue(id, value) {
  const el = /** @type {HTMLInputElement} */ ($(id));
  if (el.value !== value && document.activeElement !== el) el.value = value;
}

/** @param {State} s */
function renderFilters(s) {
  setValue('f-search', s.query.search);
  setValue('f-tag', s.query.tag);
  setValue('f-status', s.query.status);
  setValue('f-priority', s.query.priority);
  setValue('f-due', s.query.due);
  setValue('f-sort', s.query.sortBy);
  setValue('f-order', s.query.order);
}

// ---- forms and dialogs ----------------------------------------------------------------

/**
 * @param {HTMLFormElement} form
 * @param {string} prefix
 * @param {FormProblems} p
 * @param {HTMLElement} alert
 */
function renderProblems(form, prefix, p, alert) {
  const elsewhere = showFieldErrors(form, prefix, p.fields);
  say(alert, [p.message, ...elsewhere].filter(Boolean).join(' '));
}

/** @type {HTMLElement | null} */
let editOpener = null;

/**
 * @param {State} s
 * @param {State} prev
 */
function renderDialogs(s, prev) {
  const edit = /** @type {HTMLDialogElement} */ ($('edit-dialog'));
  const editForm = /** @type {HTMLFormElement} */ ($('edit-form'));
  if (s.editing && (!prev.editing || prev.editing.stamp !== s.editing.stamp
      || prev.editing.task.id !== s.editing.task.id)) {
    fillFields(editForm, s.editing.task);
    if (!edit.open) {
      editOpener = /** @type {HTMLElement | null} */ (document.activeElement);
      edit.showModal();
      /** @type {HTMLInputElement} */ (editForm.elements.namedItem('title')).focus();
    }
  }
  if (!s.editing && edit.open) {
    edit.close();
    if (editOpener && editOpener.isConnected) editOpener.focus();
  }
  if (s.edit !== prev.edit) {
    renderProblems(editForm, 'edit', s.edit, $('edit-alert'));
    const bad = firstInvalid(editForm);
    if (bad) bad.focus();
  }

  const del = /** @type {HTMLDialogElement} */ ($('delete-dialog'));
  if (s.deleting && !del.open) {
    $('delete-question').textContent = T.deleteQuestion(s.deleting.title);
    say($('delete-alert'), '');
    del.showModal();
    $('delete-cancel').focus();
  }
  if (!s.deleting && del.open) del.close();
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;

/**
 * @param {State} s
 * @param {State} prev
 */
function render(s, prev) {
  $('signed-out').hidden = Boolean(s.session);
  $('signed-in').hidden = !s.session;
  const authForm = /** @type {HTMLFormElement} */ ($('auth-form'));
  for (const f of ['email', 'password', 'name']) {
    const input = /** @type {HTMLInputElement} */ (authForm.elements.namedItem(f));
    const msg = s.authFields[f] || '';
    say($(`auth-${f}-error`), msg);
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  const other = Object.entries(s.authFields).filter(([f]) => !['email', 'password', 'name'].includes(f));
  say($('auth-alert'), [s.authMessage, ...other.map(([, m]) => m)].filter(Boolean).join(' '));
  if (!s.session) return;

  $('who').textContent = T.signedInAs(s.session.user.name || s.session.user.email);
  $('link-state').textContent = s.link === 'live' ? T.live : '';
  say($('notice'), s.notice);
  if (s.notice && s.notice !== prev.notice) {
    clearTimeout(noticeTimer);
    const shown = s.notice;
    noticeTimer = setTimeout(() => { if (getState().notice === shown) act.dismissNotice(); }, 10000);
  }
  const newForm = /** @type {HTMLFormElement} */ ($('new-task'));
  if (s.create !== prev.create) {
    renderProblems(newForm, 'new', s.create, $('new-alert'));
    const bad = firstInvalid(newForm);
    if (bad) bad.focus();
  }
  if (s.created !== prev.created) {
    newForm.reset();
    /** @type {HTMLInputElement} */ (newForm.elements.namedItem('title')).focus();
  }
  renderFilters(s);
  renderList(s);
  renderDialogs(s, prev);
}

// ---- intents --------------------------------------------------------------------------

/**
 * @param {(v: string) => void} fn
 * @param {number} ms
 */
function debounced(fn, ms) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let t;
  return (/** @type {string} */ v) => {
    clearTimeout(t);
    t = setTimeout(() => fn(v), ms);
  };
}

/**
 * The task an element of the list belongs to.
 * @param {EventTarget | null} el
 * @returns {Task | undefined}
 */
function taskOf(el) {
  const li = el instanceof Element ? el.closest('li.task') : null;
  const id = li instanceof HTMLElement ? Number(li.dataset.id) : NaN;
  return getState().tasks.find((t) => t.id === id);
}

function bindIntents() {
  const authForm = /** @type {HTMLFormElement} */ ($('auth-form'));
  authForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const submitter = /** @type {HTMLButtonElement | null} */ (e.submitter);
    const v = (/** @type {string} */ n) => /** @type {HTMLInputElement} */ (authForm.elements.namedItem(n)).value;
    act.authenticate(submitter && submitter.value === 'register' ? 'register' : 'login',
      v('email'), v('password'), v('name'));
  });
  $('sign-out').addEventListener('click', () => act.signOut());

  const newForm = /** @type {HTMLFormElement} */ ($('new-task'));
  newForm.addEventListener('submit', (e) => {
    e.preventDefault();
    act.createTask(readFields(newForm));
  });

  const search = debounced((v) => act.setQuery({ search: v }), 250);
  $('f-search').addEventListener('input', (e) => search(/** @type {HTMLInputElement} */ (e.target).value));
  const tag = debounced((v) => act.setQuery({ tag: v }), 300);
  $('f-tag').addEventListener('input', (e) => tag(/** @type {HTMLInputElement} */ (e.target).value));
  /** @type {[string, keyof import('./store.js').Query][]} */
  const selects = [['f-status', 'status'], ['f-priority', 'priority'], ['f-due', 'due'],
    ['f-sort', 'sortBy'], ['f-order', 'order']];
  for (const [id, key] of selects) {
    $(id).addEventListener('change', (e) => act.setQuery({ [key]: /** @type {HTMLSelectElement} */ (e.target).value }));
  }
  $('filters').addEventListener('submit', (e) => e.preventDefault());
  $('prev-page').addEventListener('click', () => act.setPage(Math.max(1, getState().page - 1)));
  $('next-page').addEventListener('click', () => act.setPage(getState().page + 1));

  const list = $('task-list');
  list.addEventListener('change', (e) => {
    const box = /** @type {HTMLInputElement} */ (e.target);
    const task = taskOf(box);
    if (task && box.classList.contains('check')) act.setCompleted(task, box.checked);
  });
  list.addEventListener('click', (e) => {
    const btn = e.target instanceof Element ? e.target.closest('button') : null;
    const task = taskOf(btn);
    if (!btn || !task) return;
    if (btn.classList.contains('edit')) act.openEdit(task);
    else if (btn.classList.contains('delete')) act.askDelete(task);
  });

  const editForm = /** @type {HTMLFormElement} */ ($('edit-form'));
  editForm.addEventListener('submit', (e) => {
    e.preventDefault();
    act.saveEdit(readFields(editForm));
  });
  $('edit-cancel').addEventListener('click', () => act.closeEdit());
  $('edit-dialog').addEventListener('cancel', (e) => {
    e.preventDefault();
    act.closeEdit();
  });
  $('delete-form').addEventListener('submit', (e) => {
    e.preventDefault();
    act.confirmDelete().then(() => $('tasks-heading').focus());
  });
  $('delete-cancel').addEventListener('click', () => act.cancelDelete());
  $('delete-dialog').addEventListener('cancel', (e) => {
    e.preventDefault();
    act.cancelDelete();
  });
}

/** Builds the page's dynamic parts, binds the intents and renders. */
export function mountViews() {
  applyStrings(document);
  buildFields(/** @type {HTMLElement} */ (document.querySelector('[data-fields="new"]')), 'new');
  buildFields(/** @type {HTMLElement} */ (document.querySelector('[data-fields="edit"]')), 'edit');
  $('tasks-heading').tabIndex = -1;
  bindIntents();
  subscribe(render);
  const s = getState();
  render(s, { ...s, create: { message: '', fields: {} }, edit: { message: '', fields: {} }, editing: null });
}
