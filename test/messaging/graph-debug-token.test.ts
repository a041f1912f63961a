// Graph's token inspection, GET /{version}/debug_token (routes/graph-debug-token.ts): clients call
// it after Embedded Signup or at start-up and read data.is_valid, data.app_id, data.scopes and
// the WABA id in data.granular_scopes[scope=whatsapp_business_management].target_ids. Both tokens
// are channel keys; the input token is valid only when it is a live key of the inspector's client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { sandboxPhoneNumber } from '../../src/services/bootstrap.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createClient } from '../../src/services/clients.ts';
import { createChannelApiKey, revokeChannelApiKeys } from '../../src/services/channel-api-keys.ts';
import { createWabaAccount } from '../../src/services/waba-accounts.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import { loggedUrl } from '../../src/http/logging.ts';
import { ACCESS_TOKEN, META_ENV } from '../meta/meta-webhook-fixtures.ts';

const q = (o: Record<string, string>) => new URLSearchParams(o).toString();

describe('the request log', () => {
  it('censors input_token (and access_token) of debug_token, also percent-encoded', () => {
    expect(loggedUrl('/v21.0/debug_token?input_token=it-1&access_token=at-1')).toBe('/v21.0/debug_token?input_token=[redacted]&access_token=[redacted]');
    expect(loggedUrl('/debug_token?%69nput_token=it-2')).toBe('/debug_token?%69nput_token=[redacted]');
    expect(loggedUrl('/debug_token?INPUT_TOKEN=it-3&x=1')).toBe('/debug_token?INPUT_TOKEN=[redacted]&x=1');
  });
});

