// A group message's statuses (messaging/group-statuses.ts): `sent` is one status for the group;
// delivered and read each come as one webhook event with a `statuses[]` item (and a `contacts[]`
// entry) per participant in the group when the status falls due, who joined no later than the
// send. A participant who left is not named; one who hides their number is named by BSUID only; a
// group nobody is in gets no delivered or read webhook. The message row moves once per step as before, and individual sends' statuses keep
// their shape, in the same rounds (advanceStatuses: PostgreSQL's set-based path, SQLite's loop).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { JobScheduler } from '../../src/jobs/scheduler.ts';
import { sandboxBsuid } from '../../src/network/bsuid.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const ANA = '4915550009001';
const BEN = '4915550009002';
const CEM = '4915550009003';
const DAN = '4915550009004';
const ELI = '4915550009005';

interface Value {
  contacts?: Record<string, unknown>[];
  statuses: Record<string, any>[];
}

describeEachDb('group message statuses per participant', (kind) => {
  const clock = new ManualClock(new Date('2026-05-01T09:00:00.000Z'));
  let t: TestApp;
  let p: BootstrapResult;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const bsuid = (waId: string) => sandboxBsuid(t.deps.config.secretKey, p.partner_id, waId);
  const ok = async (res: Promise<{ status: number; text: string; body: any }>) => {
    const r = await res;
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  const group = async (subject: string, members: string[]) => {
    const id = (await ok(t.post('/groups', { headers: key(), json: { messaging_product: 'whatsapp', subject } }))).id as string;
    for (const from of members) await ok(t.post('/sandbox/v1/group_join', { headers: key(), json: { from, group_id: id } }));
    return id;
  };
  const leave = (from: string, groupId: string) => ok(t.post('/sandbox/v1/group_leave', { headers: key(), json: { from, group_id: groupId } }));
  const sendGroup = async (to: string) =>
    (await ok(t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', recipient_type: 'group', to, type: 'text', text: { body: 'Hi all' } } }))).messages[0].id as string;
  const sendTemplate = async (to: string) =>
    (await ok(t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } })))
      .messages[0].id as string;
  /** The message's status webhook events (each one's change value), in the order written. */
  const events = async (wamid: string): Promise<Value[]> =>
    (await t.deps.db.kysely.selectFrom('webhook_events').select(['id', 'body']).where('target_id', '=', p.channel_id).where('event_type', '=', 'status').orderBy('id').execute())
      .filter((e) => e.body.includes(wamid))
      .map((e) => JSON.parse(e.body).entry[0].changes[0].value as Value);
  const row = (id: string) => t.deps.db.kysely.selectFrom('messages').select(['status', 'sent_at', 'delivered_at', 'read_at']).where('id', '=', id).executeTakeFirstOrThrow();
  const runDue = () => new JobScheduler(t.deps).runDue();

  beforeAll(async () => {
    // No scheduler runs on its own: each step is run by hand when the clock has reached it.
    t = await startTestApp(kind, { clock, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=1s,delivered=2s,read=3s' } });
    p = await t.tenant();
    await ok(t.post('/v1/configs/webhook', { headers: key(), json: { url: 'http://127.0.0.1:9/hook' } }));
    await ok(t.post(`/sandbox/v1/users/${BEN}`, { headers: key(), json: { username: 'ben_bakes' } }));
  });
  afterAll(() => t?.close());

  it('sent names the group; delivered and read name each member then, in one event; one who left is not named', async () => {
    const gid = await group('Camping trip', [ANA, BEN, CEM]);
    const t0 = clock.now().getTime();
    const wamid = await sendGroup(gid);
    // Joins after the send: WhatsApp does not deliver earlier messages to a new member.
    clock.advance(500);
    await ok(t.post('/sandbox/v1/group_join', { headers: key(), json: { from: DAN, group_id: gid } }));

    clock.advance(500);
    await runDue();
    const sent = await events(wamid);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.contacts).toBeUndefined();
    expect(sent[0]!.statuses).toEqual([
      {
        id: wamid,
        status: 'sent',
        timestamp: String(Math.floor((t0 + 1_000) / 1000)),
        recipient_id: gid,
        recipient_type: 'group',
        conversation: { id: expect.any(String), expiration_timestamp: expect.any(String), origin: { type: expect.any(String) } },
        pricing: expect.any(Object),
      },
    ]);

    // CEM leaves before delivered falls due.
    await leave(CEM, gid);
    clock.advance(1_000);
    await runDue();
    clock.advance(1_000);
    await runDue();
    const all = await events(wamid);
    expect(all.map((v) => v.statuses[0]!.status)).toEqual(['sent', 'delivered', 'read']);
    for (const [i, status] of (['delivered', 'read'] as const).entries()) {
      const v = all[i + 1]!;
      const item = (waId: string) => ({
        id: wamid,
        status,
        timestamp: String(Math.floor((t0 + (status === 'delivered' ? 2_000 : 3_000)) / 1000)),
        recipient_id: gid,
        recipient_type: 'group',
        recipient_participant_id: waId,
        recipient_participant_user_id: bsuid(waId),
        // As an individual status carries them (expiration_timestamp only in sent).
        conversation: { id: sent[0]!.statuses[0]!.conversation.id, origin: sent[0]!.statuses[0]!.conversation.origin },
        pricing: sent[0]!.statuses[0]!.pricing,
      });
      expect(v.statuses).toEqual([item(ANA), item(BEN)]);
      expect(v.contacts).toEqual([
        { wa_id: ANA, user_id: bsuid(ANA) },
        { profile: { username: 'ben_bakes' }, wa_id: BEN, user_id: bsuid(BEN) },
      ]);
    }
    expect(bsuid(ANA)).toMatch(/^DE\.\d+$/);

    // The message itself moved once per step.
    expect(await row(wamid)).toEqual({ status: 'read', sent_at: new Date(t0 + 1_000).toISOString(), delivered_at: new Date(t0 + 2_000).toISOString(), read_at: new Date(t0 + 3_000).toISOString() });
  });

  it('in one round with individual sends: each group message per member, an emptied group none, individual statuses as before', async () => {
    const full = await group('Book club', [ANA, BEN]);
    const emptied = await group('Choir', [ELI]);
    const toFull = await sendGroup(full);
    const toEmptied = await sendGroup(emptied);
    const single = [await sendTemplate('4915550009101'), await sendTemplate('4915550009102')];
    await leave(ELI, emptied);

    // Every step of all four is due at once: one round takes them together.
    clock.advance(10_000);
    await runDue();

    const fullEvents = await events(toFull);
    expect(fullEvents.map((v) => v.statuses.map((s) => `${s.status}:${s.recipient_participant_id ?? s.recipient_id}`))).toEqual([
      [`sent:${full}`],
      [`delivered:${ANA}`, `delivered:${BEN}`],
      [`read:${ANA}`, `read:${BEN}`],
    ]);
    // Nobody left to deliver to: sent for the group, then nothing; the row still reaches read.
    const emptiedEvents = await events(toEmptied);
    expect(emptiedEvents.map((v) => v.statuses.map((s) => s.status))).toEqual([['sent']]);
    expect(emptiedEvents[0]!.statuses[0]).toMatchObject({ recipient_id: emptied, recipient_type: 'group' });
    expect((await row(toEmptied)).status).toBe('read');

    for (const [i, wamid] of single.entries()) {
      const waId = `491555000910${i + 1}`;
      const evs = await events(wamid);
      expect(evs.map((v) => v.statuses.map((s) => s.status))).toEqual([['sent'], ['delivered'], ['read']]);
      for (const v of evs) {
        expect(Object.keys(v.statuses[0]!).sort()).toEqual(['conversation', 'id', 'pricing', 'recipient_id', 'recipient_user_id', 'status', 'timestamp']);
        expect(v.statuses[0]).toMatchObject({ id: wamid, recipient_id: waId, recipient_user_id: bsuid(waId) });
        expect(v.contacts).toEqual([{ wa_id: waId, user_id: bsuid(waId) }]);
      }
      expect((await row(wamid)).status).toBe('read');
    }
  });

  it('a member who hides their number is named by BSUID only: recipient_participant_id the BSUID, no wa_id in the contact', async () => {
    const HID = '4915550009111';
    await ok(t.post(`/sandbox/v1/users/${HID}`, { headers: key(), json: { username: 'secret_sam', hide_number: true } }));
    const gid = await group('Quiet', [ANA, HID]);
    const wamid = await sendGroup(gid);
    clock.advance(10_000);
    await runDue();
    const evs = await events(wamid);
    expect(evs.map((v) => v.statuses.map((s) => s.status))).toEqual([['sent'], ['delivered', 'delivered'], ['read', 'read']]);
    for (const v of evs.slice(1)) {
      expect(v.statuses.map((s) => [s.recipient_participant_id, s.recipient_participant_user_id])).toEqual([
        [ANA, bsuid(ANA)],
        [bsuid(HID), bsuid(HID)],
      ]);
      expect(v.contacts).toEqual([
        { wa_id: ANA, user_id: bsuid(ANA) },
        { profile: { username: 'secret_sam' }, user_id: bsuid(HID) },
      ]);
      expect(JSON.stringify(v)).not.toContain(HID);
    }
  });
});
