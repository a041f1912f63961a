// A template message as the user's phone shows it: the stored template (header, body, footer,
// buttons) with the placeholders filled from the parameters the business sent.
import type { Bubble, TemplateButton } from './bubbles.ts';

export type TemplateView = Pick<Bubble, 'header' | 'media' | 'text' | 'footer' | 'templateButtons' | 'note'>;

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as O) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : '');

const MEDIA_FORMAT: Record<string, string> = { image: 'Image', video: 'Video', document: 'Document', location: 'Location' };

/** What one parameter reads as on the phone. */
function paramText(p: O): string {
  const type = lower(p.type);
  if (type === 'text') return String(p.text ?? '');
  if (type === 'currency' || type === 'date_time') return String(obj(p[type]).fallback_value ?? '');
  if (type === 'payload') return String(p.payload ?? '');
  if (type === 'coupon_code') return String(p.coupon_code ?? '');
  return `[${type || 'parameter'}]`;
}

/** {{1}}, {{2}} … take the parameters in order; {{name}} takes the one with that parameter_name. */
export function fillPlaceholders(text: string, params: O[]): string {
  return text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, key: string) => {
    const named = params.find((p) => p.parameter_name === key);
    if (named) return paramText(named);
    if (/^\d+$/.test(key)) {
      const p = params[Number(key) - 1];
      if (p) return paramText(p);
    }
    return whole;
  });
}

/**
 * `components` is the stored template's JSON; `sent` the template object of the message;
 * `flowHref` the page a FLOW button opens (the message's flow runner).
 */
export function templateView(components: string, sent: unknown, flowHref?: string): TemplateView {
  let stored: unknown;
  try {
    stored = JSON.parse(components);
  } catch {
    stored = [];
  }
  const sentComponents = arr(obj(sent).components).map(obj);
  const paramsOf = (type: string, index?: number) =>
    arr(sentComponents.find((c) => lower(c.type) === type && (index === undefined || Number(c.index) === index))?.parameters).map(obj);

  const view: TemplateView = {};
  for (const c of arr(stored).map(obj)) {
    const type = lower(c.type);
    if (type === 'header') {
      const format = lower(c.format) || 'text';
      if (format === 'text') view.header = fillPlaceholders(String(c.text ?? ''), paramsOf('header'));
      else {
        const p = paramsOf('header')[0];
        view.media = { label: MEDIA_FORMAT[format] ?? format, filename: str(obj(p?.[format]).filename) };
      }
    } else if (type === 'body') {
      view.text = fillPlaceholders(String(c.text ?? ''), paramsOf('body'));
    } else if (type === 'footer') {
      view.footer = str(c.text);
    } else if (type === 'buttons') {
      // In the template's order, quick replies and links mixed as the template has them; a quick
      // reply's id is its index, as a send's `button` component names it.
      const buttons = arr(c.buttons)
        .map(obj)
        .map((btn, i): TemplateButton => {
          const kind = lower(btn.type);
          const params = paramsOf('button', i);
          const text = String(btn.text ?? '');
          if (kind === 'quick_reply') return { kind: 'reply', id: String(i), title: text, payload: str(params[0]?.payload) ?? text };
          if (kind === 'url') return { kind: 'link', label: text, target: fillPlaceholders(String(btn.url ?? ''), params) };
          if (kind === 'phone_number') return { kind: 'link', label: text, target: `Call ${String(btn.phone_number ?? '')}` };
          if (kind === 'flow') {
            const target = `WhatsApp Flow ${str(btn.flow_id) ?? (typeof btn.flow_id === 'number' ? String(btn.flow_id) : undefined) ?? str(btn.flow_name) ?? ''}`.trim();
            return { kind: 'link', label: text || 'Open', target, ...(flowHref ? { href: flowHref } : {}) };
          }
          if (kind === 'copy_code') return { kind: 'link', label: 'Copy code', target: params[0] ? paramText(params[0]) : '' };
          return { kind: 'link', label: text || kind, target: kind.replace(/_/g, ' ') };
        });
      if (buttons.length) view.templateButtons = buttons;
    }
  }
  return view;
}
