// What every use case is given (dependencies passed in, no globals) and who is asking.
import type { MappingSet } from '../config/startup.js';
import type { Validator } from '../fhir/validate.js';
import type { PartnerConfig } from '../settings/app-config.js';
import type { AuditWho } from '../store/audit.js';
import type { Db } from '../store/db.js';
import type { QueueJob } from '../store/exchanges.js';

/** An authenticated caller: a referring partner, a navigator site's case system, or an admin. */
export type Caller = (
  | { kind: 'partner'; partnerId: string }
  | { kind: 'site'; siteId: string; keyId: string }
  | { kind: 'admin'; actor: string }
) & {
  /** The client's network address, when the call came over HTTP (for the audit trail). */
  address?: string;
};
export type CallerKind = Caller['kind'];

/** How a caller is named in the audit log. */
export function actorOf(caller: Caller): string {
  switch (caller.kind) {
    case 'partner':
      return `partner:${caller.partnerId}`;
    case 'site':
      return `site:${caller.siteId}:${caller.keyId}`;
    case 'admin':
      return caller.actor;
  }
}

/** Who, for an audit row: the caller's name and address (the CLI operator when there is no caller). */
export function whoOf(caller: Caller | undefined): AuditWho {
  if (!caller) return { actor: 'cli' };
  return { actor: actorOf(caller), ...(caller.address ? { sourceAddress: caller.address } : {}) };
}

export interface ServiceDeps {
  db: Db;
  /** Every enabled site's settings and compiled mappings, and the inbound mappings (loaded at start-up). */
  mappings: MappingSet;
  validator: Validator;
  partners: readonly PartnerConfig[];
  /** Keyed HMAC secret for person matching. */
  personKey: string;
  /** Puts jobs on the partners' queues (after the transaction that made them has committed). */
  enqueue(jobs: readonly QueueJob[]): Promise<void>;
  /** The only clock: injected so tests and replays are deterministic. */
  now(): Date;
}
