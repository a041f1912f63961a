// The media card carousel (interactive.type "carousel"): a body above 2–10 horizontally
// scrolling cards, each with an image or video header, an optional body and either one URL
// button or quick-reply buttons. Meta's rules (Cloud API docs, "Interactive media carousel
// messages"):
// - 2 to 10 cards; the message body is required (≤ 1024, checked by interactive.ts); the message
//   takes no header and no footer;
// - a card's header is an image or a video (by id or link), of the same kind on every card;
// - a card's body is optional: ≤ 160 characters and at most 2 line breaks;
// - a card has one URL button (action {name: "cta_url", parameters: {display_text ≤ 20, url}}) or
//   quick-reply buttons (action {buttons: [{type: "quick_reply", quick_reply: {id ≤ 256, title ≤ 20}}]});
//   "button types and numbers must match across all cards".
import { arr, badValue, fail, intLike, obj, oneOf, onlyKeys, str, Unique, type Obj } from '../check.ts';
import type { Flavour } from './common.ts';
import { mediaObject } from './media.ts';
import { actionName, ctaUrlAction } from './interactive-links.ts';
import { BUTTON_ID_MAX, BUTTON_TITLE_MAX } from './interactive-choice.ts';

export const CAROUSEL_CARDS_MIN = 2;
export const CAROUSEL_CARDS_MAX = 10;
export const CARD_BODY_MAX = 160;
export const CARD_BODY_LINE_BREAKS_MAX = 2;
/**
 * Quick-reply buttons per card. Meta's page says "one or more" without a number; its example cards
 * have two, and Meta's media card carousel templates take at most two buttons per card (as do
 * providers' carousel guides: docs.jelou.ai "Carousel": "up to two buttons"). Two, then.
 */
export const CARD_QUICK_REPLIES_MAX = 2;

const CARD_HEADER_KINDS = ['image', 'video'] as const;
type CardHeaderKind = (typeof CARD_HEADER_KINDS)[number];

/** What makes two cards alike: their header kind and their buttons (kind and number). */
interface CardShape {
  header: CardHeaderKind;
  buttons: 'cta_url' | number;
}

const describeButtons = (b: CardShape['buttons']) => (b === 'cta_url' ? 'a URL button (cta_url)' : `${b} quick-reply button${b === 1 ? '' : 's'}`);

/** The card's header: an image or video by id or link. Returns its kind and uploaded media id, if any. */
function cardHeader(v: unknown, f: string, flavour: Flavour): { kind: CardHeaderKind; id?: string } {
  const h = obj(v, f);
  const kind = oneOf(h.type, `${f}.type`, CARD_HEADER_KINDS);
  onlyKeys(h, f, ['type', kind]);
  const media = obj(h[kind], `${f}.${kind}`);
  if (media.caption !== undefined) throw fail(`${f}.${kind}.caption`, "is not allowed in a card header (write it in the card's body)");
  return { kind, id: mediaObject(media, `${f}.${kind}`, kind, flavour).id };
}

function cardBody(v: unknown, f: string): void {
  const b = obj(v, f);
  onlyKeys(b, f, ['text']);
  const text = str(b.text, `${f}.text`, { max: CARD_BODY_MAX });
  const breaks = text.split('\n').length - 1;
  if (breaks > CARD_BODY_LINE_BREAKS_MAX) throw fail(`${f}.text`, `may have at most ${CARD_BODY_LINE_BREAKS_MAX} line breaks (got ${breaks})`);
}

