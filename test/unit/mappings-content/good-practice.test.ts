// The good-practice answers in full: the crisis answer to the referrer (crisis alternatives with their
// opening times, national lines, re-referral) with a plain-language part for the person; a discharge
// for non-engagement always carries a letter (the navigator's, else the site's template).
import type { Communication, Task } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { siteSettingsSchema } from '../../../src/settings/site.js';
import { recordFixture } from '../../support/fixtures.js';
import { mapWith, only, SITE, validationErrors } from './helpers.js';

const CRISIS_SITE = siteSettingsSchema.parse({
  ...SITE,
  crisisPathway: {
    text: 'In a crisis, call the local crisis line.',
    contacts: [
      { name: 'NHS 111 (mental health option)', kind: 'national-line', phone: '111', hours: '24 hours' },
      { name: 'Samaritans', kind: 'national-line', phone: '116 123', hours: '24 hours' },
      { name: 'Home treatment team', kind: 'crisis-team', phone: '0100 000 0001' },
      { name: 'Safe Haven café', kind: 'crisis-cafe', hours: 'Mon–Fri 6pm–11pm' },
      { name: 'Crisis house', kind: 'crisis-house', hours: '24 hours' },
      { name: 'Host family scheme', kind: 'host-family', hours: 'weekdays 9am–5pm' },
    ],
  },
});

describe('the crisis answer', () => {
  it('tells the referrer what to do and has a separate plain-language part for the person', async () => {
    const { site: _site, ...input } = recordFixture('referral');
    const bundle = await mapWith(
      'referral',
      { ...input, risks: { ...input.risks, inCrisis: true } },
      { site: CRISIS_SITE, triage: { outcome: 'reject', reason: 'in-crisis' } },
    );
    expect(validationErrors(bundle)).toEqual([]);
    const [task] = only(bundle, 'Task') as Task[];
    expect(task?.status).toBe('rejected');
    const [referrer, person, ...more] = task?.note?.map((n) => n.text) ?? [];
    expect(more).toEqual([]);
    expect(referrer).toMatch(/^For the referrer: .* cannot take referrals for people in crisis\./);
    expect(referrer).toContain(
      'refer the person to the local crisis team (Home treatment team: 0100 000 0001)',
    );
    expect(referrer).toContain(
      'Crisis alternatives: Safe Haven café (Mon–Fri 6pm–11pm); Crisis house (24 hours); Host family scheme (weekdays 9am–5pm).',
    );
    expect(referrer).toContain(
      'Crisis lines: NHS 111 (mental health option): 111 (24 hours); Samaritans: 116 123 (24 hours).',
    );
    expect(referrer).toContain('Once the person is out of crisis, you can refer them to us again.');
    expect(person).toMatch(/^For the person: we are sorry we cannot help right now/);
    expect(person).toContain('You can also go to: Safe Haven café (Mon–Fri 6pm–11pm)');
    expect(person).toContain('ask the person who referred you to refer you to us again');
    expect(person).not.toContain('referrer');
  });
});

describe('a discharge for non-engagement', () => {
  const discharge = (extra: Record<string, unknown>, site = SITE) =>
    mapWith(
      'event',
      {
        id: 'EVT-90',
        referralId: 'REF-90',
        at: '2026-02-25T12:00:00+00:00',
        type: 'discharged',
        reason: 'non-engagement',
        summary: 'No contact after three attempts',
        ...extra,
      },
      { site },
    );
  const payloads = async (p: ReturnType<typeof discharge>) => {
    const bundle = await p;
    expect(validationErrors(bundle)).toEqual([]);
    const [c] = only(bundle, 'Communication') as Communication[];
    return c?.payload?.map((x) => x.contentString) ?? [];
  };

  it("carries the site's letter when the navigator gave none: contact attempted, how, how to come back", async () => {
    const [, letter] = await payloads(discharge({}));
    expect(letter).toContain(`After your referral to ${SITE.name}, we tried to contact you several times`);
    expect(letter).toContain('by the phone, text message, email or letter details we were given');
    expect(letter).toContain(
      'ask the person who referred you (for example your GP) to refer you to us again',
    );
  });

  it("uses a site's own template, and the navigator's letter when there is one", async () => {
    const own = siteSettingsSchema.parse({
      ...SITE,
      nonEngagementLetter: 'Dear you, {service} tried to call.',
    });
    expect((await payloads(discharge({}, own)))[1]).toBe(`Dear you, ${SITE.name} tried to call.`);
    expect((await payloads(discharge({ letter: 'Written by the navigator.' })))[1]).toBe(
      'Written by the navigator.',
    );
  });

  it('other discharges carry no generated letter', async () => {
    const texts = await payloads(discharge({ reason: 'moved-away' }));
    expect(texts.some((t) => t?.includes('not been able to reach you'))).toBe(false);
  });
});

describe('the holistic needs assessment', () => {
  it("carries the guide's hint items as optional Questionnaire items", async () => {
    const { readFileSync } = await import('node:fs');
    const q = JSON.parse(
      readFileSync(
        new URL('../../../profiles/fsh-generated/resources/Questionnaire-hna.json', import.meta.url),
        'utf8',
      ),
    ) as { item: { linkId: string; item?: { linkId: string; required?: boolean }[] }[] };
    const items = new Map(q.item.flatMap((d) => d.item ?? []).map((i) => [i.linkId, i.required]));
    for (const linkId of [
      'accommodation.tenure-status',
      'benefits.appointee',
      'finances.debt-support',
      'physical-health.health-check-follow-up',
      'community-support.advocacy',
      'community-support.peer-mentoring',
      'training-employment-volunteering.returning-to-work',
    ]) {
      expect(items.has(linkId), linkId).toBe(true);
      expect(items.get(linkId), linkId).toBe(false);
    }
  });
});
