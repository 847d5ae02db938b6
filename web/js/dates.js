// Dates in the user's own time zone: the local date sent as `today`, and
// how due dates and timestamps are shown.

/** @param {number} n */
const pad = (n) => String(n).padStart(2, '0');

/**
 * The local calendar date, YYYY-MM-DD.
 * @param {Date} [now]
 */
export function localToday(now = new Date()) {
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * A due date (and time), which are the user's own wall-clock values.
 * @param {string} date YYYY-MM-DD
 * @param {string | null} time HH:MM:SS
 */
export function formatDue(date, time) {
  const [y, m, d] = date.split('-').map(Number);
  const day = new Date(y, m - 1, d);
  const opts = /** @type {Intl.DateTimeFormatOptions} */ (
    { weekday: 'short', day: 'numeric', month: 'short' });
  if (y !== new Date().getFullYear()) opts.year = 'numeric';
  let out = day.toLocaleDateString(undefined, opts);
  if (time) {
    const [hh, mm] = time.split(':').map(Number);
    day.setHours(hh, mm);
    out += `, ${day.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' })}`;
  }
  return out;
}

/**
 * An instant from the server (RFC 3339, UTC), in local time.
 * @param {string} stamp
 */
export function formatInstant(stamp) {
  return new Date(stamp).toLocaleString(undefined,
    { day: 'numeric', month: 'short', hour: 'numeric', minute: '2-digit' });
}

/**
 * True when the task is due before the user's today and not done.
 * @param {{completed: boolean, due_date: string | null}} task
 * @param {string} today YYYY-MM-DD
 */
export function isOverdue(task, today) {
  return !task.completed && task.due_date !== null && task.due_date < today;
}
