// A user chats with the business on the sandbox phone (forms without JavaScript): what they send
// reaches the channel's webhook as WhatsApp would deliver it; the business's messages show with
// their statuses, buttons, lists and templates.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import { waitUntil } from '../helpers/wait.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { insertTemplate } from '../../src/messaging/templates/store.ts';
import { PhoneClient, inboundMessages, waitForInbound } from './phone-client.ts';

const WA = '4917099887766';

describeEachDb('sandbox phone: chatting', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  const key = () => ({ 'D360-API-KEY': p.channel_api_key });
  const businessSends = async (body: Record<string, unknown>) => {
    const res = await t.post('/messages', { headers: key(), json: { messaging_product: 'whatsapp', to: WA, ...body } });
    expect(res.status).toBe(200);
    return res.body.messages[0].id as string;
  };

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: key(), json: { url: receiver.url } })).status).toBe(200);
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane Doe' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('writing a text creates an inbound message that reaches the webhook', async () => {
    const res = await phone.post('/sandbox/phone/text', { body: 'hello <b>there</b>\nline two' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/sandbox/phone');
    const m = await waitForInbound(receiver, 1);
    expect(m).toMatchObject({ contact: { profile: { name: 'Jane Doe' }, wa_id: WA }, from: WA, type: 'text', text: { body: 'hello <b>there</b>\nline two' } });
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('hello &lt;b&gt;there&lt;/b&gt;');
    expect(page.text).not.toContain('<b>there</b>');
    const json = await phone.post('/sandbox/phone/text', { body: 'via script' }, { json: true });
    expect(json.status).toBe(200);
    expect(json.body).toEqual({ ok: true, id: expect.stringMatching(/^wamid\./) });
    expect((await waitForInbound(receiver, 2)).id).toBe(json.body.id);
  });

  it('refuses bad input with a clear 4xx (HTML keeps the draft; JSON names the problem)', async () => {
    const loc = await phone.post('/sandbox/phone/location', { latitude: '91', longitude: '13.4', place_name: 'Somewhere' });
    expect(loc.status).toBe(400);
    expect(loc.text).toContain('Latitude must be a number between -90 and 90.');
    expect(loc.text).toContain('value="Somewhere"');
    expect(loc.text).toMatch(/<details class="share" id="share" open>/);
    const empty = await phone.post('/sandbox/phone/text', { body: '   ' }, { json: true });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({ error: 'The message is required.' });
    expect((await phone.post('/sandbox/phone/text', { body: 'x'.repeat(4097) }, { json: true })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/location', { latitude: 'abc', longitude: '1' }, { json: true })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/react', { message_id: 'wamid.nope', emoji: '👍' }, { json: true })).status).toBe(404);
    const csrf = await phone.post('/sandbox/phone/text', { body: 'x', _csrf: 'bad' }, { json: true });
    expect(csrf.status).toBe(403);
    const xml = await t.post('/sandbox/phone/text', { headers: { 'content-type': 'application/xml', accept: 'application/json' }, raw: '<body>x</body>' });
    expect(xml.status).toBe(415);
    const plain = await t.post('/sandbox/phone/text', { headers: { 'content-type': 'text/plain' }, raw: 'body=x' });
    expect(plain.status).toBe(403); // no form fields, so no CSRF token
    expect(plain.text).toContain('This form has expired');
    expect(inboundMessages(receiver)).toHaveLength(2);
  });

  it('shows the business reply with its status moving to read; the poll answers 304 when nothing moved', async () => {
    const id = await businessSends({ type: 'text', text: { body: 'Hi Jane!' } });
    const item = await waitUntil('the reply to show as read', async () => (await phone.items()).find((i) => i.id === id && i.meta.status === 'read'), { everyMs: 30 });
    expect(item).toMatchObject({ from: 'business', text: 'Hi Jane!', meta: { status: 'read', statusLabel: 'Read', glyph: '✓✓' } });
    expect(phone.last!.headers.etag).toBe((phone.last!.body as any).version);
    // The poll reads its version before its items (a change in between is sent again, never
    // missed), so the answer that showed `read` may carry the version from just before it: ask
    // once more, now that nothing is moving.
    const current = await phone.get('/sandbox/phone/messages', { accept: 'application/json' });
    const version = (current.body as any).version;
    expect(current.headers.etag).toBe(version);
    const again = await phone.get('/sandbox/phone/messages', { accept: 'application/json', 'if-none-match': version });
    expect(again.status).toBe(304);
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('class="ticks s-read" title="Read"');
  });

  it('tapping a reply button sends a button_reply with its id, title and context', async () => {
    const id = await businessSends({
      type: 'interactive',
      interactive: { type: 'button', header: { type: 'text', text: 'Delivery' }, body: { text: 'When?' }, footer: { text: 'Pick one' }, action: { buttons: [{ type: 'reply', reply: { id: 'slot-am', title: 'Morning' } }, { type: 'reply', reply: { id: 'slot-pm', title: 'Afternoon' } }] } },
    });
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<button type="submit" name="choice" value="slot-pm">Afternoon</button>');
    expect((await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'slot-x' })).status).toBe(400);
    const n = inboundMessages(receiver).length;
    expect((await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'slot-pm', title: 'forged title' })).status).toBe(303);
    const m = await waitForInbound(receiver, n + 1);
    expect(m).toMatchObject({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'slot-pm', title: 'Afternoon' } }, context: { from: p.phone_number, id } });
    const reply = (await phone.items()).at(-1);
    expect(reply).toMatchObject({ from: 'user', text: 'Afternoon', quote: 'When?' });
  });

  it('tapping a list row sends a list_reply', async () => {
    const id = await businessSends({
      type: 'interactive',
      interactive: { type: 'list', body: { text: 'Our menu' }, action: { button: 'Menu', sections: [{ title: 'Drinks', rows: [{ id: 'tea', title: 'Tea', description: 'Hot' }] }, { title: 'Food', rows: [{ id: 'cake', title: 'Cake' }] }] } },
    });
    const b = (await phone.items()).find((i) => i.id === id);
    expect(b.list).toEqual({ button: 'Menu', sections: [{ title: 'Drinks', rows: [{ id: 'tea', title: 'Tea', description: 'Hot' }] }, { title: 'Food', rows: [{ id: 'cake', title: 'Cake' }] }] });
    const n = inboundMessages(receiver).length;
    await phone.post('/sandbox/phone/reply', { message_id: id, choice: 'tea' });
    expect(await waitForInbound(receiver, n + 1)).toMatchObject({ type: 'interactive', interactive: { type: 'list_reply', list_reply: { id: 'tea', title: 'Tea', description: 'Hot' } }, context: { id } });
  });

  it('shares a location and reacts to a business message', async () => {
    const n = inboundMessages(receiver).length;
    expect((await phone.post('/sandbox/phone/location', { latitude: '52,5200', longitude: '13.405', place_name: 'Berlin', address: 'Alexanderplatz' })).status).toBe(303);
    expect(await waitForInbound(receiver, n + 1)).toMatchObject({ type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Berlin', address: 'Alexanderplatz' } });
    const target = (await phone.items()).find((i) => i.from === 'business' && i.text === 'Hi Jane!');
    expect((await phone.post('/sandbox/phone/react', { message_id: target.id, emoji: 'no' })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/react', { message_id: target.id, emoji: '👍👍' })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/react', { message_id: target.id, emoji: '❤️' })).status).toBe(303);
    expect(await waitForInbound(receiver, n + 2)).toMatchObject({ type: 'reaction', reaction: { message_id: target.id, emoji: '❤️' } });
    const items = await phone.items();
    expect(items.find((i) => i.id === target.id).meta.reactions).toEqual([{ by: 'you', emoji: '❤️' }]);
    expect(items.some((i) => i.type === 'reaction')).toBe(false); // shown on its message, not as a bubble
    await phone.post('/sandbox/phone/react', { message_id: target.id, emoji: '' });
    expect(await waitForInbound(receiver, n + 3)).toMatchObject({ type: 'reaction', reaction: { message_id: target.id, emoji: '' } });
    expect((await phone.items()).find((i) => i.id === target.id).meta.reactions).toEqual([]);
  });

  it('renders a template from the stored template, and media as a labelled placeholder', async () => {
    const tpl = await businessSends({ type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
    const items = await phone.items();
    expect(items.find((i) => i.id === tpl)).toMatchObject({ type: 'template', header: 'Hello World', text: expect.stringContaining('Welcome and congratulations'), footer: 'WhatsApp Business Platform sample message' });
    const doc = await businessSends({ type: 'document', document: { link: 'https://example.com/invoice.pdf', filename: 'invoice.pdf', caption: 'Your invoice' } });
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('<span class="media-kind">Document</span> <span class="filename">invoice.pdf</span>');
    expect((await phone.items()).find((i) => i.id === doc)).toMatchObject({ media: { label: 'Document', filename: 'invoice.pdf' }, text: 'Your invoice' });
  });

  it('a template with quick replies: tapping one sends a button message with its payload', async () => {
    await insertTemplate(t.deps, t.deps.db.kysely, {
      partnerId: p.partner_id,
      wabaAccountId: p.waba_account_id,
      name: 'order_ready',
      language: 'en',
      category: 'UTILITY',
      status: 'APPROVED',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}' },
        { type: 'BODY', text: 'Hi {{1}}, your order is ready. Total: {{2}}.' },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Pick up' }, { type: 'QUICK_REPLY', text: 'Deliver' }, { type: 'URL', text: 'Track', url: 'https://shop.example.com/t/{{1}}' }] },
      ],
    });
    const id = await businessSends({
      type: 'template',
      template: {
        name: 'order_ready',
        language: { code: 'en' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: '#42' }] },
          { type: 'body', parameters: [{ type: 'text', text: 'Jane' }, { type: 'currency', currency: { fallback_value: '€12.50', code: 'EUR', amount_1000: 12500 } }] },
          { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'PICKUP-42' }] },
          { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: '42' }] },
        ],
      },
    });
    const b = (await phone.items()).find((i) => i.id === id);
    expect(b).toMatchObject({
      header: 'Order #42',
      text: 'Hi Jane, your order is ready. Total: €12.50.',
      // In the template's order: the quick replies first here, then the link.
      templateButtons: [
        { kind: 'reply', id: '0', title: 'Pick up', payload: 'PICKUP-42' },
        { kind: 'reply', id: '1', title: 'Deliver', payload: 'Deliver' },
        { kind: 'link', label: 'Track', target: 'https://shop.example.com/t/42' },
      ],
    });
    // The page draws them in that order too, the link among the buttons.
    const page = await phone.get('/sandbox/phone');
    const bubble = page.text.slice(page.text.indexOf(`data-id="${id}"`));
    const drawn = [...bubble.slice(0, bubble.indexOf('</form>')).matchAll(/<button type="submit" name="choice" value="\d">([^<]+)<\/button>|<span class="link-label">([^<]+)<\/span>/g)].map((m) => m[1] ?? m[2]);
    expect(drawn).toEqual(['Pick up', 'Deliver', 'Track']);
    const n = inboundMessages(receiver).length;
    await phone.post('/sandbox/phone/reply', { message_id: id, choice: '0' });
    expect(await waitForInbound(receiver, n + 1)).toMatchObject({ type: 'button', button: { text: 'Pick up', payload: 'PICKUP-42' }, context: { id } });
    await phone.post('/sandbox/phone/reply', { message_id: id, choice: '1' });
    expect(await waitForInbound(receiver, n + 2)).toMatchObject({ type: 'button', button: { text: 'Deliver', payload: 'Deliver' } });
  });

  it('a failed business message shows its error', async () => {
    const res = await t.post('/sandbox/v1/users/' + WA, { headers: key(), json: { unreachable: true } });
    expect(res.status).toBe(200);
    const id = await businessSends({ type: 'text', text: { body: 'lost' } });
    const item = await waitUntil('the message to show as failed', async () => (await phone.items()).find((i) => i.id === id && i.meta.status === 'failed'), { everyMs: 30 });
    expect(item.meta).toMatchObject({ status: 'failed', error: '(131026) Message undeliverable' });
    await t.post('/sandbox/v1/users/' + WA, { headers: key(), json: { unreachable: false } });
  });

  it('switching user and leaving end what the session can do', async () => {
    expect((await phone.post('/sandbox/phone/switch', {})).status).toBe(303);
    const page = await phone.get('/sandbox/phone');
    expect(page.text).toContain('Who are you?');
    expect(page.text).toContain('Jane Doe'); // offered again among the channel's users
    expect((await phone.post('/sandbox/phone/text', { body: 'nobody' })).status).toBe(400);
    expect((await phone.post('/sandbox/phone/leave', {})).status).toBe(303);
    expect((await phone.get('/sandbox/phone')).text).toContain('<label for="api_key">');
  });
});
