import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { bearer, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { ManualClock, wireTime } from '../src/clock.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const WIRE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

describeEachDb('partner API keys (extension)', (kind) => {
  let t: TestApp;
  let clock: ManualClock;
  let a: BootstrapResult;
  let b: BootstrapResult;

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp(kind, { clock });
    a = await t.tenant();
    b = await t.tenant();
  });
  afterAll(() => t.close());

  const keysUrl = (pid: string) => `/api/v2/partners/${pid}/api_keys`;
  const create = async (owner: BootstrapResult, name: string) => {
    const res = await t.post(keysUrl(owner.partner_id), { headers: partnerKey(owner.partner_api_key), json: { name } });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string; prefix: string; api_key: string; created_at: string };
  };
  const list = async (owner: BootstrapResult) => {
    const res = await t.get(keysUrl(owner.partner_id), { headers: partnerKey(owner.partner_api_key) });
    expect(res.status).toBe(200);
    return res;
  };
  const whoAmI = (pid: string, key: string) => t.get(`/api/v2/partners/${pid}`, { headers: partnerKey(key) });

  describe('create and list', () => {
    it('creates a named key, shows it once with its prefix, and lists it without the secret', async () => {
      const created = await create(a, '  CI pipeline ');
      expect(created).toMatchObject({ id: expect.any(String), name: 'CI pipeline', last_used_at: null, revoked_at: null });
      expect(created.api_key).toMatch(/^owpk_[0-9A-Za-z]{40}$/);
      expect(created.api_key.startsWith(created.prefix)).toBe(true);
      expect(created.prefix.length).toBeLessThan(created.api_key.length / 2);
      expect(created.created_at).toBe(wireTime(clock.now().toISOString()));

      const res = await list(a);
      expect(res.text).not.toContain(created.api_key);
      const listed = res.body.api_keys.find((k: { id: string }) => k.id === created.id);
      expect(listed).toEqual({ id: created.id, name: 'CI pipeline', prefix: created.prefix, created_at: created.created_at, last_used_at: null, revoked_at: null });
      for (const k of res.body.api_keys) {
        expect(k).not.toHaveProperty('api_key');
        expect(k).not.toHaveProperty('key_hash');
        expect(k.created_at).toMatch(WIRE_TIME);
      }
    });

    it('lists only its own keys', async () => {
      const mine = await create(b, 'b only');
      const ofA = (await list(a)).body.api_keys.map((k: { id: string }) => k.id);
      expect(ofA).not.toContain(mine.id);
      expect((await list(b)).body.api_keys.map((k: { id: string }) => k.id)).toContain(mine.id);
    });

    it('several keys of one partner each work', async () => {
      const keys = [await create(a, 'one'), await create(a, 'two'), await create(a, 'three')];
      expect(new Set(keys.map((k) => k.api_key)).size).toBe(3);
      for (const k of keys) {
        const res = await whoAmI(a.partner_id, k.api_key);
        expect(res.status, k.name).toBe(200);
        expect(res.body.id).toBe(a.partner_id);
      }
      const listed = (await list(a)).body.api_keys.map((k: { id: string }) => k.id);
      for (const k of keys) expect(listed).toContain(k.id);
    });

    it('400 without a name, with an empty one, or with unknown fields', async () => {
      for (const json of [{}, { name: '' }, { name: 'x', scope: 'all' }]) {
        const res = await t.post(keysUrl(a.partner_id), { headers: partnerKey(a.partner_api_key), json });
        expect(res.status, JSON.stringify(json)).toBe(400);
        expect(res.body.meta).toMatchObject({ success: false, http_code: 400 });
      }
    });

    it('trims the name, and refuses one that is blank or longer than 100 characters once trimmed', async () => {
      const trimmed = await t.post(keysUrl(a.partner_id), { headers: partnerKey(a.partner_api_key), json: { name: '  CRM sync \t' } });
      expect(trimmed.status).toBe(201);
      expect(trimmed.body.name).toBe('CRM sync');
      expect((await t.post(keysUrl(a.partner_id), { headers: partnerKey(a.partner_api_key), json: { name: ` ${'n'.repeat(100)} ` } })).body.name).toBe('n'.repeat(100));
      const before = (await list(a)).body.api_keys.length;
      for (const name of ['   ', '\t\n', 'n'.repeat(101)]) {
        const res = await t.post(keysUrl(a.partner_id), { headers: partnerKey(a.partner_api_key), json: { name } });
        expect(res.status, JSON.stringify(name)).toBe(400);
        expect(res.body.meta).toMatchObject({ success: false, http_code: 400 });
        expect(res.body.meta.developer_message).toMatch(/name must be 1 to 100 characters long, leading and trailing spaces not counted/);
      }
      expect((await list(a)).body.api_keys.length).toBe(before);
    });

    it('a bearer token manages keys too', async () => {
      const token = (await t.post('/api/v2/token', { json: { username: a.username, password: a.password } })).body.access_token;
      const res = await t.post(keysUrl(a.partner_id), { headers: bearer(token), json: { name: 'via token' } });
      expect(res.status).toBe(201);
      expect((await whoAmI(a.partner_id, res.body.api_key)).status).toBe(200);
    });
  });

  describe('revoke', () => {
    it('a revoked key answers 401 and leaves the list; the others keep working', async () => {
      const gone = await create(a, 'to revoke');
      const kept = await create(a, 'to keep');
      expect((await whoAmI(a.partner_id, gone.api_key)).status).toBe(200);
      const del = await t.delete(`${keysUrl(a.partner_id)}/${gone.id}`, { headers: partnerKey(a.partner_api_key) });
      expect(del.status).toBe(200);
      expect(del.body.meta).toMatchObject({ success: true, http_code: 200 });
      const res = await whoAmI(a.partner_id, gone.api_key);
      expect(res.status).toBe(401);
      expect(res.body.meta).toMatchObject({ success: false, http_code: 401 });
      expect((await whoAmI(a.partner_id, kept.api_key)).status).toBe(200);
      expect((await list(a)).body.api_keys.map((k: { id: string }) => k.id)).not.toContain(gone.id);
      // Revoking twice, or an id that never existed: 404.
      expect((await t.delete(`${keysUrl(a.partner_id)}/${gone.id}`, { headers: partnerKey(a.partner_api_key) })).status).toBe(404);
      expect((await t.delete(`${keysUrl(a.partner_id)}/pak_doesnotexist`, { headers: partnerKey(a.partner_api_key) })).status).toBe(404);
    });
  });

  describe('last use', () => {
    const lastUsedOf = async (id: string) => (await list(a)).body.api_keys.find((k: { id: string }) => k.id === id).last_used_at as string | null;

    it('records when a key was last used', async () => {
      const key = await create(a, 'watched');
      expect(await lastUsedOf(key.id)).toBeNull();
      clock.advance(5 * 60_000);
      const firstUse = wireTime(clock.now().toISOString());
      expect((await whoAmI(a.partner_id, key.api_key)).status).toBe(200);
      // The write happens off the request path: wait for it, not for a fixed time.
      await vi.waitFor(async () => expect(await lastUsedOf(key.id)).toBe(firstUse));
      clock.advance(10 * 60_000);
      const secondUse = wireTime(clock.now().toISOString());
      expect((await whoAmI(a.partner_id, key.api_key)).status).toBe(200);
      await vi.waitFor(async () => expect(await lastUsedOf(key.id)).toBe(secondUse));
    });
  });

  describe('storage', () => {
    it('the database holds only hashes of the keys, never the keys', async () => {
      const created = await create(a, 'stored');
      const rows = await t.deps.db.kysely.selectFrom('partner_api_keys').selectAll().execute();
      const dump = JSON.stringify(rows);
      for (const secret of [created.api_key, a.partner_api_key, b.partner_api_key]) {
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(secret.slice(created.prefix.length));
      }
      const row = rows.find((r) => r.id === created.id)!;
      expect(row.key_hash).toBe(sha256(created.api_key));
      expect(row.partner_id).toBe(a.partner_id);
      expect(rows.filter((r) => r.key_hash === sha256(a.partner_api_key))).toHaveLength(1);
    });
  });

  describe('security', () => {
    it("403 for every route with another partner's key", async () => {
      const target = await create(a, 'target');
      const asB = { headers: partnerKey(b.partner_api_key) };
      const get = await t.get(keysUrl(a.partner_id), asB);
      expect(get.status).toBe(403);
      expect(get.text).not.toContain(target.id);
      expect((await t.post(keysUrl(a.partner_id), { ...asB, json: { name: 'intruder' } })).status).toBe(403);
      expect((await t.delete(`${keysUrl(a.partner_id)}/${target.id}`, asB)).status).toBe(403);
      expect((await whoAmI(a.partner_id, target.api_key)).status).toBe(200);
      expect((await list(a)).body.api_keys.map((k: { name: string }) => k.name)).not.toContain('intruder');
    });

    it("404 for another partner's key id under one's own partner id, and that key keeps working", async () => {
      const ofB = await create(b, 'belongs to b');
      const res = await t.delete(`${keysUrl(a.partner_id)}/${ofB.id}`, { headers: partnerKey(a.partner_api_key) });
      expect(res.status).toBe(404);
      expect(res.body.meta).toMatchObject({ success: false, http_code: 404 });
      expect((await whoAmI(b.partner_id, ofB.api_key)).status).toBe(200);
    });

    it('401 for every route without a credential or with an unknown key', async () => {
      for (const headers of [{}, partnerKey('owpk_' + 'x'.repeat(40)), partnerKey('not-even-a-key')]) {
        expect((await t.get(keysUrl(a.partner_id), { headers })).status).toBe(401);
        expect((await t.post(keysUrl(a.partner_id), { headers, json: { name: 'x' } })).status).toBe(401);
        expect((await t.delete(`${keysUrl(a.partner_id)}/pak_x`, { headers })).status).toBe(401);
      }
    });
  });
});
