// What each partner server last told us about a resource it holds: its id there and its ETag, for
// `If-Match` in rest mode.
import type { Db } from './db.js';
import { sql } from './pg.js';

export function partnerResourceStore(db: Db, partnerId: string) {
  return {
    async get(resourceType: string, resourceId: string): Promise<string | undefined> {
      const { rows } = await sql(db).query(
        'SELECT etag FROM partner_resources WHERE partner_id = $1 AND resource_type = $2 AND resource_id = $3',
        [partnerId, resourceType, resourceId],
      );
      return rows[0]?.etag ?? undefined;
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
  };
}
