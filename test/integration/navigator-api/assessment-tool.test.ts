// A site's assessmentTool is enforced: the Wales site (Recovery Plan) refuses an HNA and the English
// site (HNA) a Recovery Plan, with a 422 naming `tool`; each site's own tool is accepted.
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFixture } from '../../support/fixtures.js';
import { type Harness, referral, SITE_X_KEY, SITE_Y_KEY, startHarness } from './harness.js';

const X = { 'X-API-Key': SITE_X_KEY }; // leeds-north: hna
const Y = { 'X-API-Key': SITE_Y_KEY }; // cardiff-vale: wales-recovery-plan

describe("a site's assessment tool", () => {
  let h: Harness;
  const post = (headers: Record<string, string>, recordType: string, record: unknown) =>
    request(h.app).post('/api/v1/records').set(headers).send({ recordType, record });

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  async function assessmentAt(site: 'leeds-north' | 'cardiff-vale', fixture: string) {
    const headers = site === 'leeds-north' ? X : Y;
    const ref = referral(site);
    const made = await post(headers, 'referral', ref);
    expect(made.status, JSON.stringify(made.body)).toBe(202);
    const a = recordFixture(fixture);
    // The harness clock is 2025-03-10T15:00Z.
    const record = {
      ...a,
      id: `${ref.id}-ASM`,
      site,
      referralId: ref.id,
      completedAt: '2025-03-10T14:00:00Z',
    };
    return post(headers, 'assessment', record);
  }

  it.each([
    ['cardiff-vale', 'assessment-hna', 'Recovery Plan (Wales) (wales-recovery-plan), not the Holistic'],
    [
      'leeds-north',
      'assessment-wales-recovery-plan',
      'Holistic needs assessment (Mental Health Navigation) (hna)',
    ],
  ] as const)('%s refuses %s with 422 at tool', async (site, fixture, says) => {
    const res = await assessmentAt(site, fixture);
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue).toHaveLength(1);
    expect(res.body.issue[0].expression).toEqual(['tool']);
    expect(res.body.issue[0].code).toBe('business-rule');
    expect(res.body.issue[0].diagnostics).toContain(says);
  });

  it.each([
    ['cardiff-vale', 'assessment-wales-recovery-plan'],
    ['leeds-north', 'assessment-hna'],
  ] as const)('%s accepts %s', async (site, fixture) => {
    const res = await assessmentAt(site, fixture);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
  });
});
