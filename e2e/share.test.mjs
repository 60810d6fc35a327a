// End-to-end tests of sharing: the permalink (copy it, open it in another
// tab: the same view; the CLI replays it), the plain text for email (what
// `dioscope diagram` prints), the SVG (what `dioscope run --svg` writes),
// links that cannot be opened, and a link whose scenario is hostile.
// Run with `cargo xtask test`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  BASE, REPO, useBrowser, grantClipboard, open, waitFor, close, cli, cliText, cliError,
  linkOfDiagram, linkPayload, scratchFile, screenshot, recordMetrics,
} from './harness.mjs';

useBrowser({ width: 1280, height: 800 });

const THREAD = 'dio-write-vs-mmap-store'; // thread 2020-07
const sim = '[data-testid=simulator]';
const threadText = () => readFile(path.join(REPO, 'scenarios', `${THREAD}.toml`), 'utf8');

async function waitCursor(page, n) {
  await page.waitForFunction(([sel, n]) => document.querySelector(sel)?.dataset.cursor === String(n), [sim, n]);
}

async function openRun(fragment, opts) {
  const tab = await open(fragment, opts);
  await waitFor(tab, `${sim} [data-testid=timeline] .row.next, ${sim} [data-testid=next-row]`);
  return tab;
}

/** Clicks a copy button; returns what the page shows it copied, and
 * whether the clipboard took it. */
async function copy(page, button) {
  if (await page.locator('[data-testid=share-out] .close').count()) await page.click('[data-testid=share-out] .close');
  await page.click(`[data-testid=${button}]`);
  await page.waitForSelector('[data-testid=share-out]:not([data-copied=pending])');
  return {
    text: await page.inputValue('[data-testid=share-text]'),
    copied: await page.getAttribute('[data-testid=share-out]', 'data-copied'),
  };
}

/** Everything a view is made of that a link must restore. */
async function view(page) {
  return page.evaluate(() => {
    const q = (s) => document.querySelector(s);
    const sim = q('[data-testid=simulator]');
    return {
      title: q('[data-testid=scenario-title]').textContent,
      preset: q('#preset').value,
      knobs: q('[data-testid=knobs-toggle]').textContent,
      summary: q('[data-testid=policy] .summary').textContent,
      cursor: sim.dataset.cursor,
      len: sim.dataset.len,
      cli: q('.cli code').textContent,
      comparing: !!q('[data-testid=compare]'),
      cmpPreset: q('#cmp-preset')?.value ?? null,
      sideA: q('.side-a .side-title')?.textContent ?? null,
      sideB: q('[data-testid=side-b] .side-title')?.textContent ?? null,
      current: q('[data-testid=timeline] .row.current')?.dataset.step ?? null,
      steps: [...document.querySelectorAll('[data-testid=step-detail]')].map((e) => e.textContent),
      state: [...document.querySelectorAll('[data-testid=state]')].map((e) => e.textContent),
      outcomes: [...document.querySelectorAll('[data-testid=outcomes] li')].map((e) => e.dataset.outcome),
    };
  });
}

/** A race set up by hand: A:3 B:3 chosen, a knob changed, compared with
 * linux-5.9 plus a knob on that side, the cursor at step 8. */
async function setUp(page) {
  for (const k of ['1', '1', '1', '2', '2', '2']) await page.keyboard.press(k);
  await waitCursor(page, 6);
  await page.click('[data-testid=knobs-toggle]');
  await page.selectOption('#main-knob-wb_error_report', 'as-eio-flag');
  await page.waitForSelector('[data-testid=knobs-toggle]:has-text("1 changed")');
  await page.click('[data-testid=knobs-toggle]');
  await page.click('[data-testid=compare-toggle]');
  await waitFor({ page, problems: [] }, '[data-testid=compare]');
  await page.selectOption('#cmp-preset', 'linux-5.9');
  await page.click('[data-testid=compare-knobs-toggle]');
  await page.selectOption('#cmp-knob-dio_read_invalidate', 'yes');
  await page.waitForSelector('[data-testid=side-b] .side-title:has-text("dio_read_invalidate=yes")');
  await page.click('[data-testid=compare-knobs-toggle]');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 8);
}

