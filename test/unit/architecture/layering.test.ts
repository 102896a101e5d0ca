// The layering rules say what the house is, and they bite: the project's own rules, run on a small
// tree of probe modules, refuse each forbidden arrow (api → store, cli → store, pure → config, …) and
// accept the allowed ones; and the real src/ tree passes them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const rules = require(path.join(ROOT, '.dependency-cruiser.cjs')) as {
  forbidden: unknown[];
  options: Record<string, unknown>;
};

/** Probe modules: `from` imports `to` (both under src/ of a scratch tree). */
const PROBES: { from: string; to: string; rule?: string }[] = [
  { from: 'api/probe.ts', to: 'store/db.ts', rule: 'adapters-never-reach-the-store' },
  { from: 'cli/probe.ts', to: 'store/records.ts', rule: 'adapters-never-reach-the-store' },
  { from: 'api/probe2.ts', to: 'delivery/queues.ts', rule: 'adapters-never-reach-the-store' },
  { from: 'mapping/probe.ts', to: 'config/mappings.ts', rule: 'pure-core-no-upper-layers' },
  { from: 'intake/probe.ts', to: 'service/submit.ts', rule: 'pure-core-no-upper-layers' },
  { from: 'settings/probe.ts', to: 'records/codes.ts', rule: 'ground-imports-nothing' },
  { from: 'errors/probe.ts', to: 'fhir/ids.ts', rule: 'ground-imports-nothing' },
  { from: 'store/probe.ts', to: 'service/navbridge.ts', rule: 'store-below-delivery' },
  { from: 'delivery/probe.ts', to: 'service/navbridge.ts', rule: 'delivery-below-service' },
  { from: 'service/probe.ts', to: 'api/app.ts', rule: 'service-below-adapters' },
  { from: 'service/probe2.ts', to: 'store/pg.ts', rule: 'raw-postgres-handles-stay-in-the-store' },
  { from: 'config/probe.ts', to: 'store/db.ts', rule: 'config-below-store' },
  { from: 'metrics/probe.ts', to: 'service/navbridge.ts', rule: 'cross-cutting-imports-nothing' },
  { from: 'logging/probe.ts', to: 'settings/env.ts', rule: 'cross-cutting-imports-nothing' },
  { from: 'mapping/probe2.ts', to: 'logging/index.ts', rule: 'pure-core-no-cross-cutting' },
  { from: 'config/probe2.ts', to: 'metrics/index.ts', rule: 'pure-core-no-cross-cutting' },
  // Allowed arrows.
  { from: 'delivery/ok.ts', to: 'metrics/index.ts' },
  { from: 'api/ok2.ts', to: 'logging/index.ts' },
  { from: 'api/ok.ts', to: 'service/navbridge.ts' },
  { from: 'service/ok.ts', to: 'store/db.ts' },
  { from: 'mapping/ok.ts', to: 'settings/site.ts' },
  { from: 'config/ok.ts', to: 'mapping/compile.ts' },
  { from: 'store/ok.ts', to: 'store/pg.ts' },
];

describe('layering rules', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nb-layers-'));
    const write = (rel: string, text: string) => {
      const abs = path.join(dir, 'src', rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    };
    for (const p of PROBES) {
      const spec = path.relative(path.dirname(p.from), p.to).replace(/\.ts$/, '');
      write(
        p.from,
        `import { x } from '${spec.startsWith('.') ? spec : `./${spec}`}';\nexport const y = x;\n`,
      );
      write(p.to, 'export const x = 1;\n');
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuse each forbidden arrow by its rule, and allow the others', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    let violations: { from: string; to: string; rule: { name: string } }[];
    try {
      const result = await cruise(['src'], {
        validate: true,
        ruleSet: { forbidden: rules.forbidden } as never,
        doNotFollow: { path: 'node_modules' },
      });
      const output = result.output as { summary: { violations: typeof violations } };
      violations = output.summary.violations;
    } finally {
      process.chdir(cwd);
    }
    for (const p of PROBES) {
      const found = violations
        .filter((v) => v.from === `src/${p.from}` && v.to === `src/${p.to}`)
        .map((v) => v.rule.name);
      if (p.rule) expect(found, `${p.from} → ${p.to}`).toContain(p.rule);
      else expect(found, `${p.from} → ${p.to}`).toEqual([]);
    }
  });
});
