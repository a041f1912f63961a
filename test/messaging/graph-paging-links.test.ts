// Graph's paging.next / paging.previous on the lists served on Graph paths: the URL the caller used
// (version prefix and node id kept), the caller's query kept (access_token included) and only the
// cursor replaced, so that a client following `next` with no header at all (older Chatwoot's
// HTTParty.get(next_url), Weni's params={access_token}) gets every page. Also Graph's
// `summary=total_count` on message_templates and phone_numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { REVIEW_MS, utility } from './templates-fixtures.ts';

const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];

interface Page {
  data: any;
  paging?: { cursors?: { before?: string; after?: string }; next?: string; previous?: string };
  summary?: Record<string, number>;
}

/** GET with no header at all, as a client following a link does. */
async function bare(url: string): Promise<Page> {
  const res = await fetch(url);
  const text = await res.text();
  expect(res.status, `${url}: ${text}`).toBe(200);
  return JSON.parse(text) as Page;
}

/** Follows `next` (or `previous`) from a first page until there is none; every page and the links followed. */
async function follow(first: string, link: 'next' | 'previous'): Promise<{ pages: Page[]; links: string[] }> {
  const pages = [await bare(first)];
  const links: string[] = [];
  for (let url = pages[0]!.paging?.[link]; url; url = pages.at(-1)!.paging?.[link]) {
    expect(links.length).toBeLessThan(50);
    links.push(url);
    pages.push(await bare(url));
  }
  return { pages, links };
}

