// The authorisation decision alone: every action × every caller kind, and for partner copies every
// exchange status × category × role × consent state, against the consent rule of docs/delivery.md.
import { describe, expect, it } from 'vitest';
import { consentAllows, type RouteRole, type SharingAgreement } from '../../../src/routing/index.js';
import { type Access, decide, mayReadCopy, type PartnerCopy } from '../../../src/service/authorize.js';
import type { Caller } from '../../../src/service/types.js';
import { RECEIVES } from '../../../src/settings/app-config.js';

const PARTNER: Caller = { kind: 'partner', partnerId: 'gp-a' };
const SITE_X: Caller = { kind: 'site', siteId: 'leeds-north', keyId: 'k1' };
const ADMIN: Caller = { kind: 'admin', actor: 'admin:ops' };
const CALLERS = { cli: undefined, partner: PARTNER, siteX: SITE_X, admin: ADMIN } as const;
type Who = keyof typeof CALLERS;

const answer = (caller: Caller | undefined, access: Access): 'allow' | 'forbidden' | 'not-found' => {
  const d = decide(caller, access);
  return d.allowed ? 'allow' : d.answer;
};

const copy = (over: Partial<PartnerCopy> = {}): PartnerCopy => ({
  exchangeId: 'x1',
  status: 'delivered',
  categories: ['referral-status'],
  roles: ['referrer'],
  ...over,
});

describe('decide: every action × caller', () => {
  const table: { access: Access; want: Record<Who, ReturnType<typeof answer>> }[] = [
    {
      access: { action: 'submit-record', site: 'leeds-north' },
      want: { cli: 'allow', partner: 'forbidden', siteX: 'allow', admin: 'allow' },
    },
    {
      access: { action: 'submit-record', site: 'cardiff-vale' },
      want: { cli: 'allow', partner: 'forbidden', siteX: 'forbidden', admin: 'allow' },
    },
    {
      access: { action: 'refer' },
      want: { cli: 'forbidden', partner: 'allow', siteX: 'forbidden', admin: 'forbidden' },
    },
    {
      access: { action: 'read-referrals', site: undefined },
      want: { cli: 'forbidden', partner: 'forbidden', siteX: 'allow', admin: 'allow' },
    },
    {
      access: { action: 'read-referrals', site: 'cardiff-vale' },
      want: { cli: 'forbidden', partner: 'forbidden', siteX: 'forbidden', admin: 'allow' },
    },
    {
      access: { action: 'read-site-data', site: 'leeds-north', what: 'referral' },
      want: { cli: 'not-found', partner: 'not-found', siteX: 'allow', admin: 'allow' },
    },
    {
      access: { action: 'read-site-data', site: 'cardiff-vale', what: 'exchange' },
      want: { cli: 'not-found', partner: 'not-found', siteX: 'not-found', admin: 'allow' },
    },
    {
      access: { action: 'read-partner-copy', copy: copy(), sharing: undefined },
      want: { cli: 'forbidden', partner: 'allow', siteX: 'forbidden', admin: 'forbidden' },
    },
    {
      access: {
        action: 'read-partner-copy',
        copy: copy({ status: 'withheld-no-consent' }),
        sharing: undefined,
      },
      want: { cli: 'forbidden', partner: 'not-found', siteX: 'forbidden', admin: 'forbidden' },
    },
    {
      access: { action: 'administer' },
      want: { cli: 'allow', partner: 'forbidden', siteX: 'forbidden', admin: 'allow' },
    },
  ];
  for (const { access, want } of table)
    it(`${access.action} ${JSON.stringify(access).slice(0, 80)}`, () => {
      const got = Object.fromEntries(Object.entries(CALLERS).map(([w, c]) => [w, answer(c, access)]));
      expect(got).toEqual(want);
    });

  it('a site naming another site is told which field, never whose data', () => {
    const d = decide(SITE_X, { action: 'submit-record', site: 'cardiff-vale' });
    expect(d).toMatchObject({ allowed: false, expression: 'record.site' });
  });
});

describe('mayReadCopy: status × category × role × consent', () => {
  const STATUSES = [
    'pending',
    'in-flight',
    'failed',
    'blocked',
    'dead',
    'delivered',
    'withheld-no-consent',
    'no-route',
    'superseded',
    'discarded',
  ];
  const ROLES: RouteRole[] = ['referrer', 'gp', 'onward-service'];
  const flags = ['statusUpdates', 'withReferrer', 'withGp', 'withOnwardServices'] as const;
  // Every combination of the four flags true/false, and no agreement at all.
  const SHARINGS: (SharingAgreement | undefined)[] = [undefined];
  for (let bits = 0; bits < 16; bits++)
    SHARINGS.push(Object.fromEntries(flags.map((f, i) => [f, Boolean(bits & (1 << i))])));

  it('delivered copies stay readable whatever consent says now; never-sent ones never are', () => {
    for (const sharing of SHARINGS)
      for (const category of RECEIVES)
        for (const role of ROLES) {
          const c = (status: string) => copy({ status, categories: [category], roles: [role] });
          expect(mayReadCopy(c('delivered'), sharing)).toBe(true);
          for (const s of ['withheld-no-consent', 'no-route', 'superseded', 'discarded'])
            expect({ s, ok: mayReadCopy(c(s), sharing) }).toEqual({ s, ok: false });
        }
  });

  it('an undelivered copy is readable exactly when consent now allows every category it carries', () => {
    let readable = 0;
    let hidden = 0;
    for (const status of STATUSES.slice(0, 5))
      for (const sharing of SHARINGS)
        for (const role of ROLES)
          for (const a of RECEIVES)
            for (const b of RECEIVES) {
              const want = consentAllows(a, role, sharing) && consentAllows(b, role, sharing);
              const got = mayReadCopy(copy({ status, categories: [a, b], roles: [role] }), sharing);
              expect({ status, role, a, b, sharing, got }).toEqual({
                status,
                role,
                a,
                b,
                sharing,
                got: want,
              });
              if (got) readable++;
              else hidden++;
            }
    // Both answers occur: the table is not trivially all-yes or all-no.
    expect(readable).toBeGreaterThan(0);
    expect(hidden).toBeGreaterThan(0);
  });

  it('a later objection to status updates hides a pending Task from the referrer and GP', () => {
    for (const role of ['referrer', 'gp'] as const) {
      const pending = copy({ status: 'pending', roles: [role] });
      expect(mayReadCopy(pending, { statusUpdates: true })).toBe(true);
      expect(mayReadCopy(pending, { statusUpdates: false })).toBe(false);
    }
  });

  it('an undelivered copy with no recorded categories (written before they were kept) is not readable', () => {
    expect(mayReadCopy(copy({ status: 'pending', categories: [] }), undefined)).toBe(false);
  });

  it('unknown statuses are not readable', () => {
    expect(mayReadCopy(copy({ status: 'something-new' }), undefined)).toBe(false);
  });
});