test('copy link: another tab opens the same view, and the CLI replays the same run', async () => {
  await grantClipboard();
  const tab = await openRun(`#/scenario/${THREAD}`);
  const { page } = tab;
  await setUp(page);
  const before = await view(page);
  const { text: url, copied } = await copy(page, 'copy-link');
  assert.equal(copied, 'yes', 'the clipboard took the link');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  assert.ok(url.startsWith(`${BASE}#/link/1.`), url);
  console.log(`link of the race set up by hand: ${url.length} characters`);
  await screenshot(page, 'share-link-copied.png');

  const other = await openRun(url);
  const after = await view(other.page);
  assert.deepEqual(after, before, 'the link restores the view');
  assert.equal(await other.page.locator('[data-testid=link-problem]').count(), 0);
  assert.match(await other.page.textContent('[data-testid=link-note]'), new RegExp(`bundled scenario ${THREAD}`));
  await screenshot(other.page, 'link-opened.png');

  // The CLI replays the link to the same run as the page's command line.
  const sched = before.cli.match(/--schedule "([^"]*)"/)[1];
  const fromLink = cli('run', '--link', url);
  const fromArgs = cli('run', THREAD, '--set', 'wb_error_report=as-eio-flag', '--schedule', sched);
  assert.equal(fromLink.schedule, sched);
  for (const k of ['preset', 'set', 'steps', 'syscalls', 'outcomes', 'deadlock']) {
    assert.deepEqual(fromLink[k], fromArgs[k], k);
  }
  // ... and the page shows its outcomes at the end.
  await other.page.keyboard.press('End');
  await other.page.waitForFunction((sel) => {
    const s = document.querySelector(sel);
    return Number(s.dataset.cursor) >= Number(s.dataset.len);
  }, sim);
  const shown = await other.page.$$eval('.side-a [data-testid=outcomes] li', (lis) => lis.map((l) => l.dataset.outcome));
  assert.deepEqual(shown.sort(), fromLink.outcomes.map((o) => o.outcome).sort());
  await close(other);
  await close(tab);
});

test('copy as text: what `dioscope diagram` prints for the same link, 72 columns', async () => {
  await grantClipboard();
  const tab = await openRun(`#/scenario/${THREAD}`);
  const { page } = tab;
  await setUp(page);
  for (const mode of ['compare', 'single']) {
    const { text: url } = await copy(page, 'copy-link');
    const { text, copied } = await copy(page, 'copy-text');
    assert.equal(copied, 'yes');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text);
    const expected = cliText('diagram', '--link', url, '--base-url', BASE);
    assert.equal(text, expected, `${mode}: the page's text is the CLI's`);
    const long = text.split('\n').filter((l) => [...l].length > 72);
    assert.deepEqual(long, [], `${mode}: lines over 72 columns`);
    assert.ok(/^[\x00-\x7f]*$/.test(text), `${mode}: ASCII only`);
    // Its link opens the run at its end (side A's, when comparing).
    const inText = linkOfDiagram(text);
    const other = await openRun(inText);
    const v = await view(other.page);
    assert.equal(Number(v.cursor), cli('run', '--link', inText).steps.length);
    assert.equal(v.comparing, mode === 'compare');
    await close(other);
    if (mode === 'compare') {
      assert.match(text, /The same schedule under linux-5\.8 and linux-5\.9/);
      await page.$eval('[data-testid=share-out]', (el) => el.scrollIntoView());
      await screenshot(page, 'share-text-compare.png');
      await page.click('[data-testid=compare-toggle]');
      await page.waitForSelector('[data-testid=compare]', { state: 'detached' });
    }
  }
  await close(tab);
});

test('without a clipboard, or when it is refused, the text is shown selected to copy by hand', async () => {
  for (const [name, init] of [
    ['no clipboard API', () => Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined })],
    ['refused', () => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));
    }],
  ]) {
    const tab = await openRun(`#/scenario/${THREAD}`, { init });
    const { page } = tab;
    const { text, copied } = await copy(page, 'copy-link');
    assert.equal(copied, 'no', name);
    assert.ok(text.includes('#/link/1.'), name);
    assert.match(await page.textContent('[data-testid=share-out] p'), /Ctrl\+C/);
    const sel = await page.evaluate(() => {
      const el = document.activeElement;
      return { id: el.dataset.testid, a: el.selectionStart, b: el.selectionEnd, n: el.value.length };
    });
    assert.deepEqual(sel, { id: 'share-text', a: 0, b: text.length, n: text.length }, name);
    if (name === 'refused') await screenshot(page, 'share-clipboard-refused.png');
    // The text version too.
    const t = await copy(page, 'copy-text');
    assert.equal(t.copied, 'no');
    assert.match(t.text, /^Open this run:$/m);
    await close(tab);
  }
});

