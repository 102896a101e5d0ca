// `navbridge <argv>` in process (src/cli/main.ts) as the admin, on a test's own schema: what the CLI
// parts of the integration suites run, with what it printed.
import { main } from '../../src/cli/main.js';
import { TEST_DATABASE_URL, TEST_MASTER_KEYS } from './db.js';
import { TEST_ADMIN_TOKEN } from './navbridge.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runAdminCli(
  argv: string[],
  opts: { schema: string; config: string; cwd: string; env?: Record<string, string> },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (x: string) => (stdout += x) },
    stderr: { write: (x: string) => (stderr += x) },
    cwd: opts.cwd,
    env: {
      NAVBRIDGE_CONFIG: opts.config,
      DATABASE_URL: TEST_DATABASE_URL,
      NAVBRIDGE_DB_SCHEMA: opts.schema,
      NAVBRIDGE_MASTER_KEYS: TEST_MASTER_KEYS,
      NAVBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      LOG_LEVEL: 'silent',
      ...opts.env,
    },
  });
  return { code, stdout, stderr };
}
