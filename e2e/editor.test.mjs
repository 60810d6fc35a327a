// End-to-end tests of the scenario editor (`#/edit`): live validation with
// the error at its line, the run following the text, autosave across a
// reload, upload and download, and a share link of an edited scenario.
// What the page says is checked against the CLI on the same text. Run
// with `cargo xtask test`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  BASE, REPO, useBrowser, grantClipboard, open, waitFor, close, cli, cliError, scratchFile, screenshot,
} from './harness.mjs';

useBrowser({ width: 1280, height: 800 });

const THREAD = 'dio-write-vs-mmap-store';
const sim = '[data-testid=simulator]';
const text = '[data-testid=editor-text]';

async function openEditor(fragment = '#/edit') {
  const tab = await open(fragment);
  await waitFor(tab, '[data-testid=editor-status][data-state=ok], [data-testid=editor-error]');
  return tab;
}

/** Selects `what` (its first occurrence) in the textarea and types `by`
 * over it, key by key. */
async function typeOver(page, what, by) {
  await page.$eval(text, (el, what) => {
    const i = el.value.indexOf(what);
    if (i < 0) throw new Error(`${what} is not in the text`);
    el.focus();
    el.setSelectionRange(i, i + what.length);
  }, what);
  await page.keyboard.type(by);
}

/** The CLI's verdict on a text: its run, or its error's line, column and message. */
async function cliOn(name, source) {
  const file = await scratchFile(name, source);
  try {
    return { run: cli('run', file) };
  } catch {
    const { stderr } = cliError('run', file);
    const m = stderr.match(/^error: (.*)\n\s*--> .*:(\d+):(\d+)/m);
    assert.ok(m, stderr);
    return { error: { msg: m[1], line: Number(m[2]), col: Number(m[3]) } };
  }
}

