// Is the partner ever the bottleneck? The payloads navbridge sent, posted straight at the bench's
// receiver and at the repository's sandbox partner (test/support/sandbox, a full in-memory FHIR server)
// by autocannon with 8 connections: the requests per second each takes. The receiver is the e2e
// partner only if it takes many times what navbridge sends.
import path from 'node:path';
import autocannon from 'autocannon';
import { HERE, startNode, waitFor } from '../rig.mjs';

function blast(url, bodies, seconds) {
  let i = 0;
  return new Promise((resolve, reject) =>
    autocannon(
      {
        url,
        connections: 8,
        duration: seconds,
        headers: { 'content-type': 'application/fhir+json' },
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const b = bodies[i++ % bodies.length];
              return { ...req, body: JSON.stringify(b.body) };
            },
          },
        ],
      },
      (err, r) =>
        err
          ? reject(err)
          : resolve({
              ratePerS: r.requests.average,
              p50: r.latency.p50,
              p99: r.latency.p99,
              non2xx: r.non2xx,
            }),
    ),
  );
}

export async function runPartnerCapacity(receiver, bodies, { seconds }) {
  const transactions = bodies.filter((b) => b.body?.type === 'transaction');
  if (!transactions.length) return undefined;
  const fast = await blast(`http://127.0.0.1:${receiver.port}/trust/fhir`, transactions, seconds);
  await receiver.reset();
  const tsx = path.join(HERE, '..', '..', 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');
  const main = path.join(HERE, '..', '..', 'test', 'support', 'sandbox', 'main.ts');
  const sandbox = startNode('sandbox', ['--import', tsx, main, '--name', 'trust']);
  try {
    const line = await waitFor(
      async () => /\{"ready".*\}/.exec(sandbox.output())?.[0],
      'the sandbox partner',
      60_000,
      50,
    );
    const slow = await blast(JSON.parse(line).url, transactions, seconds);
    return { receiver: fast, sandbox: slow };
  } finally {
    await sandbox.stop();
  }
}
