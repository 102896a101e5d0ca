// The results table: one row a figure, with the target where it states one (reported, never
// asserted). Pure: results in, rows out.
import { ratio } from './stats.mjs';

const pct = (a, b) => ratio(a, b) * 100;

export function rowsOf({ stages, e2e, scale, intake, backlog }) {
  const rows = [];
  const add = (part, figure, value, unit, target, digits) =>
    rows.push({
      part,
      figure,
      value,
      unit,
      ...(target ? { target } : {}),
      ...(digits !== undefined ? { digits } : {}),
    });
  if (e2e) {
    const side = (n, nb, base) => {
      if (!nb) return;
      const w = `${n} worker${n > 1 ? 's' : ''}`;
      add('1 e2e', `navbridge, ${w}: exchanges/s`, nb.exchangesPerS, '/s');
      add('1 e2e', `bare BullMQ, ${w}: exchanges/s`, base?.exchangesPerS, '/s');
      add(
        '1 e2e',
        `navbridge / baseline, ${w}`,
        pct(nb.exchangesPerS, base?.exchangesPerS),
        '%',
        { op: '>=', value: 30, unit: '%' },
        1,
      );
      add('1 e2e', `navbridge, ${w}: accept → receipt p50`, nb.latencyMs.p50, 'ms');
      add('1 e2e', `navbridge, ${w}: accept → receipt p95`, nb.latencyMs.p95, 'ms');
      add('1 e2e', `navbridge, ${w}: accept → receipt p99`, nb.latencyMs.p99, 'ms');
      add(
        '1 e2e',
        `bare BullMQ, ${w}: accept → receipt p50 / p99`,
        `${Math.round(base?.latencyMs.p50)} / ${Math.round(base?.latencyMs.p99)} ms`,
      );
      add('1 e2e', `navbridge, ${w}: records/s accepted`, nb.recordsPerS, '/s');
      add('1 e2e', `navbridge, ${w}: answers not 202`, nb.records - (nb.answers['202'] ?? 0), '', {
        op: '<=',
        value: 0,
      });
      add(
        '1 e2e',
        `navbridge, ${w}: out of order / duplicates / missing`,
        nb.outOfOrder + nb.duplicates + nb.missing,
        '',
        { op: '<=', value: 0 },
      );
    };
    const cpu = (n, nb, base) => {
      const c = nb?.cpuMsPerExchange;
      if (!c) return;
      const w = `${n} worker${n > 1 ? 's' : ''}`;
      add(
        '1 e2e',
        `CPU per exchange, ${w}: API / worker / PostgreSQL`,
        `${c.api?.toFixed(1)} / ${c.worker?.toFixed(1)} / ${c.postgres?.toFixed(1)} ms`,
      );
      add(
        '1 e2e',
        `CPU per exchange, ${w}: navbridge total`,
        (c.api ?? 0) + (c.worker ?? 0) + (c.postgres ?? 0),
        'ms',
      );
      add('1 e2e', `CPU per exchange, ${w}: baseline worker`, base?.cpuMsPerExchange?.worker, 'ms');
    };
    side(1, e2e.one, e2e.base1);
    cpu(1, e2e.one, e2e.base1);
    side(2, e2e.two, e2e.base2);
    cpu(2, e2e.two, e2e.base2);
    if (e2e.two)
      add('1 e2e', '2 workers / 1 worker', ratio(e2e.two.exchangesPerS, e2e.one.exchangesPerS), '×', {
        op: '>=',
        value: 1,
      });
    const mem = e2e.one.memory;
    add('5 rss', 'API peak RSS (VmHWM) during e2e', mem.api1?.hwmMb, 'MB', {
      op: '<=',
      value: 300,
      unit: 'MB',
    });
    add('5 rss', 'worker peak RSS (VmHWM) during e2e', mem.worker1?.hwmMb, 'MB');
    if (e2e.two)
      add('5 rss', 'API peak RSS, 2 workers', e2e.two.memory.api1?.hwmMb, 'MB', {
        op: '<=',
        value: 300,
        unit: 'MB',
      });
    add('5 rss', 'baseline worker peak RSS', e2e.base1?.memory?.['baseline-worker1']?.hwmMb, 'MB');
  }
  if (scale) {
    for (const k of [1, 2, 3])
      if (scale[k]) add('6 scale', `${k} API + ${k} worker: exchanges/s`, scale[k].exchangesPerS, '/s');
    for (const k of [2, 3])
      if (scale[k])
        add(
          '6 scale',
          `${k} / ${k - 1} processes`,
          ratio(scale[k].exchangesPerS, scale[k - 1].exchangesPerS),
          '×',
        );
    for (const k of [1, 2, 3])
      if (scale[k])
        add(
          '6 scale',
          `${k} API: peak API RSS`,
          Math.max(
            ...Object.entries(scale[k].memory)
              .filter(([n]) => n.startsWith('api'))
              .map(([, m]) => m.hwmMb),
          ),
          'MB',
        );
  }
  if (intake) {
    for (const [kind, name] of [
      ['records', 'POST /api/v1/records'],
      ['bars', 'POST /fhir/$process-message'],
    ]) {
      const r = intake[kind];
      if (!r) continue;
      add('2 intake', `${name} at 50/s: p50`, r.at50.p50, 'ms');
      add('2 intake', `${name} at 50/s: p99`, r.at50.p99, 'ms', { op: '<=', value: 50, unit: 'ms' });
      add('2 intake', `${name} at 50/s: 5xx answers`, r.at50.s5xx, '', { op: '<=', value: 0 });
      add('2 intake', `${name} at 50/s: rate reached`, r.at50.ratePerS, '/s');
      if (r.bursts) {
        add('2 intake', `${name} at 50/s in bursts of 50 a second: p50`, r.bursts.p50, 'ms');
        add('2 intake', `${name} at 50/s in bursts of 50 a second: p99`, r.bursts.p99, 'ms');
      }
      add('2 intake', `${name}: highest steady rate, p99 ≤ 50 ms`, r.highestRate, '/s', {
        op: '>=',
        value: 50,
        unit: '/s',
      });
      add('5 health', `/health p99 during ${name} at 50/s`, r.health.p99, 'ms', {
        op: '<=',
        value: 100,
        unit: 'ms',
      });
    }
  }
  if (intake?.apiMemory)
    add('5 rss', 'API peak RSS during intake (overload steps included)', intake.apiMemory.hwmMb, 'MB', {
      op: '<=',
      value: 300,
      unit: 'MB',
    });
  if (stages) {
    add('3 stages', 'mapping / raw JSONata', stages.mappingRatio, '×', { op: '<=', value: 1.2, unit: '×' });
    add('3 stages', 'validation / raw @medplum validateResource', stages.validationRatio, '×', {
      op: '<=',
      value: 1.2,
      unit: '×',
    });
    for (const r of stages.perRecord)
      add('3 stages', `${r.recordType}: map + validate`, r.mapMs + r.validateMs, 'ms');
    for (const [name, g] of Object.entries(stages.growth)) {
      add('3 stages', `${name}: ms per item (slope)`, g.slopeMsPerItem, 'ms');
      add('3 stages', `${name}: r² of the line (linear?)`, g.r2, '', { op: '>=', value: 0.95 }, 3);
    }
  }
  if (backlog) {
    add('4 backlog', 'exchanges queued while the partner was down', backlog.exchanges, '');
    add('4 backlog', 'partner back → last delivery', backlog.drainS, 's');
    add('4 backlog', 'drain rate', backlog.drainPerS, '/s');
    add(
      '4 backlog',
      'duplicates / out of order / missing',
      backlog.duplicates + backlog.outOfOrder + backlog.missing,
      '',
      { op: '<=', value: 0 },
    );
  }
  return rows;
}
