// A template send is checked against the stored template: it must exist in that language (and,
// for a number hosted On-Premise, in the namespace named) and be approved (Meta's 132001); its header, body and
// button parameters must match the template:
// - counts of header/body parameters equal its placeholders; named templates take each
//   placeholder once by `parameter_name` (132000);
// - a media or location header takes one parameter of that type (132012);
// - a URL button with {{1}} (and an authentication template's OTP button, of every otp_type) takes
//   `{type:"button", sub_type:"url", index:"<i>", parameters:[{type:"text",…}]}`; a COPY_CODE
//   button takes a coupon_code parameter and an MPM button its products (132000); an index or
//   sub_type that does not match the template's buttons is 131009;
// - a carousel template takes a `carousel` component giving each of its cards (by card_index)
//   that card's header, body and button parameters, by the same rules (132000 for a missing
//   card, 131009 for a card the template does not have);
// - a limited-time offer with has_expiration takes the `limited_time_offer` component (132000).
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { metaError } from '../errors.ts';
import type { Obj } from '../validate/check.ts';
import type { TemplateRef } from '../validate/message.ts';
import { checkTemplateRecipient } from './bsuid-recipient.ts';
import { placeholders } from './placeholders.ts';
import { findTemplateForSend } from './store.ts';

export { placeholders };

interface StoredButton {
  type: string;
  url?: string;
  otp_type?: string;
}
interface StoredComponent {
  type?: string;
  format?: string;
  text?: string;
  buttons?: StoredButton[];
  cards?: { components?: StoredComponent[] }[];
  limited_time_offer?: { has_expiration?: boolean };
}

const countMismatch = (details: string) => metaError(400, 132000, 'Number of parameters does not match the expected number of params', details);
const formatMismatch = (details: string) => metaError(400, 132012, 'Parameter format does not match format in the created template', details);
const badValue = (details: string) => metaError(400, 131009, 'Parameter value is not valid', details);

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '');
const paramsOf = (c: Obj | undefined): Obj[] => (c && Array.isArray(c.parameters) ? (c.parameters as Obj[]) : []);

interface GivenParts {
  header?: Obj;
  body?: Obj;
  buttons: Map<number, { comp: Obj; field: string }>;
  carousel?: { comp: Obj; field: string };
  offer?: Obj;
}

/** The components of a send (or of one of its carousel cards), by type; `shape` says which the template has. */
function collect(list: Obj[], at: string, name: string, shape: TemplateShape): GivenParts {
  const out: GivenParts = { buttons: new Map() };
  list.forEach((c, i) => {
    const f = `${at}[${i}]`;
    const type = lower(c.type);
    if (type === 'header' || type === 'body') {
      if (out[type]) throw badValue(`${f}: the template takes one ${type} component; this is the second`);
      out[type] = c;
    } else if (type === 'carousel' && shape.cards) {
      out.carousel = { comp: c, field: f };
    } else if (type === 'limited_time_offer' && shape.offer) {
      out.offer = c;
    } else if (type === 'button') {
      const raw = typeof c.index === 'number' ? String(c.index) : c.index;
      if (typeof raw !== 'string' || !/^\d{1,2}$/.test(raw)) throw badValue(`${f}.index: must be the button's position, "0" to "9"`);
      const index = Number(raw);
      if (out.buttons.has(index)) throw badValue(`${f}.index: button ${index} is given twice`);
      out.buttons.set(index, { comp: c, field: f });
    } else {
      const takes = ['header', 'body', 'button', ...(shape.cards ? ['carousel'] : []), ...(shape.offer ? ['limited_time_offer'] : [])];
      throw badValue(`${f}.type: template ${name} has no ${String(c.type).slice(0, 30)} component (it takes ${takes.join(', ')} parameters)`);
    }
  });
  return out;
}

/** What a send is checked against, read once per kept template row (its components are JSON text). */
interface TemplateShape {
  header?: StoredComponent;
  headerNames: string[];
  bodyNames: string[];
  buttons: StoredButton[];
  /** A carousel template's cards, each checked like a template of its own. */
  cards?: TemplateShape[];
  offer?: { has_expiration?: boolean };
}
// By row object: on SQLite a template is kept between sends (findTemplateForSend), so a busy
// sender parses its components and placeholders once, not on every send.
const shapes = new WeakMap<object, TemplateShape>();

function shapeOfComponents(stored: StoredComponent[]): TemplateShape {
  const find = (type: string) => stored.find((c) => c.type?.toUpperCase() === type);
  const header = find('HEADER');
  const body = find('BODY');
  const cards = find('CAROUSEL')?.cards;
  const offer = find('LIMITED_TIME_OFFER');
  return {
    header,
    headerNames: header?.text ? placeholders(header.text) : [],
    bodyNames: body?.text ? placeholders(body.text) : [],
    buttons: find('BUTTONS')?.buttons ?? [],
    ...(cards ? { cards: cards.map((c) => shapeOfComponents(c.components ?? [])) } : {}),
    ...(offer ? { offer: offer.limited_time_offer ?? {} } : {}),
  };
}

