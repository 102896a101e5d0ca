// Transaction and rest mode with version-conditional writes (src/delivery/conditional-writes.ts):
// the partner's versions are looked up before sending, the writes planned from them, and planned
// again (at most MAX_REPLANS times in one attempt) when the partner answers 412 or says a create
// found the resource already there. The versions it answers with are kept for the next write.
import type { Bundle, BundleEntry, BundleEntryResponse, Resource } from 'fhir/r4.js';
import { externalTargets, resolveExternalReferences } from '../payloads/external-references.js';
import type { LearnedVersion } from '../store/partner-resources.js';
import {
  createsThatExisted,
  type KnownVersion,
  planWrites,
  versionedResources,
  versionFromResponse,
  versionKey,
  versionsFromResponses,
} from './conditional-writes.js';
import { PartnerError } from './errors.js';
import type { PartnerHttp, SendRequest } from './partner-http.js';

export interface VersionStore {
  getMany(resources: readonly { resourceType: string; id: string }[]): Promise<Map<string, KnownVersion>>;
  set(resourceType: string, resourceId: string, serverId: string, etag: string | undefined): Promise<void>;
  /** Several `set`s in one statement. */
  setMany(versions: readonly LearnedVersion[]): Promise<void>;
}

/**
 * The versions one delivery attempt learns, kept in memory until its outcome is recorded:
 * `finishAttempt` writes them in the transaction that records the outcome (one statement and one
 * commit fewer per delivery than a write of their own). Reads see them over the stored versions.
 * A worker that dies between the partner's answer and that transaction leaves the stored versions
 * behind: the next attempt's If-Match then fails (412) and is planned again from what the partner
 * holds, or its If-None-Exist create finds the resource and is written again as its update.
 */
export class LearnedVersions implements VersionStore {
  private readonly learned = new Map<string, LearnedVersion>();

  constructor(private readonly stored: Pick<VersionStore, 'getMany'>) {}

  async getMany(
    resources: readonly { resourceType: string; id: string }[],
  ): Promise<Map<string, KnownVersion>> {
    const missing = resources.filter((r) => !this.learned.has(versionKey(r.resourceType, r.id)));
    const found = missing.length > 0 ? await this.stored.getMany(missing) : new Map<string, KnownVersion>();
    const out = new Map<string, KnownVersion>();
    for (const r of resources) {
      const k = versionKey(r.resourceType, r.id);
      const l = this.learned.get(k);
      const v = l ? { serverId: l.serverId, etag: l.etag } : found.get(k);
      if (v) out.set(k, v);
    }
    return out;
  }

  async set(...[resourceType, resourceId, serverId, etag]: Parameters<VersionStore['set']>): Promise<void> {
    this.learned.set(versionKey(resourceType, resourceId), { resourceType, resourceId, serverId, etag });
  }

  async setMany(versions: readonly LearnedVersion[]): Promise<void> {
    for (const v of versions) this.learned.set(versionKey(v.resourceType, v.resourceId), v);
  }

  /** Everything learned (the latest of each resource). */
  all(): LearnedVersion[] {
    return [...this.learned.values()];
  }
}

export interface SendResult {
  httpStatus: number;
  /** Small summary of the partner's answer, stored with the attempt (no payload echo). */
  response: unknown;
}

/** How often one attempt plans its writes again (after a 412, or a create that found the resource). */
export const MAX_REPLANS = 2;

/**
 * FHIR R4 conditional update answers 400 when the one match has another id than the body's. A partner
 * may already hold the resource under its own id (e.g. an Organization by ODS code), so conditional
 * writes carry no id: the business identifier is the key, and urn:uuid fullUrls still link entries.
 */
export function withoutConditionalIds(bundle: Bundle): Bundle {
  return {
    ...bundle,
    entry: (bundle.entry ?? []).map((e) => {
      const conditional = e.request?.url.includes('?') || e.request?.ifNoneExist;
      if (!e.resource || !conditional) return e;
      const { id: _id, ...rest } = e.resource;
      return { ...e, resource: rest as Resource };
    }),
  };
}

