// End-to-end tests of the web app: the release build in dist/, served by
// `cargo xtask test` on a loopback port (DIOSCOPE_URL), driven through
// playwright-core by Debian's Chromium. Run with `cargo xtask test`.
//
// Every test fails on any console error, page error, failed request or
// HTTP error response.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BASE, ARTIFACTS, REPO, useBrowser, open, waitFor, close, recordMetrics, scenarioIds,
} from './harness.mjs';

// ARCHITECTURE.md, Budgets: "the page interactive in under 1 s from a local server".
const TTI_BUDGET_MS = 1000;

useBrowser();

/** [{href, title}] of the scenario list on the page (never empty). */
async function listedScenarios(tab) {
  await waitFor(tab, '[data-testid=scenario-list]');
  const listed = await tab.page.$$eval('[data-testid=scenario-list] .scenario-link', (links) =>
    links.map((a) => ({ href: a.getAttribute('href'), title: a.textContent.trim() })),
  );
  assert.ok(listed.length > 0, 'the scenario list is empty: the app bundled no scenario');
  return listed;
}

test('the scenario list shows every bundled scenario, and time to interactive', async () => {
  const tab = await open('');
  const { page } = tab;
  const listed = await listedScenarios(tab);

  // Navigation start -> first view rendered (the app marks it after its
  // first render; the list is that view).
  const tti = await page.evaluate(() => {
    const m = performance.getEntriesByName('dioscope:ready')[0];
    return m ? m.startTime : null;
  });
  assert.ok(tti !== null, 'the app set no dioscope:ready mark');
  console.log(`time to interactive: ${tti.toFixed(0)} ms (navigation start -> scenario list rendered)`);
  await recordMetrics({ time_to_interactive_ms: Math.round(tti) });

  assert.equal(await page.textContent('.brand'), 'dioscope');
  assert.match(await page.textContent('.tagline'), /page cache/);
  assert.equal(await page.title(), 'dioscope');

  const ids = await scenarioIds();
  assert.ok(ids.length > 0, 'scenarios/ holds no scenario');
  assert.deepEqual(
    listed.map((s) => s.href).sort(),
    ids.map((id) => `#/scenario/${id}`),
    'the list links to exactly the bundled scenarios',
  );
  for (const s of listed) assert.ok(s.title.length > 0, `${s.href} has an empty title`);
  console.log(`listed: ${listed.map((s) => JSON.stringify(s.title)).join(', ')}`);

  // Every card shows its tags.
  const tagCounts = await page.$$eval('[data-testid=scenario-list] li', (lis) =>
    lis.map((li) => li.querySelectorAll('.tag').length),
  );
  assert.ok(tagCounts.some((n) => n > 0), 'no tags shown');

  await page.screenshot({ path: path.join(ARTIFACTS, 'scenario-list.png'), fullPage: true });
  await close(tab);
  assert.ok(tti < TTI_BUDGET_MS, `time to interactive ${tti.toFixed(0)} ms is over ${TTI_BUDGET_MS} ms`);
});

