// Every string a person reads, in one table (ready for translation). The
// page's static text is filled in from here (data-t attributes, see
// applyStrings); the views read the functions for text that holds values.

export const T = {
  appName: 'Todo',
  tagline: 'Your tasks, on your own server.',
  // signed out
  authTitle: 'Sign in or create an account',
  email: 'Email',
  password: 'Password',
  name: 'Name',
  nameHint: 'Only for a new account (optional).',
  passwordHint: '8 to 128 characters.',
  signIn: 'Sign in',
  createAccount: 'Create account',
  signOut: 'Sign out',
  sessionEnded: 'Your session has ended. Please sign in again.',
  signedInAs: (/** @type {string} */ who) => `Signed in as ${who}`,
  // the new-task form and the edit dialog
  newTask: 'New task',
  title: 'Title',
  description: 'Description',
  priority: 'Priority',
  priorityNone: 'None',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
  tags: 'Tags',
  tagsHint: 'Separated by commas.',
  dueDate: 'Due date',
  dueTime: 'Due time',
  repeat: 'Repeat',
  never: 'Never',
  daily: 'Daily',
  weekly: 'Weekly',
  monthly: 'Monthly',
  addTask: 'Add task',
  editTask: 'Edit task',
  save: 'Save',
  cancel: 'Cancel',
  // deleting
  deleteTask: 'Delete task',
  deleteQuestion: (/** @type {string} */ title) => `Delete “${title}”? This cannot be undone.`,
  delete: 'Delete',
  // the list and its filters
  tasks: 'Tasks',
  filters: 'Filters',
  search: 'Search',
  status: 'Status',
  all: 'All',
  open: 'Open',
  done: 'Done',
  priorityFilter: 'Priority filter',
  any: 'Any',
  tagFilter: 'Tag filter',
  due: 'Due',
  overdue: 'Overdue',
  today: 'Today',
  thisWeek: 'This week',
  upcoming: 'Upcoming',
  noDate: 'No date',
  sortBy: 'Sort by',
  created: 'Created',
  updated: 'Updated',
  title_: 'Title',
  order: 'Order',
  descending: 'Descending',
  ascending: 'Ascending',
  count: (/** @type {number} */ n) => `${n} tasks`,
  pages: 'Pages',
  previousPage: 'Previous page',
  nextPage: 'Next page',
  pageOf: (/** @type {number} */ page, /** @type {number} */ pages) => `Page ${page} of ${pages}`,
  empty: 'No tasks here yet.',
  emptyFiltered: 'No task matches these filters.',
  edit: 'Edit',
  dueOn: (/** @type {string} */ when) => `Due ${when}`,
  repeats: (/** @type {string} */ how) => `Repeats ${how.toLowerCase()}`,
  completedOn: (/** @type {string} */ when) => `Done ${when}`,
  priorityLabel: (/** @type {string} */ p) => `${p} priority`,
  // problems
  changedElsewhere: 'This task was changed elsewhere. Its current version is loaded: check it and try again.',
  goneElsewhere: 'This task was deleted elsewhere.',
  offline: 'The server cannot be reached. Retrying…',
  tooMany: (/** @type {number} */ s) => `Too many attempts. Try again in ${s} seconds.`,
  failed: 'Something went wrong. Please try again.',
  live: 'Live',
  polling: 'Updating',
};

/** @typedef {keyof typeof T} StringKey */

/**
 * Fills in the static text of the page: data-t="key" sets the text of an
 * element, data-t-label="key" its aria-label, data-t-title="key" its title.
 * @param {ParentNode} root
 */
export function applyStrings(root) {
  for (const el of root.querySelectorAll('[data-t]')) {
    el.textContent = text(/** @type {HTMLElement} */ (el).dataset.t);
  }
  for (const el of root.querySelectorAll('[data-t-label]')) {
    el.setAttribute('aria-label', text(/** @type {HTMLElement} */ (el).dataset.tLabel));
  }
}

/**
 * @param {string | undefined} key
 * @returns {string}
 */
function text(key) {
  const v = key ? /** @type {Record<string, unknown>} */ (T)[key] : undefined;
  if (typeof v !== 'string') throw new Error(`no string ${key}`);
  return v;
}
