// `navbridge map` and `navbridge validate`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, Resource, StructureDefinition } from 'fhir/r4.js';
import { lazyMappingSet, loadProfiles } from '../config/startup.js';
import { hasErrors, issue, outcome } from '../errors/index.js';
import { PROFILES } from '../fhir/canonical.js';
import { contextFileSchema } from '../mapping/index.js';
import { didYouMean } from '../mapping/names.js';
import { RECORD_TYPES, type RecordType } from '../records/index.js';
import { Pipeline, readInputs } from '../service/record-pipeline.js';
import { type CliFlags, type CliIo, EXIT, UsageError, usageDetail } from './io.js';
import { severityOf } from './locate-issue.js';
import { writeReport } from './results.js';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function readTextFile(cwd: string, file: string): string {
  try {
    return readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(
      `cannot read ${file}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`,
    );
  }
}

function readJson(cwd: string, file: string): unknown {
  const text = readTextFile(cwd, file);
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not valid JSON`);
  }
}

function recordTypeArg(value: string | undefined): RecordType {
  if (value && (RECORD_TYPES as readonly string[]).includes(value)) return value as RecordType;
  throw new UsageError(value ? `unknown record type '${value}'` : 'missing record type', [
    `record types: ${RECORD_TYPES.join(', ')}`,
  ]);
}

export async function runMap(args: string[], flags: CliFlags, io: CliIo): Promise<number> {
  const [typeArg, file, extra] = args;
  const recordType = recordTypeArg(typeArg);
  if (!file)
    throw new UsageError('missing input file', ['usage: navbridge map <record-type> <input.json|input.csv>']);
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  if (flags.now !== undefined && (!ISO_INSTANT.test(flags.now) || Number.isNaN(Date.parse(flags.now)))) {
    throw new UsageError('--now must be an ISO 8601 instant with an offset, e.g. 2026-03-02T09:00:00Z');
  }
  let context: ReturnType<typeof contextFileSchema.parse> = {};
  if (flags.context) {
    const parsed = contextFileSchema.safeParse(readJson(io.cwd, flags.context));
    if (!parsed.success) {
      throw new UsageError(`${flags.context} is not a valid mapping context`, usageDetail(parsed.error));
    }
    context = parsed.data;
  }
  const { now: contextNow, ...contextRest } = context;
  // The only clock read in navbridge's mapping path: explicit --now, then the context file, then now.
  const now = flags.now ?? contextNow ?? new Date().toISOString();
  const inputs = readInputs(recordType, file, readTextFile(io.cwd, file));
  const validator = flags.skipValidation ? undefined : loadProfiles(flags.profilesDir).validator;
  const pipeline = new Pipeline({
    mappings: lazyMappingSet(flags.mappingsDir),
    now,
    ...(flags.site ? { site: flags.site } : {}),
    context: contextRest,
    ...(validator ? { validator } : {}),
  });
  // Map everything before printing, so a usage error (say, a row without a site) prints nothing else.
  const results = [];
  for (const raw of inputs) results.push(await pipeline.run(recordType, raw));
  let code: number = EXIT.ok;
  for (const r of results) {
    if (r.kind === 'bundle') {
      io.stdout.write(`${JSON.stringify(r.bundle)}\n`);
      for (const w of r.warnings) io.stderr.write(`navbridge: warning: ${w.diagnostics ?? w.code}\n`);
    } else {
      io.stderr.write(`${JSON.stringify(r.outcome)}\n`);
      code = EXIT.failed;
    }
  }
  return code;
}

/** A profile short name or the canonical URL of a loaded profile; anything else is a usage error (exit 2). */
function profileUrl(name: string, loaded: readonly StructureDefinition[]): string {
  if (Object.hasOwn(PROFILES, name)) return PROFILES[name as keyof typeof PROFILES];
  if (loaded.some((sd) => sd.url === name)) return name;
  const names = Object.keys(PROFILES);
  throw new UsageError(`unknown profile '${name}'${didYouMean(name, names)}`, [
    `profiles: ${names.join(', ')}`,
    'or the canonical URL of one of them',
  ]);
}

export async function runValidate(args: string[], flags: CliFlags, io: CliIo): Promise<number> {
  const [file, extra] = args;
  if (!file)
    throw new UsageError('missing resource file', [
      'usage: navbridge validate <resource.json> [--profile URL]',
    ]);
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  const resource = readJson(io.cwd, file);
  if (
    typeof resource !== 'object' ||
    resource === null ||
    typeof (resource as Resource).resourceType !== 'string'
  ) {
    throw new UsageError(`${file} is not a FHIR resource (no resourceType)`);
  }
  const { validator, conformance } = loadProfiles(flags.profilesDir);
  const profile = flags.profile ? profileUrl(flags.profile, conformance.structureDefinitions) : undefined;
  const r = resource as Resource;
  const issues =
    r.resourceType === 'Bundle' && !profile
      ? validator.validateBundle(r as Bundle)
      : validator.validateResource(r, profile);
  const list =
    issues.length > 0
      ? issues
      : [issue({ severity: 'information', code: 'informational', diagnostics: 'valid' })];
  const failed = hasErrors(issues);
  const messages = issues.map((i) => ({
    severity: severityOf(i),
    text: `${i.expression?.[0] ? `${i.expression[0]}: ` : ''}${i.diagnostics ?? i.code}`,
  }));
  const report = {
    command: 'validate',
    cases: [{ name: file, status: failed ? ('failed' as const) : ('passed' as const), messages }],
    summary: { errors: messages.filter((m) => m.severity === 'error').length, issues: messages.length },
  };
  writeReport(report, flags, io, () => io.stdout.write(`${JSON.stringify(outcome(list), null, 2)}\n`));
  return failed ? EXIT.failed : EXIT.ok;
}
