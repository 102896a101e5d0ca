#!/usr/bin/env node
// README quick start: maps the bundled sample records with the built CLI (dist/) and prints the FHIR.
// Run `npm run build` first (`npm run map-samples` does both).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../dist/cli/main.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const examples = path.join(root, 'mappings', 'referral', 'examples');
const samples = readdirSync(examples)
  .filter((f) => f.endsWith('.input.json') && !f.startsWith('structurally-invalid'))
  .sort();

let failures = 0;
for (const file of samples) {
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s) => (out += s) },
    stderr: { write: (s) => (err += s) },
    cwd: root,
    env: process.env,
  };
  const code = await main(['map', 'referral', path.join(examples, file)], io);
  process.stdout.write(`\n=== ${path.join('mappings/referral/examples', file)} (exit ${code}) ===\n`);
  for (const line of out.split('\n').filter(Boolean)) {
    const bundle = JSON.parse(line);
    const task = bundle.entry.find((e) => e.resource.resourceType === 'Task')?.resource;
    process.stdout.write(
      `# ${bundle.entry.length} resources; referral Task: ${task?.status} / ${task?.businessStatus?.coding?.[0]?.code}\n`,
    );
    process.stdout.write(`${JSON.stringify(bundle, null, 2)}\n`);
  }
  if (err) process.stderr.write(err);
  if (code !== 0) failures++;
}
process.stdout.write(`\nMapped ${samples.length} sample referrals; ${failures} failed.\n`);
process.exitCode = failures > 0 ? 1 : 0;
