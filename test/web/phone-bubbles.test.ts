// How the sandbox phone draws stored messages (pure functions, no database).
import { describe, expect, it } from 'vitest';
import { bubbleOf, reactionOf, snippet, type StoredMessage } from '../../src/web/phone/bubbles.ts';
import { fillPlaceholders, templateView } from '../../src/web/phone/template-view.ts';
import { emojiOf, locationMessage, parseUser, textMessage } from '../../src/web/phone/actions.ts';
import type { ChannelRow } from '../../src/services/channels.ts';

const stored = (type: string, content: unknown, over: Partial<StoredMessage> = {}): StoredMessage => ({
  id: 'wamid.X',
  direction: 'outbound',
  type,
  content: JSON.stringify({ type, [type]: content }),
  status: 'delivered',
  error_code: null,
  error_title: null,
  context_id: null,
  created_at: '2026-03-01T09:05:07.123Z',
  ...over,
});

describe('sandbox phone bubbles', () => {
  it('text, time and ticks', () => {
    const b = bubbleOf(stored('text', { body: 'Hi' }));
    expect(b).toMatchObject({ from: 'business', text: 'Hi', time: '09:05', at: '2026-03-01T09:05:07.123Z', meta: { status: 'delivered', statusLabel: 'Delivered', glyph: '✓✓', reactions: [] } });
    expect(bubbleOf(stored('text', { body: 'x' }, { status: 'accepted' })).meta).toMatchObject({ statusLabel: 'Pending', glyph: '🕓' });
    const failed = bubbleOf(stored('text', { body: 'x' }, { status: 'failed', error_code: 131047, error_title: 'Re-engagement message' }));
    expect(failed.meta).toMatchObject({ glyph: '⚠', error: '(131047) Re-engagement message' });
    const mine = bubbleOf(stored('text', { body: 'me' }, { direction: 'inbound', status: 'read' }));
    expect(mine).toMatchObject({ from: 'user', meta: { statusLabel: 'Read by the business' } });
  });

  it('media as a labelled placeholder with its caption; voice notes by name', () => {
    expect(bubbleOf(stored('image', { id: '1', caption: 'Look' }))).toMatchObject({ media: { label: 'Image' }, text: 'Look' });
    expect(bubbleOf(stored('audio', { id: '1', voice: true })).media).toEqual({ label: 'Voice message', filename: undefined });
    expect(bubbleOf(stored('document', { link: 'https://x/y.pdf', filename: 'y.pdf' })).media).toEqual({ label: 'Document', filename: 'y.pdf' });
  });

  it('interactive messages: buttons, list, cta url, flow, location request, others', () => {
    const buttons = bubbleOf(stored('interactive', { type: 'button', header: { type: 'image', image: { id: '9' } }, body: { text: 'Pick' }, action: { buttons: [{ type: 'reply', reply: { id: 'a', title: 'A' } }] } }));
    expect(buttons).toMatchObject({ media: { label: 'Image' }, text: 'Pick', buttons: [{ id: 'a', title: 'A' }] });
    const cta = bubbleOf(stored('interactive', { type: 'cta_url', body: { text: 'See' }, action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://e.com' } } }));
    expect(cta.links).toEqual([{ label: 'Open', target: 'https://e.com' }]);
    const flow = bubbleOf(stored('interactive', { type: 'flow', body: { text: 'Book' }, action: { name: 'flow', parameters: { flow_cta: 'Book now', flow_id: '123' } } }));
    expect(flow.links).toEqual([{ label: 'Book now', target: 'WhatsApp Flow 123' }]);
    expect(bubbleOf(stored('interactive', { type: 'location_request_message', body: { text: 'Where?' }, action: { name: 'send_location' } })).note).toContain('Share location');
    expect(bubbleOf(stored('interactive', { type: 'product_list', body: { text: 'Shop' }, action: {} })).note).toContain('product list');
  });

  it("the user's own replies, locations, contacts, reactions and unknown types", () => {
    const reply = bubbleOf(stored('interactive', { type: 'list_reply', list_reply: { id: 'tea', title: 'Tea', description: 'Hot' } }, { direction: 'inbound' }));
    expect(reply.text).toBe('Tea — Hot');
    expect(bubbleOf(stored('location', { latitude: 52.5, longitude: 13.4, name: 'Berlin' })).location).toEqual({ latitude: 52.5, longitude: 13.4, name: 'Berlin', address: undefined });
    expect(bubbleOf(stored('contacts', [{ name: { formatted_name: 'Ann' }, phones: [{ phone: '+49 1' }] }])).text).toBe('Contact: Ann (+49 1)');
    const r = stored('reaction', { message_id: 'wamid.T', emoji: '👍' });
    expect(reactionOf(r)).toEqual({ target: 'wamid.T', emoji: '👍' });
    expect(reactionOf(stored('text', { body: 'x' }))).toBeUndefined();
    expect(bubbleOf(stored('order', {})).note).toBe('A order message');
    expect(bubbleOf({ ...stored('text', {}), content: 'not json' }).text).toBe('');
    expect(snippet(bubbleOf(stored('text', { body: 'y'.repeat(100) })))).toHaveLength(80);
  });

  it('a template message whose template is gone says which it was', () => {
    expect(bubbleOf(stored('template', { name: 'gone', language: { code: 'de' } })).text).toBe('Template gone (de)');
  });
});

describe('sandbox phone templates', () => {
  it('fills numbered and named placeholders; leaves unknown ones', () => {
    expect(fillPlaceholders('Hi {{1}}, {{2}}!', [{ type: 'text', text: 'Ann' }, { type: 'date_time', date_time: { fallback_value: 'Monday' } }])).toBe('Hi Ann, Monday!');
    expect(fillPlaceholders('Order {{order_id}} for {{name}}', [{ type: 'text', parameter_name: 'name', text: 'Bo' }, { type: 'text', parameter_name: 'order_id', text: '#7' }])).toBe('Order #7 for Bo');
    expect(fillPlaceholders('{{3}} {{x}}', [])).toBe('{{3}} {{x}}');
  });

  it('media headers, copy code, call and OTP buttons', () => {
    const components = JSON.stringify([
      { type: 'HEADER', format: 'DOCUMENT' },
      { type: 'BODY', text: 'Your code' },
      { type: 'FOOTER', text: 'Thanks' },
      { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'X' }, { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+4930' }, { type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy' }] },
    ]);
    const sent = { components: [{ type: 'header', parameters: [{ type: 'document', document: { link: 'https://x/a.pdf', filename: 'a.pdf' } }] }, { type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }] }] };
    expect(templateView(components, sent)).toEqual({
      media: { label: 'Document', filename: 'a.pdf' },
      text: 'Your code',
      footer: 'Thanks',
      templateButtons: [{ kind: 'link', label: 'Copy code', target: 'SAVE10' }, { kind: 'link', label: 'Call', target: 'Call +4930' }, { kind: 'link', label: 'Copy', target: 'otp' }],
    });
    expect(templateView('not json', {})).toEqual({});
  });

  it("keeps the template's button order, quick replies and links as they come", () => {
    const order = (buttons: Record<string, string>[]) =>
      templateView(JSON.stringify([{ type: 'BODY', text: 'x' }, { type: 'BUTTONS', buttons }]), {}).templateButtons!.map((b) => (b.kind === 'reply' ? `reply ${b.id} ${b.title}` : `link ${b.label}`));
    expect(order([{ type: 'QUICK_REPLY', text: 'Yes' }, { type: 'QUICK_REPLY', text: 'No' }, { type: 'URL', text: 'Site', url: 'https://e.com' }])).toEqual(['reply 0 Yes', 'reply 1 No', 'link Site']);
    expect(order([{ type: 'PHONE_NUMBER', text: 'Call', phone_number: '+1' }, { type: 'QUICK_REPLY', text: 'Stop' }])).toEqual(['link Call', 'reply 1 Stop']);
  });
});