test('download SVG: the CLI\'s SVG of the same run, a well-formed image', async () => {
  const tab = await openRun(`#/scenario/${THREAD}`);
  const { page } = tab;
  for (const k of ['1', '1', '1', '2', '2', '2']) await page.keyboard.press(k);
  await waitCursor(page, 6);
  const { text: url } = await copy(page, 'copy-link');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-svg]')]);
  assert.equal(dl.suggestedFilename(), `${THREAD}-linux-5.8.svg`);
  const svg = await readFile(await dl.path(), 'utf8');
  const file = await scratchFile('cli.svg', '');
  cli('run', '--link', url, '--svg', file);
  assert.equal(svg, await readFile(file, 'utf8'), 'the same SVG as `dioscope run --link URL --svg`');

  // It parses as SVG and draws as an image.
  const img = await page.evaluate(async (svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const error = doc.querySelector('parsererror')?.textContent ?? null;
    const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
    const im = new Image();
    await new Promise((ok, ko) => {
      im.onload = ok;
      im.onerror = () => ko(new Error('the SVG does not load as an image'));
      im.src = url;
    });
    return { root: doc.documentElement.nodeName, error, w: im.naturalWidth, h: im.naturalHeight };
  }, svg);
  assert.deepEqual([img.root, img.error], ['svg', null]);
  assert.ok(img.w > 300 && img.h > 300, JSON.stringify(img));
  await close(tab);

  // Shown alone, as on a slide.
  const show = await open('');
  await show.page.setContent(`<body style="margin:0;background:#888"><img id="i" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}"></body>`);
  await show.page.waitForFunction(() => document.getElementById('i').complete);
  await show.page.setViewportSize({ width: img.w, height: Math.min(img.h, 1400) });
  await screenshot(show.page, 'timeline-svg.png');
  await close(show);
});

test('a damaged, truncated or future link says what is wrong, and the app still works', async () => {
  const good = linkOfDiagram(cliText('diagram', THREAD, '--schedule', 'A:3 B:3', '--base-url', BASE));
  const payload = good.slice(good.indexOf('#/link/') + '#/link/'.length);
  const mid = Math.floor(payload.length / 2);
  const cases = [
    ['truncated', payload.slice(0, mid), /damaged/],
    ['a character changed', `${payload.slice(0, mid)}*${payload.slice(mid + 1)}`, /not valid base64url/],
    ['its size damaged', `1.${payload[2] === 'A' ? 'B' : 'A'}${payload.slice(3)}`, /damaged or truncated/],
    ['from a newer version', `9${payload.slice(1)}`, /made by a newer dioscope/],
    ['empty', '', /carries no session/],
    ['not a link', 'hello', /not a dioscope link/],
  ];
  for (const [name, p, msg] of cases) {
    const tab = await open(`#/link/${p}`);
    const { page } = tab;
    await waitFor(tab, '[data-testid=link-error]');
    assert.equal(await page.textContent('[data-testid=link-error] h1'), 'This link cannot be opened', name);
    assert.match(await page.textContent('[data-testid=link-error-message]'), msg, name);
    // The CLI says the same.
    if (p) assert.match(cliError('run', '--link', `${BASE}#/link/${p}`).stderr, msg, name);
    if (name === 'truncated') await screenshot(page, 'link-truncated.png');
    // The app still works: to the list, and a scenario opens.
    await page.click('[data-testid=link-error] a[href="#/"]');
    await page.waitForSelector('[data-testid=scenario-list] li');
    await page.click(`a[href="#/scenario/${THREAD}"]`);
    await page.waitForSelector(`${sim} [data-testid=timeline]`);
    await close(tab);
  }
});

test('a link whose schedule no longer replays, or asks for an unknown policy, says so and runs', async () => {
  // Links made by the core from their parts (`dioscope link`), replayed.
  const plain = linkPayload({ scenario: THREAD, schedule: 'A:3 B:3' });
  assert.equal(cli('run', '--link', plain).schedule, cli('run', THREAD, '--schedule', 'A:3 B:3').schedule);

  const p = linkPayload({
    scenario: THREAD,
    preset: 'linux-9.9',
    set: [['no_such_knob', 'x'], ['dio_pre_invalidate_fail', 'fail']],
    schedule: 'A:3 B:3 B:5 A',
    cursor: 50,
    compare: { preset: 'linux-5.9' },
  });
  const tab = await openRun(`#/link/${p}`);
  const { page } = tab;
  const problems = await page.$$eval('[data-testid=link-problem] li', (lis) => lis.map((l) => l.textContent));
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0], /preset `linux-9\.9`.*own \(linux-5\.8\)/);
  assert.match(problems[1], /`no_such_knob`/);
  assert.match(problems[2], /no longer replays.*step 6.*up to step 6/);
  // What could be restored was: the knob, compare mode, the run's start.
  assert.match(await page.textContent('[data-testid=policy] .summary'), /dio_pre_invalidate_fail=fail/);
  assert.equal(await page.inputValue('#cmp-preset'), 'linux-5.9');
  assert.match(await page.textContent('.cli code'), /--schedule "A:3 B:3 /);
  const s = await page.$eval(sim, (e) => [Number(e.dataset.cursor), Number(e.dataset.len)]);
  assert.equal(s[0], s[1], 'the cursor is clamped to the end');
  await screenshot(page, 'link-schedule-no-longer-replays.png');
  // The simulator works.
  await page.keyboard.press('Home');
  await waitCursor(page, 0);
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 1);
  await close(tab);
});

