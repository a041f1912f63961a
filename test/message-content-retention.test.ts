// Message content retention: after OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS the hourly maintenance
// replaces a message's content by a small marker, in bounded batches found through an index; the
// row (type, direction, category, status history) stays, so usage statistics do not change, and
// every reader (the sandbox messages API, the sandbox phone, the Hub) shows the message as removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledQuery } from 'kysely';
import { ManualClock } from '../src/clock.ts';
import { ConfigError, loadConfig } from '../src/config.ts';
import type { Deps } from '../src/deps.ts';
import { runMaintenance } from '../src/maintenance.ts';
import { dueForRemoval, removalOf, removeContentBatch, removedContent, removeOldMessageContent } from '../src/messaging/content-retention.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';
import { bubbleOf, type StoredMessage } from '../src/web/phone/bubbles.ts';
import { describeEachDb } from './helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from './helpers/app.ts';
import { insertMessageRow } from './helpers/messages.ts';
import { SAMPLES, uploadCloud } from './messaging/media-fixtures.ts';
import { PhoneClient } from './web/phone-client.ts';
import { HubClient } from './web/hub-client.ts';
import { planOf } from './helpers/query-plan.ts';
import { messageRow } from './helpers/messages.ts';

const DAY = 86_400_000;

describe('OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS', () => {
  it('30 days unless set; 1 to 3650 days, or forever (any case) to keep content', () => {
    expect(loadConfig({}).messageContentRetentionDays).toBe(30);
    expect(loadConfig({ OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: '' }).messageContentRetentionDays).toBe(30);
    expect(loadConfig({ OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: '1' }).messageContentRetentionDays).toBe(1);
    expect(loadConfig({ OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: '3650' }).messageContentRetentionDays).toBe(3650);
    expect(loadConfig({ OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: 'forever' }).messageContentRetentionDays).toBeNull();
    expect(loadConfig({ OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: 'Forever' }).messageContentRetentionDays).toBeNull();
  });

  it.each(['0', '3651', '-1', '1.5', '30d', 'never', ' 30'])('%j → ConfigError naming the setting', (value) => {
    expect(() => loadConfig({ OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS: value })).toThrow(
      /^OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS must be a number of days from 1 to 3650, or forever, got ".*"$/,
    );
  });
});

describe('sandbox phone bubbles of removed content', () => {
  const removed = (type: string, days = 30): StoredMessage => ({
    id: 'wamid.R',
    direction: 'inbound',
    type,
    content: removedContent(type, { at: '2026-04-01T10:00:00.000Z', retentionDays: days }),
    status: 'read',
    error_code: null,
    error_title: null,
    context_id: null,
    created_at: '2026-03-01T09:05:07.123Z',
  });

  it('say what kind of message it was and that its content was removed, never an empty bubble', () => {
    const text = bubbleOf(removed('text'));
    expect(text).toMatchObject({ note: 'Content removed after 30 days', meta: { statusLabel: 'Read by the business' } });
    expect(text.text).toBeUndefined();
    const image = bubbleOf(removed('image', 7));
    expect(image).toMatchObject({ media: { label: 'Image' }, note: 'Content removed after 7 days' });
    expect(image.text).toBeUndefined();
    expect(bubbleOf(removed('location', 1)).note).toBe('Location — content removed after 1 day');
    expect(bubbleOf(removed('location')).location).toBeUndefined();
    expect(bubbleOf(removed('contacts')).note).toBe('Contact card — content removed after 30 days');
    const buttons = bubbleOf({ ...removed('interactive'), direction: 'outbound' });
    expect(buttons.note).toBe('Interactive message — content removed after 30 days');
    expect(buttons.buttons).toBeUndefined();
    expect(bubbleOf(removed('order')).note).toBe('A order message — content removed after 30 days');
  });
});


