// The list conventions shared by every list endpoint: filters, sort, limit/offset, the envelope,
// and the errors for bad input. Exercised through the clients and channels lists.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { expectPartnerError } from './helpers/partner-error.ts';
import { ManualClock } from '../src/clock.ts';
import { pythonishToJson } from '../src/partner-api/list-query.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { createChannel, type ChannelRow } from '../src/services/channels.ts';
import { createClient, type ClientRow } from '../src/services/clients.ts';

describe('pythonishToJson', () => {
  const parse = (s: string) => JSON.parse(pythonishToJson(s)) as unknown;
  it('turns single-quoted strings into JSON strings', () => {
    expect(pythonishToJson("{'id':'x'}")).toBe('{"id":"x"}');
    expect(parse("{'setup_info.phone_number': '4915'}")).toEqual({ 'setup_info.phone_number': '4915' });
  });
  it('turns True, False and None into JSON, but not inside strings', () => {
    expect(parse("{'a': True, 'b': False, 'c': None}")).toEqual({ a: true, b: false, c: null });
    expect(parse("{'name': 'True None False'}")).toEqual({ name: 'True None False' });
    expect(parse('{"name": "None"}')).toEqual({ name: 'None' });
  });
  it('leaves JSON as it is and handles mixed quotes', () => {
    expect(pythonishToJson('{"id": "x", "n": 1, "b": true}')).toBe('{"id": "x", "n": 1, "b": true}');
    expect(parse(`{'a': "double", "b": 'single'}`)).toEqual({ a: 'double', b: 'single' });
    expect(parse(`{'q': 'say "hi"'}`)).toEqual({ q: 'say "hi"' });
    expect(parse(`{"q": "it's"}`)).toEqual({ q: "it's" });
  });
  it('understands escaped quotes and JSON escapes inside strings', () => {
    expect(parse("{'name': 'O\\'Brien'}")).toEqual({ name: "O'Brien" });
    expect(parse("{'name': 'tab\\there'}")).toEqual({ name: 'tab\there' });
    expect(parse('{"name": "a\\"b"}')).toEqual({ name: 'a"b' });
  });
  it('does not touch words that only start like True', () => {
    expect(pythonishToJson('{"a": Truest}')).toBe('{"a": Truest}');
  });
  it('throws on an unterminated string', () => {
    expect(() => pythonishToJson("{'id': 'x}")).toThrow(SyntaxError);
  });
});

