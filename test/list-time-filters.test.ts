// Time filters written with a zero fraction: a client that formats the time it read from the API
// ("2026-12-01T10:00:00Z") with its language's ISO formatter sends "2026-12-01T10:00:00.000Z"
// (JavaScript's toISOString), and means that second, as on 360dialog, which stores seconds. Rows
// here keep milliseconds, so such a filter must match the whole second, not its first millisecond.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDb } from './helpers/db.ts';
import { partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { ManualClock } from '../src/clock.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { createChannel, type ChannelRow } from '../src/services/channels.ts';
import { createClient, type ClientRow } from '../src/services/clients.ts';

describeEachDb('list filters: times with a zero fraction', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let client: ClientRow;
  let neighbour: ClientRow;
  let channel: ChannelRow;
  // 10:00:00.877 — a row well inside its second; the neighbour a second later.
  const clock = new ManualClock(new Date('2026-12-01T10:00:00.877Z'));

  beforeAll(async () => {
    t = await startTestApp(kind, { clock });
    clock.set(new Date('2026-11-01T00:00:00.000Z'));
    p = await t.tenant();
    clock.set(new Date('2026-12-01T10:00:00.877Z'));
    client = await createClient(t.deps, p.partner_id, { name: 'Timed client' });
    channel = await createChannel(t.deps, { partnerId: p.partner_id, clientId: client.id, phoneNumber: '4940111222333', phoneName: 'Timed line' });
    clock.set(new Date('2026-12-01T10:00:01.250Z'));
    neighbour = await createClient(t.deps, p.partner_id, { name: 'Next second' });
  });
  afterAll(() => t?.close());

  const list = (what: 'clients' | 'channels', filters: unknown) =>
    t.get(`/api/v2/partners/${p.partner_id}/${what}`, { headers: partnerKey(p.partner_api_key), query: { filters: JSON.stringify(filters) } });
  const clientIds = async (filters: unknown) => {
    const res = await list('clients', filters);
    expect(res.status, res.text).toBe(200);
    return (res.body.clients as { id: string }[]).map((c) => c.id).sort();
  };

  it('the API shows the second; the row keeps its milliseconds', async () => {
    const shown = (await list('clients', { id: client.id })).body.clients[0].created_at;
    expect(shown).toBe('2026-12-01T10:00:00Z');
    expect(client.created_at).toBe('2026-12-01T10:00:00.877Z');
  });

  it('"…T10:00:00.000Z" matches the row of that second, as "…T10:00:00Z" does', async () => {
    expect(await clientIds({ created_at: '2026-12-01T10:00:00Z' })).toEqual([client.id]);
    expect(await clientIds({ created_at: '2026-12-01T10:00:00.000Z' })).toEqual([client.id]);
    // As JavaScript writes the time it read from the API.
    expect(await clientIds({ created_at: new Date('2026-12-01T10:00:00Z').toISOString() })).toEqual([client.id]);
  });

  it('any number of zeros, and a zone offset, are the same second', async () => {
    for (const written of ['2026-12-01T10:00:00.0Z', '2026-12-01T10:00:00.000000Z', '2026-12-01T11:00:00.000+01:00', '2026-12-01T10:00:00.000+00:00', '2026-12-01T10:00:00.000']) {
      expect(await clientIds({ created_at: written }), written).toEqual([client.id]);
    }
  });

  it('the neighbouring seconds stay apart', async () => {
    expect(await clientIds({ created_at: '2026-12-01T10:00:01.000Z' })).toEqual([neighbour.id]);
    expect(await clientIds({ created_at: '2026-12-01T09:59:59.000Z' })).toEqual([]);
    expect(await clientIds({ created_at: '2026-12-01T10:00:02.000Z' })).toEqual([]);
  });

  it('a non-zero fraction still names that millisecond', async () => {
    expect(await clientIds({ created_at: '2026-12-01T10:00:00.877Z' })).toEqual([client.id]);
    expect(await clientIds({ created_at: '2026-12-01T10:00:00.876Z' })).toEqual([]);
    expect(await clientIds({ created_at: '2026-12-01T10:00:00.500Z' })).toEqual([]);
  });

  it('echoes the filter as written', async () => {
    const res = await list('clients', { created_at: '2026-12-01T10:00:00.000Z' });
    expect(res.body.filters).toEqual({ created_at: '2026-12-01T10:00:00.000Z' });
    expect(res.body.total).toBe(1);
  });

  describe('channels, by their own time fields', () => {
    it('created_at and modified_at with .000Z', async () => {
      for (const field of ['created_at', 'modified_at']) {
        const res = await list('channels', { [field]: '2026-12-01T10:00:00.000Z' });
        expect(res.status, res.text).toBe(200);
        expect((res.body.partner_channels as { id: string }[]).map((c) => c.id), field).toEqual([channel.id]);
      }
    });

    it('terminated_at with .000Z, as well as a bad time, a 400', async () => {
      await t.deps.db.kysely.updateTable('channels').set({ terminated_at: '2026-12-02T08:30:15.432Z' }).where('id', '=', channel.id).execute();
      const res = await list('channels', { terminated_at: '2026-12-02T08:30:15.000Z' });
      expect((res.body.partner_channels as { id: string }[]).map((c) => c.id)).toEqual([channel.id]);
      expect((await list('channels', { terminated_at: '2026-12-02T08:30:16.000Z' })).body.total).toBe(0);
      const bad = await list('channels', { terminated_at: '2026-12-02T08:30:60.000Z' });
      expect(bad.status).toBe(400);
      expect(bad.body.meta.developer_message).toMatch(/filters.terminated_at must be a timestamp/);
    });
  });
});
