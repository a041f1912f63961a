// The media card carousel (interactive.type "carousel") against Meta's rules, in both flavours:
// 2–10 cards, a required body and no message header or footer, image or video card headers of one
// kind, card bodies ≤ 160 with ≤ 2 line breaks, and one URL button or quick replies per card, alike
// on every card.
import { describe, expect, it } from 'vitest';
import { expectRejectedInBoth, FLAVOURS, repeat, send } from './validate-helpers.ts';

const body = { text: 'Here are our latest arrivals:' };
const image = (id: string) => ({ type: 'image', image: { id } });
const imageLink = (n: number) => ({ type: 'image', image: { link: `https://cdn.example.com/plant-${n}.jpg` } });
const urlCard = (i: number, over: Record<string, unknown> = {}) => ({
  card_index: i,
  type: 'cta_url',
  header: imageLink(i),
  body: { text: `*Plant ${i}*\nUnder $25` },
  action: { name: 'cta_url', parameters: { display_text: 'Shop now', url: `https://shop.example.com/p/${i}` } },
  ...over,
});
const qr = (id: string, title: string) => ({ type: 'quick_reply', quick_reply: { id, title } });
const replyCard = (i: number, over: Record<string, unknown> = {}) => ({
  card_index: i,
  header: imageLink(i),
  action: { buttons: [qr(`learn-${i}`, 'Learn more'), qr(`fav-${i}`, 'Add to favorites')] },
  ...over,
});
const carousel = (cards: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'carousel', body, action: { cards }, ...extra });
const cards = (n: number, make: (i: number) => unknown = urlCard) => Array.from({ length: n }, (_, i) => make(i));
const F = 'interactive.action.cards';

