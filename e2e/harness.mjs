// What every e2e file shares: one Chromium per file, tabs that record
// everything that went wrong in them, the metrics file, and the core's
// CLI (to check that the page shows what the core says).

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, mkdir, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const BASE = process.env.DIOSCOPE_URL;
export const DEBUG_BASE = process.env.DIOSCOPE_DEBUG_URL;
export const ARTIFACTS = process.env.DIOSCOPE_ARTIFACTS ?? 'target/e2e';
const CHROMIUM = process.env.DIOSCOPE_CHROMIUM ?? '/usr/bin/chromium';
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let context;
let userDataDir;

/** Starts one browser for the calling test file (call at top level). */
export function useBrowser({ width = 1280, height = 800 } = {}) {
  before(async () => {
    if (!BASE) {
      throw new Error('DIOSCOPE_URL is not set: run this suite with `cargo xtask test`');
    }
    await mkdir(ARTIFACTS, { recursive: true });
    userDataDir = await mkdtemp(path.join(tmpdir(), 'dioscope-e2e-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width, height },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await context?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });
}

/** Lets the pages of this file's browser read and write the clipboard. */
export async function grantClipboard() {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(BASE).origin });
}

/** A new tab at `fragment` of `base` (a fragment, or a whole URL),
 * recording everything that went wrong; `init` runs in the page before
 * the app (a function, as for `page.addInitScript`). */
export async function open(fragment = '', { base = BASE, viewport, init } = {}) {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  if (init) await page.addInitScript(init);
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.setDefaultTimeout(10_000);
  await page.goto(new URL(fragment, base).href);
  return { page, problems };
}

/** Waits for a selector; on failure, says what the page reported. */
export async function waitFor({ page, problems }, selector, opts) {
  try {
    await page.waitForSelector(selector, opts);
  } catch (e) {
    const seen = problems.length ? problems.join('\n') : 'none';
    throw new Error(`${selector} did not appear: ${e.message}\npage errors: ${seen}`);
  }
}

/** Closes a tab; fails if anything went wrong in it. */
export async function close({ page, problems }) {
  await page.close();
  assert.deepEqual(problems, [], 'the page reported errors');
}

/** Merges figures into target/e2e/metrics.json (test files run one at a time). */
export async function recordMetrics(figures) {
  const file = path.join(ARTIFACTS, 'metrics.json');
  let all = {};
  try {
    all = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // first figures of this run
  }
  Object.assign(all, figures);
  await writeFile(file, JSON.stringify(all, null, 1) + '\n');
}

export async function screenshot(page, name, opts = {}) {
  await page.screenshot({ path: path.join(ARTIFACTS, name), ...opts });
}

/** Ids of the bundled scenarios: the file names in scenarios/. */
export async function scenarioIds() {
  const files = await readdir(path.join(REPO, 'scenarios'));
  return files.filter((f) => f.endsWith('.toml')).map((f) => f.slice(0, -'.toml'.length)).sort();
}

/** The core's CLI, `dioscope ARGS --json`, parsed (the same core as the page). */
export function cli(...args) {
  const out = execFileSync('cargo', ['run', '-q', '-p', 'dioscope', '--', ...args, '--json'], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // stderr is kept (in the error, if any), not printed.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out);
}

/** The core's CLI, `dioscope ARGS`, its standard output as text. */
export function cliText(...args) {
  return execFileSync('cargo', ['run', '-q', '-p', 'dioscope', '--', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The payload of a permalink (what follows `#/link/`) made by the core's
 * CLI, `dioscope link`, from its parts as given: sessions the app would
 * never write (an unknown preset, a schedule that no longer replays, a
 * scenario with an error) included. `scenario` is a file or a bundled id. */
export function linkPayload({ scenario, preset, set = [], schedule, cursor, compare }) {
  const args = ['link', scenario];
  if (preset != null) args.push('--preset', preset);
  for (const [k, v] of set) args.push('--set', `${k}=${v}`);
  if (schedule != null) args.push('--schedule', schedule);
  if (cursor != null) args.push('--cursor', String(cursor));
  if (compare) {
    if (compare.preset != null) args.push('--compare', compare.preset);
    for (const [k, v] of compare.set ?? []) args.push('--compare-set', `${k}=${v}`);
  }
  return cliText(...args).trim();
}

/** The CLI's stderr and exit status for ARGS that are meant to fail. */
export function cliError(...args) {
  try {
    cliText(...args);
  } catch (e) {
    return { status: e.status, stderr: String(e.stderr) };
  }
  throw new Error(`dioscope ${args.join(' ')} succeeded`);
}

/** The permalink in the text `dioscope diagram` prints: inside `<...>`,
 * wrapped over lines. */
export function linkOfDiagram(text) {
  const m = text.match(/<(http[^>]*)>/);
  assert.ok(m, `no <link> in:\n${text}`);
  return m[1].replace(/\s+/g, '');
}

/** A scratch file (removed with its folder when the process ends). */
let scratch;
export async function scratchFile(name, text) {
  scratch ??= await mkdtemp(path.join(tmpdir(), 'dioscope-e2e-files-'));
  const file = path.join(scratch, name);
  await writeFile(file, text);
  return file;
}
after(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Percentiles of a list of numbers. */
export function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return {
    n: s.length,
    p50: +at(0.5).toFixed(2),
    p95: +at(0.95).toFixed(2),
    max: +s[s.length - 1].toFixed(2),
    mean: +(s.reduce((a, b) => a + b, 0) / s.length).toFixed(2),
  };
}
