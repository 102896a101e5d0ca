#!/usr/bin/env node
// What the hash chain costs: audit rows appended by concurrent writers through the store (the chain
// trigger takes the one-row chain head FOR UPDATE, so appends serialise), against the same rows
// inserted into a plain copy of the table without the chain. Also a chain walk (`audit verify`).
// Prints rows per second for each and their ratio; nothing is asserted (figures depend on the machine).
//
//   npm run build && node scripts/bench-audit.mjs [--rows 4000 --writers 8]
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { audit, verifyAuditChain } = await import(path.join(ROOT, 'dist/store/audit.js'));
const { closeDb, migrate, openDb } = await import(path.join(ROOT, 'dist/store/db.js'));

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('rows', 4000);
const WRITERS = arg('writers', 8);
const SCHEMA = `navbridge_bench_audit_${randomBytes(3).toString('hex')}`;

const entry = (i) => ({
  actor: `partner:p${i % 5}`,
  action: 'read',
  targetType: 'Task',
  targetId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  sourceAddress: '192.0.2.10',
  detail: { exchange: `x-${i}`, site: 'leeds-north' },
});

async function timed(what, fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${what.padEnd(34)} ${String(ROWS).padStart(6)} rows  ${s.toFixed(2).padStart(6)} s  ${Math.round(
      ROWS / s,
    )
      .toString()
      .padStart(6)} rows/s`,
  );
  return ROWS / s;
}

const writers = (fn) =>
  Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = w; i < ROWS; i += WRITERS) await fn(i);
    }),
  );

await migrate({ databaseUrl: DATABASE_URL, schema: SCHEMA });
const db = openDb({ databaseUrl: DATABASE_URL, schema: SCHEMA, role: 'navbridge_app', max: WRITERS });
const plain = new pg.Pool({
  connectionString: DATABASE_URL,
  options: `-c search_path=${SCHEMA}`,
  max: WRITERS,
});
try {
  await plain.query(`CREATE TABLE audit_plain (LIKE audit_log INCLUDING DEFAULTS)`);
  await plain.query(`ALTER TABLE audit_plain ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL,
    ALTER COLUMN hash DROP NOT NULL`);
  console.log(
    `${WRITERS} concurrent writers, one row per transaction (load: ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
  );
  const base = await timed('plain table (no chain)', () =>
    writers((i) => {
      const e = entry(i);
      return plain.query(
        `INSERT INTO audit_plain (actor, action, target_type, target_id, outcome, source_address, detail)
         VALUES ($1, $2, $3, $4, 'success', $5, $6)`,
        [e.actor, e.action, e.targetType, e.targetId, e.sourceAddress, JSON.stringify(e.detail)],
      );
    }),
  );
  const chained = await timed('audit_log (hash chain, app role)', () => writers((i) => audit(db, entry(i))));
  console.log(`chained / plain throughput: ${(chained / base).toFixed(2)}`);
  const t0 = process.hrtime.bigint();
  const v = await verifyAuditChain(db);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `verify: ${JSON.stringify({ ok: v.ok, rows: v.rows })} in ${s.toFixed(2)} s (${Math.round(v.rows / s)} rows/s)`,
  );
} finally {
  await closeDb(db);
  await plain.query(`DROP SCHEMA ${SCHEMA} CASCADE`);
  await plain.end();
}
