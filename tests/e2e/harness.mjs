// What the end-to-end tests share: the real server (the release binary on a
// fresh SQLite file), Debian's Chromium through playwright-core, accounts and
// tasks made through the API, and the watchers that catch console errors and
// Content-Security-Policy violations.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const SHOTS = resolve(process.env.E2E_SHOTS || join(ROOT, 'build', 'e2e'));
export const SECRET = randomBytes(32).toString('hex');

/**
 * Starts the server; resolves with { base, stop(), log() }.
 * @param {Record<string, string>} [env]
 */
export async function startServer(env = {}) {
  const bin = process.env.TODO_SERVER_BIN || join(ROOT, 'build', 'todo-server');
  const dir = mkdtempSync(join(tmpdir(), 'todo-e2e-'));
  const proc = spawn(bin, [], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH || '/usr/bin:/bin',
      HOST: '127.0.0.1', PORT: '0', WORKERS: '2', LOG_LEVEL: 'info',
      DATABASE_URL: `sqlite://${join(dir, 'todo.db')}`,
      BETTER_AUTH_SECRET: SECRET,
      ...env,
    },
  });
  let out = '';
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      fail(new Error(`server did not start:\n${out}`));
    }, 20000);
    const onData = (/** @type {Buffer} */ b) => {
      out += b.toString();
      const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => fail(new Error(`server exited (${code}):\n${out}`)));
  });
  proc.stdout.on('data', (b) => { out += b.toString(); });
  proc.stderr.on('data', (b) => { out += b.toString(); });
  return {
    base,
    log: () => out,
    stop: async () => {
      if (proc.exitCode === null) {
        const done = new Promise((ok) => proc.once('exit', ok));
        proc.kill('SIGTERM');
        await Promise.race([done, new Promise((ok) => setTimeout(ok, 15000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page that records console errors, page errors, CSP violations and
 * requests to other origins; `problems()` lists them.
 * @param {import('playwright-core').Browser} browser
 * @param {string} base
 * @param {import('playwright-core').BrowserContextOptions} [opts]
 */
export async function openPage(browser, base, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...opts });
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  const origin = new URL(base).origin;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('data:') && new URL(u).origin !== origin) errors.push(`request elsewhere: ${u}`);
  });
  page.on('dialog', (d) => {
    errors.push(`a browser dialog was opened (${d.type()}: ${d.message()})`);
    d.dismiss().catch(() => {});
  });
  // Runs through the DevTools protocol, so the page's CSP does not apply to it.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { context, page, errors };
}

/**
 * @param {string} base
 * @param {string} method
 * @param {string} path
 * @param {string | null} token
 * @param {unknown} [body]
 */
export async function apiCall(base, method, path, token, body) {
  /** @type {Record<string, string>} */
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}/api/${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

let serial = 0;

/**
 * A new account made through the API: { id, email, password, token, base }.
 * @param {string} base
 */
export async function newAccount(base) {
  serial += 1;
  const email = `e2e-${Date.now().toString(36)}-${serial}@example.test`;
  const password = 'correct horse battery';
  const s = await apiCall(base, 'POST', 'auth/register', null, { email, password, name: `Tester ${serial}` });
  return { id: s.user.id, email, password, token: s.token, name: s.user.name };
}

/**
 * Creates tasks through the API.
 * @param {string} base
 * @param {{id: string, token: string}} acct
 * @param {Record<string, unknown>[]} tasks
 */
export async function seed(base, acct, tasks) {
  const out = [];
  for (const t of tasks) out.push(await apiCall(base, 'POST', `${acct.id}/tasks`, acct.token, t));
  return out;
}

/**
 * Signs in through the form.
 * @param {import('playwright-core').Page} page
 * @param {string} base
 * @param {{email: string, password: string}} acct
 */
export async function signIn(page, base, acct) {
  await page.goto(`${base}/`);
  await page.getByRole('textbox', { name: 'Email' }).fill(acct.email);
  await page.getByRole('textbox', { name: 'Password' }).fill(acct.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByText(/^\d+ tasks$/).waitFor();
}

/**
 * Leaves a screenshot in build/e2e/NAME.png.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * An HS256 token signed with the server's secret (exp may be in the past).
 * @param {string} sub
 * @param {number} exp seconds since the epoch
 */
export function mintToken(sub, exp) {
  const b64 = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, iat: exp - 3600, exp })}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

/**
 * Polls fn until it returns true, for at most ms; returns how long it took
 * or throws.
 * @param {() => Promise<boolean>} fn
 * @param {number} ms
 * @param {string} what
 */
export async function within(fn, ms, what) {
  const start = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** The local date in the browser's (and this process's) time zone. */
export function localDate(offsetDays = 0) {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  const p = (/** @type {number} */ n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
