// A media header's sample as Meta shows it when a template is read: `example.header_handle` holds
// a fetchable URL (Meta's is a signed CDN URL, https://scontent.whatsapp.net/v/t61…), not the
// upload handle it was created with. Clients rely on it: Odoo's template sync does
// `requests.get(header_handle[0])` and `requests.head(…)` (for Content-Type) with no credentials,
// dashboards preview the image from it.
//
// openwaba stores the sample as the Resumable Upload that issued the handle (media/resumable.ts):
// a template keeps the handle, and reading it (the Graph template node, Meta's list, the 360 and
// Partner API lists) swaps a handle of ours for
//
//   <public url>/template_samples/<session id>/<signature>
//
// a capability URL: the signature is an HMAC keyed with the handle itself (40 random characters
// that never appear in the URL, the way download-url.ts keys with a file's storage key), so it
// cannot be guessed or forged from the session id, needs no instance secret, and names one file.
// It answers GET and HEAD with no key (Content-Type, Content-Length), while the upload lives:
// pruneResumableUploads keeps an upload a template still names. A handle that is not ours (one
// of Meta's, another WABA's, an expired one) is shown as it was sent.
//
// Posting the URL back (a client that copies a template it read into a new one or an edit): Meta
// only takes upload handles at creation (a URL there is "Invalid parameter", by reports of clients
// that tried; whether its own CDN URL is taken back is not documented). openwaba takes a URL it
// gave for the same WABA and stores the handle it stands for (our choice: a round trip then keeps
// working); any other string is kept as before.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Deps } from '../../deps.ts';
import { isObj, type Obj } from '../validate/check.ts';

export const SAMPLE_PATH = '/template_samples';
const SESSION_ID = /^[0-9A-Za-z]{32}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{32}$/;

type Upload = { id: string; handle: string };

const sign = (u: Upload) => createHmac('sha256', u.handle).update(`openwaba template-sample v1:${u.id}`).digest('base64url').slice(0, 32);

export function sampleUrl(deps: Deps, u: Upload): string {
  return new URL(`${SAMPLE_PATH.slice(1)}/${u.id}/${sign(u)}`, `${deps.config.publicUrl}/`).toString();
}

/** The signature given matches the upload's (constant time). */
export function sampleSignatureValid(u: Upload, given: string): boolean {
  if (!SIGNATURE.test(given)) return false;
  const a = Buffer.from(sign(u));
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `{session id, signature}` of a URL that has the shape of one of ours, or undefined. */
export function parseSampleUrl(deps: Deps, v: string): { id: string; sig: string } | undefined {
  if (v.length > 2048 || !/^https?:\/\//i.test(v)) return undefined;
  let u: URL;
  let base: URL;
  try {
    u = new URL(v);
    base = new URL(`${deps.config.publicUrl}/`);
  } catch {
    return undefined;
  }
  const prefix = `${base.pathname.replace(/\/$/, '')}${SAMPLE_PATH}/`;
  if (u.host.toLowerCase() !== base.host.toLowerCase() || !u.pathname.startsWith(prefix)) return undefined;
  const [id, sig, ...rest] = u.pathname.slice(prefix.length).split('/');
  return id && sig && rest.length === 0 && SESSION_ID.test(id) && SIGNATURE.test(sig) ? { id, sig } : undefined;
}

/** Every media header's example.header_handle array in components (a carousel's cards included). */
function handleArrays(components: unknown, out: unknown[][] = []): unknown[][] {
  if (!Array.isArray(components)) return out;
  for (const c of components) {
    if (!isObj(c)) continue;
    if (c.type === 'HEADER' && isObj(c.example) && Array.isArray((c.example as Obj).header_handle)) out.push((c.example as Obj).header_handle as unknown[]);
    if (Array.isArray(c.cards)) for (const card of c.cards) if (isObj(card)) handleArrays(card.components, out);
  }
  return out;
}

/** Templates as read (any object with `components`), each with the WABA it belongs to. */
export interface ShownTemplate {
  wabaAccountId: string;
  components: unknown;
}

/**
 * Swaps, in place, each header handle of ours (a live upload of the template's own WABA) for its
 * sample URL. One query for all of them.
 */
export async function showSampleUrls(deps: Deps, templates: readonly ShownTemplate[]): Promise<void> {
  const wanted: { arr: unknown[]; i: number; handle: string; waba: string }[] = [];
  for (const t of templates) {
    for (const arr of handleArrays(t.components)) {
      arr.forEach((h, i) => {
        if (typeof h === 'string' && h.startsWith('4::') && h.length <= 200) wanted.push({ arr, i, handle: h, waba: t.wabaAccountId });
      });
    }
  }
  if (wanted.length === 0) return;
  const handles = [...new Set(wanted.map((w) => w.handle))];
  const rows = await deps.db.kysely
    .selectFrom('resumable_uploads')
    .select(['id', 'handle', 'waba_account_id', 'expires_at'])
    .where('handle', 'in', handles)
    .where('expires_at', '>', deps.clock.now().toISOString())
    .execute();
  const byHandle = new Map(rows.map((r) => [r.handle!, r]));
  for (const w of wanted) {
    const row = byHandle.get(w.handle);
    if (row && row.waba_account_id === w.waba) w.arr[w.i] = sampleUrl(deps, { id: row.id, handle: row.handle! });
  }
}

/** The same for templates as Meta's answers carry them: a list's `data`, or one node. */
export async function showSampleUrlsIn(deps: Deps, wabaAccountId: string, items: readonly unknown[]): Promise<void> {
  await showSampleUrls(
    deps,
    items.filter(isObj).map((t) => ({ wabaAccountId, components: t.components })),
  );
}

/** The live upload a sample URL names, if the URL is one we gave (signature checked). */
export async function uploadOfSampleUrl(deps: Deps, url: string) {
  const parsed = parseSampleUrl(deps, url);
  if (!parsed) return undefined;
  const row = await deps.db.kysely.selectFrom('resumable_uploads').selectAll().where('id', '=', parsed.id).executeTakeFirst();
  if (!row?.handle || Date.parse(row.expires_at) <= deps.clock.now().getTime()) return undefined;
  return sampleSignatureValid({ id: row.id, handle: row.handle }, parsed.sig) ? { ...row, handle: row.handle, file_length: Number(row.file_length) } : undefined;
}

/**
 * On create or edit: a sample URL we gave for this WABA, posted back in example.header_handle,
 * becomes the handle it stands for (in place). Anything else is left for the usual checks.
 */
export async function takeBackSampleUrls(deps: Deps, wabaAccountId: string, components: unknown): Promise<void> {
  for (const arr of handleArrays(components)) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (typeof v !== 'string' || !v.includes(SAMPLE_PATH)) continue;
      const row = await uploadOfSampleUrl(deps, v);
      if (row && row.waba_account_id === wabaAccountId) arr[i] = row.handle;
    }
  }
}