test('a scenario opens by URL fragment, with its title, about text and refs', async () => {
  const [id] = await scenarioIds();
  const source = await readFile(path.join(REPO, 'scenarios', `${id}.toml`), 'utf8');

  const list = await open('');
  const listed = await listedScenarios(list);
  const expected = listed.find((s) => s.href === `#/scenario/${id}`).title;
  await close(list);

  const tab = await open(`#/scenario/${id}`);
  const { page } = tab;
  await waitFor(tab, '[data-testid=scenario-title]');
  assert.equal(await page.textContent('[data-testid=scenario-title]'), expected);
  assert.equal(await page.title(), `${expected} — dioscope`);

  // The about text is rendered Markdown: paragraphs, and no Markdown
  // syntax left over where the source uses bold or code.
  const about = page.locator('[data-testid=about]');
  assert.ok((await about.locator('p').count()) > 0, 'about has no paragraph');
  const aboutText = (await about.textContent()).trim();
  assert.ok(aboutText.length > 40, `about text is too short: ${aboutText}`);
  if (source.includes('**')) {
    assert.ok((await about.locator('strong').count()) > 0, 'bold text was not rendered');
    assert.ok(!aboutText.includes('**'), 'Markdown ** left in the text');
  }
  if (/`[^`\n]+`/.test(source)) {
    assert.ok((await about.locator('code').count()) > 0, 'inline code was not rendered');
  }

  // The simulator is there, with the scenario's filesystem.
  await waitFor(tab, '[data-testid=simulator] [data-testid=timeline]');
  assert.match(source, new RegExp(`fs = "${await page.textContent('[data-testid=fs] b')}"`));
  if (/^refs\s*=/m.test(source)) {
    assert.ok((await page.locator('.refs li').count()) > 0, 'refs are not shown');
  }
  await page.screenshot({ path: path.join(ARTIFACTS, 'scenario-page.png'), fullPage: true });

  // Back to the list by its link, then forward by clicking a title: the
  // app follows the fragment without reloading.
  await page.click('a.back');
  await page.waitForSelector('[data-testid=scenario-list]');
  await page.click(`a[href="#/scenario/${id}"]`);
  await page.waitForSelector('[data-testid=scenario-title]');
  assert.equal(await page.textContent('[data-testid=scenario-title]'), expected);
  await close(tab);
});

test('an unknown scenario id says so, with a link back', async () => {
  const tab = await open('#/scenario/no-such-scenario');
  const { page } = tab;
  await waitFor(tab, '[data-testid=not-found]');
  assert.equal(await page.textContent('[data-testid=not-found] h1'), 'No scenario named “no-such-scenario”');
  await page.screenshot({ path: path.join(ARTIFACTS, 'not-found.png'), fullPage: true });
  await page.click('[data-testid=not-found] a');
  await page.waitForSelector('[data-testid=scenario-list] li');

  await page.goto(new URL('#/no/such/page', BASE).href);
  await page.waitForSelector('[data-testid=not-found]');
  assert.equal(await page.textContent('[data-testid=not-found] h1'), 'No page named “/no/such/page”');
  await close(tab);
});

test('untrusted text in the URL and in scenarios is never markup', async () => {
  // A fragment carrying HTML is shown as text.
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const tab = await open(`#/scenario/${encodeURIComponent(evil)}`);
  const { page } = tab;
  await waitFor(tab, '[data-testid=not-found]');
  assert.equal(await page.textContent('[data-testid=not-found] h1'), `No scenario named “${evil}”`);
  assert.equal(await page.locator('main img, main script').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // On every bundled scenario's page: no script, no inline handlers, and
  // only http(s) or relative links.
  for (const id of await scenarioIds()) {
    await page.goto(new URL(`#/scenario/${id}`, BASE).href);
    await page.waitForSelector('[data-testid=scenario-title]');
    const bad = await page.evaluate(() => {
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        if (el.tagName === 'SCRIPT' || el.tagName === 'IFRAME' || el.tagName === 'OBJECT') {
          out.push(`<${el.tagName.toLowerCase()}>`);
        }
        for (const a of el.attributes) {
          if (a.name.startsWith('on')) out.push(`${el.tagName} ${a.name}`);
        }
      }
      for (const a of document.querySelectorAll('a[href]')) {
        const u = new URL(a.href, location.href);
        if (!['http:', 'https:'].includes(u.protocol)) out.push(`link ${a.href}`);
      }
      return out;
    });
    assert.deepEqual(bad, [], `scenario ${id}`);
  }
  await close(tab);
});

test('dist/ uses relative asset URLs, so it works from any static host', async () => {
  const html = await (await fetch(BASE)).text();
  // quoted or not: release builds minify index.html (Trunk.toml)
  const urls = [...html.matchAll(/(?:src|href)=(?:"([^"]+)"|([^\s">]+))/g)].map((m) => m[1] ?? m[2]);
  assert.ok(urls.length >= 3, `too few asset URLs in index.html: ${urls}`);
  for (const u of urls) assert.ok(u.startsWith('./'), `absolute asset URL in index.html: ${u}`);
  const js = html.match(/from '([^']+\.js)'/)?.[1];
  assert.ok(js?.startsWith('./'), `module import is not relative: ${js}`);
  for (const [file, type] of [
    [js, 'text/javascript'],
    [html.match(/'([^']+\.wasm)'/)?.[1], 'application/wasm'],
    [urls.find((u) => u.endsWith('.css')), 'text/css'],
  ]) {
    const r = await fetch(new URL(file, BASE));
    assert.equal(r.status, 200, file);
    assert.ok(r.headers.get('content-type').startsWith(type), `${file}: ${r.headers.get('content-type')}`);
  }
});
