// The one state store: the whole state in one object, replaced (never
// mutated) by update(); views subscribe and render from it.

/**
 * @typedef {import('./api.js').Task} Task
 * @typedef {import('./api.js').Session} Session
 * @typedef {import('./api.js').FieldProblem} FieldProblem
 *
 * @typedef {object} Query
 * @property {string} status      '' | 'open' | 'done'
 * @property {string} priority    '' | 'low' | 'medium' | 'high'
 * @property {string} tag
 * @property {string} search
 * @property {string} due         '' | 'overdue' | 'today' | 'this_week' | 'upcoming' | 'none'
 * @property {string} sortBy      created_at | updated_at | due_date | priority | title | completed
 * @property {string} order       desc | asc
 *
 * @typedef {object} FormProblems
 * @property {string} message              the alert of the form ('' when none)
 * @property {Record<string, string>} fields field name -> message
 *
 * @typedef {object} Editing
 * @property {Task} task                   the version being edited
 * @property {number} stamp                bumps when `task` is reloaded
 *
 * @typedef {object} State
 * @property {Session | null} session
 * @property {string} authMessage          alert of the sign-in form
 * @property {Record<string, string>} authFields
 * @property {Query} query
 * @property {number} page                 1-based
 * @property {Task[]} tasks                the page shown
 * @property {number} total                tasks matching the filters
 * @property {boolean} loaded              the first page has arrived
 * @property {FormProblems} create
 * @property {number} created              bumps after each task created
 * @property {Editing | null} editing
 * @property {FormProblems} edit
 * @property {Task | null} deleting
 * @property {string} notice               a page-wide alert ('' when none)
 * @property {'live' | 'polling' | 'offline'} link
 */

export const PAGE_SIZE = 50;

/** @type {Query} */
export const DEFAULT_QUERY = {
  status: '', priority: '', tag: '', search: '', due: '', sortBy: 'created_at', order: 'desc',
};

/** @type {FormProblems} */
export const NO_PROBLEMS = { message: '', fields: {} };

/** @type {State} */
let state = {
  session: null,
  authMessage: '',
  authFields: {},
  query: DEFAULT_QUERY,
  page: 1,
  tasks: [],
  total: 0,
  loaded: false,
  create: NO_PROBLEMS,
  created: 0,
  editing: null,
  edit: NO_PROBLEMS,
  deleting: null,
  notice: '',
  link: 'polling',
};

/** @type {Set<(s: State, prev: State) => void>} */
const listeners = new Set();

/** @returns {State} */
export function getState() {
  return state;
}

/**
 * Merges `change` into the state and tells every view.
 * @param {Partial<State>} change
 */
export function update(change) {
  const prev = state;
  state = { ...state, ...change };
  for (const fn of listeners) fn(state, prev);
}

/**
 * @param {(s: State, prev: State) => void} fn
 */
export function subscribe(fn) {
  listeners.add(fn);
}