describeEachDb('GET /debug_token (Graph token inspection)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  /** Another client of the same partner, and a tenant of its own. */
  let sibling: string;
  let stranger: BootstrapResult;
  /** A second number of p's client, on a WABA of its own. */
  let second: { key: string; wabaExternalId: string; appId: string };
  const debug = (query: Record<string, string>, headers: Record<string, string> = {}, path = '/v21.0/debug_token') => t.get(`${path}?${q(query)}`, { headers });
  const wabaExternalId = async (channelId: string) =>
    (await t.deps.db.kysely.selectFrom('channels').innerJoin('waba_accounts', 'waba_accounts.id', 'channels.waba_account_id').select('waba_accounts.external_id').where('channels.id', '=', channelId).executeTakeFirstOrThrow())
      .external_id;
  const channelRow = (id: string) => t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  /** A fresh number (and key) of p's client on its default WABA. */
  const newKey = async () => {
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: sandboxPhoneNumber(), phoneName: 'Extra' });
    return { channel: ch, key: (await createChannelApiKey(t.deps, ch)).api_key };
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { env: META_ENV });
    p = await t.tenant();
    stranger = await t.tenant();
    const otherClient = await createClient(t.deps, p.partner_id, { name: 'Sibling', email: 'sibling@openwaba.local' });
    const sibCh = await createChannel(t.deps, { partnerId: p.partner_id, clientId: otherClient.id, phoneNumber: sandboxPhoneNumber(), phoneName: 'Sibling' });
    sibling = (await createChannelApiKey(t.deps, sibCh)).api_key;
    const waba = await createWabaAccount(t.deps, { partnerId: p.partner_id, clientId: p.client_id, name: 'Second WABA' });
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, phoneNumber: sandboxPhoneNumber(), phoneName: 'Second', wabaAccountId: waba.id });
    second = { key: (await createChannelApiKey(t.deps, ch)).api_key, wabaExternalId: waba.external_id, appId: ch.app_id };
  });
  afterAll(async () => {
    await t.close();
  });

  it("a live key of the caller's client: valid, the channel's app id, both WhatsApp scopes targeting its WABA as GET /{waba-id} names it", async () => {
    const key = p.channel_api_key;
    const res = await debug({ input_token: key, access_token: key });
    expect(res.status, res.text).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const waba = await wabaExternalId(p.channel_id);
    const ch = await channelRow(p.channel_id);
    expect(res.body).toEqual({
      data: {
        app_id: ch.app_id,
        type: 'SYSTEM_USER',
        application: 'openwaba',
        data_access_expires_at: 0,
        expires_at: 0,
        is_valid: true,
        scopes: ['whatsapp_business_management', 'whatsapp_business_messaging'],
        granular_scopes: [
          { scope: 'whatsapp_business_management', target_ids: [waba] },
          { scope: 'whatsapp_business_messaging', target_ids: [waba] },
        ],
        user_id: expect.stringMatching(/^\d{15}$/),
      },
    });
    // The WABA id is the one the Graph node answers, and the app id the one /subscribed_apps names.
    const node = await t.get(`/v21.0/${waba}`, { headers: bearer(key) });
    expect(node.status, node.text).toBe(200);
    expect(node.body.id).toBe(waba);
    const apps = await t.get(`/v21.0/${waba}/subscribed_apps`, { headers: bearer(key) });
    expect(apps.body.data[0].whatsapp_business_api_data.id).toBe(res.body.data.app_id);
    // What a client does after Embedded Signup: the first target of whatsapp_business_management.
    const mgmt = res.body.data.granular_scopes.find((s: { scope: string }) => s.scope === 'whatsapp_business_management');
    expect(mgmt.target_ids[0]).toBe(waba);
    // Stable: the same answer again (user_id included).
    expect((await debug({ input_token: key, access_token: key })).body).toEqual(res.body);
  });

  it("another number of the same client: valid, with that number's own WABA and app id; the same system user", async () => {
    const res = await debug({ input_token: second.key, access_token: p.channel_api_key });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data).toMatchObject({ is_valid: true, app_id: second.appId });
    expect(res.body.data.granular_scopes).toEqual([
      { scope: 'whatsapp_business_management', target_ids: [second.wabaExternalId] },
      { scope: 'whatsapp_business_messaging', target_ids: [second.wabaExternalId] },
    ]);
    const self = await debug({ input_token: p.channel_api_key, access_token: p.channel_api_key });
    expect(res.body.data.user_id).toBe(self.body.data.user_id);
    // Another client's system user differs.
    const other = await debug({ input_token: stranger.channel_api_key, access_token: stranger.channel_api_key });
    expect(other.body.data.user_id).not.toBe(self.body.data.user_id);
  });

  it('the inspecting key as Authorization: Bearer or D360-API-KEY, with and without the version', async () => {
    const key = p.channel_api_key;
    const want = (await debug({ input_token: key, access_token: key })).body;
    for (const path of ['/v21.0/debug_token', '/debug_token', '/v23.0/debug_token/']) {
      for (const headers of [bearer(key), { authorization: `OAuth ${key}` }, channelKey(key)]) {
        const res = await debug({ input_token: key }, headers, path);
        expect(res.status, `${path} ${Object.keys(headers)[0]}: ${res.text}`).toBe(200);
        expect(res.body).toEqual(want);
      }
    }
    const unversioned = await debug({ input_token: key, access_token: key }, {}, '/debug_token');
    expect(unversioned.status, unversioned.text).toBe(200);
    expect(unversioned.body).toEqual(want);
  });

  it('a revoked, unknown, malformed or cancelled key, or another tenant\'s: 200, is_valid false, error 190, and the same answer for each', async () => {
    const revoked = await newKey();
    await revokeChannelApiKeys(t.deps, revoked.channel);
    const cancelled = await newKey();
    await t.deps.db.kysely.updateTable('channels').set({ status: 'terminated', terminated_at: new Date().toISOString() }).where('id', '=', cancelled.channel.id).execute();
    const withdrawn = await newKey();
    await t.deps.db.kysely.updateTable('channels').set({ access_withdrawn_at: new Date().toISOString() }).where('id', '=', withdrawn.channel.id).execute();
    const want = {
      data: { error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }, is_valid: false, scopes: [], granular_scopes: [] },
    };
    const inputs = {
      revoked: revoked.key,
      cancelled: cancelled.key,
      withdrawn: withdrawn.key,
      unknown: `${p.channel_api_key.slice(0, -2)}zz`,
      garbage: 'EAAG-not-a-key',
      'too long for a key': 'k'.repeat(300),
      // Tenant scoping: a live key of another client (same partner) and of another partner.
      'another client': sibling,
      'another partner': stranger.channel_api_key,
    };
    for (const [why, input] of Object.entries(inputs)) {
      for (const path of ['/v21.0/debug_token', '/debug_token']) {
        const res = await debug({ input_token: input }, bearer(p.channel_api_key), path);
        expect(res.status, `${why} ${path}: ${res.text}`).toBe(200);
        expect(res.body, why).toEqual(want);
        // Nothing of the other tenant's number shows.
        expect(res.text).not.toContain(input);
      }
    }
    // The other tenants' keys are live: each answers valid for its own client.
    expect((await debug({ input_token: sibling, access_token: sibling })).body.data.is_valid).toBe(true);
    expect((await debug({ input_token: p.channel_api_key, access_token: stranger.channel_api_key })).body).toEqual(want);
  });

  it('a wrong or missing inspecting key is refused as Graph refuses a token: 401 code 190 (a cancelled channel\'s key 403 code 10)', async () => {
    const input = p.channel_api_key;
    const graph190 = (res: { status: number; body: any; text: string }, why: string) => {
      expect(res.status, `${why}: ${res.text}`).toBe(401);
      expect(res.body.error, why).toMatchObject({ type: 'OAuthException', code: 190, message: expect.stringContaining('Invalid OAuth access token') });
      expect(res.text).not.toContain(input);
    };
    graph190(await debug({ input_token: input, access_token: 'wrong' }), 'versioned, wrong access_token');
    graph190(await debug({ input_token: input }), 'versioned, no token at all');
    graph190(await debug({ input_token: input, access_token: 'wrong' }, {}, '/debug_token'), 'unversioned, wrong access_token');
    graph190(await debug({ input_token: input }, bearer('wrong')), 'versioned, wrong Bearer');
    graph190(await debug({ input_token: input }, channelKey('wrong')), 'versioned, wrong D360-API-KEY');
    const revoked = await newKey();
    await revokeChannelApiKeys(t.deps, revoked.channel);
    graph190(await debug({ input_token: input, access_token: revoked.key }), 'a revoked key');
    // The key given twice is no key.
    graph190(await t.get(`/v21.0/debug_token?input_token=${encodeURIComponent(input)}&access_token=${encodeURIComponent(input)}&access_token=x`), 'access_token twice');

    const cancelled = await newKey();
    await t.deps.db.kysely.updateTable('channels').set({ status: 'terminated', terminated_at: new Date().toISOString() }).where('id', '=', cancelled.channel.id).execute();
    for (const path of ['/v21.0/debug_token', '/debug_token']) {
      const res = await debug({ input_token: input, access_token: cancelled.key }, {}, path);
      expect(res.status, res.text).toBe(403);
      expect(res.body.error).toMatchObject({ type: 'OAuthException', code: 10 });
    }
    // On the unversioned path a key in a header (or none) gets 360dialog's key error, as on every root path.
    for (const headers of [channelKey('wrong'), bearer('wrong'), {}]) {
      const d360 = await debug({ input_token: input }, headers, '/debug_token');
      expect(d360.status).toBe(401);
      expect(d360.body).toEqual({ meta: { success: false, http_code: 401, developer_message: 'Invalid api_key' } });
    }
  });

  it("a missing input_token is Graph's 400 code 100 naming the parameter; an oversize one 400 in Graph's body", async () => {
    const key = p.channel_api_key;
    for (const path of ['/v21.0/debug_token', '/debug_token']) {
      for (const query of [{}, { input_token: '' }, { input_token: '   ' }] as Record<string, string>[]) {
        const res = await debug(query, bearer(key), path);
        expect(res.status, `${path} ${JSON.stringify(query)}: ${res.text}`).toBe(400);
        expect(res.body.error).toMatchObject({ type: 'OAuthException', code: 100, message: '(#100) The parameter input_token is required' });
        expect(typeof res.body.error.fbtrace_id).toBe('string');
      }
      const long = await debug({ input_token: 'k'.repeat(600) }, bearer(key), path);
      expect(long.status, long.text).toBe(400);
      expect(long.body.error).toMatchObject({ type: 'OAuthException', code: 100 });
      expect(long.body.error.error_data.details).toMatch(/input_token/);
    }
    // The key is checked first: without one, the missing parameter is not reached.
    expect((await debug({})).status).toBe(401);
  });

  it("router-level errors on the path answer in Graph's body", async () => {
    const key = p.channel_api_key;
    for (const path of ['/v21.0/debug_token', '/debug_token']) {
      const post = await t.post(`${path}?${q({ input_token: key })}`, { headers: bearer(key) });
      expect(post.status, post.text).toBe(404);
      expect(post.body.error).toMatchObject({ type: 'OAuthException', code: 100 });
      const nul = await t.get(`${path}?input_token=a%00b`, { headers: bearer(key) });
      expect(nul.status, nul.text).toBe(400);
      expect(nul.body.error).toMatchObject({ type: 'OAuthException' });
      const badUrl = await t.get(`${path}%E0%A4?input_token=x`, { headers: bearer(key) });
      expect(badUrl.status, badUrl.text).toBeGreaterThanOrEqual(400);
      expect(badUrl.status).toBeLessThan(500);
      expect(badUrl.body.error).toMatchObject({ type: 'OAuthException' });
    }
  });

  it('a number on Meta\'s network: its target is the WABA id Meta knows it by', async () => {
    const { channel, key } = await newKey();
    await attachMetaChannel(t.deps, channel.id, { phoneNumberId: '109876543210987', wabaId: '102289599326934', accessToken: ACCESS_TOKEN });
    const res = await debug({ input_token: key }, bearer(p.channel_api_key));
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.is_valid).toBe(true);
    expect(res.body.data.granular_scopes).toEqual([
      { scope: 'whatsapp_business_management', target_ids: ['102289599326934'] },
      { scope: 'whatsapp_business_messaging', target_ids: ['102289599326934'] },
    ]);
  });

  it('the request log shows neither token', async () => {
    const secondKey = second.key;
    await debug({ input_token: secondKey, access_token: p.channel_api_key });
    await debug({ input_token: secondKey }, bearer(p.channel_api_key), '/debug_token');
    const lines = t.logs.filter((l) => l.includes('debug_token'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      expect(l).not.toContain(secondKey);
      expect(l).not.toContain(p.channel_api_key);
    }
    expect(lines.some((l) => l.includes('input_token=[redacted]&access_token=[redacted]'))).toBe(true);
  });
});
