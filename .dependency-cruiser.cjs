// Layering of ../shared/STYLE.md: config → records/triage/mapping/fhir (pure) → store → delivery → api, cli.
/** @type {import('dependency-cruiser').IConfiguration} */
const PURE = '^src/(records|triage|mapping|fhir|routing|clock|util)/';
const IO_MODULES = '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|cluster|worker_threads)$';
module.exports = {
  forbidden: [
    {
      name: 'pure-core-no-io',
      comment: 'records, triage, mapping and fhir are pure: no file system, network or processes.',
      severity: 'error',
      from: { path: PURE },
      to: { path: IO_MODULES, dependencyTypes: ['core'] },
    },
    {
      name: 'pure-core-no-services',
      comment: 'The pure core never talks to PostgreSQL, Redis, BullMQ, express or partners.',
      severity: 'error',
      from: { path: PURE },
      to: { path: '(^|/)node_modules/(pg|postgres|ioredis|bullmq|express|fhir-kit-client|undici)/' },
    },
    {
      name: 'pure-core-no-upper-layers',
      severity: 'error',
      from: { path: PURE },
      to: { path: '^src/(store|delivery|api|cli)/' },
    },
    {
      name: 'config-is-the-bottom',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(store|delivery|api|cli)/' },
    },
    {
      name: 'only-store-touches-postgres',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '(^|/)node_modules/(pg|postgres|node-pg-migrate)/' },
    },
    {
      name: 'only-delivery-touches-queues-and-partners',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(delivery|cli/worker)' },
      to: { path: '(^|/)node_modules/(bullmq|fhir-kit-client)/' },
    },
    {
      name: 'only-api-knows-express',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/api/' },
      to: { path: '(^|/)node_modules/express/' },
    },
    {
      name: 'service-above-store-and-delivery',
      comment: 'src/service composes store, mapping, routing and delivery; nothing below may use it.',
      severity: 'error',
      from: { path: '^src/(config|records|triage|mapping|fhir|routing|util|store|delivery)/' },
      to: { path: '^src/service/' },
    },
    {
      name: 'store-below-delivery-and-api',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(delivery|api|cli)/' },
    },
    {
      name: 'delivery-below-api',
      severity: 'error',
      from: { path: '^src/delivery/' },
      to: { path: '^src/(api|cli)/' },
    },
    {
      name: 'shipped-code-no-dev-dependencies',
      comment:
        'dist/ runs with production dependencies only: src/ imports no devDependency (type-only imports, erased by tsc, aside). The sandbox partner server on @medplum/fhir-router is test support in test/support/sandbox.',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'shipped-code-no-test-support',
      comment: 'src/ never reaches into test/ (test support such as the sandbox partner server).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