describeEachDb('list query', (kind) => {
  let t: TestApp;
  let a: BootstrapResult;
  let b: BootstrapResult;
  let clients: ClientRow[];
  let shop: ChannelRow;
  let kiosk: ChannelRow;
  const clock = new ManualClock(new Date('2026-01-01T00:00:00.000Z'));
  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    a = await t.tenant({ clientName: 'Tenant client' });
    b = await t.tenant({ clientName: 'Other partner client' });
    clients = [];
    for (let i = 0; i < 25; i++) {
      // The first ten one second apart; the other fifteen share one instant (paging must still be stable).
      if (i <= 10) clock.advance(1000);
      const n = String(i).padStart(2, '0');
      clients.push(
        await createClient(t.deps, a.partner_id, { name: `Client ${n}`, email: `c${n}@example.com`, partner_payload: i % 2 === 0 ? 'even' : null, max_channels: (i % 3) + 1 }),
      );
    }
    await t.deps.db.kysely.updateTable('clients').set({ suspicious: 1 }).where('id', '=', clients[3]!.id).execute();
    const base = { partnerId: a.partner_id, clientId: clients[1]!.id };
    shop = await createChannel(t.deps, { ...base, phoneNumber: '4940123456', phoneName: 'Shop 50% Off' });
    kiosk = await createChannel(t.deps, { ...base, phoneNumber: '4940654321', phoneName: 'Kiosk_North', status: 'unverified' });
    await t.deps.db.kysely.updateTable('channels').set({ is_migrated: 1, terminated_at: clock.now().toISOString() }).where('id', '=', kiosk.id).execute();
  });
  afterAll(() => t?.close());

  const get = (what: 'clients' | 'channels', query: Record<string, string>) =>
    t.get(`/api/v2/partners/${a.partner_id}/${what}`, { headers: partnerKey(a.partner_api_key), query });
  const ids = (res: { body: Record<string, { id: string }[]> }, key = 'clients') => res.body[key]!.map((x) => x.id);
  const channelIds = (res: { body: Record<string, { id: string }[]> }) => ids(res, 'partner_channels');

  describe('filters', () => {
    it('match dotted paths by equality', async () => {
      const email = await get('clients', { filters: '{"contact_info.email":"c07@example.com"}' });
      expect(ids(email)).toEqual([clients[7]!.id]);
      const phone = await get('channels', { filters: JSON.stringify({ 'setup_info.phone_number': '4940123456' }) });
      expect(channelIds(phone)).toEqual([shop.id]);
      const clientEmail = await get('channels', { filters: JSON.stringify({ 'client.contact_info.email': 'c01@example.com' }) });
      expect(channelIds(clientEmail).sort()).toEqual([shop.id, kiosk.id].sort());
      const waba = await get('channels', { filters: JSON.stringify({ 'waba_account.id': a.waba_account_id }) });
      expect(channelIds(waba)).toEqual([a.channel_id]);
      const both = await get('channels', { filters: JSON.stringify({ 'waba_account.id': shop.waba_account_id, status: 'ready' }) });
      expect(channelIds(both)).toEqual([shop.id]);
    });

    it('match booleans, numbers and null', async () => {
      expect(ids(await get('clients', { filters: '{"suspicious":true}' }))).toEqual([clients[3]!.id]);
      expect((await get('clients', { filters: '{"suspicious":false}' })).body.total).toBe(25);
      expect(channelIds(await get('channels', { filters: '{"is_migrated":"true"}' }))).toEqual([kiosk.id]);
      expect((await get('clients', { filters: '{"max_channels":3}' })).body.total).toBe(8);
      expect((await get('clients', { filters: '{"max_channels":"3"}' })).body.filters).toEqual({ max_channels: 3 });
      const noPayload = await get('clients', { filters: '{"partner_payload":null}' });
      expect(noPayload.body).toMatchObject({ total: 13, filters: { partner_payload: null } });
      const live = await get('channels', { filters: '{"terminated_at":null}' });
      expect(channelIds(live).sort()).toEqual([a.channel_id, shop.id].sort());
    });

    it('match times as the API shows them (to the second), to the precision written', async () => {
      // A row stored with milliseconds, on the other partner (partner a's counts stay as they are).
      clock.advance(877);
      const c = await createClient(t.deps, b.partner_id, { name: 'Timed client' });
      const list = (filters: unknown) =>
        t.get(`/api/v2/partners/${b.partner_id}/clients`, { headers: partnerKey(b.partner_api_key), query: { filters: JSON.stringify(filters) } });
      const shown = (await list({ id: c.id })).body.clients[0].created_at as string;
      expect(shown).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(c.created_at).toMatch(/\.\d{3}Z$/);
      const found = async (filters: unknown) => ids(await list(filters)).includes(c.id);
      expect(await found({ created_at: shown })).toBe(true);
      expect(await found({ created_at: c.created_at })).toBe(true);
      expect(await found({ created_at: shown.slice(0, 10) })).toBe(true);
      expect(await found({ created_at: shown.slice(0, 16) + 'Z' })).toBe(true);
      expect(await found({ created_at: shown.replace('Z', '+00:00') })).toBe(true);
      // 01:00 in +01:00 is midnight UTC: the same instant.
      const inBerlin = new Date(Date.parse(shown) + 3_600_000).toISOString().slice(0, 19) + '+01:00';
      expect(await found({ created_at: inBerlin })).toBe(true);
      expect(await found({ created_at: new Date(Date.parse(shown) + 1000).toISOString() })).toBe(false);
      expect(await found({ created_at: c.created_at.replace(/\.\d{3}Z$/, '.876Z') })).toBe(false);
      // Channels, by their own time fields.
      const ch = await t.get(`/api/v2/partners/${a.partner_id}/channels`, { headers: partnerKey(a.partner_api_key), query: { filters: JSON.stringify({ terminated_at: (await get('channels', { filters: JSON.stringify({ id: kiosk.id }) })).body.partner_channels[0].terminated_at }) } });
      expect(channelIds(ch)).toEqual([kiosk.id]);
      for (const bad of ['yesterday', '2026-13-01', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', 5]) {
        const res = await list({ created_at: bad });
        expectPartnerError(res, 400, /filters.created_at must be a timestamp/);
      }
    });

    it('channels: integration.app_id matches, project.* (always null here) matches by null only, and sorts as a no-op', async () => {
      const shopWire = (await get('channels', { filters: JSON.stringify({ id: shop.id }) })).body.partner_channels[0];
      expect(channelIds(await get('channels', { filters: JSON.stringify({ 'integration.app_id': shopWire.integration.app_id }) }))).toEqual([shop.id]);
      expect(shopWire.project).toBeNull();
      const all = (await get('channels', {})).body.total as number;
      expect((await get('channels', { filters: JSON.stringify({ 'project.id': null }) })).body.total).toBe(all);
      expect((await get('channels', { filters: JSON.stringify({ 'project.id': 'p1' }) })).body).toMatchObject({ total: 0, partner_channels: [] });
      const sorted = await get('channels', { sort: '-project.name,created_at' });
      expect(sorted.status).toBe(200);
      expect(sorted.body.sort).toEqual(['-project.name', 'created_at']);
      expect(channelIds(sorted)).toEqual(channelIds(await get('channels', { sort: 'created_at' })));
    });

    it("accept Python-style {'id':'x'}, True and None, and echo them as JSON values", async () => {
      const one = await get('channels', { filters: `{'id':'${shop.id}'}` });
      expect(one.body).toMatchObject({ total: 1, filters: { id: shop.id } });
      const migrated = await get('channels', { filters: "{'is_migrated': True}" });
      expect(migrated.body).toMatchObject({ total: 1, filters: { is_migrated: true } });
      const none = await get('clients', { filters: "{'partner_payload': None, 'suspicious': False}" });
      expect(none.body).toMatchObject({ total: 12, filters: { partner_payload: null, suspicious: false } });
    });

    it('{} and an empty filters parameter match everything', async () => {
      expect((await get('clients', { filters: '{}' })).body).toMatchObject({ total: 26, filters: {} });
      expect((await get('clients', { filters: '' })).body).toMatchObject({ total: 26, filters: {} });
    });

    it('q on clients searches name, e-mail, organisation and payload (an extension)', async () => {
      const c = await get('clients', { filters: '{"q":"TENANT CLIENT"}' });
      expect(c.body.total).toBeGreaterThanOrEqual(1);
      for (const cl of c.body.clients) expect(`${cl.name} ${cl.contact_info.email} ${cl.organisation} ${cl.partner_payload}`.toLowerCase()).toContain('tenant client');
      expect((await get('clients', { filters: '{"q":"no-such-client-anywhere"}' })).body.total).toBe(0);
    });

    it('q searches channel id, number, name and client name, case-insensitively and literally', async () => {
      expect(channelIds(await get('channels', { filters: '{"q":"kiosk"}' }))).toEqual([kiosk.id]);
      expect(channelIds(await get('channels', { filters: '{"q":"4940123"}' }))).toEqual([shop.id]);
      expect(channelIds(await get('channels', { filters: '{"q":"50%"}' }))).toEqual([shop.id]);
      expect(channelIds(await get('channels', { filters: '{"q":"k_n"}' }))).toEqual([kiosk.id]);
      expect(channelIds(await get('channels', { filters: '{"q":"%"}' }))).toEqual([shop.id]);
      expect(channelIds(await get('channels', { filters: '{"q":"_"}' }))).toEqual([kiosk.id]);
      expect(channelIds(await get('channels', { filters: '{"q":"TENANT CLIENT"}' }))).toEqual([a.channel_id]);
      expect(channelIds(await get('channels', { filters: JSON.stringify({ q: shop.id.toLowerCase() }) }))).toEqual([shop.id]);
      expect((await get('channels', { filters: '{"q":"Other partner"}' })).body.total).toBe(0);
    });
  });

  describe('sort', () => {
    const names = (res: { body: { clients: { name: string }[] } }) => res.body.clients.map((c) => c.name);
    it('by a field, descending with -, and by several fields', async () => {
      const asc = await get('clients', { sort: 'name', filters: '{"partner_payload":"even"}' });
      expect(asc.body.sort).toEqual(['name']);
      expect(names(asc)).toEqual([...names(asc)].sort());
      const desc = await get('clients', { sort: '-name', filters: '{"partner_payload":"even"}' });
      expect(desc.body.sort).toEqual(['-name']);
      expect(names(desc)).toEqual([...names(asc)].reverse());
      const multi = await get('clients', { sort: 'max_channels,-contact_info.email', filters: '{"partner_payload":"even"}' });
      expect(multi.body.sort).toEqual(['max_channels', '-contact_info.email']);
      const expected = clients
        .filter((c) => c.partner_payload === 'even')
        .sort((x, y) => x.max_channels - y.max_channels || (y.contact_email! < x.contact_email! ? -1 : 1))
        .map((c) => c.id);
      expect(ids(multi)).toEqual(expected);
    });

    it('sort=- or no sort is the default, created_at (then id)', async () => {
      for (const query of [{ sort: '-' }, {}, { sort: '' }] as Record<string, string>[]) {
        const res = await get('clients', query);
        expect(res.body.sort).toEqual(['created_at']);
        expect(ids(res)[0]).toBe(a.client_id);
        expect(ids(res).slice(1, 11)).toEqual(clients.slice(0, 10).map((c) => c.id));
        expect(ids(res).slice(11)).toEqual(clients.slice(10).map((c) => c.id).sort());
      }
    });
  });

  describe('limit and offset', () => {
    it('page through everything, each client exactly once, with the right total', async () => {
      const all = ids(await get('clients', {}));
      expect(all).toHaveLength(26);
      const seen: string[] = [];
      for (let offset = 0; offset < 30; offset += 7) {
        const page = await get('clients', { limit: '7', offset: String(offset) });
        expect(page.body).toMatchObject({ total: 26, limit: 7, offset, count: Math.max(0, Math.min(7, 26 - offset)) });
        seen.push(...ids(page));
      }
      expect(seen).toEqual(all);
      const sorted = await get('clients', { sort: '-max_channels', limit: '5', offset: '5' });
      expect(ids(sorted)).toEqual(ids(await get('clients', { sort: '-max_channels' })).slice(5, 10));
    });

    it('limit above 1000 is served as 1000 and echoed', async () => {
      const res = await get('clients', { limit: '5000' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ limit: 1000, count: 26, total: 26 });
    });

    it("total counts only this partner's matches", async () => {
      const res = await get('clients', { limit: '1' });
      expect(res.body).toMatchObject({ count: 1, total: 26 });
      expect(ids(await get('clients', { filters: JSON.stringify({ id: b.client_id }) }))).toEqual([]);
    });
  });

  describe('bad input is a 400 that names the problem', () => {
    const cases: [string, 'clients' | 'channels', Record<string, string>, RegExp][] = [
      ['unknown filter field', 'clients', { filters: '{"colour":"red"}' }, /Unknown filter field "colour"/],
      ['inherited name as a filter', 'clients', { filters: '{"toString":"x"}' }, /Unknown filter field "toString"/],
      ['inherited name as a sort', 'clients', { sort: 'constructor' }, /Unknown sort field "constructor"/],
      ['__proto__ as a sort', 'channels', { sort: '-__proto__' }, /Unknown sort field "__proto__"/],
      ['channel-only field on clients', 'clients', { filters: '{"availability_status":"ready"}' }, /Unknown filter field "availability_status"/],
      ['free text must be a string', 'clients', { filters: '{"q":5}' }, /filters\.q must be a string/],
      ['unknown sort field', 'channels', { sort: 'created_at,-colour' }, /Unknown sort field "colour"/],
      ['malformed JSON filters', 'clients', { filters: '{"id":' }, /filters must be a JSON object/],
      ['not an object', 'clients', { filters: '"id"' }, /filters must be a JSON object/],
      ['JSON array filters', 'channels', { filters: '[{"id":"x"}]' }, /filters must be a JSON object/],
      ['object as a value', 'clients', { filters: '{"id":{"$ne":"x"}}' }, /filters\.id must be/],
      ['boolean field with a word', 'clients', { filters: '{"suspicious":"yes"}' }, /filters\.suspicious must be true or false/],
      ['number field with a word', 'clients', { filters: '{"max_channels":"many"}' }, /filters\.max_channels must be a number/],
      ['number field with a fraction', 'clients', { filters: '{"max_channels":1.5}' }, /filters\.max_channels must be a number: an integer/],
      ['number field out of range', 'clients', { filters: '{"max_channels":1e20}' }, /filters\.max_channels must be a number: an integer between/],
      ['NUL in a string', 'clients', { filters: '{"name":"a\\u0000b"}' }, /filters\.name must not contain NUL/],
      ['NUL in q', 'channels', { filters: '{"q":"\\u0000"}' }, /filters\.q must not contain NUL/],
      ['q that is not a string', 'channels', { filters: '{"q":5}' }, /filters\.q must be a string/],
      ['limit=abc', 'clients', { limit: 'abc' }, /limit must be a non-negative integer.*abc/],
      ['limit=0', 'clients', { limit: '0' }, /limit must be at least 1/],
      ['limit=-5', 'channels', { limit: '-5' }, /limit must be a non-negative integer/],
      ['offset=-1', 'clients', { offset: '-1' }, /offset must be a non-negative integer.*-1/],
      ['offset=1.5', 'channels', { offset: '1.5' }, /offset must be a non-negative integer/],
    ];
    for (const [name, what, query, message] of cases) {
      it(name, async () => {
        expectPartnerError(await get(what, query), 400, message);
      });
    }
  });
});
