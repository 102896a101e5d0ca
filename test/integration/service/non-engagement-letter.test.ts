// The non-engagement discharge letter names the contact attempts the store holds for the referral
// (src/service/context.ts → context.contactAttempts → the event mapping): the latest version of each
// attempt, retracted ones left out, only those since the last successful contact, London dates — and
// the site's template alone when none were recorded. Read from the payload navbridge queued for the GP.
import type { Bundle, Communication } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NON_ENGAGEMENT_LETTER } from '../../../src/settings/site.js';
import { createTestDb, type TestDb, unseal } from '../../support/db.js';
import { gpPartner, recordFixture } from '../../support/fixtures.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';

const SITE = 'leeds-north';
const TEMPLATE_START = 'We are writing because we have not been able to reach you.';

async function letterSent(t: TestDb, referralId: string, eventId: string): Promise<string | undefined> {
  const { rows } = await t.sql.query(
    `SELECT payload FROM exchanges
      WHERE site = $1 AND referral_id = $2 AND record_type = 'event' AND source_id = $3 AND partner_id = 'gp-a'`,
    [SITE, referralId, eventId],
  );
  expect(rows).toHaveLength(1);
  const bundle = await unseal<Bundle>(rows[0].payload, 'exchanges.payload');
  const communication = bundle.entry
    ?.map((e) => e.resource)
    .find((r): r is Communication => r?.resourceType === 'Communication');
  return communication?.payload
    ?.map((p) => p.contentString ?? '')
    .find((text) => text.startsWith(TEMPLATE_START));
}

describe('non-engagement discharge letter', () => {
  let t: TestDb;
  let h: TestNavbridge;

  beforeAll(async () => {
    t = await createTestDb();
    h = await buildTestNavbridge({
      db: t,
      partners: [gpPartner({ receives: ['referral-status', 'discharge'] })],
      clock: () => new Date('2025-05-02T12:00:00Z'),
    });
  });
  afterAll(async () => {
    await h?.close();
    await t?.close();
  });

  const submit = (recordType: 'referral' | 'event', record: Record<string, unknown>) =>
    h.navbridge.submitRecord(undefined, recordType, record);

  it('lists the methods and dates of the attempts since the last contact, as they stand', async () => {
    const referral = recordFixture<Record<string, unknown>>('referral');
    const referralId = String(referral.id);
    await submit('referral', referral);
    const event = (id: string, fields: Record<string, unknown>) => ({
      id,
      site: SITE,
      version: 1,
      referralId,
      ...fields,
    });
    const attempt = (id: string, at: string, method: string) =>
      event(id, { type: 'contact-attempted', at, method });
    // Before the person was reached once: not part of this letter.
    await submit('event', attempt('A0', '2025-03-11T09:30:00+00:00', 'phone'));
    await submit(
      'event',
      event('C1', { type: 'contacted', at: '2025-03-12T10:00:00+00:00', method: 'phone' }),
    );
    await submit('event', attempt('A1', '2025-03-20T09:00:00+00:00', 'phone'));
    // Corrected in a second version: the email it became is listed, not the text it was.
    await submit('event', attempt('A2', '2025-03-24T18:00:00+00:00', 'text'));
    await submit('event', { ...attempt('A2', '2025-03-24T18:00:00+00:00', 'email'), version: 2 });
    // Recorded in error and retracted: not listed.
    await submit('event', attempt('A3', '2025-03-27T11:00:00+00:00', 'in-person'));
    await submit(
      'event',
      event('X3', {
        type: 'entered-in-error',
        at: '2025-03-27T12:00:00+00:00',
        recordType: 'event',
        recordId: 'A3',
      }),
    );
    // 23:30 UTC in British Summer Time is the next London day.
    await submit('event', attempt('A4', '2025-04-07T23:30:00+00:00', 'letter'));
    await submit(
      'event',
      event('D1', {
        type: 'discharged',
        at: '2025-05-02T12:00:00+01:00',
        reason: 'non-engagement',
        summary: 'No reply.',
      }),
    );

    const letter = await letterSent(t, referralId, 'D1');
    expect(letter).toMatch(/^We are writing because/);
    expect(
      letter?.endsWith(
        ' We tried to reach you by phone on 20 March 2025, by email on 24 March 2025 and by letter on 8 April 2025.',
      ),
    ).toBe(true);
  });

  it("keeps the site's template alone when no attempt was recorded", async () => {
    const referral = { ...recordFixture<Record<string, unknown>>('referral'), id: 'REF-NO-ATTEMPTS' };
    await submit('referral', referral);
    await submit('event', {
      id: 'D2',
      site: SITE,
      version: 1,
      referralId: 'REF-NO-ATTEMPTS',
      type: 'discharged',
      at: '2025-05-02T12:00:00+01:00',
      reason: 'non-engagement',
      summary: 'No reply.',
    });
    const letter = await letterSent(t, 'REF-NO-ATTEMPTS', 'D2');
    // leeds-north keeps the default template (its site.yaml sets none).
    expect(letter).toBe(NON_ENGAGEMENT_LETTER.replace('{service}', 'Leeds North Mental Health Navigation'));
    expect(letter).not.toContain('We tried to reach you');
  });
});
