// Meta's template analytics (GET /{waba-id}/template_analytics?start=&end=&granularity=DAILY
// &template_ids=[…]&metric_types=[…]), counted from the stored template sends of the key's WABA's
// numbers:
//
//   {"data":[{"granularity":"DAILY","product_type":"cloud_api","data_points":[{"template_id":"…",
//     "start":<unix>,"end":<unix>,"sent":n,"delivered":n,"read":n,"clicked":[{"type":
//     "quick_reply_button","button_content":"…","count":n}]}]}],"paging":{"cursors":{…}}}
//
// - A send is a template's when its stored template_name and its language (the message's
//   template.language.code) are the template's; it counts on the UTC day it was created: `sent`
//   when WhatsApp took it (sent, delivered or read), `delivered` (delivered or read), `read`.
// - `clicked`: the users' quick-reply button answers to those sends (inbound button messages whose
//   context is one of them), on the day of the answer, by button text. A URL button's tap reaches
//   no webhook, so it cannot be counted (Meta counts it; the sandbox has no link redirector).
// - As Meta: every day of the window for every template asked (zeros included), at most 10
//   templates, at most 90 days, DAILY only; metric_types names the metrics each point carries.
//   The window is start up to, not including, end (Unix seconds).
// - Everything comes in one page: `paging` has cursors and no `next`, which every client reads as
//   the last page.
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { invalidParameter } from '../errors.ts';

export interface TemplateAnalyticsQuery {
  start?: string;
  end?: string;
  granularity?: string;
  template_ids?: string;
  metric_types?: string;
  product_type?: string;
  use_waba_timezone?: string;
  limit?: string;
  after?: string;
  before?: string;
}

const METRICS = ['SENT', 'DELIVERED', 'READ', 'CLICKED'] as const;
type Metric = (typeof METRICS)[number];
const DAY_MS = 86_400_000;
const MAX_DAYS = 90;
const MAX_TEMPLATES = 10;
/** The last second an ISO timestamp can name. */
const MAX_UNIX = 253_402_300_799;

function unix(raw: string | undefined, name: string): number {
  const s = (raw ?? '').trim();
  if (s === '') throw invalidParameter(`${name} is required: a Unix timestamp in seconds`);
  if (!/^\d{1,16}$/.test(s)) throw invalidParameter(`${name} must be a Unix timestamp in seconds, got "${s.slice(0, 40)}"`);
  const n = Number(s);
  if (n > MAX_UNIX) throw invalidParameter(`${name} must be a Unix timestamp in seconds${n <= MAX_UNIX * 1000 ? ' (this looks like milliseconds)' : ''}, got ${s}`);
  return n;
}

