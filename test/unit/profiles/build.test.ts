// Runs the real SUSHI build in --check mode: the committed output must be exactly what the FSH compiles
// to (this also proves the build is deterministic, since the check compiles afresh into a temp dir).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('profiles:check', () => {
  it('finds the committed fsh-generated output up to date', () => {
    const r = spawnSync(process.execPath, ['scripts/build-profiles.mjs', '--check'], { encoding: 'utf8' });
    expect(r.stderr.replace(/^warn .*\n(\s+File: .*\n)?/gm, '')).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/profiles up to date \(\d+ resources\)/);
  }, 120_000);
});
