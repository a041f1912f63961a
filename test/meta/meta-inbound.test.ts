// Meta's webhooks in: the URL's verification, signed notifications, messages from WhatsApp users
// delivered to the channel's webhook with Meta's ids, statuses moving messages sent through Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { insertMessageRow } from '../helpers/messages.ts';
import { receiveInbound } from '../../src/messaging/inbound.ts';
import { ApiError } from '../../src/errors.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import type { ChannelRow } from '../../src/services/channels.ts';
import { APP_SECRET, META_ENV, sentThroughMeta, VERIFY_TOKEN, WEBHOOK_PATH, epoch, notification, post, sign, statusOf, textFrom, wamid , metaCloudAndOnPrem } from './meta-webhook-fixtures.ts';

const CLOUD_NUMBER = '106540352242922';
const ONPREM_NUMBER = '106540352242933';

describeEachDb('Meta webhooks in', (kind) => {
  let t: TestApp;
  let bare: TestApp;
  let receiver: Receiver;
  let cloud: BootstrapResult;
  let onprem: BootstrapResult;
  const key = (p: BootstrapResult) => ({ 'D360-API-KEY': p.channel_api_key });
  /** Outbox events of a channel, of one type. */
  const events = async (channelId: string, type: 'message' | 'status' | 'template_status') =>
    t.deps.db.kysely.selectFrom('webhook_events').select(['body']).where('target_id', '=', channelId).where('event_type', '=', type).orderBy('id').execute();
  const messageRow = (id: string) => t.deps.db.kysely.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: META_ENV });
    bare = await startTestApp(kind, { env: { OPENWABA_SECRET_KEY: META_ENV.OPENWABA_SECRET_KEY } });
    ({ cloud, onprem } = await metaCloudAndOnPrem(t, receiver.url, { cloud: CLOUD_NUMBER, onprem: ONPREM_NUMBER }));
  });
  afterAll(async () => {
    await t?.close();
    await bare?.close();
    await receiver?.close();
  });

  describe('GET: verification of the callback URL', () => {
    const verify = (app: TestApp, query: Record<string, string>) => app.get(WEBHOOK_PATH, { query });
    it('echoes hub.challenge as text when the verify token matches', async () => {
      const res = await verify(t, { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1158201444' });
      expect(res.status).toBe(200);
      expect(res.text).toBe('1158201444');
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      // The token is not written to the request log.
      expect(t.logs.join('\n')).not.toContain(VERIFY_TOKEN);
      expect(t.logs.join('\n')).toContain('hub.verify_token=[redacted]');
    });
    it('refuses a wrong token, another mode, an odd challenge: 403 saying why', async () => {
      const cases: [Record<string, string>, RegExp][] = [
        [{ 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong-token-0123456789', 'hub.challenge': '1' }, /verify_token does not match/],
        [{ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN.slice(0, -1), 'hub.challenge': '1' }, /verify_token does not match/],
        [{ 'hub.mode': 'subscribe', 'hub.challenge': '1' }, /verify_token does not match/],
        [{ 'hub.mode': 'unsubscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' }, /hub.mode/],
        [{ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN }, /hub.challenge/],
        [{ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '<script>alert(1)</script>' }, /hub.challenge/],
        [{ 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '9'.repeat(200) }, /hub.challenge/],
      ];
      for (const [query, why] of cases) {
        const res = await verify(t, query);
        expect(res.status, JSON.stringify(query)).toBe(403);
        expect(res.body.error).toMatch(why);
      }
    });
    it('refuses everything when no verify token is configured', async () => {
      const res = await verify(bare, { 'hub.mode': 'subscribe', 'hub.verify_token': VERIFY_TOKEN, 'hub.challenge': '1' });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatch(/OPENWABA_META_VERIFY_TOKEN/);
    });
  });

  describe('POST: signatures', () => {
    it('takes a notification signed over its exact bytes, with or without a charset', async () => {
      const { id, body } = textFrom(CLOUD_NUMBER, '4917600000001', 'signed');
      const res = await post(t, body, { 'content-type': 'application/json; charset=UTF-8' });
      expect(res.status, res.text).toBe(200);
      expect(await messageRow(id)).toBeDefined();
    });
    it('refuses a missing, malformed or wrong signature, or one over other bytes: 401, nothing stored', async () => {
      const { id, body } = textFrom(CLOUD_NUMBER, '4917600000001', 'forged');
      const raw = JSON.stringify(body);
      const spaced = JSON.stringify(body, null, 1);
      const cases: [Record<string, string>, RegExp][] = [
        [{ 'x-hub-signature-256': '' }, /missing/],
        [{ 'x-hub-signature-256': 'sha1=' + 'a'.repeat(40) }, /missing or not sha256/],
        [{ 'x-hub-signature-256': sign(raw).slice(0, -2) }, /missing or not sha256/],
        [{ 'x-hub-signature-256': sign(raw, 'another-secret-0123456789') }, /does not match/],
        // The same notification, signed as Meta serialized it, but sent re-serialized.
        [{ 'x-hub-signature-256': sign(spaced) }, /does not match/],
      ];
      for (const [headers, why] of cases) {
        const res = await t.post(WEBHOOK_PATH, { raw, headers: { 'content-type': 'application/json', ...headers } });
        expect(res.status, JSON.stringify(headers)).toBe(401);
        expect(res.body.error).toMatch(why);
      }
      const none = await t.post(WEBHOOK_PATH, { raw, headers: { 'content-type': 'application/json' } });
      expect(none.status).toBe(401);
      expect(await messageRow(id)).toBeUndefined();
      // Without an app secret nothing is taken, signed or not: 403.
      const unconfigured = await post(bare, body);
      expect(unconfigured.status).toBe(403);
      expect(unconfigured.body.error).toMatch(/OPENWABA_META_APP_SECRET/);
      expect(APP_SECRET).not.toBe('another-secret-0123456789');
    });
    it('malformed JSON, a body that is no notification, a wrong content type: 4xx', async () => {
      expect((await post(t, '{"object":')).status).toBe(400);
      expect((await post(t, '')).status).toBe(400);
      expect((await post(t, '[]')).status).toBe(400);
      expect((await post(t, '{"object":"whatsapp_business_account","entry":{}}')).status).toBe(400);
      expect((await post(t, `{"object":"whatsapp_business_account","__proto__":{"x":1},"entry":[]}`)).status).toBe(400);
      expect((await post(t, '{"object":"whatsapp_business_account","entry":[]}', { 'content-type': 'text/plain' })).status).toBe(415);
      // Over the 3 MiB limit: 413 (within it, as over the app's usual 1 MiB: taken).
      expect((await post(t, `{"object":"whatsapp_business_account","entry":[],"x":"${'y'.repeat(3 * 1024 * 1024)}"}`)).status).toBe(413);
      expect((await post(t, `{"object":"whatsapp_business_account","entry":[],"x":"${'y'.repeat(2 * 1024 * 1024)}"}`)).status).toBe(200);
    });
  });

  describe('messages', () => {
    it("an inbound text goes to a Cloud channel's webhook in the Cloud envelope with Meta's id", async () => {
      const ts = epoch(3);
      const { id, body } = textFrom(CLOUD_NUMBER, '4917600000002', 'hello from WhatsApp', { name: 'Jane Doe', timestamp: ts });
      const res = await post(t, body);
      expect(res.status, res.text).toBe(200);
      const hook = await receiver.waitForBody('the Cloud message', (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === id));
      expect(receiver.requests.find((r) => r.body.includes(id))?.url).toBe('/cloud');
      expect(hook.object).toBe('whatsapp_business_account');
      // Meta's WABA, as in Meta's own webhook, not openwaba's WABA row.
      expect(hook.entry[0].id).toBe('102290129340398');
      const value = hook.entry[0].changes[0].value;
      expect(value.metadata).toEqual({ display_phone_number: cloud.phone_number, phone_number_id: CLOUD_NUMBER });
      expect(value.contacts).toEqual([{ profile: { name: 'Jane Doe' }, wa_id: '4917600000002' }]);
      expect(value.messages).toEqual([{ from: '4917600000002', id, timestamp: ts, type: 'text', text: { body: 'hello from WhatsApp' } }]);
      const row = await messageRow(id);
      expect(row).toMatchObject({ channel_id: cloud.channel_id, direction: 'inbound', wa_id: '4917600000002', status: 'received', type: 'text' });
      expect(JSON.parse(row!.content)).toEqual({ type: 'text', text: { body: 'hello from WhatsApp' } });
    });

    it("a media object's url on Meta's CDN becomes openwaba's download URL for the number; other urls stay", async () => {
      const id = wamid();
      const image = { id: '1037543291541111', mime_type: 'image/jpeg', sha256: 'abc', url: 'https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1037543291541111&ext=1700000000&hash=ATx' };
      const body = notification(CLOUD_NUMBER, { contacts: [{ profile: { name: 'Ada' }, wa_id: '4917600000011' }], messages: [{ from: '4917600000011', id, timestamp: epoch(), type: 'image', image }] });
      expect((await post(t, body)).status).toBe(200);
      const hook = await receiver.waitForBody('the image', (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === id));
      const got = hook.entry[0].changes[0].value.messages[0].image;
      expect(got).toMatchObject({ id: image.id, mime_type: 'image/jpeg' });
      expect(got.url).toMatch(new RegExp(`^${t.deps.config.publicUrl.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/whatsapp_business/attachments/\\?mid=1037543291541111&ext=1700000000&hash=ATx&openwaba_sig=[\\w-]{32}$`));
      // A url elsewhere (not Meta's CDN attachments) is left as Meta sent it.
      const other = wamid();
      const doc = { id: '1037543291542222', mime_type: 'application/pdf', url: 'https://example.com/file.pdf' };
      expect((await post(t, notification(CLOUD_NUMBER, { messages: [{ from: '4917600000011', id: other, timestamp: epoch(), type: 'document', document: doc }] }))).status).toBe(200);
      const hook2 = await receiver.waitForBody('the document', (bodies) => bodies.find((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === other));
      expect(hook2.entry[0].changes[0].value.messages[0].document).toEqual(doc);
    });

    it('an On-Premise channel gets top-level contacts and messages; media, context and referral pass through', async () => {
      const id = wamid();
      const replied = wamid();
      const message = {
        from: '4917600000003',
        id,
        timestamp: epoch(1),
        type: 'image',
        image: { id: '1479537139650973', mime_type: 'image/jpeg', sha256: 'abc=', caption: 'look' },
        context: { from: '15550783881', id: replied },
        referral: { source_url: 'https://fb.me/x', source_type: 'ad', source_id: '123' },
      };
      const res = await post(t, notification(ONPREM_NUMBER, { contacts: [{ profile: { name: 'Otto' }, wa_id: '4917600000003' }], messages: [message] }));
      expect(res.status, res.text).toBe(200);
      const hook = await receiver.waitForBody('the On-Premise message', (bodies) => bodies.find((b) => b.messages?.[0]?.id === id));
      expect(hook).toEqual({ contacts: [{ profile: { name: 'Otto' }, wa_id: '4917600000003' }], messages: [message] });
      expect((await messageRow(id))?.context_id).toBe(replied);
    });

    it('one notification about several numbers: each change goes to its channel; unsupported messages keep their errors', async () => {
      const a = textFrom(CLOUD_NUMBER, '4917600000010', 'to cloud');
      const b = textFrom(ONPREM_NUMBER, '4917600000010', 'to onprem');
      const lost = textFrom('888888888888888', '4917600000010', 'to nobody');
      const unsupported = { from: '4917600000010', id: wamid(), timestamp: epoch(), type: 'unsupported', errors: [{ code: 131051, title: 'Message type unknown', message: 'Message type unknown', error_data: { details: 'Message type is currently not supported.' } }] };
      const body = {
        object: 'whatsapp_business_account',
        entry: [
          { id: '1', changes: [(a.body.entry as any)[0].changes[0], (lost.body.entry as any)[0].changes[0]] },
          { id: '2', changes: [(b.body.entry as any)[0].changes[0], { field: 'message_template_status_update', value: { event: 'APPROVED' } }] },
          ...(notification(CLOUD_NUMBER, { messages: [unsupported] }).entry as unknown[]),
        ],
      };
      expect((await post(t, body)).status).toBe(200);
      expect(await messageRow(a.id)).toMatchObject({ channel_id: cloud.channel_id });
      expect(await messageRow(b.id)).toMatchObject({ channel_id: onprem.channel_id });
      expect(await messageRow(lost.id)).toBeUndefined();
      const hook = await receiver.waitForBody('the unsupported message', (bodies) => bodies.find((x) => x.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === unsupported.id));
      expect(hook.entry[0].changes[0].value.messages[0]).toEqual({ ...unsupported });
    });

    it('a notification Meta delivers again is not stored or delivered twice', async () => {
      const { id, body } = textFrom(CLOUD_NUMBER, '4917600000004', 'once');
      expect((await post(t, body)).status).toBe(200);
      expect((await post(t, body)).status).toBe(200);
      // The same message twice in one notification, too.
      const twice = notification(CLOUD_NUMBER, { messages: [...(body.entry as any)[0].changes[0].value.messages, ...(body.entry as any)[0].changes[0].value.messages] });
      expect((await post(t, twice)).status).toBe(200);
      const rows = await t.deps.db.kysely.selectFrom('messages').select('id').where('id', '=', id).execute();
      expect(rows).toHaveLength(1);
      expect((await events(cloud.channel_id, 'message')).filter((e) => e.body.includes(id))).toHaveLength(1);
    });

    it("opens the user's 24-hour window", async () => {
      const before = (await t.get('/sandbox/v1/users', { headers: key(cloud) })).body.users.find((u: { wa_id: string }) => u.wa_id === '4917600000005');
      expect(before).toBeUndefined();
      expect((await post(t, textFrom(CLOUD_NUMBER, '4917600000005', 'open it', { name: 'Ada' }).body)).status).toBe(200);
      const user = (await t.get('/sandbox/v1/users', { headers: key(cloud) })).body.users.find((u: { wa_id: string }) => u.wa_id === '4917600000005');
      expect(user).toMatchObject({ name: 'Ada', window_open: true });
      // A late retry of an older message does not move the window's start back.
      const old = epoch(3 * 3600);
      expect((await post(t, textFrom(CLOUD_NUMBER, '4917600000005', 'old', { timestamp: old }).body)).status).toBe(200);
      const after = await t.deps.db.kysely.selectFrom('sandbox_users').select('last_inbound_at').where('channel_id', '=', cloud.channel_id).where('wa_id', '=', '4917600000005').executeTakeFirstOrThrow();
      expect(after.last_inbound_at).toBe(user.last_inbound_at);
    });

    it('an unknown phone_number_id: 200, nothing stored', async () => {
      const { id, body } = textFrom('999999999999999', '4917600000006', 'to nobody');
      const res = await post(t, body);
      expect(res.status).toBe(200);
      expect(await messageRow(id)).toBeUndefined();
      expect(t.logs.join('\n')).toContain('999999999999999');
      expect(t.logs.join('\n')).not.toContain('to nobody');
    });

    it('a sandbox channel is not reached by a phone_number_id that only looks like its number id', async () => {
      const sandbox = await t.tenant();
      const ch = await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', sandbox.channel_id).executeTakeFirstOrThrow();
      const { id, body } = textFrom(ch.external_id, '4917600000007', 'sandbox?');
      expect((await post(t, body)).status).toBe(200);
      expect(await messageRow(id)).toBeUndefined();
    });
  });

  describe('statuses', () => {
    const sentMessage = (p: BootstrapResult) => sentThroughMeta(t, p);
    const statusHooks = (id: string) =>
      receiver.bodies().flatMap((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses ?? b.statuses ?? []).filter((s: { id: string }) => s.id === id);

    it('sent, delivered, read move a message sent through Meta and reach the webhook, with Meta’s pricing', async () => {
      const id = await sentMessage(cloud);
      const pricing = { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' };
      for (const status of ['sent', 'delivered', 'read']) {
        const res = await post(t, statusOf(CLOUD_NUMBER, id, status, { pricing }));
        expect(res.status, res.text).toBe(200);
      }
      const row = await messageRow(id);
      expect(row).toMatchObject({ status: 'read' });
      expect(row!.sent_at && row!.delivered_at && row!.read_at).toBeTruthy();
      const hooks = await receiver.waitForBody('three statuses', () => (statusHooks(id).length >= 3 ? statusHooks(id) : undefined));
      expect(hooks.map((s: { status: string }) => s.status).sort()).toEqual(['delivered', 'read', 'sent']);
      expect(hooks[0]).toMatchObject({ id, recipient_id: '4917600000001', pricing });
      expect(hooks[0].conversation).toBeUndefined();
      const envelope = receiver.bodies().find((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.id === id);
      expect(envelope.entry[0].id).toBe('102290129340398');
    });

    it('a status that would go backwards is ignored', async () => {
      const id = await sentMessage(cloud);
      expect((await post(t, statusOf(CLOUD_NUMBER, id, 'read'))).status).toBe(200);
      expect((await post(t, statusOf(CLOUD_NUMBER, id, 'delivered'))).status).toBe(200);
      expect((await post(t, statusOf(CLOUD_NUMBER, id, 'failed', { errors: [{ code: 131026, title: 'x' }] }))).status).toBe(200);
      expect(await messageRow(id)).toMatchObject({ status: 'read', delivered_at: null, failed_at: null });
      expect((await events(cloud.channel_id, 'status')).filter((e) => e.body.includes(id)).map((e) => JSON.parse(e.body).entry[0].changes[0].value.statuses[0].status)).toEqual(['read']);
    });

    it("a failed status keeps Meta's error and sends it on (On-Premise: details at the top of the error)", async () => {
      const id = await sentMessage(onprem);
      const errors = [{ code: 131047, title: 'Re-engagement message', message: 'Re-engagement message', error_data: { details: 'More than 24 hours have passed.' } }];
      expect((await post(t, statusOf(ONPREM_NUMBER, id, 'failed', { errors }))).status).toBe(200);
      expect(await messageRow(id)).toMatchObject({ status: 'failed', error_code: 131047, error_title: 'Re-engagement message' });
      const [hook] = await receiver.waitForBody('the failed status', () => (statusHooks(id).length ? statusHooks(id) : undefined));
      expect(hook).toMatchObject({ id, status: 'failed', errors: [{ code: 131047, title: 'Re-engagement message', details: 'More than 24 hours have passed.' }] });
    });

    it("biz_opaque_callback_data comes back with the statuses; a failed status keeps Meta's pricing", async () => {
      const id = await sentMessage(cloud);
      const pricing = { billable: true, pricing_model: 'PMP', category: 'marketing' };
      expect((await post(t, statusOf(CLOUD_NUMBER, id, 'sent', { biz_opaque_callback_data: 'order-7', pricing }))).status).toBe(200);
      const other = await sentMessage(cloud);
      const errors = [{ code: 131026, title: 'Message undeliverable', message: 'Message undeliverable', error_data: { details: 'x' } }];
      expect((await post(t, statusOf(CLOUD_NUMBER, other, 'failed', { errors, pricing, biz_opaque_callback_data: 'order-8' }))).status).toBe(200);
      const [f] = await receiver.waitForBody('the failed status', () => (statusHooks(other).length ? statusHooks(other) : undefined));
      expect(f).toMatchObject({ status: 'failed', pricing, biz_opaque_callback_data: 'order-8', errors: [{ code: 131026 }] });
      const [sent] = await receiver.waitForBody('the sent status', () => (statusHooks(id).length ? statusHooks(id) : undefined));
      expect(sent).toMatchObject({ status: 'sent', pricing, biz_opaque_callback_data: 'order-7' });
    });

    it("a status of a message not in our store, or of another channel's message, is skipped", async () => {
      const unknown = wamid();
      expect((await post(t, statusOf(CLOUD_NUMBER, unknown, 'delivered'))).status).toBe(200);
      expect(await messageRow(unknown)).toBeUndefined();
      const other = await sentMessage(onprem);
      expect((await post(t, statusOf(CLOUD_NUMBER, other, 'delivered'))).status).toBe(200);
      expect(await messageRow(other)).toMatchObject({ status: 'accepted' });
      expect((await events(cloud.channel_id, 'status')).filter((e) => e.body.includes(unknown) || e.body.includes(other))).toHaveLength(0);
    });
  });

  describe("WABA changes", () => {
    it("a template's status change goes, as Meta sent it, to every channel of that Meta WABA, and an account_update of the same entry as its own notification; other WABAs' do not", async () => {
      const before = (await events(cloud.channel_id, 'template_status')).length;
      const change = { field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1234567890, message_template_name: 'order_update', message_template_language: 'en_US', reason: 'NONE' } };
      const body = {
        object: 'whatsapp_business_account',
        entry: [
          { id: '102290129340398', time: 1733486400, changes: [change, { field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] },
          { id: '999999999999999', time: 1733486400, changes: [{ ...change, value: { ...change.value, message_template_name: 'elsewhere' } }] },
        ],
      };
      const res = await post(t, body);
      expect(res.status, res.text).toBe(200);
      for (const [p, path] of [[cloud, '/cloud'], [onprem, '/onprem']] as const) {
        const got = await receiver.waitForBody(`the template status at ${path}`, (bodies) =>
          bodies.find((b) => b.entry?.[0]?.changes?.[0]?.value?.message_template_name === 'order_update' && receiver.requests.some((r) => r.url === path && r.body.includes('order_update'))),
        );
        expect(got).toEqual({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', time: 1733486400, changes: [change] }] });
        const stored = await t.deps.db.kysely.selectFrom('webhook_events').select('body').where('target_id', '=', p.channel_id).where('event_type', '=', 'template_status').execute();
        expect(stored.filter((e) => e.body.includes('order_update'))).toHaveLength(1);
      }
      expect((await events(cloud.channel_id, 'template_status')).length).toBe(before + 1);
      // The account_update beside it is forwarded too (360dialog forwards WABA-level webhooks),
      // one entry with one change, as each WABA change is (test/meta/meta-account-update.test.ts).
      for (const path of ['/cloud', '/onprem']) {
        const account = await receiver.waitForBody(`the account_update at ${path}`, () =>
          receiver.requests.filter((r) => r.url === path && r.body.includes('VERIFIED_ACCOUNT')).map((r) => JSON.parse(r.body))[0],
        );
        expect(account).toEqual({ object: 'whatsapp_business_account', entry: [{ id: '102290129340398', time: 1733486400, changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] }] });
      }
      expect(receiver.bodies().some((b) => JSON.stringify(b).includes('elsewhere'))).toBe(false);
    });
  });

  describe('a number\'s messaging limit', () => {
    it("phone_number_quality_update moves the channel's current_limit (by its display number within the Meta WABA); other WABAs' numbers stay", async () => {
      const limit = async () => (await t.deps.db.kysely.selectFrom('channels').select('current_limit').where('id', '=', cloud.channel_id).executeTakeFirstOrThrow()).current_limit;
      const before = await limit();
      const change = (waba: string, limitTier: string) => ({
        object: 'whatsapp_business_account',
        entry: [{ id: waba, time: 1733486400, changes: [{ field: 'phone_number_quality_update', value: { display_phone_number: `+${cloud.phone_number}`, event: 'UPGRADE', current_limit: limitTier } }] }],
      });
      expect((await post(t, change('999999999999999', 'TIER_UNLIMITED'))).status).toBe(200);
      expect(await limit()).toBe(before);
      expect((await post(t, change('102290129340398', 'TIER_100K'))).status).toBe(200);
      expect(await limit()).toBe('TIER_100K');
      const wire = await t.get(`/api/v2/partners/${cloud.partner_id}/channels`, { headers: { 'x-api-key': cloud.partner_api_key } });
      expect(wire.body.partner_channels.find((c: { id: string }) => c.id === cloud.channel_id).current_limit).toBe('TIER_100K');
      // Junk limits are skipped, never stored.
      expect((await post(t, change('102290129340398', 'tier 1k; drop table'))).status).toBe(200);
      expect(await limit()).toBe('TIER_100K');
    });
  });

  describe('the sandbox takes no simulated users for a Meta channel', () => {
    it('POST /sandbox/v1/inbound: 409; the sandbox path refuses it even with a stale channel row', async () => {
      const res = await t.post('/sandbox/v1/inbound', { headers: key(cloud), json: { from: '4917600000008', text: { body: 'fake' } } });
      expect(res.status).toBe(409);
      // Nor can its users be simulated (made unreachable or blocking); listing who wrote still works.
      expect((await t.post('/sandbox/v1/users/4917600000008', { headers: key(cloud), json: { unreachable: true } })).status).toBe(409);
      expect((await t.get('/sandbox/v1/users', { headers: key(cloud) })).status).toBe(200);
      expect(res.body.error.error_data.details).toMatch(/Meta's Cloud API/);
      const row = await t.deps.db.kysely.selectFrom('channels').selectAll().where('id', '=', cloud.channel_id).executeTakeFirstOrThrow();
      const stale = { ...row, network: 'sandbox' } as ChannelRow;
      const err = await receiveInbound(t.deps, stale, { from: '4917600000008', type: 'text', content: { body: 'fake' } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(409);
      expect(await t.deps.db.kysely.selectFrom('messages').select('id').where('wa_id', '=', '4917600000008').execute()).toEqual([]);
    });
  });

  describe('a database failure', () => {
    it('answers 500 with nothing kept, so that Meta retries; the retry is taken', async () => {
      // A status (taken first), then a message whose store fails: the status's move is rolled back too.
      const sent = await insertMessageRow(t.deps.db, { id: wamid(), channel_id: cloud.channel_id, partner_id: cloud.partner_id, client_id: cloud.client_id, direction: 'outbound', status: 'accepted', created_at: new Date().toISOString() });
      const { id, body: text } = textFrom(CLOUD_NUMBER, '4917600000009', 'retry me');
      const body = { object: 'whatsapp_business_account', entry: [...(statusOf(CLOUD_NUMBER, sent, 'delivered').entry as unknown[]), ...(text.entry as unknown[])] };
      await t.deps.db.kysely.schema.alterTable('sandbox_users').renameTo('sandbox_users_away').execute();
      let res;
      try {
        res = await post(t, body);
      } finally {
        await t.deps.db.kysely.schema.alterTable('sandbox_users_away').renameTo('sandbox_users').execute();
      }
      expect(res.status).toBe(500);
      expect(await messageRow(id)).toBeUndefined();
      expect(await messageRow(sent)).toMatchObject({ status: 'accepted', delivered_at: null });
      expect((await events(cloud.channel_id, 'status')).filter((e) => e.body.includes(sent))).toHaveLength(0);
      expect((await post(t, body)).status).toBe(200);
      expect(await messageRow(id)).toBeDefined();
      expect(await messageRow(sent)).toMatchObject({ status: 'delivered' });
    });
  });
});