export class VersionedWriter {
  constructor(
    private readonly http: PartnerHttp,
    private readonly versions: VersionStore,
  ) {}

  /** A transaction Bundle of version-conditional writes (transaction mode, document references). */
  async transaction(req: SendRequest): Promise<SendResult> {
    // One read for both: the partner's ids of what the payload refers to outside itself, and the
    // versions of what it writes.
    const external = externalTargets(req.payload);
    const wanted = [...external, ...versionedResources(req.payload)];
    const found = await this.versions.getMany(wanted);
    // References are resolved from the external targets' rows only, as a read of those alone would give.
    const outside = new Set(external.map((r) => versionKey(r.resourceType, r.id)));
    const payload = this.withPartnerReferences(
      req.payload,
      new Map([...found].filter(([k]) => outside.has(k))),
      true,
    );
    let known = await this.knownOf(versionedResources(payload), wanted, found);
    for (let tryNo = 0; ; tryNo++) {
      const planned = planWrites(payload, known);
      const answer = await this.http.call(
        'POST',
        '',
        await this.http.headers(req),
        withoutConditionalIds(planned),
      );
      if (answer.status === 412 && tryNo < MAX_REPLANS) {
        known = await this.currentVersions(req, planned);
        continue;
      }
      // Refused again: writes are racing at the partner; the next attempt plans afresh.
      if (answer.status === 412)
        throw new PartnerError('retry', 'http-412', 'transaction precondition failed again', 412);
      if (answer.status >= 300) this.http.fail(answer, 'transaction');
      const responses = ((answer.body as Bundle | undefined)?.entry ?? []).map((e) => e.response);
      await this.record(planned, responses);
      if (createsThatExisted(planned, responses, payload)) {
        if (tryNo >= MAX_REPLANS)
          throw new PartnerError('retry', 'exists', 'the partner holds resources it gives no versions of');
        // Resources we had no version of existed: write the whole payload again as their updates.
        known = new Map([...known, ...versionsFromResponses(planned, responses)]);
        continue;
      }
      return { httpStatus: answer.status, response: { entries: responses.map((r) => r?.status ?? '') } };
    }
  }

  /** rest mode: each entry as its own version-conditional request (If-Match, or If-None-Exist). */
  async rest(req: SendRequest): Promise<SendResult> {
    const payload = await this.partnerReferences(req.payload, false);
    const known = await this.versions.getMany(versionedResources(payload));
    const statuses: number[] = [];
    for (const entry of payload.entry ?? []) statuses.push(await this.restEntry(req, entry, known));
    return { httpStatus: 200, response: { entries: statuses } };
  }

  private async restEntry(
    req: SendRequest,
    entry: BundleEntry,
    known: Map<string, KnownVersion>,
  ): Promise<number> {
    const resource = entry.resource;
    if (!resource?.id || !entry.request)
      throw new PartnerError('dead', 'invalid-payload', 'rest entry without resource or request');
    const type = resource.resourceType;
    const one: Bundle = { resourceType: 'Bundle', type: 'batch', entry: [entry] };
    let versions = known;
    for (let tryNo = 0; ; tryNo++) {
      const planned = planWrites(one, versions).entry![0]!;
      const request = planned.request!;
      const extra: Record<string, string> = {};
      if (request.ifNoneExist) extra['if-none-exist'] = request.ifNoneExist;
      if (request.ifMatch) extra['if-match'] = request.ifMatch;
      const { id: _ours, ...body } = resource;
      const sent = request.url.includes('?') || request.method === 'POST' ? body : resource;
      const headers = await this.http.headers(req, extra);
      const answer = await this.http.call(request.method as 'PUT' | 'POST', request.url, headers, sent);
      if (answer.status === 412 && tryNo < MAX_REPLANS) {
        // A write landed since the version we know: plan again from what the partner holds now.
        versions = await this.currentVersions(req, { ...one, entry: [planned] });
        continue;
      }
      if (answer.status === 412)
        throw new PartnerError('retry', 'http-412', `${type} precondition failed again`, 412);
      if (answer.status >= 300) this.http.fail(answer, `${request.method} ${type}`);
      const found = answer.body as Resource | undefined;
      const version: KnownVersion = {
        serverId: found?.id ?? '',
        etag:
          answer.headers.get('etag') ?? (found?.meta?.versionId ? `W/"${found.meta.versionId}"` : undefined),
      };
      await this.versions.set(type, resource.id, version.serverId, version.etag);
      const existed = request.method === 'POST' && entry.request.method === 'PUT' && answer.status === 200;
      if (existed && tryNo < MAX_REPLANS) {
        // The resource existed (our content was not written): update it, from the version it has.
        versions = new Map([[versionKey(type, resource.id), version]]);
        continue;
      }
      return answer.status;
    }
  }

