// Meta's "add a phone number to a WABA" (POST /{version}/{waba-id}/phone_numbers; routes/add-phone-number.ts,
// messaging/add-phone-number.ts): a sandbox number becomes a new channel of the key's WABA and client,
// NOT_VERIFIED and PENDING until request_code, verify_code and register (with its own key, made with
// the Partner API); refusals in Graph's body; another WABA's id is Graph's unknown node; max_channels
// holds under concurrent adds; a number on Meta's network asks Meta.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

const expectParamError = (res: { status: number; body: any; text: string }, field: string) => {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ code: 100, type: 'OAuthException', message: '(#100) Invalid parameter' });
  expect(res.body.error.error_data.details).toContain(field);
};
const expectCannotAdd = (res: { status: number; body: any; text: string }, words: RegExp) => {
  expect(res.status, res.text).toBe(400);
  expect(res.body.error).toMatchObject({ code: 200000, type: 'OAuthException' });
  expect(res.body.error.error_data.details).toMatch(words);
};

describeEachDb('POST /{waba-id}/phone_numbers (sandbox)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  let waba: string;
  let otherWaba: string;
  let seq = 0;
  /** A national number no test used yet (cc 49: 13 digits in all). */
  const fresh = () => `15${String(Date.now() % 1e6).padStart(6, '0')}${String(seq++).padStart(3, '0')}`;

  const wabaOf = async (q: BootstrapResult) =>
    (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', q.waba_account_id).executeTakeFirstOrThrow()).external_id;
  const setMaxChannels = async (q: BootstrapResult, max: number) => {
    const res = await t.patch(`/api/v2/partners/${q.partner_id}/clients/${q.client_id}`, { headers: partnerKey(q.partner_api_key), json: { max_channels: max } });
    expect(res.status, res.text).toBe(200);
  };
  const channelsOf = async (q: BootstrapResult) =>
    Number((await t.deps.db.kysely.selectFrom('channels').select((eb) => eb.fn.countAll<number>().as('n')).where('client_id', '=', q.client_id).executeTakeFirstOrThrow()).n);
  const add = (body: unknown, key = p.channel_api_key, w = waba) => t.post(`/v21.0/${w}/phone_numbers`, { headers: bearer(key), json: body });
  const partnerChannel = async (q: BootstrapResult, externalId: string) => {
    const res = await t.get(`/api/v2/partners/${q.partner_id}/channels`, { headers: partnerKey(q.partner_api_key), query: { filters: JSON.stringify({ external_id: externalId }) } });
    expect(res.status, res.text).toBe(200);
    return res.body.partner_channels as any[];
  };
  const node = async (key: string, id: string) => {
    const res = await t.get(`/v21.0/${id}`, { headers: bearer(key), query: { fields: 'verified_name,code_verification_status,status,display_phone_number' } });
    expect(res.status, res.text).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    other = await t.tenant();
    waba = await wabaOf(p);
    otherWaba = await wabaOf(other);
    await setMaxChannels(p, 50);
  });
  afterAll(() => t.close());

  it('adds the number: 200 {id}; the WABA lists it NOT_VERIFIED and PENDING; the Partner API lists it in the same WABA and client', async () => {
    const national = fresh();
    const res = await add({ cc: '49', phone_number: `${national.slice(0, 3)} ${national.slice(3, 7)}-${national.slice(7)}`, verified_name: 'Acme Second Line' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^\d{15}$/) });
    const id = res.body.id as string;

    const list = await t.get(`/v21.0/${waba}/phone_numbers`, { headers: bearer(p.channel_api_key), query: { fields: 'id,display_phone_number,verified_name,code_verification_status,status' } });
    expect(list.status, list.text).toBe(200);
    expect(list.body.data).toContainEqual({ id, display_phone_number: `49${national}`, verified_name: 'Acme Second Line', code_verification_status: 'NOT_VERIFIED', status: 'PENDING' });
    expect(list.body.data.map((n: any) => n.id)).toHaveLength(2);

    const [ch] = await partnerChannel(p, id);
    expect(ch).toMatchObject({
      external_id: id,
      client_id: p.client_id,
      waba_account_id: p.waba_account_id,
      status: 'created',
      availability_status: 'setting_up',
      network: 'sandbox',
      setup_info: { phone_number: `49${national}`, phone_name: 'Acme Second Line' },
    });
  });

  it('request_code → verify_code → register on the new number, with its own key from the Partner API', async () => {
    const national = fresh();
    const res = await add({ cc: '49', phone_number: national, verified_name: 'Acme Third Line' });
    expect(res.status, res.text).toBe(200);
    const id = res.body.id as string;
    const [ch] = await partnerChannel(p, id);

    // The first number's key acts on its own number only: the new one is another's node to it.
    const foreign = await t.post(`/v21.0/${id}/request_code`, { headers: bearer(p.channel_api_key), json: { code_method: 'SMS', language: 'en_US' } });
    expect(foreign.status, foreign.text).toBe(400);
    expect(foreign.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });

    const made = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    expect(made.status, made.text).toBeLessThan(300);
    const key = made.body.api_key as string;

    // Not verified yet: register is refused and nothing changes.
    const early = await t.post(`/v21.0/${id}/register`, { headers: bearer(key), json: { messaging_product: 'whatsapp', pin: '123456' } });
    expect(early.status, early.text).toBe(400);
    expect(early.body.error).toMatchObject({ code: 133006 });
    expect(await node(key, id)).toMatchObject({ code_verification_status: 'NOT_VERIFIED', status: 'PENDING', verified_name: 'Acme Third Line' });

    const code = await t.post(`/v21.0/${id}/request_code`, { headers: bearer(key), query: { code_method: 'SMS', language: 'en_US' } });
    expect(code.status, code.text).toBe(200);
    expect(code.body).toEqual({ success: true });
    const verify = await t.post(`/v21.0/${id}/verify_code`, { headers: bearer(key), json: { code: '123456' } });
    expect(verify.status, verify.text).toBe(200);
    expect(await node(key, id)).toMatchObject({ code_verification_status: 'VERIFIED', status: 'PENDING' });

    const register = await t.post(`/v21.0/${id}/register`, { headers: bearer(key), json: { messaging_product: 'whatsapp', pin: '123456' } });
    expect(register.status, register.text).toBe(200);
    expect(register.body).toEqual({ success: true });
    expect(await node(key, id)).toMatchObject({ code_verification_status: 'VERIFIED', status: 'CONNECTED', display_phone_number: `49${national}` });
    expect((await partnerChannel(p, id))[0]).toMatchObject({ status: 'ready', availability_status: 'ready' });

    // The number can send now.
    const sent = await t.post('/messages', { headers: { 'D360-API-KEY': key }, json: { messaging_product: 'whatsapp', to: '4917600000123', type: 'text', text: { body: 'hi' } } });
    expect(sent.status, sent.text).toBe(200);
  });

  it('concurrent verify_code and register calls move the number once each: one channel_submitted, one channel_ready', async () => {
    const res = await add({ cc: '49', phone_number: fresh(), verified_name: 'Acme Rush' });
    expect(res.status, res.text).toBe(200);
    const [ch] = await partnerChannel(p, res.body.id);
    const made = await t.post(`/api/v2/partners/${p.partner_id}/channels/${ch.id}/api_keys`, { headers: partnerKey(p.partner_api_key) });
    const key = made.body.api_key as string;
    const step = (path: string, json: unknown) => t.post(`/v21.0/${res.body.id}${path}`, { headers: bearer(key), json });
    for (const r of await Promise.all(Array.from({ length: 6 }, () => step('/verify_code', { code: '123456' })))) expect(r.status, r.text).toBe(200);
    for (const r of await Promise.all(Array.from({ length: 6 }, () => step('/register', { messaging_product: 'whatsapp', pin: '123456' })))) expect(r.status, r.text).toBe(200);
    const events = await t.deps.db.kysely.selectFrom('webhook_events').select(['event_type', 'body']).where('target_id', '=', p.partner_id).where('event_type', 'in', ['channel_submitted', 'channel_ready']).execute();
    const mine = events.filter((e) => JSON.parse(e.body).data?.id === ch.id).map((e) => e.event_type).sort();
    expect(mine).toEqual(['channel_ready', 'channel_submitted']);
  });

  it('register leaves a number onboarded through Integrated Onboarding to its setup job (it stays submitted)', async () => {
    const q = await t.tenant();
    const { setChannelStatus, ONBOARDING_SETUP_JOB } = await import('../../src/services/channel-lifecycle.ts');
    const { enqueueJob } = await import('../../src/jobs/scheduler.ts');
    await setChannelStatus(t.deps, q.channel_id, 'submitted');
    await enqueueJob(t.deps, t.deps.db.kysely, { kind: ONBOARDING_SETUP_JOB, refId: q.channel_id, at: new Date(Date.now() + 3_600_000), payload: { channel_id: q.channel_id } });
    const qNumber = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', q.channel_id).executeTakeFirstOrThrow()).external_id;
    const reg = await t.post(`/v21.0/${qNumber}/register`, { headers: bearer(q.channel_api_key), json: { messaging_product: 'whatsapp', pin: '123456' } });
    expect(reg.status, reg.text).toBe(200);
    const row = await t.deps.db.kysely.selectFrom('channels').select('status').where('id', '=', q.channel_id).executeTakeFirstOrThrow();
    expect(row.status).toBe('submitted');
  });

  it('takes the parameters as a form, in the query, as JSON numbers, and without the version; cc with a leading +', async () => {
    const a = fresh();
    const form = await t.post(`/v21.0/${waba}/phone_numbers`, {
      headers: { ...bearer(p.channel_api_key), 'content-type': 'application/x-www-form-urlencoded' },
      raw: `cc=49&phone_number=${a}&verified_name=Acme+Form`,
    });
    expect(form.status, form.text).toBe(200);
    const b = fresh();
    const query = await t.post(`/${waba}/phone_numbers`, { headers: bearer(p.channel_api_key), query: { cc: '+49', phone_number: b, verified_name: 'Acme Query' } });
    expect(query.status, query.text).toBe(200);
    const c = fresh();
    const numbers = await add({ cc: 49, phone_number: Number(c), verified_name: 'Acme Numbers' });
    expect(numbers.status, numbers.text).toBe(200);
    // The root path (360dialog's form, the key names the WABA).
    const d = fresh();
    const root = await t.post('/phone_numbers', { headers: { 'D360-API-KEY': p.channel_api_key }, json: { cc: '49', phone_number: d, verified_name: 'Acme Root' } });
    expect(root.status, root.text).toBe(200);
    for (const [n, name] of [[a, 'Acme Form'], [b, 'Acme Query'], [c, 'Acme Numbers'], [d, 'Acme Root']] as const) {
      const row = await t.deps.db.kysely.selectFrom('channels').select(['phone_name', 'waba_account_id']).where('phone_number', '=', `49${n}`).executeTakeFirstOrThrow();
      expect(row).toEqual({ phone_name: name, waba_account_id: p.waba_account_id });
    }
  });

  it("refuses bad parameters in Graph's body naming the parameter, and adds nothing", async () => {
    const before = await channelsOf(p);
    const ok = { cc: '49', phone_number: fresh(), verified_name: 'Acme' };
    expectParamError(await add({ phone_number: ok.phone_number, verified_name: 'Acme' }), 'cc');
    expectParamError(await add({ ...ok, cc: 'abc' }), 'cc');
    expectParamError(await add({ ...ok, cc: '4a' }), 'cc');
    expectParamError(await add({ ...ok, cc: '1234' }), 'cc');
    expectParamError(await add({ ...ok, cc: { x: 1 } }), 'cc');
    expectParamError(await add({ cc: '49', verified_name: 'Acme' }), 'phone_number');
    expectParamError(await add({ ...ok, phone_number: '151abc' }), 'phone_number');
    expectParamError(await add({ ...ok, phone_number: '+4915112345678' }), 'phone_number');
    expectParamError(await add({ ...ok, phone_number: '1234567890123456' }), 'phone_number');
    expectParamError(await add({ ...ok, phone_number: '12' }), 'phone_number');
    expectParamError(await add({ cc: '49', phone_number: ok.phone_number }), 'verified_name');
    expectParamError(await add({ ...ok, verified_name: '' }), 'verified_name');
    expectParamError(await add({ ...ok, verified_name: '   ' }), 'verified_name');
    expectParamError(await add({ ...ok, verified_name: 'x'.repeat(513) }), 'verified_name');
    expectParamError(await add({ ...ok, verified_name: 42 }), 'verified_name');
    expect(await channelsOf(p)).toBe(before);
    // The limit itself is taken.
    expect((await add({ ...ok, verified_name: 'x'.repeat(512) })).status).toBe(200);
  });

  it("refuses a number already one of the partner's (code 200000); another partner's numbers are not looked at", async () => {
    const before = await channelsOf(p);
    expectCannotAdd(await add({ cc: p.phone_number.slice(0, 2), phone_number: p.phone_number.slice(2), verified_name: 'Again' }), /already one of this partner's numbers/);
    expect(await channelsOf(p)).toBe(before);
    // Another tenant's number: nothing tells whether it exists there (the sandbox is no shared network).
    const theirs = await add({ cc: other.phone_number.slice(0, 2), phone_number: other.phone_number.slice(2), verified_name: 'Theirs' });
    expect(theirs.status, theirs.text).toBe(200);
    expect(await channelsOf(p)).toBe(before + 1);
  });

  it('a client at its max_channels learns nothing about a number: the cap is checked first', async () => {
    const q = await t.tenant();
    await setMaxChannels(q, 1);
    const qWaba = await wabaOf(q);
    // Its own number and a fresh one get the same refusal.
    expectCannotAdd(await add({ cc: q.phone_number.slice(0, 2), phone_number: q.phone_number.slice(2), verified_name: 'Own' }, q.channel_api_key, qWaba), /can have 1 number and already has 1/);
    expectCannotAdd(await add({ cc: '49', phone_number: fresh(), verified_name: 'Fresh' }, q.channel_api_key, qWaba), /can have 1 number and already has 1/);
  });

  it("refuses when the client's max_channels is reached (code 200000), and nothing is created", async () => {
    await setMaxChannels(other, 1);
    const before = await channelsOf(other);
    expectCannotAdd(await add({ cc: '49', phone_number: fresh(), verified_name: 'One Too Many' }, other.channel_api_key, otherWaba), /can have 1 number and already has 1/);
    expect(await channelsOf(other)).toBe(before);
  });

  it("another client's WABA id answers as Graph's unknown node, and nothing is created", async () => {
    await setMaxChannels(other, 50);
    const before = [await channelsOf(p), await channelsOf(other)];
    const res = await add({ cc: '49', phone_number: fresh(), verified_name: 'Intruder' }, p.channel_api_key, otherWaba);
    expect(res.status, res.text).toBe(400);
    expect(res.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
    expect(res.body.error.message).toContain(otherWaba);
    // Its openwaba id too, and the other way round.
    expect((await add({ cc: '49', phone_number: fresh(), verified_name: 'Intruder' }, p.channel_api_key, other.waba_account_id)).status).toBe(400);
    expect((await add({ cc: '49', phone_number: fresh(), verified_name: 'Intruder' }, other.channel_api_key, waba)).status).toBe(400);
    expect([await channelsOf(p), await channelsOf(other)]).toEqual(before);
    // A wrong key: Graph's 190.
    const bad = await add({ cc: '49', phone_number: fresh(), verified_name: 'Nobody' }, 'not-a-key');
    expect(bad.status).toBe(401);
    expect(bad.body.error).toMatchObject({ code: 190 });
  });

  it('concurrent adds do not pass max_channels, nor add one number twice', async () => {
    const q = await t.tenant();
    const qWaba = await wabaOf(q);
    await setMaxChannels(q, 3); // the tenant's number and two more
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => add({ cc: '49', phone_number: fresh(), verified_name: `Race ${i}` }, q.channel_api_key, qWaba)),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    for (const r of results.filter((x) => x.status !== 200)) expectCannotAdd(r, /can have 3 numbers/);
    expect(await channelsOf(q)).toBe(3);

    // One number added three times at once: one of the adds gets it.
    await setMaxChannels(q, 10);
    const same = fresh();
    const both = await Promise.all([
      add({ cc: '49', phone_number: same, verified_name: 'Mine' }, q.channel_api_key, qWaba),
      add({ cc: '49', phone_number: same, verified_name: 'Mine too' }, q.channel_api_key, qWaba),
      add({ cc: '49', phone_number: same, verified_name: 'Mine three' }, q.channel_api_key, qWaba),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    const rows = await t.deps.db.kysely.selectFrom('channels').select('id').where('phone_number', '=', `49${same}`).execute();
    expect(rows).toHaveLength(1);
  });
});

describeEachDb("POST /{waba-id}/phone_numbers on Meta's network: asked of Meta", (kind) => {
  const META_NUMBER = '106540352242922';
  const META_WABA = '102290129340922';
  let meta: MetaNumber | undefined;
  beforeAll(async () => {
    meta = await startMetaNumber(kind, { phoneNumberId: META_NUMBER, wabaId: META_WABA });
  });
  afterAll(async () => {
    await meta?.close();
  });

  describe('pass-through', () => {
    it("goes to Meta's /{waba_id}/phone_numbers with the checked parameters; Meta's id (or error) comes back; no channel is made", async () => {
      const { graph, t, p } = meta!;
      graph.reset();
      graph.respond(
        { status: 200, json: { id: '110200345501442' } },
        { status: 400, json: { error: { message: '(#200000) Cannot add phone number to WhatsApp Business Account', type: 'OAuthException', code: 200000, fbtrace_id: 'Axyz' } } },
      );
      const before = await t.deps.db.kysely.selectFrom('channels').select('id').execute();
      const res = await t.post(`/v21.0/${META_WABA}/phone_numbers`, { headers: bearer(p.channel_api_key), json: { cc: '1', phone_number: '555-012-3456', verified_name: ' Acme US ' } });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toEqual({ id: '110200345501442' });
      const refused = await t.post(`/v21.0/${META_WABA}/phone_numbers`, { headers: bearer(p.channel_api_key), query: { cc: '1', phone_number: '5550123457', verified_name: 'Acme US' } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 200000, fbtrace_id: 'Axyz' });
      expect(graph.requests.map((r) => [r.method, r.path.replace(/^\/v\d+\.\d+/, '')])).toEqual([
        ['POST', `/${META_WABA}/phone_numbers`],
        ['POST', `/${META_WABA}/phone_numbers`],
      ]);
      expect(graph.requests[0]!.json).toEqual({ cc: '1', phone_number: '5550123456', verified_name: 'Acme US' });
      expect(await t.deps.db.kysely.selectFrom('channels').select('id').execute()).toEqual(before);
    });

    it('bad parameters are refused here, before Meta is asked', async () => {
      const { graph, t, p } = meta!;
      graph.reset();
      expectParamError(await t.post(`/v21.0/${META_WABA}/phone_numbers`, { headers: bearer(p.channel_api_key), json: { cc: 'x', phone_number: '5550123456', verified_name: 'Acme' } }), 'cc');
      expect(graph.requests).toEqual([]);
    });
  });
});
