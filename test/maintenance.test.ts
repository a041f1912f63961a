import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import { runMaintenance } from '../src/maintenance.ts';
import { describeEachDb } from './helpers/db.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

describeEachDb('maintenance', (kind) => {
  const clock = new ManualClock(new Date('2026-06-01T12:00:00.000Z'));
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_LOGIN_WINDOW_SECONDS: '600' } });
  });
  afterAll(() => t.close());

  it('deletes expired sessions and finished throttle windows, keeps live ones', async () => {
    const db = t.deps.db.kysely;
    const at = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();
    await db.insertInto('web_sessions').values([
      { id_hash: 'old', kind: 'hub', subject: '{}', csrf_token: 'x', created_at: at(-86_400_000), expires_at: at(-1000) },
      { id_hash: 'live', kind: 'hub', subject: '{}', csrf_token: 'y', created_at: at(0), expires_at: at(3600_000) },
    ]).execute();
    await db.insertInto('auth_throttle').values([
      { key: 'user:old', failures: 5, window_started_at: at(-601_000) },
      { key: 'user:live', failures: 5, window_started_at: at(-10_000) },
    ]).execute();
    await runMaintenance(t.deps);
    expect((await db.selectFrom('web_sessions').select('id_hash').execute()).map((r) => r.id_hash)).toEqual(['live']);
    expect((await db.selectFrom('auth_throttle').select('key').execute()).map((r) => r.key)).toEqual(['user:live']);
  });

  it("forgets Meta's webhook changes passed on more than 7 days ago (Meta retries no longer), keeps newer ones", async () => {
    const db = t.deps.db.kysely;
    const at = (ms: number) => new Date(clock.now().getTime() + ms).toISOString();
    const day = 86_400_000;
    await db.insertInto('meta_forwarded_changes').values([
      { key: 'old', target: 'waba:1', field: 'message_template_status_update', created_at: at(-7 * day - 1000) },
      { key: 'recent', target: 'waba:1', field: 'message_template_status_update', created_at: at(-7 * day + 60_000) },
    ]).execute();
    await runMaintenance(t.deps);
    expect((await db.selectFrom('meta_forwarded_changes').select('key').execute()).map((r) => r.key)).toEqual(['recent']);
  });
});