describe('interactive: carousel', () => {
  it.each(FLAVOURS)('%s: URL-button cards and quick-reply cards, 2 to 10, by link or uploaded id', (flavour) => {
    const urls = send(flavour, 'interactive', carousel(cards(2)));
    expect(urls).toMatchObject({ type: 'interactive', content: { type: 'carousel', action: { cards: [{ card_index: 0 }, { card_index: 1 }] } } });
    expect(urls.mediaIds).toBeUndefined();
    expect(send(flavour, 'interactive', carousel(cards(10, replyCard))).type).toBe('interactive');
    // Cards by uploaded media id: every id is kept for the send's check, in card order.
    const byId = send(flavour, 'interactive', carousel([urlCard(0, { header: image('111') }), urlCard(1, { header: image('222') }), urlCard(2)]));
    expect(byId.mediaIds).toEqual(['111', '222']);
    expect(byId.mediaId).toBeUndefined();
    // Videos, cards in any order of card_index, a card without a body, a quick-reply card without "type".
    const videos = [1, 0].map((i) => replyCard(i, { header: { type: 'video', video: { link: `https://cdn.example.com/v${i}.mp4` } }, body: undefined }));
    expect(send(flavour, 'interactive', carousel(videos)).type).toBe('interactive');
    // "type": "cta_url" on a quick-reply card, as Meta's request syntax writes it above both kinds of action.
    expect(send(flavour, 'interactive', carousel(cards(2, (i) => replyCard(i, { type: 'cta_url' })))).type).toBe('interactive');
    expect(send(flavour, 'interactive', carousel(cards(2, (i) => replyCard(i, { type: 'quick_reply' })))).type).toBe('interactive');
    // The action as its JSON text, as Chatwoot sends actions.
    expect(send(flavour, 'interactive', { ...carousel([]), action: JSON.stringify({ cards: cards(3) }) }).content).toMatchObject({ action: { cards: [{}, {}, {}] } });
  });

  it('2 to 10 cards; a body is required; no message header or footer', () => {
    expectRejectedInBoth('interactive', carousel(cards(1)), `${F}`, { rule: /at least 2 items/ });
    expectRejectedInBoth('interactive', carousel(cards(11)), `${F}`, { rule: /at most 10 items \(got 11\)/ });
    expectRejectedInBoth('interactive', { type: 'carousel', body, action: {} }, `${F}`, { rule: /is required/ });
    expectRejectedInBoth('interactive', { type: 'carousel', action: { cards: cards(2) } }, 'interactive.body', { rule: /is required/ });
    expectRejectedInBoth('interactive', carousel(cards(2), { body: { text: repeat(1025) } }), 'interactive.body.text', { rule: /at most 1024/ });
    expectRejectedInBoth('interactive', carousel(cards(2), { header: { type: 'text', text: 'Hi' } }), 'interactive.header', { rule: /not allowed for carousel/ });
    expectRejectedInBoth('interactive', carousel(cards(2), { footer: { text: 'f' } }), 'interactive.footer', { rule: /not allowed for carousel/ });
    expectRejectedInBoth('interactive', { ...carousel(cards(2)), action: { cards: cards(2), button: 'x' } }, 'interactive.action.button', { rule: /not a known field/ });
  });

  it('card_index: a whole number from 0, each once, none past the last card', () => {
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { card_index: undefined })]), `${F}[1].card_index`, { rule: /is required/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(0)]), `${F}[1].card_index`, { code: 131009, rule: /already used by interactive\.action\.cards\[0\]\.card_index/ });
    expectRejectedInBoth('interactive', carousel([urlCard(1), urlCard(2)]), `${F}[1].card_index`, { rule: /between 0 and 1 \(got 2\)/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { card_index: 0.5 })]), `${F}[1].card_index`, { rule: /whole number/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { card_index: -1 })]), `${F}[1].card_index`);
  });

  it('card headers: an image or a video by id or link, the same kind on every card, without a caption', () => {
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: undefined })]), `${F}[1].header`, { rule: /is required/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: { type: 'document', document: { link: 'https://x.example/a.pdf' } } })]), `${F}[1].header.type`, { rule: /must be one of image, video/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: { type: 'text', text: 'hi' } })]), `${F}[1].header.type`);
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: { type: 'video', video: { link: 'https://cdn.example.com/v.mp4' } } })]), `${F}[1].header.type`, {
      rule: /must be "image" like the first card's/,
    });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: { type: 'image', image: {} } })]), `${F}[1].header.image`, { rule: /needs either id/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: { type: 'image', image: { link: 'ftp://x.example/a.jpg' } } })]), `${F}[1].header.image.link`, { code: 131009 });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: { type: 'image', image: { link: 'https://x.example/a.jpg', caption: 'c' } } })]), `${F}[1].header.image.caption`, {
      rule: /not allowed in a card header/,
    });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { header: { ...imageLink(1), video: { id: '1' } } })]), `${F}[1].header.video`, { rule: /not a known field/ });
  });

  it('card body: optional, ≤ 160 characters and ≤ 2 line breaks; no unknown card fields', () => {
    expect(send('cloud', 'interactive', carousel([urlCard(0, { body: { text: repeat(160) } }), urlCard(1, { body: { text: 'a\nb\nc' } })])).type).toBe('interactive');
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { body: { text: repeat(161) } })]), `${F}[1].body.text`, { rule: /at most 160 characters \(got 161\)/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { body: { text: 'a\nb\nc\nd' } })]), `${F}[1].body.text`, { rule: /at most 2 line breaks \(got 3\)/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { body: { text: '' } })]), `${F}[1].body.text`, { rule: /must not be empty/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { footer: { text: 'f' } })]), `${F}[1].footer`, { rule: /not a known field/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { type: 'button' })]), `${F}[1].type`, { rule: /must be one of cta_url, quick_reply/ });
  });

  it('a URL button: name cta_url, display_text ≤ 20, an http(s) url', () => {
    const params = (p: Record<string, unknown>) => urlCard(1, { action: { name: 'cta_url', parameters: { display_text: 'Shop', url: 'https://e.example', ...p } } });
    expect(send('onpremise', 'interactive', carousel([urlCard(0), params({ display_text: repeat(20) })])).type).toBe('interactive');
    expectRejectedInBoth('interactive', carousel([urlCard(0), params({ display_text: repeat(21) })]), `${F}[1].action.parameters.display_text`, { rule: /at most 20/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), params({ url: 'javascript:alert(1)' })]), `${F}[1].action.parameters.url`, { code: 131009 });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { action: { name: 'flow', parameters: { display_text: 'x', url: 'https://e.example' } } })]), `${F}[1].action.name`, { rule: /must be "cta_url"/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { action: {} })]), `${F}[1].action.name`, { rule: /is required/ });
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { action: undefined })]), `${F}[1].action`, { rule: /is required/ });
    // A card that calls itself quick_reply holds quick replies.
    expectRejectedInBoth('interactive', carousel([urlCard(0), urlCard(1, { type: 'quick_reply' })]), `${F}[1].action.buttons`, { rule: /required for a quick_reply card/ });
  });

  it('quick replies: 1 or 2 per card, id ≤ 256 unique across the carousel (no edge spaces), title ≤ 20 unique within the card', () => {
    const withButtons = (...b: unknown[]) => replyCard(1, { action: { buttons: b } });
    const one = (i: number) => replyCard(i, { action: { buttons: [qr(`only-${i}`, 'Pick')] } });
    expect(send('cloud', 'interactive', carousel([one(0), one(1)])).type).toBe('interactive');
    expect(send('cloud', 'interactive', carousel([replyCard(0), withButtons(qr(repeat(256), 'A'), qr('b', 'B'))])).type).toBe('interactive');
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons()]), `${F}[1].action.buttons`, { rule: /at least 1 item/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons(qr('a', 'A'), qr('b', 'B'), qr('c', 'C'))]), `${F}[1].action.buttons`, { rule: /at most 2 items/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons(qr(repeat(257), 'A'), qr('b', 'B'))]), `${F}[1].action.buttons[0].quick_reply.id`, { rule: /at most 256/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons(qr(' a', 'A'), qr('b', 'B'))]), `${F}[1].action.buttons[0].quick_reply.id`, { code: 131009, rule: /spaces/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons(qr('a', repeat(21)), qr('b', 'B'))]), `${F}[1].action.buttons[0].quick_reply.title`, { rule: /at most 20/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons(qr('a', 'Same'), qr('b', 'Same'))]), `${F}[1].action.buttons[1].quick_reply.title`, { code: 131009, rule: /already used/ });
    // The same title on every card is what Meta's own example does; the same id on two cards is not.
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons(qr('learn-0', 'Learn more'), qr('x', 'Add to favorites'))]), `${F}[1].action.buttons[0].quick_reply.id`, {
      code: 131009,
      rule: /button id "learn-0" is already used by interactive\.action\.cards\[0\]\.action\.buttons\[0\]\.quick_reply\.id/,
    });
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons({ type: 'reply', reply: { id: 'a', title: 'A' } }, qr('b', 'B'))]), `${F}[1].action.buttons[0].type`, { rule: /must be one of quick_reply/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), withButtons({ type: 'quick_reply', quick_reply: { id: 'a', title: 'A', payload: 'p' } }, qr('b', 'B'))]), `${F}[1].action.buttons[0].quick_reply.payload`, {
      rule: /not a known field/,
    });
    expectRejectedInBoth('interactive', carousel([replyCard(0), replyCard(1, { action: { buttons: [qr('a', 'A'), qr('b', 'B')], name: 'cta_url' } })]), `${F}[1].action.name`, { rule: /not a known field/ });
  });

  it('every card has the same kind and number of buttons as the first', () => {
    expectRejectedInBoth('interactive', carousel([urlCard(0), replyCard(1)]), `${F}[1].action`, { rule: /has 2 quick-reply buttons, but the first card has a URL button \(cta_url\)/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), urlCard(1)]), `${F}[1].action`, { rule: /has a URL button \(cta_url\), but the first card has 2 quick-reply buttons/ });
    expectRejectedInBoth('interactive', carousel([replyCard(0), replyCard(1), replyCard(2, { action: { buttons: [qr('z', 'Z')] } })]), `${F}[2].action`, { rule: /has 1 quick-reply button, but the first card has 2/ });
  });

  it('On-Premise takes a provider with a card header link, as with its other media; Cloud refuses it', () => {
    const provided = urlCard(1, { header: { type: 'image', image: { link: 'https://cdn.example.com/p.jpg', provider: { name: 'cdn' } } } });
    expect(send('onpremise', 'interactive', carousel([urlCard(0), provided])).type).toBe('interactive');
    expect(() => send('cloud', 'interactive', carousel([urlCard(0), provided]))).toThrow(/interactive\.action\.cards\[1\]\.header\.image\.provider: is only accepted by the On-Premise API/);
  });
});
