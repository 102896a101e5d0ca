// Upgrading a store written before sealing: the migration fills the plain metadata that queries now
// read instead of looking inside payloads (sharing, the resources each exchange carries, its message
// ids), and the rows, still plaintext, read as before through the store.
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, type Db, migrate, openDb } from '../../../src/store/db.js';
import { getExchange } from '../../../src/store/exchanges.js';
import { carriedResources, isOurMessage } from '../../../src/store/inbound.js';
import { currentSharing, getRecord } from '../../../src/store/records.js';
import { migrateBefore, TEST_DATABASE_URL, testKeyProvider } from '../../support/db.js';

describe('upgrade of a store written before sealing', () => {
  const schema = `t_up_${randomBytes(5).toString('hex')}`;
  const sql = new pg.Pool({
    connectionString: TEST_DATABASE_URL,
    options: `-c search_path=${schema}`,
    max: 2,
  });
  let db: Db;
  const exchangeId = randomUUID();
  const messageId = randomUUID();
  const taskId = randomUUID();

  beforeAll(async () => {
    await migrateBefore(schema, '1733000000000_sealed-payloads.js');
    const person = randomUUID();
    await sql.query('INSERT INTO persons (id) VALUES ($1)', [person]);
    await sql.query(
      `INSERT INTO records (site, record_type, source_id, version, referral_id, person_id, payload)
       VALUES ('leeds-north', 'referral', 'REF-OLD', 1, 'REF-OLD', $1, $2)`,
      [
        person,
        JSON.stringify({
          id: 'REF-OLD',
          reason: 'old text',
          sharing: { statusUpdates: true, withGp: false },
        }),
      ],
    );
    const bundle = {
      resourceType: 'Bundle',
      id: randomUUID(),
      type: 'message',
      entry: [
        { fullUrl: `urn:uuid:${messageId}`, resource: { resourceType: 'MessageHeader', id: messageId } },
        { fullUrl: `urn:uuid:${taskId}`, resource: { resourceType: 'Task', id: taskId, status: 'accepted' } },
      ],
    };
    await sql.query(
      `INSERT INTO exchanges (id, direction, partner_id, site, record_type, source_id, version, referral_id,
          person_id, payload, status, correlation_id, categories, roles)
       VALUES ($1, 'outbound', 'gp-a', 'leeds-north', 'referral', 'REF-OLD', 1, 'REF-OLD', $2, $3, 'delivered',
          $4, '{referral-status}', '{gp}')`,
      [exchangeId, person, JSON.stringify(bundle), randomUUID()],
    );
    expect(await migrate({ databaseUrl: TEST_DATABASE_URL, schema })).toEqual(
      expect.arrayContaining(['1733000000000_sealed-payloads', '1733000100000_retention']),
    );
    db = openDb({ databaseUrl: TEST_DATABASE_URL, schema, keys: testKeyProvider() });
  });

  afterAll(async () => {
    if (db) await closeDb(db);
    await sql.end();
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('fills sharing, resource keys and message ids from the plaintext payloads', async () => {
    const { rows } = await sql.query('SELECT resource_keys, message_ids FROM exchanges WHERE id = $1', [
      exchangeId,
    ]);
    expect(rows[0].resource_keys.sort()).toEqual([`MessageHeader/${messageId}`, `Task/${taskId}`].sort());
    expect(rows[0].message_ids).toContain(messageId);
    expect(await currentSharing(db, 'leeds-north', 'REF-OLD')).toEqual({
      statusUpdates: true,
      withGp: false,
    });
  });

  it('reads the old rows through the queries that used to look inside payloads', async () => {
    expect(await isOurMessage(db, 'gp-a', messageId)).toBe(true);
    expect(await isOurMessage(db, 'gp-b', messageId)).toBe(false);
    const carried = await carriedResources(db, 'gp-a', 'Task', taskId);
    expect(carried.map((c) => [c.exchangeId, c.resource.id, c.roles])).toEqual([
      [exchangeId, taskId, ['gp']],
    ]);
    expect((await getRecord(db, 'leeds-north', 'referral', 'REF-OLD'))?.payload).toMatchObject({
      reason: 'old text',
    });
    expect((await getExchange(db, exchangeId))?.payload?.entry).toHaveLength(2);
  });
});
