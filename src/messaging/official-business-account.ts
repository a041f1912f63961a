// The Official Business Account ("OBA", the blue/green tick) request of a number, as Meta documents
// it (developers.facebook.com/docs/whatsapp/official-business-accounts):
//
//   POST /{version}/{phone-number-id}/official_business_account
//        {business_website_url, primary_country_of_operation, primary_language, supporting_links[],
//         parent_business_or_brand?, additional_supporting_information?}        → {"success":true}
//        ("true does not indicate approval, only successful submission")
//   GET  /{version}/{phone-number-id}?fields=official_business_account
//        → {"official_business_account":{"oba_status":"NOT_STARTED"},"id":"…"}
//
// Checks (a 400 with Graph's code 100 naming the field): the four fields above required;
// business_website_url and every supporting link an absolute http(s) URL (at most 2048 characters);
// supporting_links a list of 1 to 5 links (Meta: "You can submit up to 5 supporting links"; the
// list's JSON text is taken too, as Graph takes a structured parameter in a form); the texts
// non-empty, at most 256 characters (additional_supporting_information 2000): our bounds, Meta's
// reference gives none. Unknown fields are refused naming the field (a typo would otherwise drop a
// detail silently), as business_compliance_info does; messaging_product "whatsapp" is tolerated.
//
// On a sandbox number the request is kept (channel_oba_requests) with oba_status PENDING and a
// durable job written in the same transaction decides it after OPENWABA_TEMPLATE_REVIEW_DELAY, as
// the display name review does (display-name-review.ts). A newer request replaces the older one
// (whatever its status); the older one's job then finds the request changed and does nothing.
// Meta also says a rejected business may ask again only after 30 days: the sandbox does not hold it
// to that (a developer testing both paths would wait a month), our choice.
//
// The sandbox's review (reviewOba below) applies rules a machine can check from Meta's OBA page;
// Meta's reviewers judge notability, which no machine here can. APPROVED makes the phone number
// node's is_official_business_account true (the tick; false again while a newer request is
// PENDING or after it is REJECTED, our reading). A rejection gives the reason in status_message
// beside oba_status: Meta's reference of the node's official_business_account lists oba_status and
// status_message; the wording of the reason is ours.
//
// No webhook: Meta documents none for an OBA decision (its account_update webhook reference lists
// business verification, policy, offboarding and other triggers, not OBA; the OBA page says only
// "you will receive a notification", meaning WhatsApp Manager). Clients read oba_status.
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import type { ChannelRow } from '../services/channels.ts';
import { enqueueJob, registerJobHandler } from '../jobs/scheduler.ts';
import { transact } from '../webhooks/outbox.ts';
import { isPinEnabled } from './phone-number-update.ts';
import { arr, fail, fromJsonText, onlyKeys, optStr, str, type Obj } from './validate/check.ts';

const OBA_REVIEW_JOB = 'oba_review';
/** Meta: "You can submit up to 5 supporting links". */
export const MAX_SUPPORTING_LINKS = 5;
const MAX_URL = 2048;
const MAX_TEXT = 256;
const MAX_INFO = 2000;

export interface ObaRequest {
  business_website_url: string;
  primary_country_of_operation: string;
  primary_language: string;
  supporting_links: string[];
  parent_business_or_brand?: string;
  additional_supporting_information?: string;
}

/** Meta's oba_status values the sandbox uses (NOT_STARTED: no request yet). */
export type ObaStatus = 'NOT_STARTED' | 'PENDING' | 'APPROVED' | 'REJECTED';

const KEYS = ['messaging_product', 'business_website_url', 'primary_country_of_operation', 'primary_language', 'supporting_links', 'parent_business_or_brand', 'additional_supporting_information'];

