// The house (../shared/STYLE.md, docs/architecture.md), from the ground up:
//   settings, errors   zod schemas of the settings; the error model — import nothing else from src
//   pure core          records, triage, mapping, fhir, routing, clock, intake, payloads — no I/O
//   config             loaders: YAML files, mappings compiled, profiles, the environment
//   store              PostgreSQL (the only place that talks to it)
//   delivery           BullMQ, Redis and partner servers (the only place that talks to them)
//   service            every use case, one door each
//   api, cli           express / argv in, service calls, results back — never the store
//   logging, metrics   cross-cutting: the logger and the Prometheus registry, taken by delivery,
//                      service and api; they import nothing else from src, and the pure core never them
/** @type {import('dependency-cruiser').IConfiguration} */
const GROUND = '^src/(settings|errors)/';
const PURE = '^src/(records|triage|mapping|fhir|routing|clock|intake|payloads)/';
const IO_MODULES = '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|child_process|cluster|worker_threads|os)$';
const FILE_IO_LIBRARIES = '(^|/)node_modules/(fs-extra|graceful-fs|glob|fast-glob|chokidar|node-fetch|undici|axios)/';
const SERVICE_LIBRARIES =
  '(^|/)node_modules/(pg|pg-pool|postgres|node-pg-migrate|ioredis|bullmq|express|pino|pino-http|prom-client|@bull-board/[^/]+|jose)/';
const CROSS_CUTTING = '^src/(logging|metrics)/';

module.exports = {
  forbidden: [
    {
      name: 'ground-imports-nothing',
      comment: 'settings and errors are the ground floor: they import nothing else from src.',
      severity: 'error',
      from: { path: GROUND },
      to: { path: '^src/', pathNot: GROUND },
    },
    {
      name: 'pure-core-no-io',
      comment: 'The pure core does no file system, network or process work, not even through a library.',
      severity: 'error',
      from: { path: PURE },
      to: { path: IO_MODULES, dependencyTypes: ['core'] },
    },
    {
      name: 'pure-core-no-io-libraries',
      severity: 'error',
      from: { path: PURE },
      to: { path: FILE_IO_LIBRARIES },
    },
    {
      name: 'pure-core-no-services',
      comment: 'The pure core never talks to PostgreSQL, Redis, BullMQ, express, partners or a logger.',
      severity: 'error',
      from: { path: `${PURE}|${GROUND}` },
      to: { path: SERVICE_LIBRARIES },
    },
    {
      name: 'pure-core-no-upper-layers',
      comment: 'The pure core never reaches the loaders, the store, delivery, the service or the adapters.',
      severity: 'error',
      from: { path: PURE },
      to: { path: '^src/(config|store|delivery|service|api|cli)/' },
    },
    {
      name: 'cross-cutting-imports-nothing',
      comment: 'src/logging and src/metrics wrap pino and prom-client: they import nothing else from src.',
      severity: 'error',
      from: { path: CROSS_CUTTING },
      to: { path: '^src/', pathNot: CROSS_CUTTING },
    },
    {
      name: 'pure-core-no-cross-cutting',
      comment: 'The pure core neither logs nor counts: it returns what happened, its callers log it.',
      severity: 'error',
      from: { path: `${PURE}|${GROUND}|^src/config/` },
      to: { path: CROSS_CUTTING },
    },
    {
      name: 'config-below-store',
      comment: 'Loaders sit above the pure core and below everything with state.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(store|delivery|service|api|cli)/' },
    },
    {
      name: 'store-below-delivery',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/(config|delivery|service|api|cli)/' },
    },
    {
      name: 'delivery-below-service',
      severity: 'error',
      from: { path: '^src/delivery/' },
      to: { path: '^src/(config|service|api|cli)/' },
    },
    {
      name: 'service-below-adapters',
      severity: 'error',
      from: { path: '^src/service/' },
      to: { path: '^src/(api|cli)/' },
    },
    {
      name: 'adapters-never-reach-the-store',
      comment: 'api and cli translate HTTP or argv into service calls: they never use the store or delivery.',
      severity: 'error',
      from: { path: '^src/(api|cli)/' },
      to: { path: '^src/(store|delivery)/' },
    },
    {
      name: 'api-is-not-the-cli',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'raw-postgres-handles-stay-in-the-store',
      comment: 'src/store/pg.ts holds the pg pool and clients behind the opaque Db and Tx.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '^src/store/pg\\.ts$' },
    },
    {
      name: 'only-store-touches-postgres',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/store/' },
      to: { path: '(^|/)node_modules/(pg|pg-pool|postgres|node-pg-migrate)/' },
    },
    {
      name: 'only-delivery-touches-queues-redis-and-partners',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/delivery/' },
      to: { path: '(^|/)node_modules/(bullmq|ioredis)/' },
    },
    {
      name: 'only-api-knows-express',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/api/' },
      to: { path: '(^|/)node_modules/express/' },
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