describe('sandbox phone forms', () => {
  const channel = { phone_number: '4930111' } as ChannelRow;

  it('a user number with country code, not the business’s own', () => {
    expect(parseUser({ wa_id: '+49 (170) 123-4567', name: '' }, channel)).toEqual({ waId: '491701234567', name: 'User 4567' });
    expect(() => parseUser({ wa_id: '4930111' }, channel)).toThrow(/own number/);
    expect(() => parseUser({ wa_id: ['1', '2'] }, channel)).toThrow(/once/);
    expect(() => parseUser({ wa_id: '49170\u00001234' }, channel)).toThrow(/NUL/);
  });

  it('text keeps its spaces; coordinates accept a decimal comma', () => {
    expect(textMessage({ body: '  hi  ' })).toEqual({ type: 'text', content: { body: '  hi  ' } });
    expect(locationMessage({ latitude: '-33,86', longitude: '151.2', place_name: ' Opera ' })).toEqual({ type: 'location', content: { latitude: -33.86, longitude: 151.2, name: 'Opera' } });
    for (const bad of ['1e2', 'NaN', 'Infinity', '--1', '181']) expect(() => locationMessage({ latitude: '0', longitude: bad })).toThrow(/Longitude/);
  });

  it('a reaction is one emoji (flags and skin tones too) or empty', () => {
    for (const ok of ['👍', '👍🏽', '❤️', '🇩🇪', '👩‍👩‍👧']) expect(emojiOf({ emoji: ok })).toBe(ok);
    expect(emojiOf({ emoji: '' })).toBe('');
    for (const bad of ['a', '👍👍', '1', 'ok👍']) expect(() => emojiOf({ emoji: bad })).toThrow(/single emoji/);
  });
});
