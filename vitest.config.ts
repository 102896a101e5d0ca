import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time whatever the machine (vitest's default is one fewer than the CPUs: one
    // on CI's 2 cores). Most files wait on processes, PostgreSQL and Redis rather than compute; on 2
    // cores the suite took 432 s this way against 672 s one file at a time (3 December 2026).
    maxWorkers: 2,
  },
});
