// Meta's webhook overrides for clients of Meta's Cloud API: the number's (POST /{version}/{phone-number-id}
// with webhook_configuration) sets the channel's webhook URL after Meta's verification GET; the
// WABA's (/subscribed_apps) is where a number without a URL of its own delivers; another tenant's
// ids answer Graph's 400 code 100 subcode 33; a number on Meta's network asks Meta.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { bearer, channelKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { graphErrorBody } from '../helpers/fake-graph.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { waitUntil } from '../helpers/wait.ts';

/** A callback URL as Meta's verification expects one: echoes hub.challenge (or not, per mode), records every request. */
class CallbackReceiver {
  readonly gets: URLSearchParams[] = [];
  readonly posts: any[] = [];
  mode: 'echo' | 'wrong' | 'redirect' = 'echo';
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET') {
        const q = new URL(req.url ?? '/', 'http://x').searchParams;
        this.gets.push(q);
        if (this.mode === 'redirect') {
          res.writeHead(302, { location: `${this.url}/elsewhere?${q.toString()}` }).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end(this.mode === 'echo' ? (q.get('hub.challenge') ?? '') : 'not-the-challenge');
        return;
      }
      this.posts.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200).end('ok');
    });
  });
  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return this;
  }
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
  /** The inbound message with this wamid, once delivered here. */
  message(id: string) {
    return waitUntil(`message ${id} at ${this.url}`, () => this.posts.find((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === id));
  }
}

