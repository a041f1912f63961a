import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: two files at a time, each with its own databases.
    maxWorkers: 2,
    // Test files share a worker's modules instead of importing the whole app again for each file:
    // on a slow 2-core machine imports were 281 s of a 790 s run (149 files), 25 s without. Tests
    // keep their own state (each starts its own app and databases; fake timers are restored).
    isolate: false,
    reporters: ['default'],
  },
});
