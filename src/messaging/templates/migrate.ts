// Template migration (Meta's POST /{destination-waba-id}/migrate_message_templates): copies the
// APPROVED templates of another WABA into this one. Meta's rules, as openwaba keeps them:
// - both WABAs are the same owner's (Meta: the same business; openwaba: the same partner; another
//   partner's WABA is one the caller cannot see, and answers so);
// - only APPROVED templates are copied (openwaba keeps no quality score: all count as Meta's
//   UNKNOWN, which is eligible); PENDING, REJECTED, PAUSED and DISABLED ones are skipped, not failed;
// - a template whose name and language the destination already has fails, with the reason;
// - a FLOW button must name a flow of the destination (flow-buttons.ts), else the template fails;
// - the source's eligible templates are taken in pages (oldest first), page 0 the first.
// A copy is APPROVED at once: Meta "initially grants the same status as the source" when it
// duplicates templates between WABAs, and the copy passed the same sandbox review as its source.
// The destination's channels and partner are told as the review would tell them
// (message_template_status_update APPROVED, waba_template_status_changed), in the copy's transaction.
// The answer is Meta's: {"migrated_templates":["<new id>",…],"failed_templates":{"<source id>":"<reason>"}}.
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { transact } from '../../webhooks/outbox.ts';
import { arr, fail, isObj, num, onlyKeys, str, type Obj } from '../validate/check.ts';
import { checkFlowButtons } from './flow-buttons.ts';
import { setTemplateStatus } from './review.ts';
import type { TemplateScope } from './service.ts';
import { findTemplate, insertTemplate, type Actor, type TemplateRow } from './store.ts';

/** Meta's batch: templates are migrated "as sets of 500", `count` at most 500. */
export const META_MIGRATION_PAGE = 500;
/** 360dialog's page (reference §1.3: "page 0 = first 2500"). */
export const PARTNER_MIGRATION_PAGE = 2500;
const MAX_PAGE_NUMBER = 1_000_000;

export interface MigrationRequest {
  /** The source WABA as the caller named it (openwaba's id or Meta's). */
  source: string;
  page: number;
  count: number;
  /** Only these source templates (Meta's `template_ids`, to retry failed ones); paging does not apply. */
  templateIds?: string[];
}

export interface MigrationResult {
  migrated_templates: string[];
  failed_templates: Record<string, string>;
}

/** A WABA id given as a string or a number (Graph clients send either). */
function wabaIdParam(v: unknown, field: string): string {
  const s = str(typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v, field, { max: 64 });
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw fail(field, 'must be a WhatsApp Business Account id');
  return s;
}

/**
 * A string Number() reads as a number that is not decimal digits ("0x10" is 16, "1e1" 10, "10.0"):
 * not a whole number as a query string or form carries one (Graph refuses them). Text that is no
 * number at all is left to num()'s "must be a number".
 */
export const nonDecimalNumber = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '' && !/^\s*[+-]?\d+\s*$/.test(v) && Number.isFinite(Number(v));

function wholeNumber(v: unknown, field: string, min: number, max: number): number {
  if (nonDecimalNumber(v)) throw fail(field, 'must be a whole number');
  const n = num(v, field, { min, max });
  if (!Number.isInteger(n)) throw fail(field, 'must be a whole number');
  return n;
}

/**
 * Meta's parameters (`source_waba_id`, `page_number`, `count`, `template_ids`), from the JSON
 * body or, as Meta's older reference sends them, the query string (the body wins).
 */
export function parseMetaMigration(body: unknown, query: Obj): MigrationRequest {
  if (body !== undefined && body !== null && !isObj(body)) throw fail('body', 'must be a JSON object such as {"source_waba_id":"…","page_number":0}');
  const b = (body ?? {}) as Obj;
  onlyKeys(b, 'body', ['source_waba_id', 'page_number', 'count', 'template_ids']);
  const pick = (k: string) => (b[k] !== undefined ? b[k] : query[k] === '' ? undefined : query[k]);
  const source = wabaIdParam(pick('source_waba_id'), 'source_waba_id');
  const page = pick('page_number') === undefined ? 0 : wholeNumber(pick('page_number'), 'page_number', 0, MAX_PAGE_NUMBER);
  const count = pick('count') === undefined ? META_MIGRATION_PAGE : wholeNumber(pick('count'), 'count', 1, META_MIGRATION_PAGE);
  let ids = pick('template_ids');
  if (typeof ids === 'string') {
    try {
      ids = JSON.parse(ids) as unknown;
    } catch {
      /* refused below */
    }
  }
  const templateIds =
    ids === undefined
      ? undefined
      : arr(ids, 'template_ids', { min: 1, max: META_MIGRATION_PAGE }).map((v, i) => {
          const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
          if (typeof s !== 'string' || !/^\d{1,20}$/.test(s)) throw fail(`template_ids[${i}]`, 'must be a template id (digits)');
          return s;
        });
  return { source, page, count, templateIds };
}