test('type an error: it shows at its line, with the CLI\'s message; fix it: the run follows', async () => {
  const tab = await openEditor('#/edit/new');
  const { page } = tab;
  // `#/edit/new` started a draft from the template and became `#/edit`.
  assert.equal(page.url(), `${BASE}#/edit`);
  const template = await page.inputValue(text);
  assert.match(template, /^title = "My race"/);
  let core = await cliOn('template.toml', template);
  await page.waitForSelector(`${sim} .row.next`);
  assert.equal(Number(await page.getAttribute(sim, 'data-len')), core.run.steps.length);
  assert.equal(await page.textContent('[data-testid=scenario-title]'), 'My race');

  // A filesystem that does not exist.
  await typeOver(page, 'fs = "xfs"', 'fs = "zfs"');
  await waitFor(tab, '[data-testid=editor-error]');
  const source = await page.inputValue(text);
  core = await cliOn('error.toml', source);
  const line = source.split('\n').findIndex((l) => l.startsWith('fs = "zfs"')) + 1;
  assert.equal(core.error.line, line);
  const err = await page.$eval('[data-testid=editor-error]', (e) => ({
    line: Number(e.dataset.line),
    col: Number(e.dataset.col),
    msg: e.querySelector('[data-testid=editor-error-msg]').textContent,
    hint: e.querySelector('[data-testid=editor-error-hint]')?.textContent ?? '',
    where: e.querySelector('.ed-where').textContent,
  }));
  assert.deepEqual([err.line, err.col, err.msg], [core.error.line, core.error.col, core.error.msg]);
  assert.match(err.where, new RegExp(`^Line ${line}, column ${core.error.col}: `));
  assert.match(err.hint, /^Hint: fs is one of/);
  // At the line: the gutter's marker and the highlighted line, where the
  // textarea draws that line.
  assert.equal(await page.getAttribute('[data-testid=editor-gutter-mark]', 'data-line'), String(line));
  assert.equal(await page.getAttribute('[data-testid=editor-error-line]', 'data-line'), String(line));
  const pos = await page.evaluate((line) => {
    const ta = document.querySelector('[data-testid=editor-text]');
    const cs = getComputedStyle(ta);
    const lh = parseFloat(cs.lineHeight);
    const top = ta.getBoundingClientRect().top + parseFloat(cs.paddingTop) + (line - 1) * lh - ta.scrollTop;
    const band = document.querySelector('[data-testid=editor-error-line]').getBoundingClientRect();
    const mark = document.querySelector('[data-testid=editor-gutter-mark]').getBoundingClientRect();
    return { top, band: band.top, mark: mark.top, lh };
  }, line);
  assert.ok(Math.abs(pos.band - pos.top) < 2, `the highlight is at the line: ${JSON.stringify(pos)}`);
  assert.ok(Math.abs(pos.mark - pos.top) < 2, `the marker is at the line: ${JSON.stringify(pos)}`);
  assert.match(await page.textContent('[data-testid=editor-error-line]'), /unknown filesystem/);
  // The run of the last valid text stays, dimmed.
  assert.equal(await page.locator('[data-testid=editor-run].stale').count(), 1);
  await screenshot(page, 'editor-error.png');

  // "Line N" selects the error in the text.
  await page.click('[data-testid=editor-goto]');
  const selected = await page.$eval(text, (el) => el.value.slice(el.selectionStart, el.selectionEnd));
  assert.equal(selected, '"zfs"');

  // Fixed, and more: ext4, and a third op for B. The run follows.
  await page.keyboard.type('"ext4"');
  await typeOver(page, 'ops = ["mmap-write 1"]', 'ops = ["mmap-write 1", "read 0-1"]');
  await page.waitForSelector('[data-testid=editor-status][data-state=ok]');
  const fixed = await page.inputValue(text);
  core = await cliOn('fixed.toml', fixed);
  await page.waitForFunction(
    ([sel, n]) => document.querySelector(sel)?.dataset.len === String(n),
    [sim, core.run.steps.length],
  );
  assert.equal(await page.textContent('[data-testid=fs] b'), 'ext4');
  assert.equal(await page.locator('[data-testid=editor-run].stale').count(), 0);
  assert.equal(await page.locator('[data-testid=editor-error-line]').count(), 0);
  await page.click('[data-testid=to-end]');
  assert.match(await page.textContent('[data-testid=state] .tasks'), /read 0-1 = 8192/);
  await screenshot(page, 'editor-fixed.png');

  // A reload loses nothing.
  await page.reload();
  await waitFor(tab, '[data-testid=editor-status][data-state=ok]');
  assert.equal(await page.inputValue(text), fixed);
  assert.equal(page.url(), `${BASE}#/edit`);
  assert.match(await page.textContent('[data-testid=editor-saved]'), /Saved in this browser/);
  await close(tab);
});

test('an error on a long text scrolls with it, and a file-wide error has no line', async () => {
  const tab = await openEditor('#/edit/new');
  const { page } = tab;
  const long = `${'# a comment\n'.repeat(60)}${await page.inputValue(text)}`.replace('pages = 2 ', 'pages = 99');
  await page.fill(text, long);
  await waitFor(tab, '[data-testid=editor-error]');
  const line = long.split('\n').findIndex((l) => l.startsWith('pages = 99')) + 1;
  assert.equal(await page.getAttribute('[data-testid=editor-error]', 'data-line'), String(line));
  await page.click('[data-testid=editor-goto]');
  await page.waitForTimeout(100);
  const pos = await page.evaluate(() => {
    const ta = document.querySelector('[data-testid=editor-text]');
    const band = document.querySelector('[data-testid=editor-error-line]').getBoundingClientRect();
    const box = ta.getBoundingClientRect();
    return { scrolled: ta.scrollTop, inside: band.top >= box.top && band.bottom <= box.bottom };
  });
  assert.ok(pos.scrolled > 0 && pos.inside, `the highlight follows the scroll: ${JSON.stringify(pos)}`);
  await screenshot(page, 'editor-error-scrolled.png');
  await page.fill(text, 'title = "x"\n');
  await waitFor(tab, '[data-testid=editor-error][data-line="0"]');
  assert.match(await page.textContent('[data-testid=editor-error-msg]'), /the scenario has no tasks/);
  assert.equal(await page.locator('[data-testid=editor-goto], [data-testid=editor-gutter-mark], [data-testid=editor-error-line]').count(), 0);
  await close(tab);
});

