// A send batch that fails because the database itself fails (unreachable, connect or query
// timeout) fails every send at once: written again one by one, the k-th send of a batch would be
// answered after k failure times (and a send already taken by Meta would be answered so late that
// its client sends it again). A send at fault still fails alone (test/messaging/send-path.test.ts).
import { describe, expect, it } from 'vitest';
import { databaseDown, SendBatcher } from '../src/messaging/send-batcher.ts';
import type { Deps } from '../src/deps.ts';

const FAIL_MS = 100;

/** A PostgreSQL database that cannot be reached: every transaction fails after FAIL_MS (a connect timeout, scaled down). */
function unreachablePg(): Deps {
  const err = Object.assign(new Error('timeout exceeded when trying to connect'), {});
  const kysely = {
    transaction: () => ({
      execute: async () => {
        await new Promise((r) => setTimeout(r, FAIL_MS));
        throw err;
      },
    }),
  };
  return { db: { kind: 'postgres', kysely } } as unknown as Deps;
}

describe('send batches when the database is down', () => {
  it('a batch of 10 sends failing for the database is answered in about one failure time, not eleven', async () => {
    const batcher = new SendBatcher(unreachablePg());
    const t0 = performance.now();
    // Ten requests that reach their write in one turn of the event loop: one batch.
    const answered = await Promise.all(
      Array.from({ length: 10 }, () =>
        batcher.write(async () => {}).then(
          () => performance.now() - t0,
          () => performance.now() - t0,
        ),
      ),
    );
    const slowest = Math.max(...answered);
    // Each send failing on its own (as before the change) would be answered after ~FAIL_MS.
    expect(slowest).toBeLessThan(3 * FAIL_MS);
  });

  it('tells a database failure from a send at fault', () => {
    for (const code of ['08006', '57P01', '53300', 'SQLITE_BUSY', 'ECONNREFUSED']) expect(databaseDown(Object.assign(new Error('x'), { code }))).toBe(true);
    expect(databaseDown(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(databaseDown(new Error('Connection terminated unexpectedly'))).toBe(true);
    for (const code of ['23505', '22P02', '42703', '0A000']) expect(databaseDown(Object.assign(new Error('x'), { code }))).toBe(false);
    expect(databaseDown(new TypeError('x is undefined'))).toBe(false);
  });
});