/** 360dialog's body: `{source_waba_account_id, page}` (Meta's `source_waba_id` is taken too). */
export function parsePartnerMigration(body: unknown): MigrationRequest {
  if (!isObj(body)) throw fail('body', 'must be a JSON object such as {"source_waba_account_id":"…","page":0}');
  onlyKeys(body, 'body', ['source_waba_account_id', 'source_waba_id', 'page']);
  if (body.source_waba_account_id !== undefined && body.source_waba_id !== undefined) throw fail('source_waba_id', 'give source_waba_account_id or source_waba_id, not both');
  const field = body.source_waba_id !== undefined ? 'source_waba_id' : 'source_waba_account_id';
  const source = wabaIdParam(body[field], field);
  const page = body.page === undefined ? 0 : wholeNumber(body.page, 'page', 0, MAX_PAGE_NUMBER);
  return { source, page, count: PARTNER_MIGRATION_PAGE };
}

/** The partner's WABA named by openwaba's id or Meta's (external) id; undefined when the partner has none such. */
/**
 * The source WABA of a migration, by openwaba's id or Meta's: the partner's own, and with
 * `clientId` (a channel key's migration) that client's own too. Meta moves templates and flows only
 * between WABAs of one business; in openwaba a client is the business, so a channel key of one of
 * a partner's clients never reads another client's WABA. The Partner API, which acts for the whole
 * partner, names no client.
 */
export async function findPartnerWaba(deps: Deps, partnerId: string, idOrExternal: string, clientId?: string): Promise<{ id: string; partner_id: string } | undefined> {
  let q = deps.db.kysely
    .selectFrom('waba_accounts')
    .select(['id', 'partner_id'])
    .where('partner_id', '=', partnerId)
    .where((eb) => eb.or([eb('id', '=', idOrExternal), eb('external_id', '=', idOrExternal)]));
  if (clientId !== undefined) q = q.where('client_id', '=', clientId);
  return q.executeTakeFirst();
}

export function sameWabaRefusal(field: string): ApiError {
  return fail(field, 'names the destination WhatsApp Business Account itself; name another WABA to copy its templates from');
}

const duplicateReason = (t: TemplateRow) => `Content in this language already exists: template name=${t.name} language=${t.language} already exists in the destination WhatsApp Business Account`;

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** Copies one template; the reason it was not copied, or the copy. */
async function copyTemplate(deps: Deps, dest: TemplateScope, src: TemplateRow, actor: Actor | undefined): Promise<TemplateRow | string> {
  if (await findTemplate(deps, dest.wabaAccountId, src.name, src.language)) return duplicateReason(src);
  const components = JSON.parse(src.components) as unknown[];
  try {
    await checkFlowButtons(deps, dest, components);
  } catch (err) {
    if (err instanceof ApiError && err.status < 500) return `Invalid FLOW button: ${err.message}`;
    throw err;
  }
  try {
    // A copy of a template made from Meta's template library stays one (when the store keeps the name).
    const library = (src as { library_template_name?: string | null }).library_template_name;
    return await transact(deps, async (tx) => {
      if (await findTemplate(deps, dest.wabaAccountId, src.name, src.language, tx)) return duplicateReason(src);
      const row = await insertTemplate(deps, tx, {
        partnerId: dest.partnerId,
        wabaAccountId: dest.wabaAccountId,
        name: src.name,
        language: src.language,
        category: src.category,
        status: 'PENDING',
        components,
        actor,
        ...(library ? { libraryTemplateName: library } : {}),
      });
      return setTemplateStatus(deps, tx, row, 'APPROVED', 'NONE');
    });
  } catch (err) {
    // A creation (or another migration) of the same name and language at the same moment.
    if (isUniqueViolation(err)) return duplicateReason(src);
    throw err;
  }
}

/** Copies a page of the source's APPROVED templates into the destination (both the same partner's: the caller checked). */
export async function migrateTemplates(deps: Deps, dest: TemplateScope, sourceWabaAccountId: string, req: MigrationRequest, actor?: Actor): Promise<MigrationResult> {
  let q = deps.db.kysely.selectFrom('templates').selectAll().where('waba_account_id', '=', sourceWabaAccountId).where('partner_id', '=', dest.partnerId).where('status', '=', 'APPROVED');
  if (req.templateIds) q = q.where('id', 'in', req.templateIds);
  else q = q.offset(req.page * req.count);
  const rows = await q.orderBy('created_at').orderBy('id').limit(req.templateIds ? req.templateIds.length : req.count).execute();
  const result: MigrationResult = { migrated_templates: [], failed_templates: {} };
  for (const id of req.templateIds ?? []) {
    if (!rows.some((r) => r.id === id)) result.failed_templates[id] = 'Template not found in the source WhatsApp Business Account, or not APPROVED';
  }
  for (const src of rows) {
    const copy = await copyTemplate(deps, dest, src, actor);
    if (typeof copy === 'string') result.failed_templates[src.id] = copy;
    else result.migrated_templates.push(copy.id);
  }
  return result;
}
