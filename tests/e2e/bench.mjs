// The web app's speed, measured in Debian's Chromium against the real
// server (release binary, SQLite) holding 1,000 tasks of one user:
//
//   1. navigation to the first page of tasks rendered (a fresh browser
//      context each run: nothing cached, the session already stored);
//   2. a click on a task's checkbox to its state saved by the server and
//      shown (the "Done <time>" that only the server's answer carries);
//   3. the bundle size, gzip (from the build's webapp-manifest.json).
//
// p50 (and p90) of RUNS runs each. Not part of make test's pass/fail.
//
//   node tests/e2e/bench.mjs [--runs 20] [--out build/e2e/bench.json]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, apiCall, launchBrowser, newAccount, startServer } from './harness.mjs';

const arg = (/** @type {string} */ name, /** @type {string} */ dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const RUNS = Number(arg('--runs', '20'));
const OUT = arg('--out', join(ROOT, 'build', 'e2e', 'bench.json'));
const TASKS = 1000;

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const server = await startServer();
const base = server.base;
const browser = await launchBrowser();
try {
  const acct = await newAccount(base);
  const session = await apiCall(base, 'POST', 'auth/login', null,
    { email: acct.email, password: acct.password });
  // 1,000 tasks, 8 requests at a time.
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < TASKS) {
      const i = next++;
      await apiCall(base, 'POST', `${acct.id}/tasks`, acct.token, {
        title: `Task ${i}`, priority: ['low', 'medium', 'high'][i % 3], tags: `t${i % 7}`,
        due_date: `2026-${String((i % 12) + 1).padStart(2, '0')}-15`,
      });
    }
  }));

  /** @type {number[]} */
  const firstRender = [];
  /** @type {number[]} */
  const clickSaved = [];
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((s) => {
      if (!localStorage.getItem('todo.session')) localStorage.setItem('todo.session', JSON.stringify(s));
      // When the first task appears in the list (ms since navigation start).
      new MutationObserver((_, obs) => {
        const list = document.getElementById('task-list');
        if (list && list.children.length > 0) {
          requestAnimationFrame(() => {
            // @ts-ignore
            window.firstRender = performance.now();
          });
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    }, session);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.waitForFunction(() => /** @type {any} */ (window).firstRender > 0, null, { timeout: 30000 });
    firstRender.push(await page.evaluate(() => /** @type {any} */ (window).firstRender));

    // Click the first open task; wait until the server's version is shown.
    const ms = await page.evaluate(() => new Promise((resolve, reject) => {
      const box = /** @type {HTMLInputElement} */ (document.querySelector('#task-list li:not(.done) .check'));
      const li = /** @type {HTMLElement} */ (box.closest('li'));
      let t0 = 0;
      const obs = new MutationObserver(() => {
        if (li.querySelector('.meta .when')) {
          obs.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - t0));
        }
      });
      obs.observe(li, { childList: true, subtree: true });
      setTimeout(() => reject(new Error('not saved within 10 s')), 10000);
      t0 = performance.now();
      box.click();
    }));
    clickSaved.push(/** @type {number} */ (ms));
    await context.close();
  }

  const manifest = JSON.parse(readFileSync(join(ROOT, 'build', 'web', 'webapp-manifest.json'), 'utf8'));
  const result = {
    tasks: TASKS,
    runs: RUNS,
    first_page_rendered_ms: { p50: quantile(firstRender, 0.5), p90: quantile(firstRender, 0.9), all: firstRender },
    click_to_saved_ms: { p50: quantile(clickSaved, 0.5), p90: quantile(clickSaved, 0.9), all: clickSaved },
    bundle_gzip_bytes: manifest.total_gzip_bytes,
    bundle_bytes: manifest.total_bytes,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 1)}\n`);
  const r1 = (/** @type {number} */ x) => x.toFixed(1);
  console.log(`web app, ${TASKS} tasks, ${RUNS} runs each (Chromium, ${base}):`);
  console.log(`  navigation -> first page of tasks rendered: p50 ${r1(result.first_page_rendered_ms.p50)} ms, p90 ${r1(result.first_page_rendered_ms.p90)} ms`);
  console.log(`  checkbox click -> saved and shown:          p50 ${r1(result.click_to_saved_ms.p50)} ms, p90 ${r1(result.click_to_saved_ms.p90)} ms`);
  console.log(`  bundle: ${result.bundle_gzip_bytes} bytes gzip (${result.bundle_bytes} bytes raw)`);
  console.log(`  written to ${OUT}`);
} finally {
  await browser.close();
  await server.stop();
}