test('a link whose scenario has an error shows it, and opens it in the editor', async () => {
  const scenario = (await threadText()).replace('fs = "xfs"', 'fs = "zfs"');
  const line = scenario.split('\n').findIndex((l) => l.startsWith('fs = "zfs"')) + 1;
  const file = await scratchFile('zfs.toml', scenario);
  const tab = await open(`#/link/${linkPayload({ scenario: file, schedule: 'A:3' })}`);
  const { page } = tab;
  await waitFor(tab, '[data-testid=link-error]');
  assert.equal(await page.textContent('[data-testid=link-error] h1'), 'The scenario in this link has an error');
  assert.match(await page.textContent('[data-testid=link-error-message]'), new RegExp(`^Line ${line}, column 6: unknown filesystem \`zfs\``));
  await page.click('[data-testid=link-to-editor]');
  await waitFor(tab, '[data-testid=editor-error]');
  assert.equal(page.url(), `${BASE}#/edit`);
  assert.equal(await page.getAttribute('[data-testid=editor-error]', 'data-line'), String(line));
  assert.equal(await page.inputValue('[data-testid=editor-text]'), scenario);
  await close(tab);
});

test('a hostile scenario in a link is shown as text: nothing in it runs', async () => {
  const title = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
  const evil = `title = ${JSON.stringify(title)}
tags = ["<img src=x onerror=window.__pwned=3>", "<b>bold</b>"]
about = """
<script>window.__pwned = 4</script> <img src=x onerror="window.__pwned = 5">

[click me](javascript:window.__pwned=6), <a href="javascript:window.__pwned=7">this</a>,
![x](javascript:window.__pwned=8) and <svg onload="window.__pwned = 9"></svg>.

[by reference][evil], <javascript:window.__pwned=12>, [data](data:text/html,<script>window.__pwned=13</script>),
[mail](mailto:x@example.org) and ![a tracker](http://127.0.0.1:9/pixel.png).

<div onclick="window.__pwned = 14">*an HTML block*</div>

[evil]: javascript:window.__pwned=15
"""
refs = ["javascript:window.__pwned=10", "<iframe src=\\"javascript:window.__pwned=11\\"></iframe>"]

[setup]
fs = "xfs"
pages = 2
on_disk = "written"
cached = "0-1"

[[task]]
name = "A"
ops = ["write 0-1 direct", "fsync"]

[[task]]
name = "B"
ops = ["mmap-write 1"]
`;
  const file = await scratchFile('evil.toml', evil);
  const diagram = cliText('diagram', file, '--base-url', BASE);
  const url = linkOfDiagram(diagram);
  const tab = await openRun(url);
  const { page } = tab;

  assert.equal(await page.textContent('[data-testid=scenario-title]'), title);
  assert.equal(await page.title(), `${title} — dioscope`);
  const about = await page.textContent('[data-testid=about]');
  assert.ok(about.includes('<script>window.__pwned = 4</script>'), about);
  // Raw HTML is text (an HTML block too); refused links and images keep
  // their text.
  for (const shown of ['<div onclick="window.__pwned = 14">*an HTML block*</div>', 'by reference',
    'javascript:window.__pwned=12', '[a tracker]', 'mail']) {
    assert.ok(about.includes(shown), `${shown} in ${about}`);
  }
  // Use the page: open the about, copy, step, explore, the SVG.
  await page.click('.about-more summary').catch(() => {});
  await grantClipboard();
  await copy(page, 'copy-text');
  await page.keyboard.press('End');
  await page.click('[data-testid=explore-run]');
  await page.waitForSelector('[data-testid=explored]');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-svg]')]);
  const svg = await readFile(await dl.path(), 'utf8');
  const parsed = await page.evaluate((svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    return {
      error: !!doc.querySelector('parsererror'),
      bad: doc.querySelectorAll('script, img, iframe, foreignObject, [onload], [onerror]').length,
      title: doc.querySelector('text').textContent,
    };
  }, svg);
  assert.deepEqual(parsed, { error: false, bad: 0, title });
  await page.waitForTimeout(300);

  const bad = await page.evaluate(() => {
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (['SCRIPT', 'IMG', 'IFRAME', 'OBJECT', 'EMBED'].includes(el.tagName.toUpperCase())) {
        out.push(`<${el.tagName.toLowerCase()}>`);
      }
      for (const a of el.attributes) if (a.name.startsWith('on')) out.push(`${el.tagName} ${a.name}`);
    }
    for (const a of document.querySelectorAll('a[href]')) {
      const u = new URL(a.href, location.href);
      if (!['http:', 'https:'].includes(u.protocol)) out.push(`link ${a.href}`);
    }
    return out;
  });
  assert.deepEqual(bad, [], 'no element or handler came from the scenario');
  assert.equal(await page.locator('.tags b, [data-testid=about] svg, [data-testid=about] a').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await page.$eval('[data-testid=scenario-page]', (el) => el.scrollIntoView());
  await screenshot(page, 'link-hostile-scenario.png');

  // In the editor too.
  await page.click('[data-testid=link-to-editor]');
  await page.waitForSelector('[data-testid=editor-status][data-state=ok]');
  assert.equal(await page.inputValue('[data-testid=editor-text]'), evil);
  await page.waitForTimeout(300);
  assert.equal(await page.locator('main img, main script, main iframe').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await close(tab);
});

