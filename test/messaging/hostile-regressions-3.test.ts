// What the hostile-input storm (hostile-input.test.ts) found in the endpoints profiled third: the
// WhatsApp Flows routes and /subscribed_apps.
//
// DELETE /subscribed_apps read no body, so a garbage one (text/plain, a JSON array or string)
// was answered 200 and removed the WABA's override. It now reads its Graph parameters as the
// other Graph edges do (graph-params.ts): no body, a JSON object or null are taken (Graph
// ignores parameters it does not know), anything else is Graph's 400 and nothing changes.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const OVERRIDE = 'https://hooks.example.com/waba';

describeEachDb('hostile-input regressions: DELETE /subscribed_apps', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let wabaId: string;
  const key = () => channelKey(p.channel_api_key);
  const override = async () =>
    (await t.deps.db.kysely.selectFrom('waba_accounts').select('override_callback_uri').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).override_callback_uri;

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    wabaId = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id;
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(async () => {
    await t.deps.db.kysely.updateTable('waba_accounts').set({ override_callback_uri: OVERRIDE }).where('id', '=', p.waba_account_id).execute();
  });

  const expectGraph400 = (res: { status: number; body: any; text: string }) => {
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'OAuthException', code: 100 });
    expect(res.body.error.message).toMatch(/^\(#100\) /);
    expect(res.body.error.error_data.details).toMatch(/^body: must be a JSON object/);
  };

  for (const [label, headers, raw] of [
    ['a text/plain body', { 'content-type': 'text/plain' }, 'remove it'],
    ['a JSON array', { 'content-type': 'application/json' }, '[]'],
    ['a JSON string', { 'content-type': 'application/json; charset=utf-8' }, '"all"'],
    ['a JSON number', { 'content-type': 'APPLICATION/JSON' }, '1'],
  ] as const) {
    it(`${label}: Graph's 400, and the override stays`, async () => {
      expectGraph400(await t.delete('/subscribed_apps', { headers: { ...key(), ...headers }, raw }));
      expect(await override()).toBe(OVERRIDE);
    });
  }

  it('the Graph path refuses a garbage body the same way', async () => {
    expectGraph400(await t.delete(`/v21.0/${wabaId}/subscribed_apps`, { headers: { ...bearer(p.channel_api_key), 'content-type': 'text/plain' }, raw: 'x' }));
    expect(await override()).toBe(OVERRIDE);
  });

  for (const [label, opts] of [
    ['no body', {}],
    ['an empty JSON body', { headers: { 'content-type': 'application/json' }, raw: '' }],
    ['{}', { json: {} }],
    ['null', { headers: { 'content-type': 'application/json' }, raw: 'null' }],
    ['unknown parameters (ignored, as Graph ignores them)', { json: { app_id: '123' } }],
  ] as const) {
    it(`${label}: the override is removed`, async () => {
      const res = await t.delete('/subscribed_apps', { ...opts, headers: { ...key(), ...('headers' in opts ? opts.headers : {}) } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ success: true });
      expect(await override()).toBeNull();
    });
  }
});