/** A card's quick-reply buttons; ids are unique across the whole carousel, titles within the card. */
function quickReplies(a: Obj, f: string, ids: Unique): number {
  onlyKeys(a, f, ['buttons']);
  const buttons = arr(a.buttons, `${f}.buttons`, { min: 1, max: CARD_QUICK_REPLIES_MAX });
  const titles = new Unique('button title');
  buttons.forEach((b, i) => {
    const bf = `${f}.buttons[${i}]`;
    const o = obj(b, bf);
    // The type first: a reply button's {type: "reply", reply} (as in button messages) is named as such.
    oneOf(o.type, `${bf}.type`, ['quick_reply'] as const);
    onlyKeys(o, bf, ['type', 'quick_reply']);
    const reply = obj(o.quick_reply, `${bf}.quick_reply`);
    onlyKeys(reply, `${bf}.quick_reply`, ['id', 'title']);
    const id = str(reply.id, `${bf}.quick_reply.id`, { max: BUTTON_ID_MAX });
    if (id.trim() !== id) throw badValue(`${bf}.quick_reply.id`, 'must not begin or end with spaces');
    // The user's tap comes back as a button_reply with only the id and title: an id used on two
    // cards could not tell which card was tapped (Meta's own example ids name the card's item).
    ids.add(id, `${bf}.quick_reply.id`);
    titles.add(str(reply.title, `${bf}.quick_reply.title`, { max: BUTTON_TITLE_MAX }), `${bf}.quick_reply.title`);
  });
  return buttons.length;
}

/** One card; returns its shape (for the match across cards) and its header's media id. */
function card(v: unknown, f: string, count: number, flavour: Flavour, indexes: Unique, ids: Unique): { shape: CardShape; mediaId?: string } {
  const c = obj(v, f);
  onlyKeys(c, f, ['card_index', 'type', 'header', 'body', 'action']);
  // Zero-based, "cards will appear left to right in a scrollable view, starting from 0": each
  // index once, and no index past the last card.
  const index = intLike(c.card_index, `${f}.card_index`, { min: 0, max: count - 1 });
  indexes.add(String(index), `${f}.card_index`);
  // Meta's request syntax puts "type": "cta_url" on every card, above both kinds of action; some
  // providers leave it out for quick replies (docs.jelou.ai: "Include it only when the action is
  // cta_url"). Both are taken; the action says what the card holds, and a card that calls
  // itself quick_reply must hold quick replies.
  const type = c.type === undefined ? undefined : oneOf(c.type, `${f}.type`, ['cta_url', 'quick_reply'] as const);
  const header = cardHeader(c.header, `${f}.header`, flavour);
  if (c.body !== undefined) cardBody(c.body, `${f}.body`);
  const af = `${f}.action`;
  const a = obj(c.action, af);
  let buttons: CardShape['buttons'];
  if (a.buttons !== undefined) {
    buttons = quickReplies(a, af, ids);
  } else {
    if (type === 'quick_reply') throw fail(`${af}.buttons`, 'is required for a quick_reply card (or give the card a URL button with "type": "cta_url")');
    ctaUrlAction(a, af);
    buttons = 'cta_url';
  }
  return { shape: { header: header.kind, buttons }, mediaId: header.id };
}

/** The carousel's action; returns the uploaded media ids its card headers name, in card order. */
export function carouselAction(a: Obj, f: string, flavour: Flavour): string[] {
  onlyKeys(a, f, ['cards']);
  const cards = arr(a.cards, `${f}.cards`, { min: CAROUSEL_CARDS_MIN, max: CAROUSEL_CARDS_MAX });
  const indexes = new Unique('card_index');
  const ids = new Unique('button id');
  const mediaIds: string[] = [];
  let first: CardShape | undefined;
  cards.forEach((v, i) => {
    const cf = `${f}.cards[${i}]`;
    const { shape, mediaId } = card(v, cf, cards.length, flavour, indexes, ids);
    if (mediaId !== undefined) mediaIds.push(mediaId);
    if (!first) {
      first = shape;
      return;
    }
    if (shape.header !== first.header) throw fail(`${cf}.header.type`, `must be "${first.header}" like the first card's: every card of a carousel has the same header type`);
    if (shape.buttons !== first.buttons) {
      throw fail(`${cf}.action`, `has ${describeButtons(shape.buttons)}, but the first card has ${describeButtons(first.buttons)}: every card takes the same kind and number of buttons`);
    }
  });
  return mediaIds;
}
