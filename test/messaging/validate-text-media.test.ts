import { describe, expect, it } from 'vitest';
import { validateCloudSend } from '../../src/messaging/validate/message.ts';
import { expectRejected, expectRejectedInBoth, FLAVOURS, repeat, send, TO } from './validate-helpers.ts';

describe('text', () => {
  it.each(FLAVOURS)('%s: a body of up to 4096 characters is accepted, 4097 is not', (flavour) => {
    expect(send(flavour, 'text', { body: repeat(4096) }).content).toEqual({ body: repeat(4096) });
    expectRejected(() => send(flavour, 'text', { body: repeat(4097) }), 'text.body', { rule: /at most 4096 characters \(got 4097\)/ });
  });

  it('counts characters, not UTF-16 units: 4096 emoji fit', () => {
    expect(send('cloud', 'text', { body: repeat(4096, '😀') }).type).toBe('text');
  });

  it('needs a non-empty string body', () => {
    expectRejectedInBoth('text', {}, 'text.body', { rule: /is required/ });
    expectRejectedInBoth('text', { body: '' }, 'text.body', { rule: /must not be empty/ });
    expectRejectedInBoth('text', { body: 42 }, 'text.body', { rule: /must be a string/ });
    expectRejectedInBoth('text', { body: 'a\uD800b' }, 'text.body', { rule: /lone surrogate/ });
    expectRejectedInBoth('text', 'hello', 'text', { rule: /must be an object/ });
  });

  it('names an unknown field', () => {
    expectRejectedInBoth('text', { bodyy: 'hi' }, 'text.bodyy', { rule: /not a known field/ });
  });

  it.each(FLAVOURS)('%s: recipient_type "individual" is taken; "group" is refused by name (sandbox numbers have no groups)', (flavour) => {
    expect(send(flavour, 'text', { body: 'x' }, { recipient_type: 'individual' }).recipientType).toBe('individual');
    expectRejected(() => send(flavour, 'text', { body: 'x' }, { recipient_type: 'group', to: '120363040469423382' }), 'recipient_type', { rule: /"group" is not available/ });
    expectRejected(() => send(flavour, 'text', { body: 'x' }, { recipient_type: 'broadcast' }), 'recipient_type', { rule: /must be one of individual, group/ });
  });

  it('Cloud: preview_url inside text; a top-level preview_url is not a Cloud field', () => {
    expect(send('cloud', 'text', { body: 'https://example.com', preview_url: true }).content).toEqual({ body: 'https://example.com', preview_url: true });
    expectRejected(() => send('cloud', 'text', { body: 'x' }, { preview_url: true }), 'preview_url');
    expectRejected(() => send('cloud', 'text', { body: 'x', preview_url: 'yes' }), 'text.preview_url', { rule: /true or false/ });
  });

  it('On-Premise: a top-level preview_url is kept with the text', () => {
    expect(send('onpremise', 'text', { body: 'https://example.com' }, { preview_url: true }).content).toEqual({ body: 'https://example.com', preview_url: true });
    expectRejected(() => send('onpremise', 'text', { body: 'x' }, { preview_url: 1 }), 'preview_url');
  });

  it('a type object that does not match type is named', () => {
    expectRejected(() => validateCloudSend({ messaging_product: 'whatsapp', to: TO, type: 'image', text: { body: 'x' } }), 'text', { rule: /type is "image"/ });
  });
});

describe('media', () => {
  const kinds = ['image', 'audio', 'video', 'document', 'sticker'] as const;

  it.each(kinds)('%s by uploaded id names the media; by link does not', (kind) => {
    for (const flavour of FLAVOURS) {
      const byId = send(flavour, kind, { id: '1234567890' });
      expect(byId.mediaId).toBe('1234567890');
      expect(byId.content).toEqual({ id: '1234567890' });
      const byLink = send(flavour, kind, { link: 'https://cdn.example.com/a.bin' });
      expect(byLink.mediaId).toBeUndefined();
    }
  });

  it('takes id or link, exactly one', () => {
    expectRejectedInBoth('image', {}, 'image', { rule: /either id .* or link/ });
    expectRejectedInBoth('image', { id: '1', link: 'https://x.example/a.png' }, 'image', { rule: /not both/ });
    expectRejectedInBoth('image', { id: '' }, 'image.id', { rule: /must not be empty/ });
    expectRejectedInBoth('image', { id: 123 }, 'image.id', { rule: /must be a string/ });
  });

  it('a link must be an absolute http(s) URL (131009)', () => {
    expect(send('cloud', 'image', { link: 'http://example.com/a.png' }).type).toBe('image');
    expectRejectedInBoth('image', { link: 'ftp://example.com/a.png' }, 'image.link', { code: 131009, rule: /http\(s\) URL \(got ftp\)/ });
    expectRejectedInBoth('image', { link: '/a.png' }, 'image.link', { code: 131009 });
    expectRejectedInBoth('image', { link: 'javascript:alert(1)' }, 'image.link', { code: 131009 });
    expectRejectedInBoth('image', { link: `https://example.com/${repeat(2100)}` }, 'image.link', { rule: /at most 2048/ });
  });

  it('captions: up to 1024 characters on image, video and document; none on audio or sticker', () => {
    for (const kind of ['image', 'video', 'document'] as const) {
      expect((send('cloud', kind, { id: '1', caption: repeat(1024) }).content as Record<string, unknown>).caption).toHaveLength(1024);
      expectRejectedInBoth(kind, { id: '1', caption: repeat(1025) }, `${kind}.caption`, { rule: /at most 1024/ });
    }
    expectRejectedInBoth('audio', { id: '1', caption: 'hi' }, 'audio.caption', { rule: /not allowed for audio/ });
    expectRejectedInBoth('sticker', { id: '1', caption: 'hi' }, 'sticker.caption', { rule: /not allowed for sticker/ });
  });

  it('filename only for documents', () => {
    expect((send('cloud', 'document', { link: 'https://example.com/r.pdf', filename: 'report.pdf' }).content as Record<string, unknown>).filename).toBe('report.pdf');
    expectRejectedInBoth('image', { id: '1', filename: 'a.png' }, 'image.filename', { rule: /only allowed for documents/ });
    expectRejectedInBoth('document', { id: '1', filename: repeat(241) }, 'document.filename', { rule: /at most 240/ });
  });

  it('voice notes: audio.voice is a boolean', () => {
    expect((send('cloud', 'audio', { id: '1', voice: true }).content as Record<string, unknown>).voice).toBe(true);
    expectRejectedInBoth('audio', { id: '1', voice: 'yes' }, 'audio.voice');
    expectRejectedInBoth('video', { id: '1', voice: true }, 'video.voice', { rule: /not a known field/ });
  });

  it('provider is On-Premise only, and goes with a link', () => {
    const ok = send('onpremise', 'image', { link: 'https://example.com/a.png', provider: { name: 'my-cdn' } });
    expect((ok.content as Record<string, unknown>).provider).toEqual({ name: 'my-cdn' });
    expectRejected(() => send('cloud', 'image', { link: 'https://example.com/a.png', provider: { name: 'my-cdn' } }), 'image.provider', { rule: /On-Premise/ });
    expectRejected(() => send('onpremise', 'image', { id: '1', provider: { name: 'my-cdn' } }), 'image.provider', { rule: /goes with a link/ });
    expectRejected(() => send('onpremise', 'image', { link: 'https://example.com/a.png', provider: {} }), 'image.provider.name', { rule: /is required/ });
    expectRejected(() => send('onpremise', 'image', { link: 'https://example.com/a.png', provider: { name: 'x', token: 'y' } }), 'image.provider.token');
  });
});
