// Review of business-scoped user ids (BSUIDs) on Meta's network: a user whose number Meta does not
// share reaches an On-Premise channel's webhook with their BSUID as wa_id and from; the client's
// reply to that wa_id (/v1/messages `to`) must reach the user: it goes to Meta as `recipient`.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { ACCESS_TOKEN, META_ENV, epoch, notification, post, wamid } from './meta-webhook-fixtures.ts';

const ONPREM_NUMBER = '106540352243012';
const VERSION = 'v22.0';
const PHONELESS = 'GB.88123456789012345679';

describeEachDb('BSUIDs on Meta: review', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let receiver: Receiver;
  let onprem: BootstrapResult;
  const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { ...META_ENV, OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_GRAPH_VERSION: VERSION } });
    onprem = await t.tenant();
    await t.deps.db.kysely.updateTable('channels').set({ hosting_type: 'onpremise' }).where('id', '=', onprem.channel_id).execute();
    await attachMetaChannel(t.deps, onprem.channel_id, { phoneNumberId: ONPREM_NUMBER, wabaId: '102290129340398', accessToken: ACCESS_TOKEN });
    const res = await t.post('/v1/configs/webhook', { headers: key(onprem), json: { url: `${receiver.url}/onprem` } });
    expect(res.status, res.text).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
    await receiver?.close();
  });
  beforeEach(() => graph.reset());

  it("an On-Premise client replies to a phoneless user's wa_id (their BSUID): the reply goes to Meta as recipient", async () => {
    const id = wamid();
    const message = { from_user_id: PHONELESS, id, timestamp: epoch(1), type: 'text', text: { body: 'hello from a username user' } };
    expect((await post(t, notification(ONPREM_NUMBER, { contacts: [{ profile: { name: 'Ann', username: '@ann' }, user_id: PHONELESS }], messages: [message] }))).status).toBe(200);
    const hook = await receiver.waitForBody('the On-Premise phoneless message', (bs) => bs.find((b) => b.messages?.[0]?.id === id));
    const waId = hook.contacts[0].wa_id as string;
    expect(waId).toBe(PHONELESS);

    // The On-Premise client answers the wa_id it was given, as it answers every user.
    const metaId = 'wamid.HBgLBSUIDreview000000001';
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: waId, user_id: waId }], messages: [{ id: metaId }] } });
    const reply = await t.post('/v1/messages', { headers: key(onprem), json: { to: waId, type: 'text', text: { body: 'hi Ann' } } });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body.contacts).toEqual([{ input: waId, wa_id: waId }]);
    expect(reply.body.messages).toEqual([{ id: metaId }]);
    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', recipient: PHONELESS, type: 'text', text: { body: 'hi Ann' } });
    // Stored in the user's conversation (under the BSUID, as their message is).
    const row = await t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', metaId).executeTakeFirst();
    expect(row).toMatchObject({ channel_id: onprem.channel_id, direction: 'outbound', wa_id: PHONELESS });

    // A Cloud-style body on /v1 takes it in `to` too; a malformed id there is still a 400 in the On-Premise format.
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: waId, user_id: waId }], messages: [{ id: 'wamid.HBgLBSUIDreview000000002' }] } });
    const cloudBody = await t.post('/v1/messages', { headers: key(onprem), json: { messaging_product: 'whatsapp', to: waId, type: 'text', text: { body: 'again' } } });
    expect(cloudBody.status, cloudBody.text).toBe(201);
    expect(graph.requests[1]!.json.recipient).toBe(PHONELESS);
    const bad = await t.post('/v1/messages', { headers: key(onprem), json: { to: 'gb.88123456789012345679', type: 'text', text: { body: 'x' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].details).toMatch(/^to: must be a phone number/);
    expect(graph.requests).toHaveLength(2);
  });

  it('Cloud /messages keeps `to` for numbers: a BSUID goes in recipient', async () => {
    const res = await t.post('/messages', { headers: key(onprem), json: { messaging_product: 'whatsapp', to: PHONELESS, type: 'text', text: { body: 'x' } } });
    expect(res.status).toBe(400);
    expect(res.body.error.error_data.details).toMatch(/^to: must be a phone number/);
    expect(graph.requests).toHaveLength(0);
  });
});
