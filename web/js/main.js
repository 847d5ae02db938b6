// The app's entry point: builds the views, restores the session of an
// earlier visit, and keeps the list live while someone is signed in.
import { refresh, restoreSession } from './actions.js';
import { startLive, stopLive } from './live.js';
import { subscribe } from './store.js';
import { mountViews } from './views.js';

subscribe((s, prev) => {
  if (s.session === prev.session) return;
  if (s.session) {
    refresh(true);
    startLive();
  } else {
    stopLive();
  }
});
mountViews();
restoreSession();
