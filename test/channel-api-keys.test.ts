import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { bearer, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { sandboxPhoneNumber, type BootstrapResult } from '../src/services/bootstrap.ts';
import { createChannel } from '../src/services/channels.ts';
import { channelForApiKey } from '../src/messaging/auth.ts';

const PUBLIC_URL = 'https://waba.openwaba.test';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface CreatedKey {
  id: string;
  address: string;
  api_key: string;
  app_id: string;
}

describeEachDb('channel API keys', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;

  beforeAll(async () => {
    t = await startTestApp(kind, { env: { OPENWABA_PUBLIC_URL: PUBLIC_URL } });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  const keysUrl = (pid: string, chid: string) => `/api/v2/partners/${pid}/channels/${chid}/api_keys`;
  const asA = () => ({ headers: partnerKey(a.partner_api_key) });
  const createKey = async (chid = a.channel_id): Promise<CreatedKey> => {
    const res = await t.post(keysUrl(a.partner_id, chid), asA());
    expect(res.status).toBe(201);
    return res.body;
  };
  /** What the Messaging API's own lookup makes of a key: its channel (and the stored key's id), or undefined. */
  const resolve = async (key: string) => {
    const channel = await channelForApiKey(t.deps, key);
    if (!channel) return undefined;
    const row = await t.deps.db.kysely.selectFrom('channel_api_keys').select('id').where('key_hash', '=', sha256(key)).executeTakeFirstOrThrow();
    return { keyId: row.id, channelId: channel.id, partnerId: channel.partner_id };
  };
  const appIdOf = async (chid: string) =>
    (await t.deps.db.kysely.selectFrom('channels').select('app_id').where('id', '=', chid).executeTakeFirstOrThrow()).app_id;
  /** A second channel of partner a, under the same client. */
  const secondChannel = () =>
    createChannel(t.deps, { partnerId: a.partner_id, clientId: a.client_id, phoneNumber: sandboxPhoneNumber(), phoneName: 'Second line' });

  describe('POST …/api_keys', () => {
    it('answers 201 with the flat {id, address, api_key, app_id} that clients read', async () => {
      const created = await createKey();
      expect(Object.keys(created).sort()).toEqual(['address', 'api_key', 'app_id', 'id']);
      expect(created.address).toBe(PUBLIC_URL);
      expect(created.app_id).toBe(await appIdOf(a.channel_id));
      expect(created.api_key).toMatch(/^[0-9A-Za-z]{32}$/);
      expect(created.api_key).not.toContain('SBN');
      expect(await resolve(created.api_key)).toMatchObject({ keyId: created.id, channelId: a.channel_id, partnerId: a.partner_id });
    });

    it('takes a bodyless call sent with Content-Type: application/json (as client libraries send every call)', async () => {
      const res = await t.post(keysUrl(a.partner_id, a.channel_id), { ...asA(), headers: { ...asA().headers, 'content-type': 'application/json' }, raw: '' });
      expect(res.status, res.text).toBe(201);
      expect(res.body.api_key).toMatch(/^[0-9A-Za-z]{32}$/);
      const del = await t.delete(keysUrl(a.partner_id, a.channel_id), { ...asA(), headers: { ...asA().headers, 'content-type': 'application/json' }, raw: '' });
      expect(del.status, del.text).toBe(200);
      // A route that needs a body still says so.
      const token = await t.post('/api/v2/token', { headers: { 'content-type': 'application/json' }, raw: '' });
      expect(token.status).toBe(400);
      const send = await t.post('/messages', { headers: { 'D360-API-KEY': (await createKey()).api_key, 'content-type': 'application/json' }, raw: '' });
      expect(send.status).toBe(400);
      expect(send.body.error.error_data.details).toContain('body: must be a JSON object');
    });

    it("revokes the channel's earlier keys, including the bootstrap key", async () => {
      const c = await t.tenant();
      expect(await resolve(c.channel_api_key)).toMatchObject({ channelId: c.channel_id });
      const first = (await t.post(keysUrl(c.partner_id, c.channel_id), { headers: partnerKey(c.partner_api_key) })).body as CreatedKey;
      expect(await resolve(c.channel_api_key)).toBeUndefined();
      const second = (await t.post(keysUrl(c.partner_id, c.channel_id), { headers: partnerKey(c.partner_api_key) })).body as CreatedKey;
      expect(second.api_key).not.toBe(first.api_key);
      expect(await resolve(first.api_key)).toBeUndefined();
      expect(await resolve(second.api_key)).toEqual({ keyId: second.id, channelId: c.channel_id, partnerId: c.partner_id });
    });

    it("leaves other channels' keys alone", async () => {
      const other = await secondChannel();
      const onOther = await createKey(other.id);
      const onFirst = await createKey(a.channel_id);
      expect(await resolve(onOther.api_key)).toMatchObject({ channelId: other.id });
      expect(await resolve(onFirst.api_key)).toMatchObject({ channelId: a.channel_id });
      expect(onOther.app_id).toBe(other.app_id);
    });

    it('400 for a terminated channel, whose last key stays as it was', async () => {
      const c = await t.tenant();
      await t.deps.db.kysely.updateTable('channels').set({ status: 'terminated', terminated_at: new Date().toISOString() }).where('id', '=', c.channel_id).execute();
      const res = await t.post(keysUrl(c.partner_id, c.channel_id), { headers: partnerKey(c.partner_api_key) });
      expect(res.status).toBe(400);
      expect(res.body.meta).toMatchObject({ success: false, http_code: 400, developer_message: `Channel ${c.channel_id} is terminated` });
      expect(await resolve(c.channel_api_key)).toMatchObject({ channelId: c.channel_id });
    });

    it('works with a bearer token too', async () => {
      const token = (await t.post('/api/v2/token', { json: { username: a.username, password: a.password } })).body.access_token;
      const res = await t.post(keysUrl(a.partner_id, a.channel_id), { headers: bearer(token) });
      expect(res.status).toBe(201);
      expect(await resolve(res.body.api_key)).toMatchObject({ channelId: a.channel_id });
    });
  });

  describe('GET …/api_keys', () => {
    it('lists the active key without any secret, and its last use', async () => {
      const created = await createKey();
      const res = await t.get(keysUrl(a.partner_id, a.channel_id), asA());
      expect(res.status).toBe(200);
      expect(res.body.api_keys).toEqual([
        {
          id: created.id,
          address: PUBLIC_URL,
          app_id: created.app_id,
          api_key_prefix: created.api_key.slice(0, 6),
          created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
          last_used_at: null,
        },
      ]);
      expect(res.text).not.toContain(created.api_key);
      await resolve(created.api_key);
      await vi.waitFor(async () => {
        const again = await t.get(keysUrl(a.partner_id, a.channel_id), asA());
        expect(again.body.api_keys[0].last_used_at).toEqual(expect.any(String));
      });
    });
  });

  describe('DELETE', () => {
    it('…/api_keys revokes all of the channel’s keys', async () => {
      const created = await createKey();
      const res = await t.delete(keysUrl(a.partner_id, a.channel_id), asA());
      expect(res.status).toBe(200);
      expect(res.body.meta).toMatchObject({ success: true, http_code: 200 });
      expect(await resolve(created.api_key)).toBeUndefined();
      expect((await t.get(keysUrl(a.partner_id, a.channel_id), asA())).body.api_keys).toEqual([]);
      // Nothing left to revoke is not an error.
      expect((await t.delete(keysUrl(a.partner_id, a.channel_id), asA())).status).toBe(200);
    });

    it('…/api_keys/{key_id} revokes that one key', async () => {
      const created = await createKey();
      const res = await t.delete(`${keysUrl(a.partner_id, a.channel_id)}/${created.id}`, asA());
      expect(res.status).toBe(200);
      expect(res.body.meta.success).toBe(true);
      expect(await resolve(created.api_key)).toBeUndefined();
      expect((await t.delete(`${keysUrl(a.partner_id, a.channel_id)}/${created.id}`, asA())).status).toBe(404);
    });

    it("…/api_keys/{key_id} is 404 for another channel's key, which keeps working", async () => {
      const other = await secondChannel();
      const onOther = await createKey(other.id);
      const ofB = (await t.post(keysUrl(b.partner_id, b.channel_id), { headers: partnerKey(b.partner_api_key) })).body as CreatedKey;
      for (const id of [onOther.id, ofB.id]) {
        const res = await t.delete(`${keysUrl(a.partner_id, a.channel_id)}/${id}`, asA());
        expect(res.status, id).toBe(404);
        expect(res.body.meta).toMatchObject({ success: false, http_code: 404 });
      }
      expect(await resolve(onOther.api_key)).toMatchObject({ channelId: other.id });
      expect(await resolve(ofB.api_key)).toMatchObject({ channelId: b.channel_id });
    });
  });

  describe('storage', () => {
    it('keeps only hashes of channel keys', async () => {
      const created = await createKey();
      const rows = await t.deps.db.kysely.selectFrom('channel_api_keys').selectAll().execute();
      const dump = JSON.stringify(rows);
      for (const secret of [created.api_key, a.channel_api_key, b.channel_api_key]) {
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(secret.slice(6));
      }
      expect(rows.find((r) => r.id === created.id)!.key_hash).toBe(sha256(created.api_key));
    });
  });

  describe('security', () => {
    // Every route of the resource, so that none is left unchecked.
    const routes = (pid: string, chid: string) =>
      [
        ['POST', keysUrl(pid, chid)],
        ['GET', keysUrl(pid, chid)],
        ['DELETE', keysUrl(pid, chid)],
        ['DELETE', `${keysUrl(pid, chid)}/123456789`],
      ] as const;

    it('404 for an unknown channel', async () => {
      for (const [method, url] of routes(a.partner_id, 'doesnotexistCH')) {
        const res = await t.request(method, url, asA());
        expect(res.status, `${method} ${url}`).toBe(404);
        expect(res.body.meta.developer_message).toContain('doesnotexistCH');
      }
    });

    it("404 for another partner's channel under one's own partner id, and its key survives", async () => {
      const ofB = (await t.post(keysUrl(b.partner_id, b.channel_id), { headers: partnerKey(b.partner_api_key) })).body as CreatedKey;
      for (const [method, url] of routes(a.partner_id, b.channel_id)) {
        const res = await t.request(method, url, asA());
        expect(res.status, `${method} ${url}`).toBe(404);
        expect(res.text).not.toContain(ofB.api_key.slice(0, 6));
      }
      expect(await resolve(ofB.api_key)).toMatchObject({ channelId: b.channel_id });
    });

    it("403 with another partner's credential, and nothing changes", async () => {
      const created = await createKey();
      for (const [method, url] of routes(a.partner_id, a.channel_id)) {
        const res = await t.request(method, url, { headers: partnerKey(b.partner_api_key) });
        expect(res.status, `${method} ${url}`).toBe(403);
        expect(res.text).not.toMatch(/api_key"/);
      }
      expect(await resolve(created.api_key)).toMatchObject({ channelId: a.channel_id });
    });

    it('401 without a credential, or with a channel key instead of a partner key', async () => {
      const created = await createKey();
      for (const headers of [{}, { 'd360-api-key': created.api_key }, partnerKey(created.api_key)] as Record<string, string>[]) {
        for (const [method, url] of routes(a.partner_id, a.channel_id)) {
          const res = await t.request(method, url, { headers });
          expect(res.status, `${method} ${url}`).toBe(401);
          expect(res.body.meta).toMatchObject({ success: false, http_code: 401 });
        }
      }
      expect(await resolve(created.api_key)).toMatchObject({ channelId: a.channel_id });
    });
  });
});