describeEachDb('webhook overrides (Graph)', (kind) => {
  describe('sandbox numbers', () => {
    let t: TestApp;
    let p: BootstrapResult;
    let q: BootstrapResult;
    let numberHook: CallbackReceiver;
    let wabaHook: CallbackReceiver;
    let pnid: string;
    let wabaId: string;
    let otherPnid: string;
    let otherWabaId: string;
    const auth = () => bearer(p.channel_api_key);
    const inbound = async (text: string) => {
      const res = await t.post('/sandbox/v1/inbound', { headers: channelKey(p.channel_api_key), json: { from: '4917600000777', type: 'text', text: { body: text } } });
      expect(res.status, res.text).toBe(200);
      return res.body.messages[0].id as string;
    };
    const setNumber = (webhook_configuration: unknown) => t.post(`/v21.0/${pnid}`, { headers: auth(), json: { webhook_configuration } });
    const ids = async (who: BootstrapResult) => {
      const ch = await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', who.channel_id).executeTakeFirstOrThrow();
      const w = await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', who.waba_account_id).executeTakeFirstOrThrow();
      return { pnid: ch.external_id, wabaId: w.external_id };
    };
    const config = async () => (await t.get('/configs/webhook', { headers: channelKey(p.channel_api_key) })).body;

    beforeAll(async () => {
      numberHook = await new CallbackReceiver().start();
      wabaHook = await new CallbackReceiver().start();
      t = await startTestApp(kind, { dispatcher: true });
      p = await t.tenant();
      q = await t.tenant();
      ({ pnid, wabaId } = await ids(p));
      ({ pnid: otherPnid, wabaId: otherWabaId } = await ids(q));
    });
    afterAll(async () => {
      await t.close();
      await numberHook.close();
      await wabaHook.close();
    });
    beforeEach(() => {
      numberHook.mode = 'echo';
      wabaHook.mode = 'echo';
    });

    it("POST /{version}/{phone-number-id}: Meta's verification GET, then the channel's webhook; inbound messages go there", async () => {
      const res = await setNumber({ override_callback_uri: `${numberHook.url}/wh`, verify_token: 'tok-1' });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ success: true });
      const seen = numberHook.gets.at(-1)!;
      expect(seen.get('hub.mode')).toBe('subscribe');
      expect(seen.get('hub.verify_token')).toBe('tok-1');
      expect(seen.get('hub.challenge')).toMatch(/^\d+$/);
      // The same storage as POST /v1/configs/webhook.
      expect(await config()).toEqual({ url: `${numberHook.url}/wh`, headers: {} });
      const id = await inbound('to the override');
      expect((await numberHook.message(id)).entry[0].changes[0].value.messages[0].text).toEqual({ body: 'to the override' });
    });

    it('a URL that does not echo the challenge (or redirects): Graph 400 code 2200, nothing changed', async () => {
      const before = await config();
      numberHook.mode = 'wrong';
      const wrong = await setNumber({ override_callback_uri: `${numberHook.url}/other`, verify_token: 'tok-2' });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error).toMatchObject({ code: 2200, type: 'OAuthException' });
      expect(wrong.body.error.message).toMatch(/^\(#2200\) Callback verification failed with the following errors: HTTP Status Code = 200/);
      numberHook.mode = 'redirect';
      const gets = numberHook.gets.length;
      const redirected = await setNumber({ override_callback_uri: `${numberHook.url}/moved`, verify_token: 'tok-2' });
      expect(redirected.status).toBe(400);
      expect(redirected.body.error.message).toContain('HTTP Status Code = 302');
      expect(numberHook.gets.length).toBe(gets + 1); // the redirect was not followed
      // Nothing listening: the same error, promptly.
      const closed = await setNumber({ override_callback_uri: 'http://127.0.0.1:9/hook', verify_token: 'tok-2' });
      expect(closed.status).toBe(400);
      expect(closed.body.error.code).toBe(2200);
      expect(await config()).toEqual(before);
    });

    it('bad input: Graph 400 code 100, before any request', async () => {
      const gets = numberHook.gets.length;
      for (const [conf, text] of [
        [{ override_callback_uri: `${numberHook.url}/wh` }, 'verify_token: is required'],
        [{ override_callback_uri: 'ftp://example.com/x', verify_token: 'x' }, 'must use https or http'],
        [{ override_callback_uri: 5, verify_token: 'x' }, 'must be a string'],
        ['not json', 'must be a JSON object'],
        [[1], 'must be an object'],
        [{ override_callback_uri: '', extra: 1 }, 'webhook_configuration.extra: is not a known field'],
      ] as const) {
        const res = await setNumber(conf);
        expect(res.status, JSON.stringify(conf)).toBe(400);
        expect(res.body.error.code).toBe(100);
        expect(res.body.error.error_data.details).toContain(text);
      }
      const none = await t.post(`/v21.0/${pnid}`, { headers: auth(), json: { something: 1 } });
      expect(none.status).toBe(400);
      expect(none.body.error.error_data.details).toContain('webhook_configuration: is required');
      // OPENWABA_WEBHOOK_URL_POLICY=strict: a loopback URL is refused before any request.
      t.deps.config.webhookUrlPolicy = 'strict';
      try {
        const strict = await setNumber({ override_callback_uri: `${numberHook.url}/wh`, verify_token: 'x' });
        expect(strict.status).toBe(400);
        expect(strict.body.error.code).toBe(100);
        const wabaStrict = await t.post('/subscribed_apps', { headers: channelKey(p.channel_api_key), json: { override_callback_uri: 'https://10.0.0.1/hook', verify_token: 'x' } });
        expect(wabaStrict.status).toBe(400);
        expect(wabaStrict.body.error.error_data.details).toContain('private');
      } finally {
        t.deps.config.webhookUrlPolicy = 'local';
      }
      expect(numberHook.gets.length).toBe(gets);
    });

    it('GET ?fields=webhook_configuration: the number\'s URL, the WABA\'s override and the partner\'s URL, each when set', async () => {
      await t.deps.db.kysely.updateTable('partners').set({ webhook_url: 'https://partner.example.com/events' }).where('id', '=', p.partner_id).execute();
      const res = await t.get(`/v21.0/${pnid}`, { headers: auth(), query: { fields: 'webhook_configuration' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ webhook_configuration: { phone_number: `${numberHook.url}/wh`, application: 'https://partner.example.com/events' }, id: pnid });
    });

    it('an empty override_callback_uri removes the number\'s URL, with no verification', async () => {
      const gets = numberHook.gets.length;
      const res = await setNumber({ override_callback_uri: '' });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ success: true });
      expect(numberHook.gets.length).toBe(gets);
      expect(await config()).toEqual({ url: null, headers: {} });
      const node = await t.get(`/v21.0/${pnid}`, { headers: auth(), query: { fields: 'webhook_configuration' } });
      expect(node.body.webhook_configuration).toEqual({ application: 'https://partner.example.com/events' });
    });

    it("the WABA's override (/subscribed_apps) takes the messages of a number without its own URL; the number's own wins", async () => {
      expect((await t.get(`/v21.0/${wabaId}/subscribed_apps`, { headers: auth() })).body).toEqual({
        data: [{ whatsapp_business_api_data: { id: expect.any(String), link: expect.any(String), name: 'openwaba' } }],
      });
      const set = await t.post(`/v21.0/${wabaId}/subscribed_apps`, { headers: auth(), json: { override_callback_uri: `${wabaHook.url}/waba`, verify_token: 'waba-tok' } });
      expect(set.status, set.text).toBe(200);
      expect(set.body).toEqual({ success: true });
      expect(wabaHook.gets.at(-1)!.get('hub.verify_token')).toBe('waba-tok');
      const listed = await t.get('/subscribed_apps', { headers: channelKey(p.channel_api_key) });
      expect(listed.body.data[0].override_callback_uri).toBe(`${wabaHook.url}/waba`);
      const node = await t.get(`/v21.0/${pnid}`, { headers: auth(), query: { fields: 'webhook_configuration' } });
      expect(node.body.webhook_configuration).toEqual({ whatsapp_business_account: `${wabaHook.url}/waba`, application: 'https://partner.example.com/events' });

      // The number has no URL of its own: its messages and their statuses go to the WABA's.
      const id = await inbound('to the waba');
      expect((await wabaHook.message(id)).entry[0].changes[0].value.messages[0].text.body).toBe('to the waba');
      const sent = await t.post('/messages', { headers: channelKey(p.channel_api_key), json: { messaging_product: 'whatsapp', to: '4917600000777', type: 'text', text: { body: 'hi' } } });
      expect(sent.status, sent.text).toBe(200);
      const wamid = sent.body.messages[0].id;
      await waitUntil('a status at the WABA override', () => wabaHook.posts.find((b) => b.entry?.[0]?.changes?.[0]?.value?.statuses?.[0]?.id === wamid));

      // A URL of the number's own wins.
      expect((await setNumber({ override_callback_uri: `${numberHook.url}/own`, verify_token: 't' })).status).toBe(200);
      const mine = await inbound('to the number');
      expect((await numberHook.message(mine)).entry[0].changes[0].value.messages[0].text.body).toBe('to the number');
      expect(wabaHook.posts.some((b) => b.entry?.[0]?.changes?.[0]?.value?.messages?.[0]?.id === mine)).toBe(false);

      // A failed verification changes nothing; DELETE removes the override.
      wabaHook.mode = 'wrong';
      const bad = await t.post('/subscribed_apps', { headers: channelKey(p.channel_api_key), json: { override_callback_uri: `${wabaHook.url}/x`, verify_token: 'x' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe(2200);
      expect((await t.get('/subscribed_apps', { headers: channelKey(p.channel_api_key) })).body.data[0].override_callback_uri).toBe(`${wabaHook.url}/waba`);
      const del = await t.delete(`/v21.0/${wabaId}/subscribed_apps`, { headers: auth() });
      expect(del.status, del.text).toBe(200);
      expect(del.body).toEqual({ success: true });
      expect((await t.get('/subscribed_apps', { headers: channelKey(p.channel_api_key) })).body.data[0].override_callback_uri).toBeUndefined();
      // The other tenant's WABA never had one.
      expect((await t.get('/subscribed_apps', { headers: channelKey(q.channel_api_key) })).body.data[0].override_callback_uri).toBeUndefined();
    });

    it("another tenant's WABA or number: Graph's 400 code 100 subcode 33, nothing changed", async () => {
      const gets = wabaHook.gets.length;
      for (const res of [
        await t.post(`/v21.0/${otherWabaId}/subscribed_apps`, { headers: auth(), json: { override_callback_uri: `${wabaHook.url}/steal`, verify_token: 'x' } }),
        await t.get(`/v21.0/${otherWabaId}/subscribed_apps`, { headers: auth() }),
        await t.delete(`/v21.0/${otherWabaId}/subscribed_apps`, { headers: auth() }),
        await t.post(`/v21.0/${otherPnid}`, { headers: auth(), json: { webhook_configuration: { override_callback_uri: `${wabaHook.url}/steal`, verify_token: 'x' } } }),
      ]) {
        expect(res.status, res.text).toBe(400);
        expect(res.body.error).toMatchObject({ code: 100, error_subcode: 33 });
      }
      expect(wabaHook.gets.length).toBe(gets);
      expect((await t.get('/configs/webhook', { headers: channelKey(q.channel_api_key) })).body.url).toBeNull();
      const w = await t.deps.db.kysely.selectFrom('waba_accounts').select('override_callback_uri').where('id', '=', q.waba_account_id).executeTakeFirstOrThrow();
      expect(w.override_callback_uri).toBeNull();
    });
  });

  describe("a number on Meta's network", () => {
    const META_NUMBER = '106540352242922';
    const META_WABA = '102290129340888';
    let meta: MetaNumber;
    beforeAll(async () => {
      meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: META_WABA });
    });
    afterAll(async () => {
      await meta?.close();
    });

    it("the number's and the WABA's overrides are Meta's: each call goes to Meta, Meta's answers and errors come back", async () => {
      const { graph, t, p } = meta;
      const auth = bearer(p.channel_api_key);
      graph.reset();
      graph.respond(
        { status: 200, json: { success: true } },
        { status: 400, json: graphErrorBody(2200, 'Callback verification failed with the following errors: HTTP Status Code = 404') },
        { status: 200, json: { webhook_configuration: { phone_number: 'https://hooks.example.com/n', application: 'https://app.example.com' }, id: META_NUMBER } },
        { status: 200, json: { data: [{ whatsapp_business_api_data: { id: '670843887433847', link: 'https://www.facebook.com/games/?app_id=670843887433847', name: 'App' }, override_callback_uri: 'https://hooks.example.com/w' }] } },
        { status: 200, json: { success: true } },
        { status: 200, json: { success: true } },
      );
      const conf = { override_callback_uri: 'https://hooks.example.com/n', verify_token: 'v' };
      const set = await t.post(`/v21.0/${META_NUMBER}`, { headers: auth, json: { webhook_configuration: conf } });
      expect(set.status, set.text).toBe(200);
      expect(set.body).toEqual({ success: true });
      const failed = await t.post(`/v21.0/${META_NUMBER}`, { headers: auth, json: { webhook_configuration: conf } });
      expect(failed.status).toBe(400);
      expect(failed.body.error).toMatchObject({ code: 2200 });
      const got = await t.get(`/v21.0/${META_NUMBER}`, { headers: auth, query: { fields: 'webhook_configuration' } });
      expect(got.body.webhook_configuration).toEqual({ phone_number: 'https://hooks.example.com/n', application: 'https://app.example.com' });
      const listed = await t.get(`/v21.0/${META_WABA}/subscribed_apps`, { headers: auth });
      expect(listed.body.data[0].override_callback_uri).toBe('https://hooks.example.com/w');
      const sub = await t.post('/subscribed_apps', { headers: channelKey(p.channel_api_key), json: { override_callback_uri: 'https://hooks.example.com/w', verify_token: 'w', access_token: 'not-passed-on' } });
      expect(sub.body).toEqual({ success: true });
      const del = await t.delete('/subscribed_apps', { headers: channelKey(p.channel_api_key) });
      expect(del.body).toEqual({ success: true });

      const seen = graph.requests.map((r) => ({ method: r.method, path: r.path.replace(/^\/v\d+\.\d+/, ''), json: r.json }));
      expect(seen).toEqual([
        { method: 'POST', path: `/${META_NUMBER}`, json: { webhook_configuration: conf } },
        { method: 'POST', path: `/${META_NUMBER}`, json: { webhook_configuration: conf } },
        { method: 'GET', path: `/${META_NUMBER}?fields=webhook_configuration`, json: undefined },
        { method: 'GET', path: `/${META_WABA}/subscribed_apps`, json: undefined },
        { method: 'POST', path: `/${META_WABA}/subscribed_apps`, json: { override_callback_uri: 'https://hooks.example.com/w', verify_token: 'w' } },
        // DELETE re-subscribes without an override: Meta's DELETE would unsubscribe openwaba's app.
        { method: 'POST', path: `/${META_WABA}/subscribed_apps`, json: {} },
      ]);
    });
  });
});
