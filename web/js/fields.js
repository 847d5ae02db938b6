// The fields of a task, shared by the "New task" form and the "Edit task"
// dialog: built once per form, read into an API body, filled from a task,
// and showing the API's field errors next to their field.
import { T } from './strings.js';

/**
 * @typedef {import('./api.js').Task} Task
 *
 * @typedef {object} FieldDef
 * @property {string} name   the API field
 * @property {string} label  key of T
 * @property {'text' | 'textarea' | 'select' | 'date' | 'time'} kind
 * @property {[string, string][]} [choices] value, key of T
 * @property {string} [hint] key of T
 * @property {string} [wide] spans the whole row
 */

/** @type {FieldDef[]} */
const FIELDS = [
  { name: 'title', label: 'title', kind: 'text', wide: 'y' },
  { name: 'description', label: 'description', kind: 'textarea', wide: 'y' },
  { name: 'priority', label: 'priority', kind: 'select',
    choices: [['', 'priorityNone'], ['low', 'low'], ['medium', 'medium'], ['high', 'high']] },
  { name: 'tags', label: 'tags', kind: 'text', hint: 'tagsHint' },
  { name: 'due_date', label: 'dueDate', kind: 'date' },
  { name: 'due_time', label: 'dueTime', kind: 'time' },
  { name: 'recurrence_pattern', label: 'repeat', kind: 'select',
    choices: [['', 'never'], ['daily', 'daily'], ['weekly', 'weekly'], ['monthly', 'monthly']] },
];

/** Where an API field's error is shown (recurrence_day belongs to Repeat). */
const SHOWN_AT = /** @type {Record<string, string>} */ ({ recurrence_day: 'recurrence_pattern' });

/**
 * Builds the fields into `box` (a [data-fields] element) with ids
 * `${prefix}-${name}`.
 * @param {HTMLElement} box
 * @param {string} prefix
 */
export function buildFields(box, prefix) {
  for (const f of FIELDS) {
    const id = `${prefix}-${f.name}`;
    const wrap = document.createElement('div');
    wrap.className = f.wide ? 'field wide' : 'field';
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = /** @type {string} */ (T[/** @type {keyof typeof T} */ (f.label)]);
    /** @type {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} */
    let input;
    if (f.kind === 'textarea') {
      input = document.createElement('textarea');
      input.rows = 2;
    } else if (f.kind === 'select') {
      const sel = document.createElement('select');
      for (const [value, key] of f.choices || []) {
        sel.add(new Option(/** @type {string} */ (T[/** @type {keyof typeof T} */ (key)]), value));
      }
      input = sel;
    } else {
      const inp = document.createElement('input');
      inp.type = f.kind;
      inp.autocomplete = 'off';
      input = inp;
    }
    input.id = id;
    input.name = f.name;
    const described = [];
    wrap.append(label, input);
    if (f.hint) {
      const hint = document.createElement('p');
      hint.className = 'hint';
      hint.id = `${id}-hint`;
      hint.textContent = /** @type {string} */ (T[/** @type {keyof typeof T} */ (f.hint)]);
      wrap.append(hint);
      described.push(hint.id);
    }
    const err = document.createElement('p');
    err.className = 'field-error';
    err.id = `${id}-error`;
    err.setAttribute('role', 'alert');
    err.hidden = true;
    wrap.append(err);
    described.push(err.id);
    input.setAttribute('aria-describedby', described.join(' '));
    box.append(wrap);
  }
}

/**
 * @param {HTMLFormElement} form
 * @param {string} name
 */
function control(form, name) {
  return /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
}

/**
 * The fields as an API body: every field, empty ones as null.
 * @param {HTMLFormElement} form
 * @returns {Record<string, string | null>}
 */
export function readFields(form) {
  /** @type {Record<string, string | null>} */
  const out = {};
  for (const f of FIELDS) {
    const v = control(form, f.name).value;
    out[f.name] = f.name === 'title' || f.name === 'description' ? v : v.trim();
    if (out[f.name] === '' && f.name !== 'title') out[f.name] = null;
  }
  return out;
}

/**
 * Fills the fields from a task (null: empties them).
 * @param {HTMLFormElement} form
 * @param {Task | null} task
 */
export function fillFields(form, task) {
  for (const f of FIELDS) {
    const raw = task ? /** @type {Record<string, unknown>} */ (task)[f.name] : null;
    let v = raw === null || raw === undefined ? '' : String(raw);
    if (f.name === 'due_time') v = v.slice(0, 5);
    if (f.name === 'tags') v = v.split(',').join(', ');
    control(form, f.name).value = v;
  }
}

/**
 * Shows each field's error next to it (and marks it invalid), clearing the
 * others; returns the messages of fields this form does not have.
 * @param {HTMLFormElement} form
 * @param {string} prefix
 * @param {Record<string, string>} problems field -> message
 * @returns {string[]}
 */
export function showFieldErrors(form, prefix, problems) {
  /** @type {Record<string, string>} */
  const at = {};
  const elsewhere = [];
  for (const [field, msg] of Object.entries(problems)) {
    const name = SHOWN_AT[field] || field;
    if (FIELDS.some((f) => f.name === name)) at[name] = at[name] ? `${at[name]} ${msg}` : msg;
    else elsewhere.push(msg);
  }
  for (const f of FIELDS) {
    const input = control(form, f.name);
    const err = /** @type {HTMLElement} */ (document.getElementById(`${prefix}-${f.name}-error`));
    const msg = at[f.name] || '';
    if (err.textContent !== msg) err.textContent = msg;
    err.hidden = !msg;
    if (msg) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }
  return elsewhere;
}

/**
 * The first field with an error, to move the focus to.
 * @param {HTMLFormElement} form
 * @returns {HTMLElement | null}
 */
export function firstInvalid(form) {
  return form.querySelector('[aria-invalid="true"]');
}
