// What the sandbox phone shows for one stored message: a "bubble" view model built from the
// message's stored content (`{type, <type>: {…}, context?}`). The server template and the live
// script both draw the same model, so the page looks the same with and without JavaScript.
import { removalOf, removalText } from '../../messaging/content-retention.ts';
import type { TemplateView } from './template-view.ts';
import { initialOrderState, orderStatusView, orderView, type OrderState, type OrderStatusView, type OrderView } from './orders.ts';

export interface Choice {
  id: string;
  title: string;
  description?: string;
  /** Template quick replies: the payload the business gave the button (its text when none). */
  payload?: string;
}

/** A button that would open something (URL, call, copy code, flow): shown, not followed. */
export interface LinkButton {
  label: string;
  target: string;
  /** A template's FLOW button opens the flow on the sandbox phone (flow-routes.ts): the page's address. */
  href?: string;
}

/** One of a template's buttons: a quick reply (tapping sends a `button` message) or a link. */
export type TemplateButton = ({ kind: 'reply' } & Choice) | ({ kind: 'link' } & LinkButton);

/** One card of an interactive carousel: its header, body and button(s). */
export interface CarouselCard {
  index: number;
  media?: { label: string };
  text?: string;
  /** Quick-reply buttons: tapping sends a button_reply. */
  buttons?: Choice[];
  /** A URL button: shown, not followed. */
  link?: LinkButton;
}

/** The answers to a call permission request, as WhatsApp offers them; tapping sends a call_permission_reply. */
export const CALL_PERMISSION_CHOICES: readonly Choice[] = [
  { id: 'accept_permanent', title: 'Always allow calls' },
  { id: 'accept_temporary', title: 'Allow calls for 7 days' },
  { id: 'reject', title: "Don't allow" },
];

export interface Bubble {
  id: string;
  from: 'user' | 'business';
  /** Stored ISO time and its HH:MM (UTC; the script shows local time). */
  at: string;
  time: string;
  type: string;
  /** The replied-to message, shortened ("a message" when it is not on screen). */
  quote?: string;
  header?: string;
  media?: { label: string; filename?: string };
  text?: string;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  footer?: string;
  /** Reply buttons of an interactive button message: tapping sends a button_reply. */
  buttons?: Choice[];
  /** The rows of an interactive list: tapping sends a list_reply. */
  list?: { button: string; sections: { title?: string; rows: Choice[] }[] };
  /** A template's buttons, in the template's order (WhatsApp draws them so). */
  templateButtons?: TemplateButton[];
  /** The button of an interactive CTA URL, flow or call button (voice_call) message. */
  links?: LinkButton[];
  /** A flow message's button opens the flow on the sandbox phone (flow-routes.ts): the page's address. */
  flowHref?: string;
  /** The cards of an interactive carousel, left to right. */
  cards?: CarouselCard[];
  /** A call permission request's answers (CALL_PERMISSION_CHOICES). */
  permission?: Choice[];
  /** An order_details message's order (orders.ts); its payment and status are in meta.order. */
  order?: OrderView;
  /** An order_status message: the status it gives the order with its reference id. */
  orderStatus?: OrderStatusView;
  note?: string;
  meta: BubbleMeta;
}

/** The parts of a bubble that change after it is shown: status and reactions. */
export interface BubbleMeta {
  status: string;
  statusLabel: string;
  /** Ticks as WhatsApp draws them: 🕓 pending, ✓ sent, ✓✓ delivered, ✓✓ (blue) read, ⚠ failed. */
  glyph: string;
  error?: string;
  reactions: { by: 'you' | 'business'; emoji: string }[];
  /** An order's payment ("Paid", "Payment failed") and latest status, and whether it can be paid now. */
  order?: OrderState;
}

export interface StoredMessage {
  id: string;
  direction: 'inbound' | 'outbound';
  type: string;
  content: string;
  status: string;
  error_code: number | null;
  error_title: string | null;
  context_id: string | null;
  created_at: string;
}

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as O) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const MEDIA_LABEL: Record<string, string> = { image: 'Image', video: 'Video', audio: 'Audio', document: 'Document', sticker: 'Sticker' };

/** What a message was, for one whose content is removed (text needs no word: it is a message). */
const REMOVED_KIND: Record<string, string> = {
  location: 'Location',
  contacts: 'Contact card',
  interactive: 'Interactive message',
  button: 'Button reply',
  template: 'Template message',
  reaction: 'Reaction',
};

