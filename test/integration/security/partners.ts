// The two partners the security suites deliver to: a trust receiving every category and a GP practice
// receiving referral status, both in transaction mode with quick retries.
import { RECEIVES } from '../../../src/settings/app-config.js';

export const trustAndGp = (trustUrl: string, gpUrl: string) => [
  {
    id: 'leeds-trust',
    name: 'Leeds trust',
    kind: 'trust',
    odsCodes: ['RGD'],
    baseUrl: trustUrl,
    mode: 'transaction',
    receives: [...RECEIVES],
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
  },
  {
    id: 'chapel-allerton-gp',
    name: 'Chapel Allerton Medical Centre',
    kind: 'gp-practice',
    odsCodes: ['B86016'],
    baseUrl: gpUrl,
    mode: 'transaction',
    receives: ['referral-status'],
    retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
  },
];
