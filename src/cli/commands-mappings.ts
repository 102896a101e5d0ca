// `navbridge mappings test` (golden examples) and `navbridge mappings check` (static checks).
import { listRecordTypes, listSites, loadMapping } from '../config/mappings.js';
import { loadProfiles } from '../config/startup.js';
import { hasErrors } from '../errors/index.js';
import { checkMapping } from '../mapping/index.js';
import { runGoldens } from './golden.js';
import { type CliFlags, type CliIo, describeError, EXIT } from './io.js';

export async function runMappingsTest(flags: CliFlags, io: CliIo): Promise<number> {
  const { validator } = loadProfiles(flags.profilesDir);
  const results = await runGoldens({
    mappingsDir: flags.mappingsDir,
    validator,
    update: flags.update ?? false,
    ...(flags.filter ? { filter: flags.filter } : {}),
  });
  const count = { passed: 0, failed: 0, updated: 0 };
  for (const r of results) {
    count[r.status]++;
    const mark = r.status === 'passed' ? '✓' : r.status === 'updated' ? '↻' : '✗';
    io.stdout.write(
      `${mark} ${r.example.label}${r.status === 'updated' ? ' (expected file updated)' : ''}\n`,
    );
    for (const d of r.detail) io.stdout.write(`    ${d}\n`);
  }
  const updated = count.updated > 0 ? `, ${count.updated} updated` : '';
  io.stdout.write(`${count.passed} passed, ${count.failed} failed${updated}\n`);
  return count.failed > 0 ? EXIT.failed : EXIT.ok;
}

export async function runMappingsCheck(flags: CliFlags, io: CliIo): Promise<number> {
  const { conformance } = loadProfiles(flags.profilesDir);
  const profiles = new Set(conformance.structureDefinitions.map((sd) => sd.url));
  const codeSystems = new Map(
    conformance.codeSystems.map((cs) => [cs.url ?? '', new Set((cs.concept ?? []).map((c) => c.code))]),
  );
  const targets: { recordType: ReturnType<typeof listRecordTypes>[number]; site?: string }[] = [];
  for (const recordType of listRecordTypes(flags.mappingsDir)) {
    targets.push({ recordType });
    for (const site of listSites(flags.mappingsDir)) targets.push({ recordType, site });
  }
  let errors = 0;
  let warnings = 0;
  const seen = new Set<string>();
  for (const t of targets) {
    const label = `${t.recordType}${t.site ? ` (site ${t.site})` : ''}`;
    let lines: { severity: string; text: string }[];
    try {
      const issues = checkMapping(loadMapping(flags.mappingsDir, t.recordType, t.site), {
        profiles,
        codeSystems,
      });
      lines = issues.map((i) => ({ severity: i.severity, text: i.diagnostics ?? i.code }));
    } catch (err) {
      const { message, detail } = describeError(err);
      lines = (detail.length > 0 ? detail : [message]).map((text) => ({ severity: 'error', text }));
    }
    // A base-file problem shows up once per site too: report each only once.
    const fresh = lines.filter((l) => !seen.has(l.text));
    for (const l of fresh) seen.add(l.text);
    io.stdout.write(
      `${fresh.length === 0 ? '✓' : hasErrors(fresh.map((l) => ({ severity: l.severity as 'error', code: 'invalid' }))) ? '✗' : '!'} ${label}\n`,
    );
    for (const l of fresh) {
      io.stdout.write(`    ${l.severity}: ${l.text}\n`);
      if (l.severity === 'error' || l.severity === 'fatal') errors++;
      else warnings++;
    }
  }
  io.stdout.write(`${targets.length} mappings checked, ${errors} errors, ${warnings} warnings\n`);
  return errors > 0 ? EXIT.failed : EXIT.ok;
}