function shapeOf(t: { components: string }): TemplateShape {
  let shape = shapes.get(t);
  if (!shape) {
    shape = shapeOfComponents(JSON.parse(t.components) as StoredComponent[]);
    shapes.set(t, shape);
  }
  return shape;
}

/** Text placeholders of a header or body: counted, and matched by name for named templates. */
function checkText(part: string, names: string[], given: Obj | undefined): void {
  const params = paramsOf(given);
  if (params.length !== names.length) {
    throw countMismatch(`${part}: number of localizable_params (${params.length}) does not match the expected number of params (${names.length})`);
  }
  const named = names.length > 0 && !/^\d+$/.test(names[0]!);
  if (!named) return;
  const seen = new Set<string>();
  params.forEach((p, i) => {
    const n = p.parameter_name;
    if (typeof n !== 'string' || !names.includes(n)) {
      throw countMismatch(`${part}.parameters[${i}].parameter_name: must name one of the template's parameters (${names.join(', ')}), got ${typeof n === 'string' ? `"${n.slice(0, 50)}"` : 'none'}`);
    }
    if (seen.has(n)) throw countMismatch(`${part}.parameters[${i}].parameter_name: "${n}" is given twice`);
    seen.add(n);
  });
}

/** `at` prefixes the part's name: '' for the template's own, `carousel.cards[<i>].` for a card's. */
function checkHeader(stored: StoredComponent | undefined, names: string[], given: Obj | undefined, at: string): void {
  const format = (stored?.format ?? 'TEXT').toUpperCase();
  if (!stored || format === 'TEXT') return checkText(`${at}header`, names, given);
  const kind = format.toLowerCase(); // image | video | document | location
  const params = paramsOf(given);
  if (params.length !== 1) {
    throw countMismatch(`${at}header: the template has a ${format} header, which takes 1 parameter of type ${kind} (got ${params.length})`);
  }
  const p = params[0]!;
  if (lower(p.type) !== kind || typeof p[kind] !== 'object' || p[kind] === null) {
    throw formatMismatch(`${at}header.parameters[0]: the template's header is ${format}; send {"type":"${kind}","${kind}":{${kind === 'location' ? '"latitude":…,"longitude":…' : '"link":"https://…"'}}} (got type "${String(p.type).slice(0, 20)}")`);
  }
}

const SUB_TYPE_OF: Record<string, string> = { URL: 'url', QUICK_REPLY: 'quick_reply', COPY_CODE: 'copy_code', FLOW: 'flow', OTP: 'url' };

function checkButtons(stored: StoredButton[], given: GivenParts['buttons'], at: string): void {
  for (const [index, { comp, field }] of given) {
    const b = stored[index];
    if (!b) throw badValue(`${field}.index: the template has no button ${index} (it has ${stored.length} button${stored.length === 1 ? '' : 's'})`);
    if (b.type === 'PHONE_NUMBER') throw badValue(`${field}: button ${index} of the template is a PHONE_NUMBER button, which takes no parameters`);
    const want = SUB_TYPE_OF[b.type] ?? lower(b.type);
    if (lower(comp.sub_type) !== want) throw badValue(`${field}.sub_type: button ${index} of the template is ${b.type}; sub_type must be "${want}" (got "${String(comp.sub_type).slice(0, 30)}")`);
  }
  stored.forEach((b, index) => {
    const params = paramsOf(given.get(index)?.comp);
    const what = `${at}button ${index} (${b.type})`;
    const dynamicUrl = b.type === 'URL' && /\{\{.*?\}\}/.test(b.url ?? '');
    // Every OTP button takes the code, a zero-tap one too: Meta's zero-tap message falls back to
    // a one-tap or copy-code button where the code cannot be handed to the app.
    const otpCode = b.type === 'OTP';
    if (b.type === 'MPM' && params.length !== 1) {
      throw countMismatch(`${what}: takes the products; send {"type":"button","sub_type":"mpm","index":"${index}","parameters":[{"type":"action","action":{"thumbnail_product_retailer_id":…,"sections":[…]}}]} (got ${params.length} parameters)`);
    }
    if (dynamicUrl || otpCode || b.type === 'COPY_CODE') {
      const type = b.type === 'COPY_CODE' ? 'coupon_code' : 'text';
      const sub = SUB_TYPE_OF[b.type];
      if (params.length !== 1) {
        throw countMismatch(`${what}: takes 1 parameter; send {"type":"button","sub_type":"${sub}","index":"${index}","parameters":[{"type":"${type}",…}]} (got ${params.length})`);
      }
      if (lower(params[0]!.type) !== type) throw formatMismatch(`${what}: parameter must be of type ${type} (got "${String(params[0]!.type).slice(0, 20)}")`);
    } else if (b.type === 'URL' || b.type === 'PHONE_NUMBER') {
      if (params.length > 0) throw countMismatch(`${what}: has no placeholder and takes no parameters (got ${params.length})`);
    } else if (params.length > 1) {
      throw countMismatch(`${what}: takes at most 1 parameter (got ${params.length})`);
    }
  });
}

