#!/usr/bin/env node
// Prints two bench results side by side: node scripts/bench/compare.mjs BEFORE.json AFTER.json [--markdown]
import { readFileSync } from 'node:fs';
import { formatComparison } from './stats.mjs';

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const [beforeFile, afterFile] = args.filter((a) => a !== '--markdown');
if (!beforeFile || !afterFile) {
  process.stderr.write('usage: node scripts/bench/compare.mjs BEFORE.json AFTER.json\n');
  process.exit(2);
}
const read = (f) => JSON.parse(readFileSync(f, 'utf8'));
const [before, after] = [read(beforeFile), read(afterFile)];
const m = (d) =>
  `${d.machine.commit?.slice(0, 7)}, load ${d.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}`;
process.stdout.write(
  `before: ${m(before)}\nafter:  ${m(after)}\n\n${formatComparison(before.rows, after.rows, { markdown })}\n`,
);
