// Business-scoped user ids (BSUIDs) on Meta's network: Meta's webhooks with BSUID fields reach
// the channel's Cloud webhook with them intact; a user whose number Meta does not share (only
// from_user_id / user_id) is stored under the BSUID and delivered; statuses with
// recipient_user_id move their message and pass it on; Cloud sends to a BSUID (`recipient`) go to
// Meta as given and Meta's answer comes back; On-Premise refuses `recipient`.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { FakeGraph } from '../helpers/fake-graph.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { META_ENV, epoch, notification, post, sentThroughMeta, wamid , metaCloudAndOnPrem } from './meta-webhook-fixtures.ts';

const CLOUD_NUMBER = '106540352243001';
const ONPREM_NUMBER = '106540352243002';
const VERSION = 'v22.0';
const BSUID = 'US.13491208655302741918';
const PARENT = 'US.ENT.11815799212886844830';

describeEachDb('BSUIDs on Meta', (kind) => {
  let graph: FakeGraph;
  let t: TestApp;
  let receiver: Receiver;
  let cloud: BootstrapResult;
  let onprem: BootstrapResult;
  const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });
  const messageRow = (id: string) => t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  const hookWith = (what: string, pick: (b: any) => boolean) => receiver.waitForBody(what, (bodies) => bodies.find(pick));
  const cloudValue = (b: any) => b.entry?.[0]?.changes?.[0]?.value;

  beforeAll(async () => {
    graph = await new FakeGraph().start();
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { ...META_ENV, OPENWABA_META_GRAPH_URL: graph.url, OPENWABA_META_GRAPH_VERSION: VERSION } });
    ({ cloud, onprem } = await metaCloudAndOnPrem(t, receiver.url, { cloud: CLOUD_NUMBER, onprem: ONPREM_NUMBER }));
  });
  afterAll(async () => {
    await t?.close();
    await graph?.close();
    await receiver?.close();
  });
  beforeEach(() => graph.reset());

  it("a message with Meta's BSUID fields reaches the Cloud webhook with all of them, in Meta's places", async () => {
    const id = wamid();
    const ts = epoch(2);
    const contact = { profile: { name: 'Jane', username: '@jane.doe' }, wa_id: '16505551234', user_id: BSUID, parent_user_id: PARENT };
    const message = { from: '16505551234', from_user_id: BSUID, from_parent_user_id: PARENT, id, timestamp: ts, type: 'text', text: { body: 'hi with ids' } };
    expect((await post(t, notification(CLOUD_NUMBER, { contacts: [contact], messages: [message] }))).status).toBe(200);
    const value = cloudValue(await hookWith('the message with BSUIDs', (b) => cloudValue(b)?.messages?.[0]?.id === id));
    expect(value.contacts).toEqual([contact]);
    expect(value.messages).toEqual([message]);
    expect(await messageRow(id)).toMatchObject({ channel_id: cloud.channel_id, direction: 'inbound', wa_id: '16505551234' });
  });

  it('a user whose number Meta does not share (no from, no wa_id) is stored under the BSUID and delivered without a number', async () => {
    const id = wamid();
    const ts = epoch(1);
    const phoneless = 'GB.88123456789012345678';
    const contact = { profile: { name: 'Ann', username: '@ann' }, user_id: phoneless };
    const message = { from_user_id: phoneless, id, timestamp: ts, type: 'text', text: { body: 'no number here' } };
    expect((await post(t, notification(CLOUD_NUMBER, { contacts: [contact], messages: [message] }))).status).toBe(200);
    const value = cloudValue(await hookWith('the phoneless message', (b) => cloudValue(b)?.messages?.[0]?.id === id));
    // As Meta sent it: no wa_id, no from.
    expect(value.contacts).toEqual([contact]);
    expect(value.messages).toEqual([message]);
    const row = await messageRow(id);
    expect(row).toMatchObject({ channel_id: cloud.channel_id, direction: 'inbound', status: 'received', wa_id: phoneless });
    // The user's window is open under the BSUID (a reply to them is within 24 hours).
    const user = await t.deps.db.kysely.selectFrom('sandbox_users').selectAll().where('channel_id', '=', cloud.channel_id).where('wa_id', '=', phoneless).executeTakeFirst();
    expect(user).toMatchObject({ name: 'Ann', wa_id: phoneless });
    expect(user!.last_inbound_at).not.toBeNull();

    // On-Premise (a format that predates BSUIDs): the BSUID stands in wa_id and from, nothing new is added.
    const id2 = wamid();
    const message2 = { from_user_id: phoneless, id: id2, timestamp: ts, type: 'text', text: { body: 'legacy' } };
    expect((await post(t, notification(ONPREM_NUMBER, { contacts: [contact], messages: [message2] }))).status).toBe(200);
    const legacy = await hookWith('the On-Premise phoneless message', (b) => b.messages?.[0]?.id === id2);
    expect(legacy).toEqual({ contacts: [{ profile: { name: 'Ann' }, wa_id: phoneless }], messages: [{ from: phoneless, id: id2, timestamp: ts, type: 'text', text: { body: 'legacy' } }] });
  });

  it('a message naming its user by neither from nor a BSUID is skipped, the rest of the notification kept', async () => {
    const bad = wamid();
    const good = wamid();
    const res = await post(
      t,
      notification(CLOUD_NUMBER, {
        messages: [
          { from_user_id: 'not-a-bsuid', id: bad, timestamp: epoch(), type: 'text', text: { body: 'x' } },
          { from_user_id: BSUID, id: good, timestamp: epoch(), type: 'text', text: { body: 'y' } },
        ],
      }),
    );
    expect(res.status).toBe(200);
    expect(await messageRow(bad)).toBeUndefined();
    expect(await messageRow(good)).toMatchObject({ wa_id: BSUID });
  });

  it('statuses with recipient_user_id move their message; the field, the parent and the contacts entry reach the webhook; failed ones carry what Meta sent', async () => {
    const id = await sentThroughMeta(t, cloud);
    const contact = { profile: { name: 'Jane', username: '@jane.doe' }, wa_id: '4917600000001', user_id: 'DE.5550001112223334445', parent_user_id: 'DE.ENT.9990001112223334445' };
    const status = { id, status: 'delivered', timestamp: epoch(1), recipient_id: '4917600000001', recipient_user_id: contact.user_id, recipient_parent_user_id: contact.parent_user_id };
    expect((await post(t, notification(CLOUD_NUMBER, { contacts: [contact], statuses: [status] }))).status).toBe(200);
    expect((await messageRow(id))?.status).toBe('delivered');
    const value = cloudValue(await hookWith('the delivered status', (b) => cloudValue(b)?.statuses?.[0]?.id === id));
    expect(value.contacts).toEqual([contact]);
    expect(value.statuses).toEqual([status]);

    // A failed status: no contacts (Meta omits them), recipient_user_id only when Meta sent it.
    const failedId = await sentThroughMeta(t, cloud);
    const failed = { id: failedId, status: 'failed', timestamp: epoch(1), recipient_id: 'US.13491208655302741918', recipient_user_id: BSUID, errors: [{ code: 131026, title: 'Message undeliverable' }] };
    expect((await post(t, notification(CLOUD_NUMBER, { statuses: [failed] }))).status).toBe(200);
    expect((await messageRow(failedId))?.status).toBe('failed');
    const fv = cloudValue(await hookWith('the failed status', (b) => cloudValue(b)?.statuses?.[0]?.id === failedId));
    expect(fv.contacts).toBeUndefined();
    expect(fv.statuses[0]).toMatchObject({ id: failedId, status: 'failed', recipient_user_id: BSUID, errors: [{ code: 131026, title: 'Message undeliverable' }] });

    // On-Premise statuses stay as they were: no BSUID fields.
    const legacyId = await sentThroughMeta(t, onprem);
    const legacy = { id: legacyId, status: 'sent', timestamp: epoch(1), recipient_id: '4917600000001', recipient_user_id: contact.user_id };
    expect((await post(t, notification(ONPREM_NUMBER, { contacts: [contact], statuses: [legacy] }))).status).toBe(200);
    const lv = await hookWith('the On-Premise status', (b) => b.statuses?.[0]?.id === legacyId);
    expect(lv.contacts).toBeUndefined();
    expect(lv.statuses[0]).toEqual({ id: legacyId, status: 'sent', timestamp: legacy.timestamp, recipient_id: '4917600000001', type: 'message' });
  });

  it("a status with recipient_user_id that arrives before its send is stored waits for it, and keeps the field", async () => {
    const id = wamid();
    const status = { id, status: 'sent', timestamp: epoch(0), recipient_id: '4917600000001', recipient_user_id: BSUID };
    expect((await post(t, notification(CLOUD_NUMBER, { statuses: [status] }))).status).toBe(200);
    await sentThroughMeta(t, cloud, id);
    const value = cloudValue(await hookWith('the early status', (b) => cloudValue(b)?.statuses?.[0]?.id === id));
    expect(value.statuses[0]).toMatchObject({ id, status: 'sent', recipient_user_id: BSUID });
    expect((await messageRow(id))?.status).toBe('sent');
  });

  it("a Cloud send to a BSUID goes to Meta as `recipient`, Meta's answer (input, user_id) comes back, and it is stored under the BSUID", async () => {
    const metaId = 'wamid.HBgLBSUIDsend0000000001';
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: BSUID, user_id: BSUID }], messages: [{ id: metaId }] } });
    const res = await t.post('/messages', { headers: key(cloud), json: { messaging_product: 'whatsapp', recipient_type: 'individual', recipient: BSUID, type: 'text', text: { body: 'to a BSUID' } } });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ messaging_product: 'whatsapp', contacts: [{ input: BSUID, user_id: BSUID }], messages: [{ id: metaId }] });
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', recipient: BSUID, type: 'text', text: { body: 'to a BSUID' } });
    expect(await messageRow(metaId)).toMatchObject({ direction: 'outbound', wa_id: BSUID, status: 'accepted' });

    // A parent BSUID goes as given too.
    graph.respond({ status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: PARENT, user_id: PARENT }], messages: [{ id: 'wamid.HBgLBSUIDsend0000000002' }] } });
    const parent = await t.post('/messages', { headers: key(cloud), json: { messaging_product: 'whatsapp', recipient: PARENT, type: 'text', text: { body: 'parent' } } });
    expect(parent.status, parent.text).toBe(200);
    expect(graph.requests[1]!.json.recipient).toBe(PARENT);
    expect(parent.body.contacts).toEqual([{ input: PARENT, user_id: PARENT }]);
  });

  it('with both to and recipient, to wins (as Meta documents); the answer is the number path', async () => {
    const res = await t.post('/messages', { headers: key(cloud), json: { messaging_product: 'whatsapp', to: '4915123456789', recipient: BSUID, type: 'text', text: { body: 'both' } } });
    expect(res.status, res.text).toBe(200);
    expect(graph.requests[0]!.json).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '4915123456789', type: 'text', text: { body: 'both' } });
    expect(res.body.contacts).toEqual([{ input: '4915123456789', wa_id: '4915123456789' }]);
  });

  it('a malformed recipient, or neither to nor recipient: 400 naming the field; nothing reaches Meta', async () => {
    // A malformed value is 131009 (as a malformed `to`), a missing or mistyped one 100.
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ recipient: 'us.13491208655302741918' }, 131009, /^recipient: must be a business-scoped user id/],
      [{ recipient: 'USA.1349120865' }, 131009, /^recipient: must be a business-scoped user id/],
      [{ recipient: 'US.1349-1208' }, 131009, /^recipient: must be a business-scoped user id/],
      [{ recipient: 'US.' }, 131009, /^recipient: must be a business-scoped user id/],
      [{ recipient: `US.${'1'.repeat(129)}` }, 131009, /^recipient: must be a business-scoped user id/],
      [{ recipient: `US.ENT.${'9'.repeat(129)}` }, 100, /^recipient: /],
      [{ recipient: 13491208655302741918 }, 100, /^recipient: must be a string/],
      [{ recipient: BSUID, to: 'abc' }, 131009, /^to: must be a phone number/],
      [{ to: '4915123456789', recipient: 'nope' }, 131009, /^recipient: must be a business-scoped user id/],
      [{}, 100, /^to: is required \(or recipient: a business-scoped user id\)/],
    ];
    for (const [fields, code, why] of cases) {
      const res = await t.post('/messages', { headers: key(cloud), json: { messaging_product: 'whatsapp', type: 'text', text: { body: 'x' }, ...fields } });
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(res.body.error.code, JSON.stringify(fields)).toBe(code);
      expect(res.body.error.error_data.details, JSON.stringify(fields)).toMatch(why);
    }
    // The longest id the format allows is taken.
    const longest = `US.ENT.${'7'.repeat(128)}`;
    const ok = await t.post('/messages', { headers: key(cloud), json: { messaging_product: 'whatsapp', recipient: longest, type: 'text', text: { body: 'x' } } });
    expect(ok.status, ok.text).toBe(200);
    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0]!.json.recipient).toBe(longest);
  });

  it('On-Premise /v1/messages refuses recipient with a 400 in its own format, whichever body style', async () => {
    for (const body of [
      { recipient: BSUID, type: 'text', text: { body: 'x' } },
      { messaging_product: 'whatsapp', recipient: BSUID, type: 'text', text: { body: 'x' } },
      { to: '4915123456789', recipient: BSUID, type: 'text', text: { body: 'x' } },
    ]) {
      const res = await t.post('/v1/messages', { headers: key(onprem), json: body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.meta).toMatchObject({ api_status: 'stable' });
      expect(res.body.errors[0].details).toMatch(/^recipient: business-scoped user ids are not available in the On-Premise API/);
    }
    expect(graph.requests).toHaveLength(0);
  });
});
