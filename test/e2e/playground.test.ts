// The mapping playground in a real browser (headless Chromium through playwright-core, Debian's
// /usr/bin/chromium): navbridge built by the test factory with the playground on, over a private copy
// of mappings/. An engineer pastes a record that meets a mapping mistake, sees the issue at its
// FHIRPath and its line in the mapping file, fixes the file, sees valid FHIR, saves a golden, and
// `navbridge mappings test` passes it. NAVBRIDGE_SCREENSHOT=1 also writes docs/img/playground.png.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failForGood } from '../support/exchanges.js';
import { copyMappingsFolder, mappingsTest, removeMappingsFolder } from '../support/mappings-folder.js';
import { buildTestNavbridge, TEST_ADMIN_TOKEN, type TestNavbridge } from '../support/navbridge.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
if (!HAVE_BROWSER)
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPED: the playground's browser test needs ${CHROMIUM} ` +
      '(apt-get install -y chromium; .ci/run installs it)\n' +
      `${'!'.repeat(78)}\n`,
  );

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Generous: a busy two-core machine runs several suites at once. */
const WAIT_MS = 60_000;
const OVERRIDE = 'sites/leeds-north/referral.yaml';
/** The mistake: a date written as the navigator's screen shows it, not as FHIR wants it. */
const MISTAKE = '"02/11/1979"';
/** The fix: the record's own (ISO) birth date. */
const FIX = '$record.person.birthDate';
const override = (birthDate: string) =>
  [
    '# leeds-north override written by the playground browser test',
    'recordType: referral',
    'resources:',
    '  - name: patient',
    '    patch: |',
    `      $ ~> | $ | {"birthDate": ${birthDate}} |`,
    '',
  ].join('\n');

/** The referrer's and the person's GP practice in the accepted example: it receives the referral status. */
const GP = {
  id: 'gp-b86022',
  name: 'Leeds Student Medical Practice',
  kind: 'gp-practice',
  odsCodes: ['B86022'],
  baseUrl: 'http://127.0.0.1:9/fhir',
  mode: 'document',
  receives: ['referral-status'],
};

describe.skipIf(!HAVE_BROWSER)('mapping playground in a browser', () => {
  let nb: TestNavbridge;
  let server: Server;
  let browser: Browser;
  let page: Page;
  let mappings: string;
  let base: string;

  beforeAll(async () => {
    mappings = copyMappingsFolder();
    nb = await buildTestNavbridge({
      mappingsDir: mappings,
      partners: [GP],
      config: { playground: { enabled: true } },
    });
    server = await new Promise<Server>((resolve) => {
      const s = nb.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    // The admin token as the Basic password, as an engineer's browser sends it after the prompt.
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: TEST_ADMIN_TOKEN },
      viewport: { width: 1280, height: 1400 },
    });
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    await nb?.close();
    removeMappingsFolder(mappings);
  });

  it('shows a mapping mistake at its line, valid FHIR once fixed, and saves a golden that passes', async () => {
    writeFileSync(path.join(mappings, OVERRIDE), override(MISTAKE));
    const { site: _site, ...record } = JSON.parse(
      readFileSync(path.join(ROOT, 'mappings/referral/examples/accepted.input.json'), 'utf8'),
    );

    await page.goto(`${base}/admin/playground`);
    // The catalog has loaded: the site list comes from the mappings folder.
    await page.locator('#site option[value="leeds-north"]').waitFor({ state: 'attached' });
    await page.getByLabel('Record type').selectOption('referral');
    await page.getByLabel('Site', { exact: true }).selectOption('leeds-north');
    await page.getByLabel('Record or message').fill(JSON.stringify(record, null, 2));
    // Keyboard: the Map button is reached and pressed without a mouse.
    await page.locator('#run').focus();
    await page.keyboard.press('Enter');

    const results = page.locator('#results');
    await results.getByRole('heading', { name: 'The FHIR produced does not validate' }).waitFor();
    const issue = results.locator('table.issues tr.sev-error').filter({ hasText: 'birthDate' });
    await expect.poll(() => issue.count(), { timeout: WAIT_MS }).toBeGreaterThan(0);
    expect(await issue.first().locator('td').nth(1).textContent()).toBe('Bundle.entry[0].resource.birthDate');
    // The element is marked in the FHIR produced, too.
    expect(await results.locator('pre mark').first().textContent()).toContain('"birthDate": "02/11/1979"');
    const link = issue.first().getByRole('link');
    expect(await link.textContent()).toBe(`mappings/${OVERRIDE}:5 resources[patient].patch`);
    await link.click();
    const hit = page.locator('#source-lines li.hit');
    await hit.waitFor();
    expect(await hit.getAttribute('id')).toBe('L5');
    expect(await page.locator('#L6').textContent()).toContain('02/11/1979');
    if (process.env.NAVBRIDGE_SCREENSHOT === '1')
      await page.screenshot({ path: path.join(ROOT, 'docs/img/playground.png'), fullPage: true });

    // The engineer fixes the file in an editor; the playground reads the folder afresh on every run.
    writeFileSync(path.join(mappings, OVERRIDE), override(FIX));
    await page.getByRole('button', { name: 'Map', exact: true }).click();
    await results.getByRole('heading', { name: 'Valid FHIR' }).waitFor();
    expect(await results.locator('p.ok').first().textContent()).toBe('No issues.');
    expect(await results.getByLabel('FHIR produced').textContent()).toContain('"birthDate": "1979-11-02"');
    expect(await results.locator('p.triage').textContent()).toBe('Triage: accept');

    await page.getByLabel('Example name (kebab-case)').fill('browser-saved');
    await page.getByRole('button', { name: 'Save as golden' }).click();
    const saved = page.locator('#save-status');
    await expect
      .poll(() => saved.textContent(), { timeout: WAIT_MS })
      .toContain('mappings/sites/leeds-north/examples/referral/browser-saved.input.json');

    const tested = await mappingsTest(mappings);
    // Every golden of the folder passes, the new one with them (the fix broke none of leeds-north's).
    expect(tested.stdout).toContain('✓ mappings/sites/leeds-north/examples/referral/browser-saved');
    expect(tested.stdout).toMatch(/ 0 failed/);
    expect(tested.code).toBe(0);
  }, 240_000);

  it('opens a dead letter with its stored record and maps it again', async () => {
    const record = {
      ...JSON.parse(readFileSync(path.join(ROOT, 'mappings/referral/examples/accepted.input.json'), 'utf8')),
      id: 'REF-E2E-DEAD',
    };
    await nb.navbridge.submitRecord(undefined, 'referral', record);
    const job = nb.jobs.find((j) => j.partnerId === GP.id)!;
    await failForGood(nb.t.db, job);

    await page.goto(`${base}/admin/playground`);
    await page.locator('#site option[value="leeds-north"]').waitFor({ state: 'attached' });
    await page.getByLabel('Exchange id').fill(job.exchangeId);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    const results = page.locator('#results');
    await results.getByRole('heading', { name: 'Valid FHIR' }).waitFor();
    expect(await page.getByLabel('Record or message').inputValue()).toContain('REF-E2E-DEAD');
    const route = results.locator('table.routes tbody tr').filter({ hasText: GP.id });
    expect(await route.locator('td').nth(2).textContent()).toBe('send');
    expect(await results.locator('details summary').first().textContent()).toBe(
      `Payload for ${GP.id} (document)`,
    );
  }, 240_000);
});
