// Flashes of one session written by requests running at the same time (a user with two tabs, a
// double submit): each is kept and each is taken once. The session row is edited in a
// transaction that holds it, so none is lost and none taken twice.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createSession, putFlash, takeFlash, type WebSession } from '../../src/web/sessions.ts';

describeEachDb('web session flashes under concurrent requests', (kind) => {
  let t: TestApp;
  let session: WebSession;
  let request: FastifyRequest;

  beforeAll(async () => {
    t = await startTestApp(kind);
    let cookie = '';
    const reply = { setCookie: (_name: string, value: string) => (cookie = value) } as unknown as FastifyReply;
    session = await createSession(t.deps, reply, 'hub', { partner_id: 'P1' });
    request = { cookies: { ow_hub: cookie } } as unknown as FastifyRequest;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('eight flashes put at once are all kept; taken at once, each comes back exactly once', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    await Promise.all(names.map((n) => putFlash(t.deps, request, session, n, { secret: `s-${n}` })));
    const taken = await Promise.all([...names, ...names].map((n) => takeFlash<{ secret: string }>(t.deps, request, session, n)));
    const got = taken.filter((v) => v !== undefined).map((v) => v!.secret);
    expect(got.sort()).toEqual(names.map((n) => `s-${n}`).sort());
    // The session's own subject is still there.
    const row = await t.deps.db.kysely.selectFrom('web_sessions').select('subject').where('id_hash', '=', session.idHash).executeTakeFirstOrThrow();
    expect(JSON.parse(row.subject)).toEqual({ partner_id: 'P1' });
  });
});