test('upload a .toml (bounded, text only) and download the text', async () => {
  const tab = await openEditor('#/edit/new');
  const { page } = tab;
  const source = (await readFile(path.join(REPO, 'scenarios', `${THREAD}.toml`), 'utf8'))
    .replace(/^title = .*$/m, 'title = "Uploaded: a direct write over an mmap store"');
  await page.setInputFiles('[data-testid=editor-upload]', {
    name: 'mine.toml', mimeType: 'application/toml', buffer: Buffer.from(source),
  });
  await page.waitForFunction(([sel, v]) => document.querySelector(sel).value === v, [text, source]);
  await waitFor(tab, '[data-testid=editor-status][data-state=ok]');
  assert.match(await page.textContent('[data-testid=editor-notice]'), /Opened mine\.toml/);
  assert.equal(await page.textContent('[data-testid=scenario-title]'), 'Uploaded: a direct write over an mmap store');

  // Too big, or not text: a clear message, and the text stays.
  for (const [name, buffer, msg] of [
    ['huge.toml', Buffer.alloc(70 * 1024, 'a'), /huge\.toml is 70 KB; a scenario is at most 64 KB/],
    ['picture.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0xff, 0xfe]), /picture\.png is not a text file/],
  ]) {
    await page.setInputFiles('[data-testid=editor-upload]', { name, mimeType: 'application/octet-stream', buffer });
    await page.waitForFunction((m) => new RegExp(m).test(document.querySelector('[data-testid=editor-notice]')?.textContent ?? ''), msg.source);
    assert.equal(await page.inputValue(text), source, name);
    assert.equal(await page.getAttribute('[data-testid=editor-notice]', 'class'), 'ed-notice bad');
  }
  await screenshot(page, 'editor-upload-refused.png');

  // Download: the text, named after its title.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=editor-download]')]);
  assert.equal(dl.suggestedFilename(), 'uploaded-a-direct-write-over-an-mmap-store.toml');
  assert.equal(await readFile(await dl.path(), 'utf8'), source);

  // The upload replaced the template: it is the previous draft. "Back"
  // goes on through the earlier drafts (the other tests of this file left
  // some) and comes round to the upload.
  await page.click('[data-testid=editor-previous]');
  await page.waitForFunction((sel) => document.querySelector(sel).value.startsWith('title = "My race"'), text);
  const kept = await page.evaluate(() => (localStorage.getItem('dioscope.draft.v1.earlier') ?? '').split('\u001e').length);
  let back = false;
  for (let i = 0; i <= kept && !back; i++) {
    await page.click('[data-testid=editor-previous]');
    await page.waitForTimeout(50);
    back = (await page.inputValue(text)) === source;
  }
  assert.ok(back, `the upload comes round within ${kept + 1} clicks`);
  await close(tab);
});

test('edit a bundled scenario and share it: the link carries the edited text', async () => {
  await grantClipboard();
  const tab = await open(`#/scenario/${THREAD}`);
  const { page } = tab;
  await waitFor(tab, '[data-testid=edit-scenario]');
  await page.click('[data-testid=edit-scenario]');
  await waitFor(tab, '[data-testid=editor-status][data-state=ok]');
  assert.equal(page.url(), `${BASE}#/edit`);
  const original = await readFile(path.join(REPO, 'scenarios', `${THREAD}.toml`), 'utf8');
  assert.equal(await page.inputValue(text), original);

  await typeOver(page, 'ops = ["mmap-write 1"]', 'ops = ["mmap-write 1", "mmap-write 0"]');
  await typeOver(page, 'title = "', 'title = "Edited: ');
  await page.waitForSelector('[data-testid=scenario-title]:text-matches("^Edited: ")');
  await page.click('[data-testid=copy-link]');
  await page.waitForSelector('[data-testid=share-out][data-copied=yes]');
  const url = await page.inputValue('[data-testid=share-text]');
  const edited = await page.inputValue(text);

  // Someone else opens it: the edited scenario, not the bundled one.
  const other = await open(url);
  await waitFor(other, `${sim} [data-testid=timeline]`);
  assert.match(await other.page.textContent('[data-testid=scenario-title]'), /^Edited: /);
  assert.match(await other.page.textContent('[data-testid=link-note]'), /not one of the bundled ones/);
  assert.match(await other.page.textContent('.cli code'), /^dioscope run edited-/);
  const core = cli('run', '--link', url);
  const file = await scratchFile('edited.toml', edited);
  assert.deepEqual(core.steps, cli('run', file, '--schedule', core.schedule).steps);
  assert.equal(Number(await other.page.getAttribute(sim, 'data-len')), core.steps.length);
  await close(other);
  await close(tab);
});

test('no draft is lost: two uploads in a row, and two tabs typing, leave every text one "Back" away', async () => {
  const tab = await openEditor('#/edit/new');
  const { page } = tab;
  const work = (await page.inputValue(text)).replace('title = "My race"', 'title = "An hour of work"');
  await page.fill(text, work);
  await waitFor(tab, '[data-testid=editor-status][data-state=ok]');
  const upload = async (name) => {
    const source = work.replace('An hour of work', `Uploaded ${name}`);
    await page.setInputFiles('[data-testid=editor-upload]', {
      name, mimeType: 'application/toml', buffer: Buffer.from(source),
    });
    await page.waitForFunction(([sel, v]) => document.querySelector(sel).value === v, [text, source]);
  };
  // Two uploads: the first one's notice promised the draft is kept; so
  // it is after the second. "Back" goes through the earlier drafts.
  await upload('one.toml');
  await upload('two.toml');
  const seen = [];
  for (let i = 0; i < 4 && !seen.includes(work); i++) {
    await page.click('[data-testid=editor-previous]');
    await page.waitForTimeout(50);
    seen.push(await page.inputValue(text));
  }
  assert.ok(seen.includes(work), `the typed draft is one of the earlier drafts: ${seen.map((s) => s.split('\n')[0])}`);

  // Two tabs: B opens the editor, A types, then B types over its own
  // (older) copy. A reload of A shows B's draft, and A's text is kept.
  const other = await openEditor('#/edit');
  const mine = work.replace('An hour of work', 'Tab A: an hour of work');
  await page.fill(text, mine);
  await page.waitForTimeout(100);
  const theirs = `${await other.page.inputValue(text)}# tab B's line\n`;
  await other.page.fill(text, theirs);
  await other.page.waitForTimeout(100);
  await page.reload();
  await waitFor(tab, '[data-testid=editor-status]');
  assert.equal(await page.inputValue(text), theirs, 'the last draft typed is the draft');
  await page.click('[data-testid=editor-previous]');
  await page.waitForFunction(([sel, v]) => document.querySelector(sel).value === v, [text, mine]);
  await close(other);
  await close(tab);
});

test('a draft that stopped the page is not run again until it is changed, and its text is there', async () => {
  const draft = 'title = "Stops the page"\n[[task]]\nname = "A"\nops = ["fsync"]\n';
  // As a page that died while running the draft leaves the storage.
  const t = JSON.stringify(draft);
  const tab = await open('#/edit', {
    init: `localStorage.setItem('dioscope.draft.v1', ${t}); localStorage.setItem('dioscope.draft.v1.running', ${t});`,
  });
  const { page } = tab;
  await waitFor(tab, '[data-testid=editor-notice]');
  assert.match(await page.textContent('[data-testid=editor-notice]'), /stopped dioscope the last time it ran/);
  assert.equal(await page.inputValue(text), draft);
  assert.equal(await page.locator('[data-testid=editor-run]').count(), 0, 'not run');
  // A change runs it; once drawn, the mark is gone.
  await page.fill(text, `${draft}# changed\n`);
  await waitFor(tab, '[data-testid=editor-status][data-state=ok]');
  await waitFor(tab, '[data-testid=editor-run]');
  await page.waitForFunction(() => localStorage.getItem('dioscope.draft.v1.running') === '');
  await close(tab);
});
