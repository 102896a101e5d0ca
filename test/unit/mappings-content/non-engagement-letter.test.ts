// The non-engagement discharge letter (event mapping, discharge-communication): the attempts in
// context.contactAttempts listed by method and date after the site's template; the template alone
// without them; the navigator's own letter whenever one is given.
import { describe, expect, it } from 'vitest';
import { type ContextPatch, mapWith, only, SITE, validationErrors } from './helpers.js';

const TEMPLATE = SITE.nonEngagementLetter.replace('{service}', SITE.name);

async function letterOf(fields: Record<string, unknown>, patch: ContextPatch = {}) {
  const bundle = await mapWith(
    'event',
    { id: 'EVT-90', referralId: 'REF-90', at: '2026-03-01T12:00:00+00:00', type: 'discharged', ...fields },
    patch,
  );
  expect(validationErrors(bundle)).toEqual([]);
  const [communication] = only(bundle, 'Communication');
  return communication?.payload?.[1]?.contentString;
}

const attempt = (method: string, date: string) => ({ method, at: `${date}T10:00:00Z`, date });

describe('non-engagement discharge letter', () => {
  it('lists every attempt by method and date, in the order given', async () => {
    const letter = await letterOf(
      { reason: 'non-engagement', summary: 'No reply' },
      {
        contactAttempts: [
          attempt('in-person', '2026-02-02'),
          attempt('video', '2026-02-09'),
          attempt('text', '2026-02-16'),
        ],
      },
    );
    expect(letter).toBe(
      `${TEMPLATE} We tried to reach you in person on 2 February 2026, by video call on 9 February 2026 and by text message on 16 February 2026.`,
    );
  });

  it('names a single attempt without a list', async () => {
    const letter = await letterOf(
      { reason: 'non-engagement', summary: 'No reply' },
      { contactAttempts: [attempt('email', '2026-02-20')] },
    );
    expect(letter).toBe(`${TEMPLATE} We tried to reach you by email on 20 February 2026.`);
  });

  it("is the site's template alone when no attempt was recorded", async () => {
    expect(await letterOf({ reason: 'non-engagement', summary: 'No reply' })).toBe(TEMPLATE);
    expect(await letterOf({ reason: 'non-engagement', summary: 'No reply' }, { contactAttempts: [] })).toBe(
      TEMPLATE,
    );
  });

  it("is the navigator's letter when one is given", async () => {
    const letter = await letterOf(
      { reason: 'non-engagement', summary: 'No reply', letter: 'Our own words.' },
      { contactAttempts: [attempt('phone', '2026-02-20')] },
    );
    expect(letter).toBe('Our own words.');
  });
});
