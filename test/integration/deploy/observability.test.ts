// The shipped Prometheus alert rules and Grafana dashboard name only metrics navbridge exposes: every
// navbridge_* identifier in their expressions is a family of a real scrape (the process metrics, the
// counters and the gauges read from a real PostgreSQL schema), or a histogram's _bucket/_sum/_count.
// A renamed metric breaks this test instead of silently emptying a panel or an alert.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from '../../../src/metrics/index.js';
import { registerOperationalGauges } from '../../../src/service/metrics.js';
import { buildTestNavbridge, type TestNavbridge } from '../../support/navbridge.js';
import { REPO_ROOT } from '../../support/processes.js';

const read = (p: string) => readFileSync(path.join(REPO_ROOT, p), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

describe('deploy/: alert rules and dashboard', () => {
  let nb: TestNavbridge;
  const families = new Map<string, string>();

  beforeAll(async () => {
    nb = await buildTestNavbridge({
      partners: [
        {
          id: 'gp',
          name: 'GP',
          kind: 'gp-practice',
          odsCodes: ['B86016'],
          baseUrl: 'http://127.0.0.1:9/fhir',
          mode: 'transaction',
          receives: ['referral-status'],
        },
      ],
    });
    const metrics = createMetrics();
    registerOperationalGauges(metrics, {
      db: nb.t.db,
      partners: nb.config.partners,
      mappings: nb.deps.mappings,
      now: nb.deps.now,
    });
    const text = (await metrics.scrape()).body;
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(m[1]!, m[2]!);
  });
  afterAll(async () => nb?.close());

  const known = (name: string): boolean => {
    if (families.has(name)) return true;
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return base !== name && ['histogram', 'summary'].includes(families.get(base) ?? '');
  };
  const referenced = (expr: string) => [...expr.matchAll(/\bnavbridge_[a-z0-9_]+/g)].map((m) => m[0]);

  it('every alert rule is complete and names exposed metrics only', () => {
    const doc = parse(read('deploy/prometheus/navbridge-alerts.yml')) as { groups: { rules: Rule[] }[] };
    const rules = doc.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThanOrEqual(10);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^Navbridge[A-Za-z]+$/);
      expect(['critical', 'warning', 'info']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
      for (const name of referenced(r.expr)) expect(known(name), `${r.alert}: ${name}`).toBe(true);
    }
    // The families the issue names each have an alert or a panel.
    const dashboard = read('deploy/grafana/navbridge-dashboard.json');
    const everything = `${rules.map((r) => r.expr).join('\n')}\n${dashboard}`;
    for (const family of [
      'navbridge_exchanges',
      'navbridge_delivery_latency_seconds_bucket',
      'navbridge_delivery_attempts_total',
      'navbridge_delivery_failures_total',
      'navbridge_queue_jobs',
      'navbridge_oldest_undelivered_age_seconds',
      'navbridge_dead_letters',
      'navbridge_blocked_exchanges',
      'navbridge_circuit_state',
      'navbridge_http_requests_total',
      'navbridge_mapping_failures',
      'navbridge_service_clock_breaches',
    ])
      expect(everything).toContain(family);
  });

  it('the Grafana dashboard parses and every panel query names exposed metrics only', () => {
    const d = JSON.parse(read('deploy/grafana/navbridge-dashboard.json')) as {
      uid: string;
      panels: { title: string; targets: { expr: string }[] }[];
    };
    expect(d.uid).toBe('navbridge-ops');
    expect(d.panels.length).toBeGreaterThanOrEqual(12);
    for (const p of d.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets)
        for (const name of referenced(t.expr)) expect(known(name), `${p.title}: ${name}`).toBe(true);
    }
  });
});