/**
 * Returns the template's category (lower-case), the pricing category of the message. `userId`:
 * the BSUID the send is addressed to (Cloud `recipient`, or a BSUID in On-Premise `to`), which
 * an authentication template cannot go to (131062, bsuid-recipient.ts).
 */
export async function checkTemplateSend(deps: Deps, channel: ChannelRow, ref: TemplateRef, userId?: string): Promise<string> {
  const t = await findTemplateForSend(deps, channel.waba_account_id, ref.name, ref.language);
  if (!t) {
    throw metaError(404, 132001, 'Template name does not exist in the translation', `template name (${ref.name}) does not exist in ${ref.language}`);
  }
  // An On-Premise send names the WABA's namespace; in another one no template exists, so the
  // answer is the unknown template's (the namespace is the WABA's own, which its numbers may read).
  // Only for a number hosted On-Premise: the sandbox host takes On-Premise bodies for Cloud
  // numbers too (reference §7), whose clients send 360's sandbox namespace or one of their own.
  const ns = channel.hosting_type === 'onpremise' ? ref.namespace : undefined;
  if (ns && ns.value !== t.waba_namespace) {
    throw metaError(
      404,
      132001,
      'Template name does not exist in the translation',
      `${ns.field}: template name (${ref.name}) does not exist in ${ref.language} in namespace ${ns.value}; this number's namespace is ${t.waba_namespace}`,
    );
  }
  if (t.status !== 'APPROVED') {
    throw metaError(400, 132001, 'Template name does not exist in the translation', `template ${ref.name} (${ref.language}) is ${t.status}, not APPROVED`);
  }
  // The recipient rules out the whole message, whatever its parameters: checked before them.
  checkTemplateRecipient(t.category.toLowerCase(), ref.name, userId);
  const shape = shapeOf(t);
  const given = collect(ref.components, 'template.components', ref.name, shape);
  checkParts(shape, given, '');
  if (shape.cards) checkCards(shape.cards, given.carousel, ref.name);
  // Meta: the offer component is "required if template uses offer expiration details, otherwise
  // omit". One given for an offer without expiration is taken (whether Meta refuses it is not
  // documented; the client's intent is clear).
  if (shape.offer?.has_expiration === true && !given.offer) {
    throw countMismatch(
      'limited_time_offer: the template shows the offer\'s expiration; send {"type":"limited_time_offer","parameters":[{"type":"limited_time_offer","limited_time_offer":{"expiration_time_ms":…}}]}',
    );
  }
  return t.category.toLowerCase();
}

function checkParts(shape: TemplateShape, given: GivenParts, at: string): void {
  checkHeader(shape.header, shape.headerNames, given.header, at);
  checkText(`${at}body`, shape.bodyNames, given.body);
  checkButtons(shape.buttons, given.buttons, at);
}

/**
 * A carousel send gives every card of the template, each once, by card_index (the validator has
 * checked the indexes are 0–9 and unique). Meta's current documentation: "An approved template
 * can only be used to send the same number of cards as defined during its creation".
 */
function checkCards(cards: TemplateShape[], given: GivenParts['carousel'], name: string): void {
  const range = `card_index 0 to ${cards.length - 1}`;
  if (!given) throw countMismatch(`carousel: the template has ${cards.length} cards; send {"type":"carousel","cards":[…]} with each card's parameters (${range})`);
  const byIndex = new Map<number, { comp: Obj; field: string }>();
  (given.comp.cards as Obj[]).forEach((c, i) => {
    const field = `${given.field}.cards[${i}]`;
    const index = Number(c.card_index);
    if (index >= cards.length) throw badValue(`${field}.card_index: the template has no card ${index} (it has ${cards.length} cards, ${range})`);
    byIndex.set(index, { comp: c, field });
  });
  cards.forEach((shape, index) => {
    const card = byIndex.get(index);
    if (!card) throw countMismatch(`carousel: card ${index} is missing; the template has ${cards.length} cards and a send gives each of them (${range})`);
    const parts = collect(card.comp.components as Obj[], `${card.field}.components`, name, shape);
    checkParts(shape, parts, `carousel.cards[${index}].`);
  });
}

/**
 * A template send on a number on Meta's network: the template lives at Meta, which checks it, so
 * only its category (the message's pricing category in the usage statistics) is read here, from
 * the local store when it holds the template. One it does not hold counts as marketing: a
 * template message is never a free service message, and of the paid categories marketing is the
 * one that does not understate the cost (Meta's status webhooks name the real one, pricing.category).
 */
export async function storedTemplateCategory(deps: Deps, channel: ChannelRow, ref: TemplateRef): Promise<string> {
  const t = await findTemplateForSend(deps, channel.waba_account_id, ref.name, ref.language);
  return t ? t.category.toLowerCase() : 'marketing';
}
