// `navbridge mappings test` (golden examples, record and inbound) and `navbridge mappings check`
// (static checks), each with --json and --junit FILE.
import type { OperationOutcomeIssue } from 'fhir/r4.js';
import { listInboundMappings, loadInboundMapping } from '../config/inbound-mappings.js';
import { findLayoutProblems } from '../config/mapping-layout.js';
import { listRecordTypes, listSites, loadMapping, loadSiteSettings } from '../config/mappings.js';
import { loadProfiles } from '../config/startup.js';
import { checkInverseMapping } from '../intake/index.js';
import { checkMapping } from '../mapping/index.js';
import { runGoldens } from './golden.js';
import { runInboundGoldens } from './golden-inbound.js';
import { type CliFlags, type CliIo, describeError, EXIT } from './io.js';
import { locateIssue } from './locate-issue.js';
import { type CaseResult, located, type ResultMessage, writeReport } from './results.js';

export async function runMappingsTest(flags: CliFlags, io: CliIo): Promise<number> {
  const { validator } = loadProfiles(flags.profilesDir);
  const opts = {
    mappingsDir: flags.mappingsDir,
    update: flags.update ?? false,
    allowRejection: flags.allowRejection ?? false,
    ...(flags.filter ? { filter: flags.filter } : {}),
  };
  const results = [...(await runGoldens({ ...opts, validator })), ...(await runInboundGoldens(opts))];
  const count = { passed: 0, failed: 0, updated: 0 };
  for (const r of results) count[r.status]++;
  const cases: CaseResult[] = results.map((r) => ({
    name: r.label,
    status: r.status,
    messages: r.detail.map((text) => ({ severity: 'error', text })),
  }));
  writeReport({ command: 'mappings test', cases, summary: count }, flags, io, () => {
    for (const r of results) {
      const mark = r.status === 'passed' ? '✓' : r.status === 'updated' ? '↻' : '✗';
      io.stdout.write(`${mark} ${r.label}${r.status === 'updated' ? ' (expected file updated)' : ''}\n`);
      for (const d of r.detail) io.stdout.write(`    ${d}\n`);
    }
    const updated = count.updated > 0 ? `, ${count.updated} updated` : '';
    io.stdout.write(`${count.passed} passed, ${count.failed} failed${updated}\n`);
  });
  return count.failed > 0 ? EXIT.failed : EXIT.ok;
}

/** What one check target found: its issues, or the configuration error that stopped it loading. */
function issuesOf(run: () => OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  try {
    return run();
  } catch (err) {
    const nav = err as { outcome?: { issue?: OperationOutcomeIssue[] } };
    if (nav.outcome?.issue) return nav.outcome.issue;
    const { message, detail } = describeError(err);
    return (detail.length > 0 ? detail : [message]).map((diagnostics) => ({
      severity: 'error',
      code: 'invalid',
      diagnostics,
    }));
  }
}

export async function runMappingsCheck(flags: CliFlags, io: CliIo): Promise<number> {
  const { conformance } = loadProfiles(flags.profilesDir);
  const profiles = new Set(conformance.structureDefinitions.map((sd) => sd.url));
  const codeSystems = new Map(
    conformance.codeSystems.map((cs) => [cs.url ?? '', new Set((cs.concept ?? []).map((c) => c.code))]),
  );
  const dir = flags.mappingsDir;
  const targets: { label: string; run: () => OperationOutcomeIssue[] | ResultMessage[] }[] = [
    {
      label: 'layout of the mappings folder',
      run: () => findLayoutProblems(dir).map((p) => ({ severity: 'error', text: p.message, file: p.file })),
    },
  ];
  for (const site of listSites(dir))
    targets.push({
      label: `site ${site}`,
      run: () =>
        issuesOf(() => {
          loadSiteSettings(dir, site);
          return [];
        }),
    });
  for (const recordType of listRecordTypes(dir)) {
    for (const site of [undefined, ...listSites(dir)]) {
      targets.push({
        label: `${recordType}${site ? ` (site ${site})` : ''}`,
        run: () =>
          issuesOf(() => checkMapping(loadMapping(dir, recordType, site), { profiles, codeSystems })),
      });
    }
  }
  for (const name of listInboundMappings(dir))
    targets.push({
      label: `inbound ${name}`,
      run: () => issuesOf(() => checkInverseMapping(loadInboundMapping(dir, name))),
    });
  const cases: CaseResult[] = [];
  // A base-file problem shows up once per site too: report each only once.
  const seen = new Set<string>();
  for (const t of targets) {
    const found = t.run().map((i) => ('text' in i ? i : locateIssue(i, dir)));
    const fresh = found.filter((m) => !seen.has(located(m)));
    for (const m of fresh) seen.add(located(m));
    const failed = fresh.some((m) => m.severity === 'error');
    cases.push({ name: t.label, status: failed ? 'failed' : 'passed', messages: fresh });
  }
  const all = cases.flatMap((c) => c.messages);
  const errors = all.filter((m) => m.severity === 'error').length;
  const summary = { checked: cases.length, errors, warnings: all.length - errors };
  writeReport({ command: 'mappings check', cases, summary }, flags, io, () => {
    for (const c of cases) {
      const mark = c.messages.length === 0 ? '✓' : c.status === 'failed' ? '✗' : '!';
      io.stdout.write(`${mark} ${c.name}\n`);
      for (const m of c.messages) io.stdout.write(`    ${m.severity}: ${located(m)}\n`);
    }
    io.stdout.write(`${cases.length} checked, ${errors} errors, ${summary.warnings} warnings\n`);
  });
  return errors > 0 ? EXIT.failed : EXIT.ok;
}