describeEachDb('Graph paging links keep the caller URL (version, node, access_token, query)', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let waba: string;
  const clock = new ManualClock(new Date('2026-04-01T08:00:00.000Z'));
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const token = () => encodeURIComponent(p.channel_api_key);

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    p = await t.tenant();
    await t.tenant(); // another WABA's templates never show
    for (const name of NAMES) expect((await t.post('/message_templates', { headers: key(), json: utility(name) })).status).toBe(200);
    clock.advance(REVIEW_MS + 1);
    await new JobScheduler(t.deps).runDue();
    expect((await t.post('/v1/configs/templates', { headers: key(), json: utility('zulu_pending') })).status).toBe(201);
    waba = (await t.deps.db.kysely.selectFrom('waba_accounts').select('external_id').where('id', '=', p.waba_account_id).executeTakeFirstOrThrow()).external_id!;
  });
  afterAll(async () => t.close());

  describe('message_templates', () => {
    it('next, followed with no header, walks every template; each link is the Graph URL with access_token', async () => {
      const all = (await t.get('/message_templates', { headers: key(), query: { limit: '1000', fields: 'name' } })).body.data.map((d: any) => d.name);
      expect(all).toHaveLength(NAMES.length + 2); // hello_world and the pending one too
      const start = `${t.baseUrl}/v13.0/${waba}/message_templates?access_token=${token()}&limit=2`;
      const { pages, links } = await follow(start, 'next');
      expect(pages.flatMap((pg) => pg.data.map((d: any) => d.name))).toEqual(all);
      expect(pages).toHaveLength(Math.ceil(all.length / 2));
      for (const link of links) {
        const u = new URL(link);
        expect(`${u.origin}${u.pathname}`).toBe(`${t.baseUrl}/v13.0/${waba}/message_templates`);
        expect(u.searchParams.get('access_token')).toBe(p.channel_api_key);
        expect(u.searchParams.get('limit')).toBe('2');
        expect(u.searchParams.getAll('after')).toHaveLength(1);
        expect(u.searchParams.has('before')).toBe(false);
      }
      expect(pages.at(-1)!.paging!.next).toBeUndefined();

      // previous, from the last page back to the first, no header either.
      const back = await follow(links.at(-1)!, 'previous');
      const walkedBack = [...back.pages].reverse().flatMap((pg) => pg.data.map((d: any) => d.name));
      expect(walkedBack).toEqual(all);
      for (const link of back.links) {
        const u = new URL(link);
        expect(u.pathname).toBe(`/v13.0/${waba}/message_templates`);
        expect(u.searchParams.get('access_token')).toBe(p.channel_api_key);
        expect(u.searchParams.has('after')).toBe(false);
        expect(u.searchParams.getAll('before')).toHaveLength(1);
      }
      expect(back.pages.at(-1)!.paging!.previous).toBeUndefined();
    });

    it('keeps fields=, filters and the unversioned numeric Graph path', async () => {
      const start = `${t.baseUrl}/${waba}/message_templates?fields=name,status&status=approved&access_token=${token()}&limit=3`;
      const { pages, links } = await follow(start, 'next');
      const items = pages.flatMap((pg) => pg.data);
      expect(items.map((d: any) => d.name)).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hello_world']);
      for (const d of items) expect(Object.keys(d).sort()).toEqual(['id', 'name', 'status']);
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) {
        const u = new URL(link);
        expect(u.pathname).toBe(`/${waba}/message_templates`);
        expect(u.searchParams.get('fields')).toBe('name,status');
        expect(u.searchParams.get('status')).toBe('approved');
      }
    });

    it('a Bearer caller: the link has no token it did not send; the root path keeps its own query', async () => {
      const graph = await t.get(`/v21.0/${waba}/message_templates`, { headers: { authorization: `Bearer ${p.channel_api_key}` }, query: { limit: '2' } });
      const next = new URL(graph.body.paging.next);
      expect(next.pathname).toBe(`/v21.0/${waba}/message_templates`);
      expect(next.searchParams.has('access_token')).toBe(false);

      const root = await t.get('/message_templates', { headers: key(), query: { limit: '2', language: 'en_US', fields: 'name' } });
      const u = new URL(root.body.paging.next);
      expect(`${u.origin}${u.pathname}`).toBe(`${t.baseUrl}/message_templates`);
      expect(Object.fromEntries(u.searchParams)).toEqual({ limit: '2', language: 'en_US', fields: 'name', after: root.body.paging.cursors.after });
      const second = await t.get(u.pathname + u.search, { headers: key() });
      expect(second.status).toBe(200);
      expect(second.body.data[0].name).toBe('charlie');
    });

    it('summary=total_count counts all matching templates, not the page; on Graph and root paths', async () => {
      const graph = await bare(`${t.baseUrl}/v21.0/${waba}/message_templates?summary=total_count&limit=1&access_token=${token()}`);
      expect(graph.data).toHaveLength(1);
      expect(graph.summary).toEqual({ total_count: NAMES.length + 2 });
      // The next page is asked for with the summary too (the caller's query is kept).
      expect(new URL(graph.paging!.next!).searchParams.get('summary')).toBe('total_count');
      expect((await bare(graph.paging!.next!)).summary).toEqual({ total_count: NAMES.length + 2 });

      const filtered = await t.get('/message_templates', { headers: key(), query: { summary: 'true', status: 'PENDING', limit: '1' } });
      expect(filtered.body.summary).toEqual({ total_count: 1 });
      const both = await t.get('/message_templates', { headers: key(), query: { summary: 'total_count,message_template_count,message_template_limit', name: 'alp' } });
      expect(both.body.summary).toEqual({ total_count: 1, message_template_count: NAMES.length + 2 });
      // Without summary there is none.
      expect((await t.get('/message_templates', { headers: key(), query: { limit: '1' } })).body.summary).toBeUndefined();
    });
  });

  it('phone_numbers: summary=total_count (Meta documents only total_count there)', async () => {
    const res = await bare(`${t.baseUrl}/v21.0/${waba}/phone_numbers?summary=total_count&access_token=${token()}`);
    expect(res.summary).toEqual({ total_count: res.data.length });
    expect(res.data.length).toBeGreaterThan(0);
    expect((await bare(`${t.baseUrl}/v21.0/${waba}/phone_numbers?access_token=${token()}`)).summary).toBeUndefined();
  });

  it('flows: next and previous keep the Graph path, access_token and fields', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.post('/flows', { headers: key(), json: { name: `paged ${i}`, categories: ['OTHER'] } });
      expect(res.status, res.text).toBe(200);
      ids.push(res.body.id);
    }
    const start = `${t.baseUrl}/v19.0/${waba}/flows?fields=name,status&access_token=${token()}&limit=2`;
    const { pages, links } = await follow(start, 'next');
    const got = pages.flatMap((pg) => pg.data.map((d: any) => d.id));
    expect([...got].sort()).toEqual([...ids].sort());
    expect(links).toHaveLength(2);
    for (const link of links) {
      const u = new URL(link);
      expect(u.pathname).toBe(`/v19.0/${waba}/flows`);
      expect(u.searchParams.get('access_token')).toBe(p.channel_api_key);
      expect(u.searchParams.get('fields')).toBe('name,status');
    }
    const back = await follow(links.at(-1)!, 'previous');
    expect(back.pages.reverse().flatMap((pg) => pg.data.map((d: any) => d.id))).toEqual(got);
  });

  it('groups: next and previous on the phone number node keep access_token', async () => {
    const pnid = (await t.deps.db.kysely.selectFrom('channels').select('external_id').where('id', '=', p.channel_id).executeTakeFirstOrThrow()).external_id;
    const ids: string[] = [];
    for (const subject of ['G1', 'G2', 'G3']) {
      const res = await t.post('/groups', { headers: key(), json: { messaging_product: 'whatsapp', subject } });
      expect(res.status, res.text).toBe(200);
      ids.push(res.body.id);
    }
    const { pages, links } = await follow(`${t.baseUrl}/v23.0/${pnid}/groups?access_token=${token()}&limit=2`, 'next');
    expect(pages.flatMap((pg) => pg.data.groups.map((g: any) => g.id)).sort()).toEqual([...ids].sort());
    expect(links).toHaveLength(1);
    const u = new URL(links[0]!);
    expect(u.pathname).toBe(`/v23.0/${pnid}/groups`);
    expect(u.searchParams.get('access_token')).toBe(p.channel_api_key);
    const back = await bare(pages[1]!.paging!.previous!);
    expect(back.data.groups.map((g: any) => g.id)).toEqual(pages[0]!.data.groups.map((g: any) => g.id));
  });
});