/** `["a","b"]` (Meta's form), `[a,b]` or `a,b` → the items. */
function list(raw: string | undefined, name: string): string[] {
  const s = (raw ?? '').trim();
  if (s === '') return [];
  let items: unknown[];
  try {
    const v: unknown = JSON.parse(s);
    items = Array.isArray(v) ? v : [v];
  } catch {
    items = (s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s).split(',');
  }
  return items.map((i) => {
    if (typeof i !== 'string' && typeof i !== 'number') throw invalidParameter(`${name} must be a list such as ["1","2"]`);
    return String(i).trim().replace(/^["']|["']$/g, '').trim();
  }).filter((i) => i !== '');
}

export interface TemplateAnalyticsRequest {
  fromMs: number;
  untilMs: number;
  templateIds: string[];
  metrics: Set<Metric>;
}

export function parseTemplateAnalyticsQuery(q: TemplateAnalyticsQuery): TemplateAnalyticsRequest {
  const start = unix(q.start, 'start');
  const end = unix(q.end, 'end');
  if (start >= end) throw invalidParameter(`start (${start}) must be before end (${end})`);
  if (end - start > MAX_DAYS * 86_400) throw invalidParameter(`the window from start to end must be at most ${MAX_DAYS} days`);
  const g = (q.granularity ?? '').trim().toUpperCase();
  if (g !== '' && g !== 'DAILY' && g !== 'DAY') throw invalidParameter(`granularity must be DAILY, got "${g.slice(0, 40)}"`);
  const templateIds = [...new Set(list(q.template_ids, 'template_ids'))];
  if (templateIds.length === 0) throw invalidParameter('template_ids is required: a list of template ids such as ["1234567890"]');
  if (templateIds.length > MAX_TEMPLATES) throw invalidParameter(`template_ids: at most ${MAX_TEMPLATES} templates, got ${templateIds.length}`);
  for (const id of templateIds) if (!/^\d{1,32}$/.test(id)) throw invalidParameter(`template_ids: "${id.slice(0, 40)}" is not a template id`);
  const asked = list(q.metric_types, 'metric_types').map((m) => m.toUpperCase());
  for (const m of asked) if (!(METRICS as readonly string[]).includes(m)) throw invalidParameter(`metric_types: "${m.slice(0, 40)}" is not one of ${METRICS.join(', ')}`);
  return { fromMs: start * 1000, untilMs: end * 1000, templateIds, metrics: new Set((asked.length > 0 ? asked : METRICS) as Metric[]) };
}

const dayStart = (ms: number) => ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);

function languageOf(content: string): string | undefined {
  try {
    const c = JSON.parse(content) as { template?: { language?: { code?: unknown } | unknown } };
    const lang = c.template?.language;
    if (typeof lang === 'string') return lang;
    const code = (lang as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

interface Counts {
  sent: number;
  delivered: number;
  read: number;
  clicked: Map<string, number>;
}

/** The analytics of the asked templates of the channel's WABA; an id that is not one of them is a 400. */
export async function templateAnalytics(deps: Deps, ch: ChannelRow, r: TemplateAnalyticsRequest) {
  const db = deps.db.kysely;
  const templates = await db.selectFrom('templates').select(['id', 'name', 'language']).where('waba_account_id', '=', ch.waba_account_id).where('id', 'in', r.templateIds).execute();
  for (const id of r.templateIds) if (!templates.some((t) => t.id === id)) throw invalidParameter(`template_ids: ${id} is not a template of this WhatsApp Business Account`);
  const channels = (await db.selectFrom('channels').select('id').where('partner_id', '=', ch.partner_id).where('waba_account_id', '=', ch.waba_account_id).execute()).map((c) => c.id);
  const idOf = new Map(templates.map((t) => [`${t.name}\u0000${t.language}`, t.id]));
  const counts = new Map<string, Counts>(); // template id + day → counts
  const at = (id: string, day: number) => {
    const k = `${id}|${day}`;
    let c = counts.get(k);
    if (!c) counts.set(k, (c = { sent: 0, delivered: 0, read: 0, clicked: new Map() }));
    return c;
  };
  const sends = await db
    .selectFrom('messages')
    .select(['id', 'created_at', 'status', 'template_name', 'content'])
    .where('partner_id', '=', ch.partner_id)
    .where('channel_id', 'in', channels)
    .where('direction', '=', 'outbound')
    .where('type', '=', 'template')
    .where('template_name', 'in', [...new Set(templates.map((t) => t.name))])
    .where('status', 'in', ['sent', 'delivered', 'read'])
    .where('created_at', '>=', new Date(r.fromMs).toISOString())
    .where('created_at', '<', new Date(r.untilMs).toISOString())
    .execute();
  const templateOfSend = new Map<string, string>();
  for (const m of sends) {
    const id = idOf.get(`${m.template_name}\u0000${languageOf(m.content)}`);
    if (!id) continue;
    templateOfSend.set(m.id, id);
    const c = at(id, dayStart(Date.parse(m.created_at)));
    c.sent++;
    if (m.status !== 'sent') c.delivered++;
    if (m.status === 'read') c.read++;
  }
  if (r.metrics.has('CLICKED') && templateOfSend.size > 0) {
    const ids = [...templateOfSend.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const clicks = await db
        .selectFrom('messages')
        .select(['context_id', 'created_at', 'content'])
        .where('partner_id', '=', ch.partner_id)
        .where('channel_id', 'in', channels)
        .where('direction', '=', 'inbound')
        .where('type', '=', 'button')
        .where('context_id', 'in', ids.slice(i, i + 500))
        .where('created_at', '>=', new Date(r.fromMs).toISOString())
        .where('created_at', '<', new Date(r.untilMs).toISOString())
        .execute();
      for (const k of clicks) {
        let text = '';
        try {
          const b = (JSON.parse(k.content) as { button?: { text?: unknown } }).button;
          if (typeof b?.text === 'string') text = b.text;
        } catch {
          /* a stored body that is not JSON: counted without its text */
        }
        const c = at(templateOfSend.get(k.context_id!)!, dayStart(Date.parse(k.created_at)));
        c.clicked.set(text, (c.clicked.get(text) ?? 0) + 1);
      }
    }
  }
  const data_points: Record<string, unknown>[] = [];
  for (const id of r.templateIds) {
    for (let day = dayStart(r.fromMs); day < r.untilMs; day += DAY_MS) {
      const c = counts.get(`${id}|${day}`);
      data_points.push({
        template_id: id,
        start: day / 1000,
        end: (day + DAY_MS) / 1000,
        ...(r.metrics.has('SENT') && { sent: c?.sent ?? 0 }),
        ...(r.metrics.has('DELIVERED') && { delivered: c?.delivered ?? 0 }),
        ...(r.metrics.has('READ') && { read: c?.read ?? 0 }),
        ...(r.metrics.has('CLICKED') && { clicked: [...(c?.clicked ?? [])].map(([button_content, count]) => ({ type: 'quick_reply_button', button_content, count })) }),
      });
    }
  }
  const cursor = (n: number) => Buffer.from(String(n)).toString('base64url');
  return {
    data: [{ granularity: 'DAILY', product_type: 'cloud_api', data_points }],
    paging: { cursors: { before: cursor(0), after: cursor(data_points.length) } },
  };
}
