import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { REVIEW_MS, utility } from './templates-fixtures.ts';

// 13 templates: hello_world (APPROVED), 8 approved, 2 rejected, 2 still pending.
const APPROVED = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
const REJECTED = ['reject_india', 'reject_juliett'];
const PENDING = ['kilo', 'lima'];

describeEachDb('templates: lists, paging, deletion, tenant scoping', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let other: BootstrapResult;
  const clock = new ManualClock(new Date('2026-04-01T08:00:00.000Z'));
  const key = (b = p) => ({ 'D360-API-KEY': b.channel_api_key });
  const pk = (b = p) => partnerKey(b.partner_api_key);
  const partnerPath = (pid = p.partner_id, wid = p.waba_account_id) => `/api/v2/partners/${pid}/waba_accounts/${wid}/waba_templates`;
  const list360 = (query: Record<string, string> = {}) => t.get('/v1/configs/templates', { headers: key(), query });
  const names = (items: { name: string }[]) => items.map((i) => i.name);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    other = await t.tenant();
    for (const [i, name] of [...APPROVED, ...REJECTED].entries()) {
      const body = i % 2 === 0 ? { ...utility(name), category: 'MARKETING' } : utility(name, undefined, 'de');
      expect((await t.post('/message_templates', { headers: key(), json: body })).status).toBe(200);
    }
    clock.advance(REVIEW_MS + 1);
    await new JobScheduler(t.deps).runDue();
    for (const name of PENDING) expect((await t.post('/v1/configs/templates', { headers: key(), json: utility(name) })).status).toBe(201);
  });
  afterAll(async () => t.close());

  describe('360 list: GET /v1/configs/templates and the Partner API', () => {
    it('defaults: limit 50, sorted by name, the whole envelope', async () => {
      const res = await list360();
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ count: 13, total: 13, limit: 50, offset: 0, sort: ['business_templates.name'], filters: {} });
      expect(names(res.body.waba_templates)).toEqual([...APPROVED, 'hello_world', 'kilo', 'lima', ...REJECTED].sort());
      const partner = await t.get(partnerPath(), { headers: pk() });
      expect(partner.body.waba_templates).toEqual(res.body.waba_templates);
    });

    it('filters: status in either casing, category, language, name (or business_templates.name), id', async () => {
      for (const status of ['approved', 'APPROVED']) {
        const res = await list360({ filters: JSON.stringify({ status }) });
        expect(res.body.total).toBe(9);
        expect(res.body.filters).toEqual({ status: 'APPROVED' });
      }
      expect(names((await list360({ filters: '{"status":"rejected"}' })).body.waba_templates)).toEqual(REJECTED);
      expect((await list360({ filters: '{"status":"PENDING"}' })).body.total).toBe(2);
      expect((await list360({ filters: '{"category":"marketing"}' })).body.total).toBe(5);
      expect((await list360({ filters: '{"language":"de"}' })).body.total).toBe(5);
      const [golf] = (await list360({ filters: '{"name":"golf"}' })).body.waba_templates;
      expect(golf.name).toBe('golf');
      expect(names((await list360({ filters: JSON.stringify({ id: golf.id }) })).body.waba_templates)).toEqual(['golf']);
      // kairon's Python-repr filters, through the Partner API.
      const partner = await t.get(partnerPath(), { headers: pk(), query: { filters: "{'business_templates.name': 'golf', 'status': 'approved'}" } });
      expect(names(partner.body.waba_templates)).toEqual(['golf']);
    });

    it('sort and paging', async () => {
      const page = await list360({ sort: '-business_templates.name', limit: '5', offset: '5' });
      const all = [...APPROVED, 'hello_world', 'kilo', 'lima', ...REJECTED].sort().reverse();
      expect(page.body).toMatchObject({ count: 5, total: 13, limit: 5, offset: 5, sort: ['-business_templates.name'] });
      expect(names(page.body.waba_templates)).toEqual(all.slice(5, 10));
      const byLang = await list360({ sort: 'language,business_templates.name', limit: '3' });
      expect(names(byLang.body.waba_templates)).toEqual(['bravo', 'delta', 'foxtrot']);
    });

    it('bad list parameters are a 400 naming what is wrong', async () => {
      const unknown = await list360({ filters: '{"colour":"red"}' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.error_data.details).toContain('Unknown filter field "colour"');
      expect((await list360({ filters: '{"name":' })).body.error.error_data.details).toContain('filters must be a JSON object');
      expect((await list360({ sort: 'colour' })).body.error.error_data.details).toContain('Unknown sort field "colour"');
      expect((await list360({ limit: '-1' })).status).toBe(400);
      const partner = await t.get(partnerPath(), { headers: pk(), query: { offset: 'x' } });
      expect(partner.status).toBe(400);
      expect(partner.body.meta.developer_message).toContain('offset must be a non-negative integer');
    });
  });

  describe("Meta's list: GET /message_templates", () => {
    it('pages forwards with after and backwards with before', async () => {
      const seen: string[] = [];
      let res = await t.get('/message_templates', { headers: key(), query: { limit: '4' } });
      const firstPage = res.body;
      expect(firstPage.paging.previous).toBeUndefined();
      for (;;) {
        expect(res.status).toBe(200);
        seen.push(...names(res.body.data));
        if (!res.body.paging.next) break;
        const next = new URL(res.body.paging.next);
        expect(next.pathname).toBe('/message_templates');
        res = await t.get(`/message_templates${next.search}`, { headers: key() });
      }
      expect(seen).toEqual([...APPROVED, 'hello_world', 'kilo', 'lima', ...REJECTED].sort());
      expect(res.body.data).toHaveLength(1);

      const second = await t.get('/message_templates', { headers: key(), query: { limit: '4', after: firstPage.paging.cursors.after } });
      const back = await t.get('/message_templates', { headers: key(), query: { limit: '4', before: second.body.paging.cursors.before } });
      expect(back.body.data).toEqual(firstPage.data);
      expect(back.body.paging.next).toBeDefined();
      expect(back.body.paging.previous).toBeUndefined();
    });

    it('filters by status (either casing), category and part of the name; fields picks the fields', async () => {
      const res = await t.get('/message_templates', { headers: key(), query: { status: 'rejected', fields: 'name,rejected_reason' } });
      expect(res.body.data).toEqual(REJECTED.map((name) => ({ id: expect.any(String), name, rejected_reason: 'INVALID_FORMAT' })));
      expect(names((await t.get('/message_templates', { headers: key(), query: { name: 'ot' } })).body.data)).toEqual(['foxtrot', 'hotel']);
      expect((await t.get('/message_templates', { headers: key(), query: { category: 'marketing', limit: '100' } })).body.data).toHaveLength(5);
    });

    it('an unknown field, a foreign cursor or a bad limit is a (#100) 400', async () => {
      const nulCursor = Buffer.from(JSON.stringify(['a\u0000', 'en'])).toString('base64url');
      const queries: Record<string, string>[] = [
        { fields: 'name,colour' },
        { after: 'not-a-cursor' },
        { after: nulCursor },
        { limit: 'ten' },
        { after: 'x', before: 'y' },
        { name: 'a\u0000b' },
        { status: '\u0000' },
      ];
      for (const query of queries) {
        const res = await t.get('/message_templates', { headers: key(), query });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe(100);
      }
    });
  });

  describe('deletion', () => {
    it('DELETE /v1/configs/templates/{name} deletes every language of the name; an unknown name is 404', async () => {
      expect((await t.post('/message_templates', { headers: key(), json: utility('alpha', undefined, 'fr') })).status).toBe(200);
      const res = await t.delete('/v1/configs/templates/alpha', { headers: key() });
      expect(res.body).toEqual({ meta: { success: true, http_code: 200, developer_message: 'template name=alpha was deleted' } });
      expect((await list360({ filters: '{"name":"alpha"}' })).body.total).toBe(0);
      const again = await t.delete('/v1/configs/templates/alpha', { headers: key() });
      expect(again.status).toBe(404);
      expect(again.body.error.error_data.details).toContain('name=alpha');
      expect((await t.delete('/v1/configs/templates/Not%20A%20Name', { headers: key() })).status).toBe(400);
    });

    it('DELETE /v1/configs/templates/{name} takes the longest name a template may have (512 characters)', async () => {
      const name = 'n'.repeat(512);
      expect((await t.post('/message_templates', { headers: key(), json: utility(name, undefined, 'en_US') })).status).toBe(200);
      const res = await t.delete(`/v1/configs/templates/${name}`, { headers: key() });
      expect(res.status).toBe(200);
      expect((await list360({ filters: JSON.stringify({ name }) })).body.total).toBe(0);
    });

    it('DELETE /message_templates?name= (with hsm_id: one language only)', async () => {
      expect((await t.post('/message_templates', { headers: key(), json: utility('bravo', undefined, 'en_US') })).status).toBe(200);
      const [de] = (await list360({ filters: '{"name":"bravo","language":"de"}' })).body.waba_templates;
      const one = await t.delete('/message_templates', { headers: key(), query: { name: 'bravo', hsm_id: de.id } });
      expect(one.body).toEqual({ success: true });
      expect(names((await list360({ filters: '{"name":"bravo"}' })).body.waba_templates)).toHaveLength(1);
      expect((await t.delete('/message_templates', { headers: key(), query: { name: 'bravo' } })).body).toEqual({ success: true });
      const missing = await t.delete('/message_templates', { headers: key() });
      expect(missing.status).toBe(400);
      expect(missing.body.error.error_data.details).toContain('name is required');
    });

    it('Partner API DELETE …/waba_templates/{id}', async () => {
      const [charlie] = (await list360({ filters: '{"name":"charlie"}' })).body.waba_templates;
      const res = await t.delete(`${partnerPath()}/${charlie.id}`, { headers: pk() });
      expect(res.status).toBe(200);
      expect(res.body.meta).toMatchObject({ success: true, http_code: 200 });
      expect((await t.delete(`${partnerPath()}/${charlie.id}`, { headers: pk() })).status).toBe(404);
    });
  });

  describe('tenant scoping', () => {
    it('another channel sees only its own WABA’s templates and cannot delete ours', async () => {
      expect(names((await t.get('/v1/configs/templates', { headers: key(other) })).body.waba_templates)).toEqual(['hello_world']);
      expect((await t.get('/message_templates', { headers: key(other), query: { name: 'golf' } })).body.data).toEqual([]);
      expect((await t.delete('/v1/configs/templates/golf', { headers: key(other) })).status).toBe(404);
      expect((await list360({ filters: '{"name":"golf"}' })).body.total).toBe(1);
    });

    it('Partner API: 401 without a key, 403 for another partner, 404 for another partner’s WABA or template', async () => {
      const [golf] = (await list360({ filters: '{"name":"golf"}' })).body.waba_templates;
      const patch = { components: [{ type: 'BODY', text: 'Changed' }] };
      const calls = (pid: string, wid: string, headers: Record<string, string>) => [
        t.get(partnerPath(pid, wid), { headers }),
        t.post(partnerPath(pid, wid), { headers, json: utility('sneaky') }),
        t.patch(`${partnerPath(pid, wid)}/${golf.id}`, { headers, json: patch }),
        t.delete(`${partnerPath(pid, wid)}/${golf.id}`, { headers }),
      ];
      const statuses = async (list: Promise<{ status: number; body: any }>[]) => (await Promise.all(list)).map((r) => r.status);
      expect(await statuses(calls(p.partner_id, p.waba_account_id, {}))).toEqual([401, 401, 401, 401]);
      expect(await statuses(calls(p.partner_id, p.waba_account_id, pk(other)))).toEqual([403, 403, 403, 403]);
      expect(await statuses(calls(other.partner_id, p.waba_account_id, pk(other)))).toEqual([404, 404, 404, 404]);
      // Our template through the other partner's own WABA: not found either.
      const viaOwnWaba = await t.delete(`${partnerPath(other.partner_id, other.waba_account_id)}/${golf.id}`, { headers: pk(other) });
      expect(viaOwnWaba.status).toBe(404);
      const after = await list360({ filters: '{"name":"golf"}' });
      expect(after.body.waba_templates[0]).toMatchObject({ status: 'APPROVED', components: [{ type: 'BODY', text: 'Your order {{1}} has shipped.' }] });
      expect((await list360({ filters: '{"name":"sneaky"}' })).body.total).toBe(0);
    });
  });
});