test('the link of the largest bundled scenario is well under the limit', async () => {
  const ids = (await readdir(path.join(REPO, 'scenarios'))).filter((f) => f.endsWith('.toml'));
  let largest = ['', 0];
  for (const f of ids) {
    const n = (await readFile(path.join(REPO, 'scenarios', f))).length;
    if (n > largest[1]) largest = [f.slice(0, -5), n];
  }
  const tab = await openRun(`#/scenario/${largest[0]}`);
  await tab.page.keyboard.press('End');
  const { text: url } = await copy(tab.page, 'copy-link');
  console.log(`largest bundled scenario: ${largest[0]} (${largest[1]} bytes); its link: ${url.length} characters`);
  await recordMetrics({ largest_scenario_link_chars: url.length, largest_scenario: largest[0] });
  assert.ok(url.length < 8000, `${url.length} characters`);
  const other = await openRun(url);
  assert.equal(await other.page.locator('[data-testid=link-problem]').count(), 0);
  await close(other);
  await close(tab);
});

test('a 64-page file: dense state cells with nothing cut off, long notes and reads folded', async () => {
  const wide = [
    'title = "wide"', '[setup]', 'fs = "xfs"', 'pages = 64',
    '[[task]]', 'name = "A"', 'ops = ["write 0-63", "fsync", "write 0-63 direct", "read 0-63"]',
    '[[task]]', 'name = "B"', 'ops = ["mmap-write 5", "read 0-63 direct"]', '',
  ].join('\n');
  const file = await scratchFile('wide.toml', wide);
  const text = cliText('diagram', file, '--seed', '3');
  assert.match(text, /read A1 x64/, 'the email text counts a read in runs');
  const link = linkOfDiagram(text);
  const tab = await openRun(link.slice(link.indexOf('#/link/')), { viewport: { width: 1366, height: 768 } });
  const { page } = tab;
  const tops = await page.evaluate(() => [...document.querySelectorAll('[data-testid=page-cache] > .cell')]
    .map((c) => Math.round(c.getBoundingClientRect().top)));
  assert.equal(tops.length, 64);
  const rows = new Set(tops).size;
  assert.ok(rows <= 8, `64 pages take ${rows} rows`);
  // a cell too narrow for its words would cut "→ block 10" to "→ block 1"
  const cut = await page.evaluate(() => [...document.querySelectorAll('.state .cell')].flatMap((cell) => {
    const box = cell.getBoundingClientRect();
    return [...cell.querySelectorAll('*')]
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.left < box.left - 0.5 || r.right > box.right + 0.5;
      })
      .map((e) => e.textContent);
  }));
  assert.deepEqual(cut, []);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await waitCursor(page, 2);
  const timeline = await page.locator('[data-testid=timeline]').innerText();
  assert.match(timeline, /read bio for block 0; … 1-14 alike …/, 'the read-around\'s 16 folios are one line');
  await screenshot(page, 'wide-64-pages.png');
  await close(tab);
});