const STATUS_LABEL: Record<string, string> = {
  accepted: 'Pending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Failed',
  received: 'Delivered to the business',
};

const GLYPH: Record<string, string> = { accepted: '🕓', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠', received: '✓✓' };

export function statusLabel(direction: 'inbound' | 'outbound', status: string): string {
  if (direction === 'inbound' && status === 'read') return 'Read by the business';
  return STATUS_LABEL[status] ?? status;
}

function mediaOf(kind: string, m: O): Bubble['media'] {
  const label = kind === 'audio' && m.voice === true ? 'Voice message' : (MEDIA_LABEL[kind] ?? kind);
  return { label, filename: str(m.filename) };
}

function headerOf(h: O, b: Bubble): void {
  const kind = str(h.type);
  if (kind === 'text') b.header = str(h.text);
  else if (kind && MEDIA_LABEL[kind]) b.media = mediaOf(kind, obj(h[kind]));
}

function interactiveOf(i: O, b: Bubble): void {
  const kind = str(i.type) ?? '';
  headerOf(obj(i.header), b);
  b.text = str(obj(i.body).text);
  b.footer = str(obj(i.footer).text);
  const action = obj(i.action);
  if (kind === 'button') {
    b.buttons = arr(action.buttons).map((x) => obj(obj(x).reply)).map((r) => ({ id: String(r.id ?? ''), title: String(r.title ?? '') }));
  } else if (kind === 'list') {
    b.list = {
      button: str(action.button) ?? 'Options',
      sections: arr(action.sections).map((s) => ({
        title: str(obj(s).title),
        rows: arr(obj(s).rows).map((r) => ({ id: String(obj(r).id ?? ''), title: String(obj(r).title ?? ''), description: str(obj(r).description) })),
      })),
    };
  } else if (kind === 'cta_url') {
    const p = obj(action.parameters);
    b.links = [{ label: str(p.display_text) ?? 'Open', target: str(p.url) ?? '' }];
  } else if (kind === 'flow') {
    const p = obj(action.parameters);
    b.links = [{ label: str(p.flow_cta) ?? 'Open', target: `WhatsApp Flow ${str(p.flow_id) ?? str(p.flow_name) ?? ''}`.trim() }];
    b.flowHref = `/sandbox/phone/flow/${encodeURIComponent(b.id)}`;
  } else if (kind === 'location_request_message') {
    b.note = 'The business asks for your location: use "Share location" below.';
  } else if (kind === 'carousel') {
    b.cards = cardsOf(arr(action.cards));
  } else if (kind === 'voice_call') {
    const p = obj(action.parameters);
    b.links = [{ label: str(p.display_text) ?? 'Call Now', target: 'Calls the business on WhatsApp (not simulated by the sandbox phone)' }];
  } else if (kind === 'order_details') {
    b.order = orderView(action.parameters);
    b.meta.order = initialOrderState(b.order, b.meta.status);
  } else if (kind === 'order_status') {
    b.orderStatus = orderStatusView(action.parameters);
  } else if (kind === 'call_permission_request') {
    b.note = 'The business asks for permission to call you.';
    b.permission = [...CALL_PERMISSION_CHOICES];
  } else {
    b.note = `Interactive ${kind.replace(/_/g, ' ')} message (not simulated by the sandbox phone)`;
  }
}

/** A carousel's cards in card_index order (Meta shows them left to right from 0). */
function cardsOf(cards: unknown[]): CarouselCard[] {
  return cards
    .map((x, i) => {
      const c = obj(x);
      const header = obj(c.header);
      const kind = str(header.type);
      const action = obj(c.action);
      const card: CarouselCard = { index: typeof c.card_index === 'number' ? c.card_index : Number(c.card_index ?? i) };
      if (kind && MEDIA_LABEL[kind]) card.media = { label: MEDIA_LABEL[kind]! };
      card.text = str(obj(c.body).text);
      if (Array.isArray(action.buttons)) {
        card.buttons = arr(action.buttons).map((btn) => obj(obj(btn).quick_reply)).map((r) => ({ id: String(r.id ?? ''), title: String(r.title ?? '') }));
      } else {
        const p = obj(action.parameters);
        card.link = { label: str(p.display_text) ?? 'Open', target: str(p.url) ?? '' };
      }
      return card;
    })
    .sort((a, b) => a.index - b.index);
}

/** What the user answered to a call permission request, in words. */
function permissionAnswer(r: O): string {
  if (r.response === 'reject') return "Don't allow calls";
  if (r.response_source === 'automatic') return 'Calls allowed (you called the business)';
  return r.is_permanent === true ? 'Always allow calls' : 'Allow calls for 7 days';
}

/** A short text standing for a message (for quotes and reaction notes). */
export function snippet(b: Bubble): string {
  const t = b.text ?? b.header ?? (b.location ? `Location ${b.location.name ?? ''}`.trim() : undefined) ?? (b.media ? b.media.label : undefined) ?? b.note ?? b.type;
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}

/** The bubble of one stored message; `template` is the template a template message names (if found). */
export function bubbleOf(m: StoredMessage, template?: TemplateView): Bubble {
  const c = obj(safeJson(m.content));
  const body = c[m.type];
  const o = obj(body);
  const b: Bubble = {
    id: m.id,
    from: m.direction === 'inbound' ? 'user' : 'business',
    at: m.created_at,
    time: m.created_at.slice(11, 16),
    type: m.type,
    meta: {
      status: m.status,
      statusLabel: statusLabel(m.direction, m.status),
      glyph: GLYPH[m.status] ?? '',
      ...(m.status === 'failed' ? { error: m.error_code ? `(${m.error_code}) ${m.error_title ?? 'Failed'}` : 'Failed' } : {}),
      reactions: [],
    },
  };
  const removal = removalOf(c);
  if (removal) {
    // Past the content retention (messaging/content-retention.ts) only the kind of message is
    // known: say so rather than draw an empty bubble. Media keep their label, not their file.
    const said = removalText(removal);
    const media = MEDIA_LABEL[m.type];
    if (media) b.media = { label: media };
    if (media || m.type === 'text') b.note = `${said[0]!.toUpperCase()}${said.slice(1)}`;
    else b.note = `${REMOVED_KIND[m.type] ?? `A ${m.type} message`} — ${said}`;
    return b;
  }
  switch (m.type) {
    case 'text':
      b.text = str(o.body) ?? '';
      break;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      b.media = mediaOf(m.type, o);
      b.text = str(o.caption);
      break;
    case 'location':
      b.location = { latitude: Number(o.latitude), longitude: Number(o.longitude), name: str(o.name), address: str(o.address) };
      break;
    case 'contacts':
      b.text = arr(body)
        .map((x) => {
          const p = obj(x);
          const phone = str(obj(arr(p.phones)[0]).phone);
          return `Contact: ${str(obj(p.name).formatted_name) ?? 'unnamed'}${phone ? ` (${phone})` : ''}`;
        })
        .join('\n');
      break;
    case 'interactive':
      if (m.direction === 'inbound') {
        const reply = obj(o[String(o.type)]);
        b.text = o.type === 'call_permission_reply' ? permissionAnswer(reply) : [str(reply.title), str(reply.description)].filter(Boolean).join(' — ');
        // A completed flow (nfm_reply): WhatsApp shows its body ("Sent"); the note shows what went to the business.
        if (o.type === 'nfm_reply') {
          b.text = str(reply.body) ?? 'Sent';
          const json = str(reply.response_json) ?? '';
          b.note = `Flow response: ${json.length > 300 ? `${json.slice(0, 299)}…` : json}`;
        }
      } else interactiveOf(o, b);
      break;
    case 'button':
      b.text = str(o.text) ?? '';
      break;
    case 'template':
      if (template) Object.assign(b, template);
      else b.text = `Template ${str(o.name) ?? '?'} (${str(obj(o.language).code) ?? '?'})`;
      break;
    case 'reaction':
      b.text = str(o.emoji) ?? '';
      break;
    default:
      b.note = `A ${m.type} message`;
  }
  return b;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return {};
  }
}

/** The reaction a stored reaction message carries: its target and emoji ("" removes it). */
export function reactionOf(m: StoredMessage): { target: string; emoji: string } | undefined {
  if (m.type !== 'reaction') return undefined;
  const r = obj(obj(safeJson(m.content)).reaction);
  const target = str(r.message_id);
  return target ? { target, emoji: typeof r.emoji === 'string' ? r.emoji : '' } : undefined;
}
