// The runtime the suite runs on: Node 24 or later (package.json engines), provided by the node-linux-*
// optional dependency whose `node` npm puts first on PATH for every npm script. Checks the vitest worker
// itself and the children that tests, scripts and the demo start (by process.execPath, by `node` on
// PATH as `#!/usr/bin/env node` shims do, and through `npx tsx`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/processes.js';

const engines = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
  }
).engines.node;
const required = Number(/^>=(\d+)/.exec(engines)?.[1]);
const major = (version: string) => Number(version.split('.')[0]);

function childNodeVersion(command: string, args: string[]): string {
  const r = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('runtime', () => {
  it('package.json requires Node 24 or later', () => {
    expect(required).toBeGreaterThanOrEqual(24);
  });

  it('runs the tests on the Node that package.json requires', () => {
    expect(major(process.versions.node)).toBeGreaterThanOrEqual(required);
  });

  it('starts child processes on it: by process.execPath, by `node` on PATH and through npx tsx', () => {
    const print = 'console.log(process.versions.node)';
    expect(major(childNodeVersion(process.execPath, ['-e', print]))).toBeGreaterThanOrEqual(required);
    expect(childNodeVersion('node', ['-e', print])).toBe(process.versions.node);
    expect(childNodeVersion('npx', ['--no-install', 'tsx', '-e', print])).toBe(process.versions.node);
  }, 60_000);
});
