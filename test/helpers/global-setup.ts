// Decides once whether the PostgreSQL suites run. In CI (CI=true) or with OPENWABA_REQUIRE_PG=1,
// an unreachable PostgreSQL fails the run instead of skipping half the suites.
import pg from 'pg';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string | null;
  }
}

export const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject) {
  const url = process.env.OPENWABA_TEST_PG_URL || DEFAULT_PG_ADMIN_URL;
  const required = process.env.CI === 'true' || process.env.CI === '1' || process.env.OPENWABA_REQUIRE_PG === '1';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    project.provide('pgAdminUrl', url);
  } catch (err) {
    if (required) throw new Error(`PostgreSQL is required (CI) but unreachable at ${url}: ${(err as Error).message}`);
    console.warn(`\n[openwaba tests] PostgreSQL unreachable at ${url}: PostgreSQL suites are skipped (set CI=true to make this fail)\n`);
    project.provide('pgAdminUrl', null);
  } finally {
    await client.end().catch(() => {});
  }
}
