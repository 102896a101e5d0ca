// `navbridge submit`: records from a JSON or CSV file through the service's submit door (the same
// as POST /api/v1/records), one JSON line per record on stdout, refusals on stderr.
import { isNavbridgeError } from '../errors/index.js';
import { RECORD_TYPES, type RecordType } from '../records/index.js';
import { readInputs } from '../service/record-pipeline.js';
import { openRuntime } from '../service/runtime.js';
import { readTextFile } from './commands-records.js';
import { type CliIo, EXIT, UsageError } from './io.js';

export async function runSubmit(args: string[], flags: { site?: string }, io: CliIo): Promise<number> {
  const [recordType, file, ...extra] = args;
  if (!recordType || !file || extra.length)
    throw new UsageError('usage: navbridge submit <record-type> <file.json|file.csv> [--site S]');
  if (!RECORD_TYPES.includes(recordType as RecordType))
    throw new UsageError(`unknown record type '${recordType}'`, [`one of: ${RECORD_TYPES.join(', ')}`]);
  const inputs = readInputs(recordType as RecordType, file, readTextFile(io.cwd, file));
  const rt = await openRuntime({
    env: io.env,
    cwd: io.cwd,
    redis: true,
    needs: { personKey: true, partnerAuth: false },
  });
  let failed = 0;
  try {
    for (const raw of inputs) {
      try {
        if (raw.input === undefined)
          throw new UsageError(
            `row ${raw.row}: unreadable`,
            raw.issues.map((i) => i.diagnostics ?? ''),
          );
        const result = await rt.navbridge.submitRecord(
          undefined,
          recordType as RecordType,
          raw.input,
          flags.site ? { site: flags.site } : {},
        );
        io.stdout.write(`${JSON.stringify({ ...(raw.row ? { row: raw.row } : {}), ...result })}\n`);
      } catch (err) {
        if (!isNavbridgeError(err)) throw err;
        failed += 1;
        io.stderr.write(
          `${JSON.stringify({ ...(raw.row ? { row: raw.row } : {}), code: err.code, outcome: err.outcome })}\n`,
        );
      }
    }
  } finally {
    await rt.close();
  }
  return failed ? EXIT.failed : EXIT.ok;
}
