// The sandbox phone's call log: each ended call with the business shows as a line among the
// messages, at the time the call began ("Incoming voice call · 1:23", "Missed incoming voice call",
// "Declined incoming voice call", "Outgoing voice call · not answered"), on the page and in the live
// JSON view, without reactions; a call under way is no log line (the call bar shows it).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import type { CallsTable } from '../../src/db/schema.ts';
import { callLength } from '../../src/web/phone/call-log.ts';
import { PhoneClient } from './phone-client.ts';

const WA = '4917055509931';

describeEachDb('sandbox phone: call log', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let phone: PhoneClient;

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ended calls show as log lines in the order of the messages; a live call does not', async () => {
    const sent = await phone.post('/sandbox/phone/text', { body: 'call me later' });
    expect(sent.status, sent.text).toBe(303);
    const m = await t.deps.db.kysely.selectFrom('messages').select(['id', 'created_at']).where('channel_id', '=', p.channel_id).where('wa_id', '=', WA).executeTakeFirstOrThrow();
    const at = (s: number) => new Date(Date.parse(m.created_at) + s * 1000).toISOString();
    const call = (id: string, direction: CallsTable['direction'], state: string, created: number, start: number | null, end: number | null): CallsTable => ({
      id,
      channel_id: p.channel_id,
      wa_id: WA,
      direction,
      state,
      biz_opaque_callback_data: null,
      created_at: at(created),
      start_time: start === null ? null : at(start),
      end_time: end === null ? null : at(end),
      modified_at: at(created),
    });
    await t.deps.db.kysely
      .insertInto('calls')
      .values([
        call('wacid.log1', 'BUSINESS_INITIATED', 'ended', -3600, -3590, -3590 + 83),
        call('wacid.log2', 'BUSINESS_INITIATED', 'ended', 1, null, 61),
        call('wacid.log3', 'USER_INITIATED', 'ended', 2, null, 10),
        call('wacid.log4', 'BUSINESS_INITIATED', 'rejected', 3, null, 5),
        call('wacid.log5', 'USER_INITIATED', 'ended', 4, 6, 6 + 3725),
        call('wacid.log6', 'BUSINESS_INITIATED', 'ringing', 5, null, null),
        // Another user's call is not on this phone.
        { ...call('wacid.log7', 'BUSINESS_INITIATED', 'ended', 6, null, 8), wa_id: '4917055509932' },
      ])
      .execute();

    const page = (await phone.get('/sandbox/phone')).text;
    const lines = ['Incoming voice call · 1:23', 'call me later', 'Missed incoming voice call', 'Outgoing voice call · not answered', 'Declined incoming voice call', 'Outgoing voice call · 1:02:05'];
    const where = lines.map((l) => page.indexOf(l));
    expect(where.every((i) => i > 0), JSON.stringify(where)).toBe(true);
    expect([...where].sort((a, b) => a - b)).toEqual(where);
    // The business's call lines sit on its side, with no reaction form; the user's on the user's.
    const li = (id: string) => new RegExp(`<li class="msg [^"]*" data-id="${id.replace('.', '\\.')}"[\\s\\S]*?</li>`).exec(page)?.[0] ?? '';
    expect(li('wacid.log2')).toContain('class="msg from-business call-log"');
    expect(li('wacid.log2')).not.toContain('/sandbox/phone/react');
    expect(li('wacid.log3')).toContain('class="msg from-user call-log"');
    // The ringing call is in the call bar, not the log.
    expect(li('wacid.log6')).toBe('');
    expect(page).toContain('name="call_id" value="wacid.log6"');
    expect(page).not.toContain('wacid.log7');

    // The live view (phone.js) gets the same lines in the same order.
    const items = await phone.items();
    expect(items.map((b) => b.id)).toEqual(['wacid.log1', m.id, 'wacid.log2', 'wacid.log3', 'wacid.log4', 'wacid.log5']);
    expect(items[0]).toMatchObject({ type: 'call', from: 'business', text: 'Incoming voice call · 1:23', meta: { reactions: [] } });
    expect(items[5]).toMatchObject({ type: 'call', from: 'user', text: 'Outgoing voice call · 1:02:05' });
  });

  it('call lengths read as WhatsApp writes them', () => {
    expect([0, 9, 83, 600, 3599, 3600, 3725].map(callLength)).toEqual(['0:00', '0:09', '1:23', '10:00', '59:59', '1:00:00', '1:02:05']);
  });
});
