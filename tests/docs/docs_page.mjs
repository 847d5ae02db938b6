// The /docs page in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): it must render Swagger UI from what the server itself
// serves (no request may leave the server's origin: the CDN is not reachable
// here, hence DOCS_ASSETS_DIR), and list every operation of /openapi.json,
// the task operations among them.
//
//   node docs_page.mjs BASE_URL [--screenshot FILE]
//
// Exit status 0 when all is well; otherwise 1, with the reasons on stderr.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = (process.argv[2] || '').replace(/\/+$/, '');
const shotAt = process.argv.indexOf('--screenshot');
const screenshot = shotAt > 0 ? process.argv[shotAt + 1] : null;
if (!/^https?:\/\/[^/]+$/.test(base)) {
  console.error('usage: node docs_page.mjs http://HOST:PORT [--screenshot FILE]');
  process.exit(2);
}
const origin = new URL(base).origin;
const problems = [];

// The operations the page must show: every one of the document.
const doc = await (await fetch(`${base}/openapi.json`)).json();
const expected = [];
for (const [path, item] of Object.entries(doc.paths)) {
  for (const [method, op] of Object.entries(item)) {
    expected.push({ path, method, tag: (op.tags || ['default'])[0], id: op.operationId });
  }
}

const profile = mkdtempSync(join(tmpdir(), 'todo-docs-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 2000 },
  });
  const page = context.pages()[0] || await context.newPage();
  const outside = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue();
    outside.push(url);
    return route.abort();
  });
  page.on('pageerror', (e) => problems.push(`script error on the page: ${e.message}`));

  const res = await page.goto(`${base}/docs`, { waitUntil: 'load', timeout: 30000 });
  if (!res || res.status() !== 200) problems.push(`GET /docs answered ${res && res.status()}`);
  await page.waitForSelector('.opblock', { timeout: 30000 });

  const shown = new Set(await page.$$eval('.opblock[id^="operations-"]', (els) => els.map((e) => e.id)));
  const missing = expected.filter((op) => !shown.has(`operations-${op.tag}-${op.id}`));
  for (const op of missing) problems.push(`operation not listed: ${op.method.toUpperCase()} ${op.path} (${op.id})`);
  const tasks = expected.filter((op) => op.tag === 'tasks');
  if (tasks.length === 0) problems.push('the document has no operation tagged "tasks"');

  // Open the list operation: its query parameters come from the field table.
  const list = expected.find((op) => op.tag === 'tasks' && op.method === 'get' && !op.path.includes('{id}'));
  if (list) {
    await page.click(`#operations-${list.tag}-${list.id} .opblock-summary`);
    await page.waitForSelector(`#operations-${list.tag}-${list.id} .parameters`, { timeout: 10000 });
    const text = await page.textContent(`#operations-${list.tag}-${list.id}`);
    for (const name of ['limit', 'sort_by', 'due_date_filter']) {
      if (!text.includes(name)) problems.push(`parameter ${name} not shown for ${list.id}`);
    }
  }
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: false });
  for (const url of outside) problems.push(`the page asked for a resource elsewhere: ${url}`);
  console.log(`docs page: ${shown.size} operations listed (${tasks.length} task operations), `
    + `${expected.length} in the document`);
} catch (e) {
  problems.push(`browser: ${e.message}`);
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}

if (problems.length) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
