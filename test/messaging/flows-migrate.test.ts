// Flow migration (Meta's POST /{waba-id}/migrate_flows, pywa's migrate_flows; routes/flows-migrate.ts):
// named or all flows of another WABA of the same partner are copied with their Flow JSON, PUBLISHED
// when the source is, else DRAFT; a name the destination has fails; another partner's WABA is one
// the key cannot see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphToRoot } from '../../src/messaging/graph-paths.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { createClient } from '../../src/services/clients.ts';
import { createChannel } from '../../src/services/channels.ts';
import { createWabaAccount } from '../../src/services/waba-accounts.ts';
import { createChannelApiKey } from '../../src/services/channel-api-keys.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { describeEachDb } from '../helpers/db.ts';
import { MINIMAL_FLOW_JSON } from '../helpers/flows.ts';

describe('graphToRoot: migrate_flows', () => {
  it('is an edge of the WABA node', () => {
    expect(graphToRoot('/v21.0/102290129340398/migrate_flows?source_waba_id=1', 'POST')).toEqual({ url: '/migrate_flows?source_waba_id=1', graph: { node: '102290129340398', owner: 'waba' } });
  });
});

describeEachDb('flow migration (migrate_flows)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let srcExternal: string;
  let dest: { id: string; externalId: string; apiKey: string };
  const srcIds = new Map<string, string>();

  const createFlow = async (apiKey: string, body: Record<string, unknown>) => {
    const res = await t.post('/flows', { headers: channelKey(apiKey), json: { categories: ['OTHER'], ...body } });
    expect(res.status, res.text).toBe(200);
    return res.body.id as string;
  };
  const flowsOf = async (wabaAccountId: string) =>
    t.deps.db.kysely.selectFrom('flows').select(['id', 'name', 'status', 'flow_json', 'categories']).where('waba_account_id', '=', wabaAccountId).orderBy('name').execute();

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    srcExternal = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id;
    // The destination: another WABA of the same client (Meta migrates between WABAs of one business).
    const wabaAccountId = (await createWabaAccount(t.deps, { partnerId: p.partner_id, clientId: p.client_id, name: 'dest' })).id;
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: p.client_id, wabaAccountId, phoneNumber: '4916000004242', phoneName: 'dest', status: 'ready' });
    const k = await createChannelApiKey(t.deps, ch);
    const w = await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', ch.waba_account_id).executeTakeFirstOrThrow();
    dest = { id: ch.waba_account_id, externalId: w.external_id, apiKey: k.api_key };

    const json = JSON.stringify(MINIMAL_FLOW_JSON);
    srcIds.set('Sign up', await createFlow(p.channel_api_key, { name: 'Sign up', categories: ['SIGN_UP'], flow_json: json, publish: true }));
    srcIds.set('Draft one', await createFlow(p.channel_api_key, { name: 'Draft one', flow_json: json }));
    srcIds.set('Clash', await createFlow(p.channel_api_key, { name: 'Clash' }));
    await createFlow(dest.apiKey, { name: 'Clash' });
  });
  afterAll(() => t.close());

  it("pywa's request on the Graph path: the named flows copied, a taken name and an unknown name failed", async () => {
    const names = encodeURIComponent('Sign up,Clash,Nowhere');
    const res = await t.post(`/v21.0/${dest.externalId}/migrate_flows?source_waba_id=${srcExternal}&source_flow_names=${names}`, { headers: bearer(dest.apiKey) });
    expect(res.status, res.text).toBe(200);
    expect(res.body.migrated_flows).toEqual([{ source_name: 'Sign up', source_id: srcIds.get('Sign up'), migrated_id: expect.stringMatching(/^\d{16}$/) }]);
    expect(res.body.failed_flows).toEqual(
      expect.arrayContaining([
        { source_name: 'Clash', error_code: '4233041', error_message: expect.stringContaining('same name exists in destination') },
        { source_name: 'Nowhere', error_code: '100', error_message: expect.any(String) },
      ]),
    );
    expect(res.body.failed_flows).toHaveLength(2);
    const copy = (await flowsOf(dest.id)).find((f) => f.name === 'Sign up')!;
    const source = (await flowsOf(p.waba_account_id)).find((f) => f.name === 'Sign up')!;
    expect(copy.id).toBe(res.body.migrated_flows[0].migrated_id);
    expect(copy.id).not.toBe(source.id);
    // Published as its source is, with its Flow JSON and categories.
    expect(copy.status).toBe('PUBLISHED');
    expect(copy.flow_json).toBe(source.flow_json);
    expect(JSON.parse(copy.categories)).toEqual(['SIGN_UP']);
    // The source is left as it was.
    expect((await flowsOf(p.waba_account_id)).map((f) => f.name)).toEqual(['Clash', 'Draft one', 'Sign up']);
  });

  it('at the root with a JSON body and no names: all the source flows, a DRAFT stays DRAFT', async () => {
    const res = await t.post('/migrate_flows', { headers: channelKey(dest.apiKey), json: { source_waba_id: p.waba_account_id } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.migrated_flows.map((f: { source_name: string }) => f.source_name)).toEqual(['Draft one']);
    expect(res.body.failed_flows.map((f: { source_name: string; error_code: string }) => `${f.source_name}:${f.error_code}`).sort()).toEqual(['Clash:4233041', 'Sign up:4233041']);
    const copy = (await flowsOf(dest.id)).find((f) => f.name === 'Draft one')!;
    expect(copy.status).toBe('DRAFT');
    expect(JSON.parse(copy.flow_json!)).toEqual(MINIMAL_FLOW_JSON);
  });

  it("another client's WABA of the same partner is one the key cannot see either (400 code 100 subcode 33); nothing is copied", async () => {
    const c = await createClient(t.deps, p.partner_id, { name: 'stranger', email: 'stranger@example.com' });
    const ch = await createChannel(t.deps, { partnerId: p.partner_id, clientId: c.id, phoneNumber: '4916000004343', phoneName: 'stranger', status: 'ready' });
    const k = await createChannelApiKey(t.deps, ch);
    const res = await t.post('/migrate_flows', { headers: channelKey(k.api_key), json: { source_waba_id: srcExternal } });
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    expect(await flowsOf(ch.waba_account_id)).toEqual([]);
  });

  it("another partner's WABA is one the key cannot see (400 code 100 subcode 33), either way round; nothing is copied", async () => {
    const countBefore = (await flowsOf(other.waba_account_id)).length;
    const otherExternal = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', other.waba_account_id).executeTakeFirstOrThrow()).external_id;
    for (const res of [
      await t.post(`/v21.0/${otherExternal}/migrate_flows?source_waba_id=${srcExternal}`, { headers: bearer(other.channel_api_key) }),
      await t.post('/migrate_flows', { headers: channelKey(other.channel_api_key), json: { source_waba_id: p.waba_account_id } }),
      await t.post('/migrate_flows', { headers: channelKey(other.channel_api_key), json: { source_waba_id: srcExternal } }),
      await t.post(`/v21.0/${dest.externalId}/migrate_flows?source_waba_id=${otherExternal}`, { headers: bearer(dest.apiKey) }),
    ]) {
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
    }
    expect((await flowsOf(other.waba_account_id)).length).toBe(countBefore);
    // The destination named in the path must be the key's own WABA.
    const foreign = await t.post(`/v21.0/${srcExternal}/migrate_flows?source_waba_id=${otherExternal}`, { headers: bearer(other.channel_api_key) });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.error_subcode).toBe(33);
  });

  it('refuses bad parameters with Graph\'s 400 code 100', async () => {
    const auth = channelKey(dest.apiKey);
    const tooMany = Array.from({ length: 101 }, (_, i) => `f${i}`).join(',');
    for (const json of [{}, { source_waba_id: dest.id }, { source_waba_id: 'a b' }, { source_waba_id: p.waba_account_id, source_flow_names: tooMany }, { source_waba_id: p.waba_account_id, extra: 1 }, { source_waba_id: p.waba_account_id, source_flow_names: [1] }]) {
      const res = await t.post('/migrate_flows', { headers: auth, json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      expect(res.body.error.code, JSON.stringify(json)).toBe(100);
    }
  });
});
