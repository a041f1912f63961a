// The Groups API of a number on Meta's network goes to Meta (a fake Graph API here): each route to
// its Graph path with the number's token, Meta's answer and Meta's errors passed through; a group
// id naming another number is refused before Meta is asked; a send to a group goes to Meta with
// recipient_type "group".
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { graphErrorBody, type GraphRequest } from '../helpers/fake-graph.ts';
import { startMetaNumber, type MetaNumber } from '../helpers/meta-number.ts';
import { ACCESS_TOKEN } from './meta-webhook-fixtures.ts';

const PNID = '106540352288001';
const WABA = '102290129388001';

/** The request's path without the version, and its query. */
const parts = (r: GraphRequest) => {
  const u = new URL(r.path, 'http://x');
  return { method: r.method, path: u.pathname.replace(/^\/v\d+\.\d+/, ''), query: Object.fromEntries(u.searchParams) };
};

describeEachDb('Groups API of a Meta number, through Meta', (kind) => {
  let m: MetaNumber;
  let key: Record<string, string>;
  let group: string;
  let foreignGroup: string;

  beforeAll(async () => {
    m = await startMetaNumber(kind, { phoneNumberId: PNID, wabaId: WABA });
    key = { 'D360-API-KEY': m.p.channel_api_key };
    const ch = await m.t.deps.db.kysely.selectFrom('channels').select('phone_number').where('id', '=', m.p.channel_id).executeTakeFirstOrThrow();
    const digits = ch.phone_number.replace(/\D/g, '');
    group = Buffer.from(`capi_group:${digits}:120363404694283820`).toString('base64url');
    foreignGroup = Buffer.from('capi_group:4915112345678:120363404694283821').toString('base64url');
  });
  afterAll(async () => {
    await m?.close();
  });
  beforeEach(() => m.graph.reset());

  it('POST /groups and GET /groups go to /{phone-number-id}/groups with the token; Meta\'s answer comes back, paging URLs ours', async () => {
    m.graph.respond({ status: 200, json: { messaging_product: 'whatsapp', request_id: 'req_meta_1' } });
    const body = { messaging_product: 'whatsapp', subject: 'Team', description: 'Our team', join_approval_mode: 'approval_required' };
    const created = await m.t.post('/groups', { headers: key, json: body });
    expect(created.status, created.text).toBe(200);
    expect(created.body).toEqual({ messaging_product: 'whatsapp', request_id: 'req_meta_1' });
    expect(parts(m.graph.requests[0]!)).toEqual({ method: 'POST', path: `/${PNID}/groups`, query: {} });
    expect(m.graph.requests[0]!.json).toEqual(body);
    expect(m.graph.requests[0]!.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);

    const page = { data: { groups: [{ id: group, subject: 'Team', created_at: 1735000000 }] }, paging: { cursors: { before: 'QVFI', after: 'QVFJ' }, next: `https://graph.facebook.com/v23.0/${PNID}/groups?access_token=${ACCESS_TOKEN}&limit=1&after=QVFJ` } };
    m.graph.respond({ status: 200, json: page });
    const list = await m.t.get('/groups', { headers: key, query: { limit: '1', after: 'QVFI' } });
    expect(list.status, list.text).toBe(200);
    expect(list.body).toEqual({ ...page, paging: { ...page.paging, next: `${m.t.baseUrl}/groups?limit=1&after=QVFJ` } });
    expect(list.text).not.toContain(ACCESS_TOKEN);
    expect(parts(m.graph.requests[1]!)).toEqual({ method: 'GET', path: `/${PNID}/groups`, query: { limit: '1', after: 'QVFI' } });
    // Graph's own path reaches the same route.
    m.graph.respond({ status: 200, json: { data: { groups: [] }, paging: { cursors: {} } } });
    const graphPath = await m.t.get(`/v23.0/${PNID}/groups`, { headers: key });
    expect(graphPath.status, graphPath.text).toBe(200);
    expect(parts(m.graph.requests[2]!).path).toBe(`/${PNID}/groups`);
  });

  it("each group route goes to Meta's /{group-id}[/edge] with its method, fields and body", async () => {
    const cases: [string, string, unknown, string, Record<string, string>][] = [
      ['GET', `/groups/${group}?fields=subject,participants`, undefined, `/${group}`, { fields: 'subject,participants' }],
      ['POST', `/groups/${group}`, { messaging_product: 'whatsapp', subject: 'Renamed' }, `/${group}`, {}],
      ['DELETE', `/groups/${group}`, undefined, `/${group}`, {}],
      ['GET', `/groups/${group}/invite_link`, undefined, `/${group}/invite_link`, {}],
      ['POST', `/groups/${group}/invite_link`, { messaging_product: 'whatsapp' }, `/${group}/invite_link`, {}],
      ['DELETE', `/groups/${group}/participants`, { messaging_product: 'whatsapp', participants: [{ user: '4917600000001' }] }, `/${group}/participants`, {}],
      ['GET', `/groups/${group}/join_requests`, undefined, `/${group}/join_requests`, {}],
      ['POST', `/groups/${group}/join_requests`, { messaging_product: 'whatsapp', join_requests: ['JR1'] }, `/${group}/join_requests`, {}],
      ['DELETE', `/groups/${group}/join_requests`, { messaging_product: 'whatsapp', join_requests: ['JR2'] }, `/${group}/join_requests`, {}],
      // Graph's paths: /{version}/{group-id}/… are rewritten to the same routes.
      ['GET', `/v23.0/${group}/invite_link`, undefined, `/${group}/invite_link`, {}],
    ];
    for (const [i, [method, url, body, path, query]] of cases.entries()) {
      const answer = { marker: i, messaging_product: 'whatsapp' };
      m.graph.respond({ status: 200, json: answer });
      const res = await m.t.request(method, url, { headers: key, ...(body !== undefined ? { json: body } : {}) });
      expect(res.status, `${method} ${url}: ${res.text}`).toBe(200);
      expect(res.body, url).toEqual(answer);
      const req = m.graph.requests.at(-1)!;
      expect(parts(req), url).toEqual({ method, path, query });
      expect(req.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
      if (body !== undefined) expect(req.json, url).toEqual(body);
    }
    expect(m.graph.requests).toHaveLength(cases.length);
  });

  it("Meta's errors come back as Meta gave them; another number's group or no group id is refused before Meta is asked", async () => {
    const err = graphErrorBody(131009, 'Parameter value is not valid', { details: 'subject: too long' });
    m.graph.respond({ status: 400, json: err });
    const res = await m.t.post(`/groups/${group}`, { headers: key, json: { messaging_product: 'whatsapp', subject: 'x'.repeat(300) } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 131009, fbtrace_id: err.error.fbtrace_id, error_data: { details: 'subject: too long' } });
    expect(m.graph.requests).toHaveLength(1);

    for (const [method, url] of [['GET', `/groups/${foreignGroup}`], ['DELETE', `/groups/${foreignGroup}/participants`], ['GET', `/groups/not-a-group`], ['GET', `/groups/Y2FwaV9ncm91cDo..%2F..%2Fme`]] as const) {
      const r = await m.t.request(method, url, { headers: key, ...(method === 'DELETE' ? { json: { messaging_product: 'whatsapp', participants: [{ user: '1' }] } } : {}) });
      expect(r.status, url).toBe(400);
      expect(r.body.error, url).toMatchObject({ code: 100 });
    }
    // Bodies that are no JSON object, and a removal without one: 400 in Meta's format, Meta not asked.
    const noBody = await m.t.delete(`/groups/${group}/participants`, { headers: key });
    expect(noBody.status).toBe(400);
    expect(noBody.body.error).toMatchObject({ code: 100 });
    const arr = await m.t.post('/groups', { headers: key, json: ['x'] });
    expect(arr.status).toBe(400);
    expect(m.graph.requests).toHaveLength(1);
    // The sandbox's simulations stay the sandbox's.
    const join = await m.t.post('/sandbox/v1/group_join', { headers: key, json: { from: '4917600000001', group_id: group } });
    expect(join.status).toBe(400);
    expect(m.graph.requests).toHaveLength(1);
  });

  it('a send with recipient_type "group" goes to Meta with it; another number\'s group is refused', async () => {
    const res = await m.t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', recipient_type: 'group', to: group, type: 'text', text: { body: 'hello group' } } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.messages[0].id).toMatch(/^wamid\./);
    const req = m.graph.requests.at(-1)!;
    expect(parts(req)).toEqual({ method: 'POST', path: `/${PNID}/messages`, query: {} });
    expect(req.json).toMatchObject({ messaging_product: 'whatsapp', recipient_type: 'group', to: group, type: 'text', text: { body: 'hello group' } });
    const stored = await m.t.deps.db.kysely.selectFrom('messages').select(['wa_id', 'direction']).where('id', '=', res.body.messages[0].id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ wa_id: group, direction: 'outbound' });

    const n = m.graph.requests.length;
    const foreign = await m.t.post('/messages', { headers: key, json: { messaging_product: 'whatsapp', recipient_type: 'group', to: foreignGroup, type: 'text', text: { body: 'x' } } });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error).toMatchObject({ code: 131009 });
    expect(m.graph.requests).toHaveLength(n);
  });
});
