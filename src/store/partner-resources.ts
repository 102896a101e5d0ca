// What each partner server last told us about a resource it holds (our id → its id and version), for
// version-conditional writes: If-Match with the version last returned, If-None-Exist for a first write.
import { type Db, sql } from './pg.js';

export interface PartnerVersion {
  serverId: string;
  /** The partner's ETag (W/"<versionId>"), when it gives versions. */
  etag: string | undefined;
}

const key = (resourceType: string, resourceId: string) => `${resourceType}/${resourceId}`;

export function partnerResourceStore(db: Db, partnerId: string) {
  return {
    async get(resourceType: string, resourceId: string): Promise<string | undefined> {
      const { rows } = await sql(db).query(
        'SELECT etag FROM partner_resources WHERE partner_id = $1 AND resource_type = $2 AND resource_id = $3',
        [partnerId, resourceType, resourceId],
      );
      return rows[0]?.etag ?? undefined;
    },
    /** The versions known for these resources, by `Type/id` (absent: never written to this partner). */
    async getMany(
      resources: readonly { resourceType: string; id: string }[],
    ): Promise<Map<string, PartnerVersion>> {
      if (resources.length === 0) return new Map();
      const { rows } = await sql(db).query(
        `SELECT resource_type, resource_id, server_id, etag FROM partner_resources
          WHERE partner_id = $1 AND (resource_type, resource_id) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
        [partnerId, resources.map((r) => r.resourceType), resources.map((r) => r.id)],
      );
      return new Map(
        rows.map((r) => [
          key(r.resource_type, r.resource_id),
          { serverId: r.server_id, etag: r.etag ?? undefined },
        ]),
      );
    },
    async set(
      resourceType: string,
      resourceId: string,
      serverId: string,
      etag: string | undefined,
    ): Promise<void> {
      await sql(db).query(
        `INSERT INTO partner_resources (partner_id, resource_type, resource_id, server_id, etag)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (partner_id, resource_type, resource_id)
         DO UPDATE SET server_id = EXCLUDED.server_id, etag = EXCLUDED.etag, updated_at = now()`,
        [partnerId, resourceType, resourceId, serverId, etag ?? null],
      );
    },
    /** Several `set`s in one statement (the last of a repeated resource wins, as one by one). */
    async setMany(versions: readonly LearnedVersion[]): Promise<void> {
      const upsert = partnerVersionsUpsert(partnerId, versions);
      if (upsert) await sql(db).query(upsert.text, upsert.values);
    },
  };
}

/** What a partner answered about one written resource: its id there and its version. */
export interface LearnedVersion {
  resourceType: string;
  resourceId: string;
  serverId: string;
  etag: string | undefined;
}

/**
 * The statement that keeps `versions` for `partnerId` (the last of a repeated resource wins), or
 * undefined when there are none. Rows go in key order, so two transactions writing some of the same
 * resources lock their rows in the same order (never a deadlock between them).
 */
export function partnerVersionsUpsert(
  partnerId: string,
  versions: readonly LearnedVersion[],
): { text: string; values: unknown[] } | undefined {
  const last = new Map(versions.map((v) => [key(v.resourceType, v.resourceId), v]));
  if (last.size === 0) return undefined;
  const rows = [...last].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
  return {
    text: `INSERT INTO partner_resources (partner_id, resource_type, resource_id, server_id, etag)
         SELECT $1, t, i, s, e FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS v(t, i, s, e)
         ON CONFLICT (partner_id, resource_type, resource_id)
         DO UPDATE SET server_id = EXCLUDED.server_id, etag = EXCLUDED.etag, updated_at = now()`,
    values: [
      partnerId,
      rows.map((r) => r.resourceType),
      rows.map((r) => r.resourceId),
      rows.map((r) => r.serverId),
      rows.map((r) => r.etag ?? null),
    ],
  };
}
