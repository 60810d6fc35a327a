// Issue 12, item 1: a permalink of 161 characters carried a scenario of
// 14,500 nested arrays, which overflowed the stack of the TOML parser and
// killed the app ("RuntimeError: memory access out of bounds", a blank
// page that stayed blank). It now opens the link's error page, with the
// line and column of the nesting, and the app goes on working.
// Run with `cargo xtask test`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useBrowser, open, waitFor, close } from './harness.mjs';

useBrowser({ width: 1280, height: 800 });

// Made by the core's link encoder: crate/tests/fuzz.rs checks that
// `Session { scenario: "title = \"t\"\nx = " + "[" × 14500 }.encode()` is
// exactly this payload.
const NESTED = '1.wjgAAP8HRFMxtHF0aXRsZSA9ICJ0Igp4ID0gWwEA___________________________________________________________________________IkAAAAAAAHJ925A';

test('a short link to a deeply nested scenario opens an error page, not a dead page', async () => {
  const tab = await open(`#/link/${NESTED}`);
  const { page } = tab;
  assert.ok(page.url().length < 200, `the link is short: ${page.url().length} characters`);
  await waitFor(tab, '[data-testid=link-error]');
  assert.equal(await page.textContent('[data-testid=link-error] h1'), 'The scenario in this link has an error');
  assert.match(
    await page.textContent('[data-testid=link-error-message]'),
    /^Line 2, column 21: arrays and inline tables nest more than 16 deep here/,
  );
  // the app is alive: it goes on to the scenario list
  await page.goto(new URL('#/', page.url()).href);
  await waitFor(tab, '[data-testid=scenario-list]');
  await close(tab);
});
