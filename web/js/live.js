// Changes made elsewhere show up by themselves: through the event stream
// (API.md section 7.3), resumed with Last-Event-ID after a drop; while the
// stream is down, or where the server has none (404), by polling the list
// every second (cheap with If-None-Match once the list has an ETag).
import * as api from './api.js';
import { refresh } from './actions.js';
import { getState, update } from './store.js';

const POLL_MS = 1000;
const RETRY_MAX_MS = 15000;

/** @type {AbortController | null} */
let ctrl = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let pollTimer;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let soon;
/** @type {string | null} */
let lastEventId = null;

/** Starts following the signed-in user's changes (stops any earlier run). */
export function startLive() {
  stopLive();
  const s = getState();
  if (!s.session) return;
  ctrl = new AbortController();
  lastEventId = null;
  follow(s.session.user.id, ctrl.signal);
}

/** Stops the stream and the polling. */
export function stopLive() {
  if (ctrl) ctrl.abort();
  ctrl = null;
  stopPolling();
}

function startPolling() {
  if (pollTimer === undefined) pollTimer = setInterval(() => refresh(), POLL_MS);
  update({ link: 'polling' });
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = undefined;
}

/** Several events in a row make one reload of the page shown. */
function refreshSoon() {
  clearTimeout(soon);
  soon = setTimeout(() => refresh(), 30);
}

/**
 * @param {string} uid
 * @param {AbortSignal} signal
 */
async function follow(uid, signal) {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      await api.streamEvents(uid, lastEventId, signal, (e) => {
        if (e.id) lastEventId = e.id;
        refreshSoon();
      }, () => {
        stopPolling();
        update({ link: 'live' });
        delay = 1000;
        refreshSoon(); // whatever changed while we were not listening
      });
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof api.ApiError && e.status === 401) return; // signed out
      startPolling();
      if (e instanceof api.ApiError && [404, 405, 501].includes(e.status)) return; // no stream here
    }
    if (signal.aborted) return;
    startPolling();
    await new Promise((ok) => { setTimeout(ok, delay); });
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  }
}
