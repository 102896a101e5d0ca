// A partner's CapabilityStatement (GET metadata), kept for at most CAPABILITY_MAX_AGE_MS (BaRS: a
// sender may cache a receiver's CapabilityStatement, for no longer than 24 hours) or the max-age the
// partner gives, whichever is shorter. It answers what the BaRS sender asks before sending: which
// MessageDefinitions the receiver takes, and whether it can be read from (GET before update/cancel).
import type { CapabilityStatement } from 'fhir/r4.js';
import type { PartnerHttp } from './partner-http.js';

export const CAPABILITY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface PartnerCapabilities {
  /** `MessageDefinition/<name>` tails the receiver lists; undefined when it lists none (no constraint). */
  messages: Set<string> | undefined;
  /** The partner serves ServiceRequest search (BaRS: the current referral is read before an update). */
  searchesServiceRequests: boolean;
}

const UNKNOWN: PartnerCapabilities = { messages: undefined, searchesServiceRequests: false };

/** The tail a definition is known by, whatever base it is given with. */
export const definitionName = (url: string): string => url.slice(url.lastIndexOf('MessageDefinition/'));

export function parseCapabilities(cs: CapabilityStatement | undefined): PartnerCapabilities {
  if (cs?.resourceType !== 'CapabilityStatement') return UNKNOWN;
  const listed = (cs.messaging ?? []).flatMap((m) =>
    (m.supportedMessage ?? []).filter((s) => s.mode === 'receiver').map((s) => definitionName(s.definition)),
  );
  const sr = (cs.rest ?? [])
    .filter((r) => r.mode === 'server')
    .flatMap((r) => r.resource ?? [])
    .find((r) => r.type === 'ServiceRequest');
  return {
    messages: listed.length > 0 ? new Set(listed) : undefined,
    searchesServiceRequests: (sr?.interaction ?? []).some((i) => i.code === 'search-type'),
  };
}

function maxAgeMs(cacheControl: string | null): number {
  const m = /(?:^|,)\s*max-age=(\d{1,10})/i.exec(cacheControl ?? '');
  return m ? Math.min(Number(m[1]) * 1000, CAPABILITY_MAX_AGE_MS) : CAPABILITY_MAX_AGE_MS;
}

export class CapabilityCache {
  private cached: { at: number; ttl: number; value: PartnerCapabilities } | undefined;

  constructor(
    private readonly http: Pick<PartnerHttp, 'call' | 'headers'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The partner's capabilities; fetched again once the cached copy is older than its max age. */
  async get(): Promise<PartnerCapabilities> {
    const t = this.now();
    if (this.cached && t - this.cached.at < this.cached.ttl) return this.cached.value;
    const answer = await this.http.call('GET', 'metadata', await this.http.headers(undefined));
    // A partner whose metadata cannot be read now is not refused for it (nothing is assumed either
    // way), and the failure is not kept: the next message asks again.
    if (answer.status >= 300) return UNKNOWN;
    const value = parseCapabilities(answer.body as CapabilityStatement);
    this.cached = { at: t, ttl: maxAgeMs(answer.headers.get('cache-control')), value };
    return value;
  }
}
