// Attaching a number: our refusals before Meta is asked (nothing changes at Meta), the number must
// be the WABA's, one live channel per number and partner, Meta's answer never stores junk, and a
// token Meta repeats in its error never comes back to a caller (the operator's, or a tenant's).
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeGraph, graphErrorBody } from '../helpers/fake-graph.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';

const ADMIN = 'e'.repeat(32);
const admin = { authorization: `Bearer ${ADMIN}` };
const TOKEN = 'EAAGattachChecks' + 'Z'.repeat(60);
const WABA = '102290129388801';
let seq = 0;
const pnid = () => String(106540352288800 + ++seq);

describeEachDb('attach checks', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  beforeAll(async () => {
    graph = await new FakeGraph().start();
    t = await startTestApp(kind, { env: { OPENWABA_ADMIN_TOKEN: ADMIN, OPENWABA_SECRET_KEY: 'f'.repeat(64), OPENWABA_META_GRAPH_URL: graph.url } });
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
  });
  beforeEach(() => graph.reset());
  const attach = (channelId: string, body: Record<string, unknown>) => t.put(`/admin/channels/${channelId}/meta`, { headers: admin, json: body });
  const number = (id: string, over: Record<string, unknown> = {}) => ({ status: 200, json: { id, display_phone_number: '+49 151 2345 6789', verified_name: 'Acme', quality_rating: 'GREEN', messaging_limit_tier: 'TIER_1K', ...over } });
  const numbers = (...ids: string[]) => ({ status: 200, json: { data: ids.map((id) => ({ id })), paging: { cursors: { before: 'A', after: 'B' } } } });

  it('a terminated channel or a number attached elsewhere: 409 without a request to Meta', async () => {
    const a = await t.tenant();
    const b = await t.tenant();
    const taken = pnid();
    await attachMetaChannel(t.deps, a.channel_id, { phoneNumberId: taken, wabaId: WABA, accessToken: TOKEN });
    expect((await attach(b.channel_id, { phone_number_id: taken, waba_id: WABA, access_token: TOKEN })).status).toBe(409);
    await t.deps.db.kysely.updateTable('channels').set({ status: 'terminated', terminated_at: new Date().toISOString() }).where('id', '=', b.channel_id).execute();
    expect((await attach(b.channel_id, { phone_number_id: pnid(), waba_id: WABA, access_token: TOKEN })).status).toBe(409);
    expect(graph.requests).toEqual([]);
  });

  it('a number that is not the WABA\'s is refused before subscribing anything', async () => {
    const a = await t.tenant();
    const id = pnid();
    graph.respond(number(id), numbers('106540352200001', '106540352200002'));
    const res = await attach(a.channel_id, { phone_number_id: id, waba_id: WABA, access_token: TOKEN });
    expect(res.status).toBe(400);
    expect(res.body.meta.developer_message).toBe(`phone_number_id ${id} is not a number of WABA ${WABA} (as Meta lists them)`);
    expect(graph.requests.some((r) => r.path.endsWith('/subscribed_apps'))).toBe(false);
  });

  it("one live channel per number and partner: a second channel of the partner with Meta's number is refused", async () => {
    const a = await t.tenant();
    const { createChannel } = await import('../../src/services/channels.ts');
    const other = await createChannel(t.deps, { partnerId: a.partner_id, clientId: a.client_id, phoneNumber: '4915123456789', phoneName: 'Other' });
    const id = pnid();
    graph.respond(number(id), numbers(id), { status: 200, json: { success: true } });
    const res = await attach(a.channel_id, { phone_number_id: id, waba_id: WABA, access_token: TOKEN });
    expect(res.status).toBe(409);
    expect(res.body.meta.developer_message).toBe(`+4915123456789 is already the number of channel ${other.id}`);
  });

  it("junk in Meta's answer is not stored: a 20-digit number, a lower-case rating, a 300-character name", async () => {
    const a = await t.tenant();
    const id = pnid();
    graph.respond(number(id, { display_phone_number: '+1 2345678901234567890', quality_rating: 'green', messaging_limit_tier: 'TIER 1K', verified_name: 'N'.repeat(300) }), numbers(id), { status: 200, json: { success: true } });
    const res = await attach(a.channel_id, { phone_number_id: id, waba_id: WABA, access_token: TOKEN });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ current_quality_rating: 'GREEN', current_limit: 'TIER_1K', setup_info: { phone_number: a.phone_number } });
    expect(res.body.setup_info.phone_name).not.toContain('NNNN');
  });

  it('a token Meta repeats in its error is in no answer and no log line: attach and send alike', async () => {
    const a = await t.tenant();
    const echoed = graphErrorBody(190, `Malformed access token ${TOKEN}`, { type: 'OAuthException' });
    graph.respond({ status: 400, json: echoed });
    const refused = await attach(a.channel_id, { phone_number_id: pnid(), waba_id: WABA, access_token: TOKEN });
    expect(refused.status).toBe(400);
    expect(refused.body.meta.developer_message).toContain('Malformed access token [access token]');
    expect(refused.text).not.toContain(TOKEN);
    // A send: the tenant's client gets Meta's error object, without the operator's token.
    const b = await t.tenant();
    await attachMetaChannel(t.deps, b.channel_id, { phoneNumberId: pnid(), wabaId: WABA, accessToken: TOKEN });
    graph.respond({ status: 400, json: echoed }, { status: 500, json: echoed });
    for (let i = 0; i < 2; i++) {
      const sent = await t.post('/messages', { headers: { 'd360-api-key': b.channel_api_key }, json: { messaging_product: 'whatsapp', to: '4915123456789', type: 'text', text: { body: 'hi' } } });
      expect(sent.status).toBeGreaterThanOrEqual(400);
      expect(sent.text).toContain('[access token]');
      expect(sent.text).not.toContain(TOKEN);
    }
    expect(t.logs.join('\n')).not.toContain(TOKEN);
  });
});