describeEachDb('message content retention', (kind) => {
  const start = new Date('2026-03-01T10:00:00.000Z');
  const clock = new ManualClock(start);
  let t: TestApp;
  let p: BootstrapResult;
  const USER = '4917600000301';
  const key = () => channelKey(p.channel_api_key);
  const inbound = async (json: Record<string, unknown>) => {
    const res = await t.post('/sandbox/v1/inbound', { headers: key(), json: { from: USER, ...json } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.messages[0].id as string;
  };
  const send = async (json: Record<string, unknown>) => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: USER, ...json } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.messages[0].id as string;
  };
  const rowsOf = (channelId: string) => t.deps.db.kysely.selectFrom('messages').selectAll().where('channel_id', '=', channelId).orderBy('id').execute();
  const unix = (ms: number) => String(Math.floor(ms / 1000));
  const usage = async (): Promise<Record<string, number | string>[]> => {
    const res = await t.get(`/api/v2/partners/${p.partner_id}/clients/${p.client_id}/info/balance`, {
      headers: partnerKey(p.partner_api_key),
      query: { granularity: 'DAY', start_date: unix(start.getTime() - DAY), end_date: unix(clock.now().getTime()) },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.usage;
  };

  beforeAll(async () => {
    t = await startTestApp(kind, { clock, env: { OPENWABA_PARTNER_RATE_LIMITS: 'false' } });
    p = await t.tenant();
  });
  afterAll(() => t?.close());

  let oldIds: string[] = [];
  let imageId = '';
  let mediaId = '';
  let freshId = '';

  it('removes the content of messages past the retention and keeps everything else of their rows', async () => {
    // A conversation of every kind, written by the real paths: the user's text, image (an upload
    // of this number), location, contact card and reaction; the business's text, buttons,
    // template and reaction.
    const png = SAMPLES.find((s) => s.name === 'chart.png')!;
    const upload = await uploadCloud(t, p.channel_api_key, { messaging_product: 'whatsapp', type: png.mime, file: { data: png.data, type: png.mime, name: png.name } });
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);
    mediaId = upload.body.id;
    const hello = await inbound({ name: 'Jane', type: 'text', text: { body: 'My order 4711 never came' } });
    imageId = await inbound({ type: 'image', image: { id: mediaId, caption: 'the empty box' } });
    await inbound({ type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Home', address: 'Example Street 1, Berlin' } });
    await inbound({ type: 'contacts', contacts: [{ name: { formatted_name: 'Ann Smith', first_name: 'Ann' }, phones: [{ phone: '+49 151 1234567' }] }] });
    const reply = await send({ type: 'text', text: { body: 'Sorry Jane, we send a new one' } });
    await send({ type: 'interactive', interactive: { type: 'button', body: { text: 'Was it left at the door?' }, action: { buttons: [{ type: 'reply', reply: { id: 'yes', title: 'Yes' } }] } } });
    await send({ type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
    await send({ type: 'reaction', reaction: { message_id: hello, emoji: '🙏' } });
    await inbound({ type: 'reaction', reaction: { message_id: reply, emoji: '👍' } });
    // The sandbox would report these later: delivered, as the usage statistics count them.
    await t.deps.db.kysely
      .updateTable('messages')
      .set({ status: 'delivered', sent_at: start.toISOString(), delivered_at: start.toISOString(), status_plan: null, status_due_at: null })
      .where('channel_id', '=', p.channel_id)
      .where('direction', '=', 'outbound')
      .execute();

    clock.advance(31 * DAY);
    freshId = await inbound({ type: 'text', text: { body: 'Thanks, it arrived' } });
    const before = await rowsOf(p.channel_id);
    oldIds = before.filter((m) => m.id !== freshId).map((m) => m.id);
    expect(oldIds).toHaveLength(9);
    const usageBefore = await usage();
    expect(usageBefore.reduce((n, u) => n + Number(u.quantity), 0)).toBe(10);

    await runMaintenance(t.deps);

    const now = clock.now().toISOString();
    const after = await rowsOf(p.channel_id);
    for (const [i, row] of after.entries()) {
      const was = before[i]!;
      if (row.id === freshId) {
        expect(row).toEqual(was);
        expect(row.content_removed_at).toBeNull();
        continue;
      }
      // Only the content (and when it went) changed: type, direction, category, statuses,
      // their timestamps, ids and the replied-to message are all still there.
      expect({ ...row, content: was.content, content_removed_at: null }).toEqual(was);
      expect(row.content_removed_at).toBe(now);
      expect(JSON.parse(row.content)).toEqual({ type: row.type, removed: { at: now, retention_days: 30 } });
      expect(removalOf(row.content)).toEqual({ at: now, retentionDays: 30 });
    }
    // The usage statistics count the same messages as before.
    expect(await usage()).toEqual(usageBefore);
    // A second hour finds nothing left to do.
    expect(await removeOldMessageContent(t.deps)).toBe(0);
  });

  it('the sandbox messages API lists removed messages with their history and the marker as content', async () => {
    const res = await t.get('/sandbox/v1/messages', { headers: key(), query: { wa_id: USER } });
    expect(res.status).toBe(200);
    const byId = new Map<string, any>(res.body.messages.map((m: any) => [m.id, m]));
    expect(byId.get(freshId).content).toEqual({ type: 'text', text: { body: 'Thanks, it arrived' } });
    const image = byId.get(imageId);
    expect(image).toMatchObject({ type: 'image', direction: 'inbound', status: 'received', content: { type: 'image', removed: { retention_days: 30 } } });
    const template = res.body.messages.find((m: any) => m.type === 'template');
    expect(template).toMatchObject({ category: 'utility', status: 'delivered', statuses: [{ status: 'sent' }, { status: 'delivered' }] });
    // Nothing of what was said is left, not even the id of the (by now expired) media file.
    expect(res.text).not.toMatch(/4711|empty box|Example Street|Ann Smith|Sorry Jane|hello_world|🙏|👍/);
    expect(res.text).not.toContain(mediaId);
    // The media expired: GET /{media_id} answers as Meta does for an object that is gone (HTTP 400, code 100, subcode 33).
    const gone = await t.get(`/${mediaId}`, { headers: key() });
    expect(gone.status).toBe(400);
    expect(gone.body.error).toMatchObject({ type: 'GraphMethodException', code: 100, error_subcode: 33 });
  });

  it('the sandbox phone says the content was removed instead of drawing empty bubbles', async () => {
    const phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: USER, name: 'Jane' });
    const items = await phone.items();
    // Nine old messages less the two reactions (drawn on their targets, and no longer known).
    const old = items.filter((b) => b.id !== freshId);
    expect(old).toHaveLength(7);
    expect(old.every((b) => oldIds.includes(b.id))).toBe(true);
    for (const b of old) {
      expect(b.note, JSON.stringify(b)).toMatch(/content removed after 30 days$/i);
      expect(b.meta.reactions).toEqual([]);
    }
    expect(items.find((b) => b.id === imageId)).toMatchObject({ media: { label: 'Image' }, note: 'Content removed after 30 days' });
    expect(items.find((b) => b.id === freshId)).toMatchObject({ text: 'Thanks, it arrived' });
    const page = await phone.get('/sandbox/phone');
    expect(page.status).toBe(200);
    expect(page.text.match(/<p class="note">[^<]*ontent removed after 30 days<\/p>/g)).toHaveLength(7);
    // The business's buttons went with the content: an old tap finds nothing to press.
    const buttons = oldIds.find((id) => items.find((b) => b.id === id)?.note?.startsWith('Interactive'))!;
    expect((await phone.post('/sandbox/phone/reply', { message_id: buttons, choice: 'yes' }, { json: true })).status).toBe(400);
  });

  it("the Hub's channel page marks removed messages", async () => {
    const hub = new HubClient(t.baseUrl);
    expect((await hub.login(p.username, p.password)).status).toBe(303);
    const page = await hub.get(`/hub/partner/${p.partner_id}/channels/${p.channel_id}`);
    expect(page.status).toBe(200);
    // Nine old messages (reactions included: the Hub lists every row) and one fresh.
    const table = page.html.slice(page.html.indexOf('<table id="messages">'));
    expect(table.match(/<span class="muted content-removed">\(content removed after 30 days\)<\/span>/g)).toHaveLength(9);
    expect(table.match(/<tr>\s*<td>/g)).toHaveLength(10);
  });

  it('works in bounded batches, oldest first, up to the cutoff; forever keeps everything', async () => {
    const q = await t.tenant();
    const now = clock.now().getTime();
    const cutoff = new Date(now - 30 * DAY).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const at = new Date(now - (90 - i) * DAY).toISOString();
      ids.push(await insertMessageRow(t.deps.db, { partner_id: q.partner_id, client_id: q.client_id, channel_id: q.channel_id, direction: 'inbound', created_at: at, content: '{"type":"text","text":{"body":"old"}}' }));
    }
    // One just inside the retention, one just outside.
    const kept = await insertMessageRow(t.deps.db, { partner_id: q.partner_id, client_id: q.client_id, channel_id: q.channel_id, direction: 'inbound', created_at: cutoff, content: '{"type":"text","text":{"body":"kept"}}' });
    const edge = await insertMessageRow(t.deps.db, {
      partner_id: q.partner_id,
      client_id: q.client_id,
      channel_id: q.channel_id,
      direction: 'inbound',
      created_at: new Date(Date.parse(cutoff) - 1).toISOString(),
      content: '{"type":"text","text":{"body":"edge"}}',
    });
    const removedIds = async () =>
      (await t.deps.db.kysely.selectFrom('messages').select('id').where('channel_id', '=', q.channel_id).where('content_removed_at', 'is not', null).execute()).map((r) => r.id).sort();

    const forever: Deps = { ...t.deps, config: { ...t.deps.config, messageContentRetentionDays: null } };
    expect(await removeOldMessageContent(forever)).toBe(0);
    expect(await removedIds()).toEqual([]);

    // One batch takes at most its limit, the oldest first.
    const removal = { at: clock.now().toISOString(), retentionDays: 30 };
    expect(await removeContentBatch(t.deps, cutoff, removal, 10)).toEqual({ due: 10, removed: 10 });
    expect(await removedIds()).toEqual(ids.slice(0, 10).sort());
    // The rest in batches of 10: 10, then 6 (which says nothing more is due).
    expect(await removeOldMessageContent(t.deps, 10)).toBe(16);
    expect(await removedIds()).toEqual([...ids, edge].sort());
    const left = await t.deps.db.kysely.selectFrom('messages').select(['content', 'content_removed_at']).where('id', '=', kept).executeTakeFirstOrThrow();
    expect(left).toEqual({ content: '{"type":"text","text":{"body":"kept"}}', content_removed_at: null });
  });

  it('finds the messages due through the partial index on created_at, not by reading the table', async () => {
    const q = await t.tenant();
    // A history whose content is long gone, and a few rows still to do.
    const rows = Array.from({ length: 3000 }, (_, i) =>
      messageRow({
        id: `wamid.history${String(i).padStart(5, '0')}`,
        channel_id: q.channel_id,
        partner_id: q.partner_id,
        client_id: q.client_id,
        direction: 'inbound',
        wa_id: USER,
        content: removedContent('text', { at: '2025-01-01T00:00:00.000Z', retentionDays: 30 }),
        category: 'service',
        created_at: new Date(Date.parse('2024-01-01T00:00:00.000Z') + i * 60_000).toISOString(),
        modified_at: '2024-01-01T00:00:00.000Z',
        content_removed_at: '2025-01-01T00:00:00.000Z',
      }),
    );
    for (let i = 0; i < rows.length; i += 500) await t.deps.db.kysely.insertInto('messages').values(rows.slice(i, i + 500)).execute();
    if (kind === 'postgres') await t.deps.db.kysely.executeQuery(CompiledQuery.raw('ANALYZE messages'));
    const plan = await planOf(t, dueForRemoval(t.deps.db.kysely, new Date(clock.now().getTime() - 30 * DAY).toISOString(), 500));
    expect(plan).toMatch(/messages_content_kept/);
    if (kind === 'sqlite') expect(plan).toMatch(/^SEARCH messages USING INDEX messages_content_kept \(created_at<\?\)/m);
    else expect(plan).not.toMatch(/Seq Scan/);
  });
});
