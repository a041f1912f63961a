// Fresh databases for tests: a SQLite file in a temp dir, or a new PostgreSQL database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, inject } from 'vitest';

export type DbKind = 'sqlite' | 'postgres';

export interface TestDatabase {
  kind: DbKind;
  url: string;
  drop(): Promise<void>;
}

export function pgAdminUrl(): string | null {
  return inject('pgAdminUrl');
}

/** The databases every database-touching suite runs on. */
export function dbKinds(): DbKind[] {
  return pgAdminUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** describe() once per database kind: `describeEachDb('clients', (kind) => { … })`. */
export function describeEachDb(name: string, fn: (kind: DbKind) => void): void {
  for (const kind of dbKinds()) describe(`${name} [${kind}]`, () => fn(kind));
}

export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-test-'));
    return {
      kind,
      url: `sqlite:${path.join(dir, 'test.db')}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = pgAdminUrl();
  if (!admin) throw new Error('PostgreSQL is not available for tests');
  const name = `openwaba_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    kind,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