/** An absolute http(s) URL with a host; Graph's code 100 naming the field otherwise. */
function url(v: unknown, field: string): string {
  const s = str(v, field, { max: MAX_URL }).trim();
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw fail(field, `must be an absolute URL such as https://www.example.com (got "${s.slice(0, 60)}")`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail(field, `must be an http(s) URL (got ${u.protocol.replace(/:$/, '').slice(0, 20)})`);
  if (!u.hostname) throw fail(field, 'must name a host');
  return s;
}

/** A non-empty text; surrounding blanks dropped, all-blank refused. */
function text(v: unknown, field: string, max: number): string {
  const s = str(v, field, { max }).trim();
  if (!s) throw fail(field, 'must not be blank');
  return s;
}

/** A POST's parameters (JSON body, form or query: graph-params.ts) checked; a 400 naming the field otherwise. */
export function parseObaRequest(p: Obj): ObaRequest {
  onlyKeys(p, 'body', KEYS);
  if (p.messaging_product !== undefined && p.messaging_product !== 'whatsapp') throw fail('messaging_product', 'must be "whatsapp"');
  const business_website_url = url(p.business_website_url, 'business_website_url');
  const primary_country_of_operation = text(p.primary_country_of_operation, 'primary_country_of_operation', MAX_TEXT);
  const primary_language = text(p.primary_language, 'primary_language', MAX_TEXT);
  const links = arr(fromJsonText(p.supporting_links), 'supporting_links', { min: 1, max: MAX_SUPPORTING_LINKS });
  const supporting_links = links.map((l, i) => url(l, `supporting_links[${i}]`));
  const parent = optStr(p.parent_business_or_brand === '' ? undefined : p.parent_business_or_brand, 'parent_business_or_brand', { max: MAX_TEXT })?.trim();
  const info = optStr(p.additional_supporting_information === '' ? undefined : p.additional_supporting_information, 'additional_supporting_information', { max: MAX_INFO })?.trim();
  return {
    business_website_url,
    primary_country_of_operation,
    primary_language,
    supporting_links,
    ...(parent ? { parent_business_or_brand: parent } : {}),
    ...(info ? { additional_supporting_information: info } : {}),
  };
}

export interface ObaVerdict {
  decision: 'APPROVED' | 'REJECTED';
  /** Why it was rejected (the node's status_message); null when approved. */
  reason: string | null;
}

const hostOf = (u: string) => new URL(u).hostname.toLowerCase().replace(/^www\./, '');

/**
 * The sandbox's verdict on a request, by rules a machine can check from Meta's OBA page (our
 * selection; Meta's reviewers judge more), in this order:
 *   REJECTED  parent_business_or_brand starts with "reject" (to test the rejected path on purpose,
 *             as a display name or a template named `reject…` is);
 *   REJECTED  the number has no two-step verification (Meta's eligibility: "The business phone
 *             number has enabled two-step verification"; POST /{phone-number-id} {pin} enables it);
 *   REJECTED  business_website_url is not https (our rule: a notable brand's site is served over TLS);
 *   REJECTED  every supporting link is on the business's own website (Meta assesses notability from
 *             news coverage and does not consider the business's own or promotional content);
 *   APPROVED  otherwise.
 * Meta documents no minimum number of supporting links (only "up to 5"), so the sandbox asks for one.
 */
export function reviewOba(req: ObaRequest, pinEnabled: boolean): ObaVerdict {
  const rejected = (reason: string): ObaVerdict => ({ decision: 'REJECTED', reason });
  if (/^reject/i.test(req.parent_business_or_brand ?? '')) return rejected('The business does not meet the notability criteria for an Official Business Account.');
  if (!pinEnabled) return rejected('Two-step verification is not enabled on this business phone number.');
  if (new URL(req.business_website_url).protocol !== 'https:') return rejected('The business website must be served over https.');
  const own = hostOf(req.business_website_url);
  if (req.supporting_links.every((l) => hostOf(l) === own)) {
    return rejected("The supporting links must include coverage from publications other than the business's own website.");
  }
  return { decision: 'APPROVED', reason: null };
}

/** What the number asked for and where its review stands, or undefined before its first request. */
export async function readObaRequest(db: Executor, channelId: string): Promise<{ status: string; status_message: string | null } | undefined> {
  return db.selectFrom('channel_oba_requests').select(['status', 'status_message']).where('channel_id', '=', channelId).executeTakeFirst();
}

/** The phone number node's official_business_account: {oba_status, status_message?}. */
export function obaField(row: { status: string; status_message: string | null } | undefined): { oba_status: string; status_message?: string } {
  if (!row) return { oba_status: 'NOT_STARTED' };
  return row.status_message ? { oba_status: row.status, status_message: row.status_message } : { oba_status: row.status };
}

/** A sandbox number's request: stored PENDING and its review scheduled, in one transaction. */
export async function submitObaRequest(deps: Deps, ch: ChannelRow, req: ObaRequest): Promise<void> {
  const now = deps.clock.now().toISOString();
  const request = JSON.stringify(req);
  await transact(deps, async (tx) => {
    // A newer request replaces the last one, whatever its status: Meta reviews the latest request.
    await tx
      .insertInto('channel_oba_requests')
      .values({ channel_id: ch.id, request, status: 'PENDING', status_message: null, requested_at: now, decided_at: null })
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ request, status: 'PENDING', status_message: null, requested_at: now, decided_at: null }))
      .execute();
    const at = new Date(deps.clock.now().getTime() + deps.config.templateReviewMs);
    await enqueueJob(deps, tx, { kind: OBA_REVIEW_JOB, refId: ch.id, at, payload: { requested_at: now } });
  });
}

registerJobHandler(OBA_REVIEW_JOB, async (deps, tx, job, payload) => {
  const requestedAt = (payload as { requested_at?: unknown } | null)?.requested_at;
  const row = await tx.selectFrom('channel_oba_requests').selectAll().where('channel_id', '=', job.ref_id).executeTakeFirst();
  // Gone, decided, or replaced by a newer request (which has its own job): nothing to review.
  if (!row || row.status !== 'PENDING' || row.requested_at !== requestedAt) return { done: true };
  const verdict = reviewOba(JSON.parse(row.request) as ObaRequest, await isPinEnabled(tx, row.channel_id));
  await tx
    .updateTable('channel_oba_requests')
    .set({ status: verdict.decision, status_message: verdict.reason, decided_at: deps.clock.now().toISOString() })
    .where('channel_id', '=', row.channel_id)
    .where('requested_at', '=', row.requested_at)
    .execute();
  return { done: true };
});
