// Runs one sandbox partner FHIR server as its own process (demo, tests):
//   node --import tsx test/support/sandbox/main.ts --port 8101 --name trust [--host 127.0.0.1] [--base /fhir] [--control]
// Prints one JSON line {"ready":true,"name":…,"url":…} when listening; exits 0 on SIGTERM/SIGINT.
// --control (tests only) adds a fault-injection endpoint on its own port, named in the line as "control".
import { parseArgs } from 'node:util';
import { startControlServer } from './control.js';
import { startPartnerServer } from './partner-server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      name: { type: 'string', default: 'partner' },
      host: { type: 'string', default: '127.0.0.1' },
      base: { type: 'string', default: '/fhir' },
      'page-size': { type: 'string', default: '20' },
      control: { type: 'boolean', default: false },
    },
  });
  const port = Number(values.port);
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(pageSize) || pageSize < 1) {
    process.stderr.write('partner-server: --port must be 0-65535 and --page-size a positive integer\n');
    process.exit(2);
  }
  const server = await startPartnerServer({
    name: values.name,
    port,
    host: values.host,
    basePath: values.base,
    pageSize,
  });
  const control = values.control ? await startControlServer(server, values.host) : undefined;
  const ready = {
    ready: true,
    name: server.name,
    url: server.url,
    ...(control ? { control: control.url } : {}),
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = (): void => {
    void Promise.all([server.close(), control?.close()]).then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`partner-server: ${message}\n`);
  process.exit(1);
});
