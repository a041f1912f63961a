// Content retention and status events: Meta's delivered/read statuses carry the recipient's
// contact with the profile they chose (name, username). Past OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS
// that profile goes, as a message event's does; the rest of the status (ids, BSUIDs, pricing,
// errors) stays as written, and statuses without a profile are not rewritten at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { removedStatusProfiles, removeOldWebhookContent, WEBHOOK_STATUS_PROFILES_PROGRESS_KEY } from '../src/messaging/webhook-content-retention.ts';
import { enqueueEvent } from '../src/webhooks/outbox.ts';
import { describeEachDb } from './helpers/db.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

const CONTACT = { profile: { name: 'Jane Doe', username: '@jane.doe' }, wa_id: '16505551234', user_id: 'US.13491208655302741918' };
const STATUS = { id: 'wamid.abc', status: 'read', timestamp: '1750857384', recipient_id: '16505551234', recipient_user_id: 'US.13491208655302741918' };
const cloudStatus = (contacts?: unknown[]) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '15550001111', phone_number_id: '106540352242922' }, ...(contacts ? { contacts } : {}), statuses: [STATUS] } }] }],
  });

describe('removedStatusProfiles', () => {
  it('empties the profiles of a Cloud or On-Premise status; keeps everything else; a body without one comes back as the same text', () => {
    const cloud = JSON.parse(removedStatusProfiles(cloudStatus([CONTACT])));
    expect(cloud).toEqual(JSON.parse(cloudStatus([{ ...CONTACT, profile: {} }])));
    const onprem = JSON.stringify({ contacts: [CONTACT], statuses: [STATUS] });
    expect(JSON.parse(removedStatusProfiles(onprem))).toEqual({ contacts: [{ ...CONTACT, profile: {} }], statuses: [STATUS] });
    for (const same of [cloudStatus(), cloudStatus([{ wa_id: '16505551234', user_id: CONTACT.user_id }]), cloudStatus([{ ...CONTACT, profile: {} }]), 'not json', '[1,2]']) {
      expect(removedStatusProfiles(same)).toBe(same);
    }
  });
});

describeEachDb('webhook content retention: status events', (kind) => {
  const start = new Date('2026-03-01T10:00:00.000Z');
  const clock = new ManualClock(start);
  let t: TestApp;
  let p: BootstrapResult;

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: '7', OPENWABA_WEBHOOK_RETENTION_DAYS: '30' } });
    p = await t.tenant();
  });
  afterAll(async () => {
    await t?.close();
  });

  const enqueue = (body: string) => enqueueEvent(t.deps, t.deps.db.kysely, { partnerId: p.partner_id, targetType: 'channel', targetId: p.channel_id, eventType: 'status', body });
  const bodyOf = async (id: string) => (await t.deps.db.kysely.selectFrom('webhook_events').select('body').where('id', '=', id).executeTakeFirstOrThrow()).body;

  it('past the cutoff a status loses its contacts\' profiles and nothing else; newer ones and ones without a profile stay as written', async () => {
    const old = await enqueue(cloudStatus([CONTACT]));
    const oldPlain = await enqueue(cloudStatus([{ wa_id: CONTACT.wa_id, user_id: CONTACT.user_id }]));
    const oldOnPrem = await enqueue(JSON.stringify({ contacts: [CONTACT], statuses: [STATUS] }));
    clock.advance(6 * 86_400_000);
    const fresh = await enqueue(cloudStatus([CONTACT]));
    clock.advance(2 * 86_400_000);

    expect(await removeOldWebhookContent(t.deps)).toBe(2);
    expect(JSON.parse(await bodyOf(old))).toEqual(JSON.parse(cloudStatus([{ ...CONTACT, profile: {} }])));
    expect(JSON.parse(await bodyOf(oldOnPrem))).toEqual({ contacts: [{ ...CONTACT, profile: {} }], statuses: [STATUS] });
    expect(await bodyOf(oldPlain)).toBe(cloudStatus([{ wa_id: CONTACT.wa_id, user_id: CONTACT.user_id }]));
    expect(await bodyOf(fresh)).toBe(cloudStatus([CONTACT]));
    expect(JSON.stringify(await t.deps.db.kysely.selectFrom('webhook_events').select('body').execute())).toContain('Jane Doe'); // the fresh one only
    const progress = await t.deps.db.kysely.selectFrom('instance_settings').select('value').where('key', '=', WEBHOOK_STATUS_PROFILES_PROGRESS_KEY).executeTakeFirst();
    expect(progress?.value).toBe(new Date(clock.now().getTime() - 7 * 86_400_000).toISOString());
    // Again: nothing left to do.
    expect(await removeOldWebhookContent(t.deps)).toBe(0);
  });
});