  /**
   * The payload with every reference to a resource outside it pointing at the partner's own id of
   * that resource (when an earlier write told us), else at its business identifier (issue 11 §4).
   */
  private async partnerReferences(payload: Bundle, linkEntries: boolean): Promise<Bundle> {
    return this.withPartnerReferences(
      payload,
      await this.versions.getMany(externalTargets(payload)),
      linkEntries,
    );
  }

  private withPartnerReferences(
    payload: Bundle,
    known: ReadonlyMap<string, KnownVersion>,
    linkEntries: boolean,
  ): Bundle {
    const ids = new Map([...known].flatMap(([k, v]) => (v.serverId ? [[k, v.serverId] as const] : [])));
    return resolveExternalReferences(payload, ids, { linkEntries });
  }

  /** The versions known of `resources`, from a read of `read` already made (reading only what it lacked). */
  private async knownOf(
    resources: readonly { resourceType: string; id: string }[],
    read: readonly { resourceType: string; id: string }[],
    found: ReadonlyMap<string, KnownVersion>,
  ): Promise<Map<string, KnownVersion>> {
    const asked = new Set(read.map((r) => versionKey(r.resourceType, r.id)));
    const keys = resources.map((r) => versionKey(r.resourceType, r.id));
    const missing = resources.filter((_, i) => !asked.has(keys[i]!));
    const more = missing.length > 0 ? await this.versions.getMany(missing) : new Map<string, KnownVersion>();
    const out = new Map<string, KnownVersion>();
    for (const k of keys) {
      const v = found.get(k) ?? more.get(k);
      if (v) out.set(k, v);
    }
    return out;
  }

  /** The versions the partner holds now of the planned writes' resources (read by their identifier). */
  private async currentVersions(req: SendRequest, planned: Bundle): Promise<Map<string, KnownVersion>> {
    const out = new Map<string, KnownVersion>();
    for (const e of planned.entry ?? []) {
      const r = e.resource;
      const search = e.request?.url.includes('?')
        ? e.request.url
        : e.request?.ifNoneExist
          ? `${r?.resourceType}?${e.request.ifNoneExist}`
          : undefined;
      if (!r?.id || !search) continue;
      const answer = await this.http.call('GET', search, await this.http.headers(req));
      if (answer.status >= 300) this.http.fail(answer, 'read for If-Match');
      const match = (answer.body as Bundle | undefined)?.entry?.[0]?.resource;
      if (match?.id)
        out.set(versionKey(r.resourceType, r.id), {
          serverId: match.id,
          etag: match.meta?.versionId ? `W/"${match.meta.versionId}"` : undefined,
        });
    }
    return out;
  }

  /** Keeps the id and version the partner gave each written resource (the next write's If-Match). */
  private async record(planned: Bundle, responses: (BundleEntryResponse | undefined)[]): Promise<void> {
    const versions = (planned.entry ?? []).flatMap((e, i) => {
      const r = e.resource;
      const v = versionFromResponse(responses[i]);
      return r?.id && v ? [{ resourceType: r.resourceType, resourceId: r.id, ...v }] : [];
    });
    await this.versions.setMany(versions);
  }
}
