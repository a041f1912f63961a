// Templates: one store behind /v1/configs/templates, /message_templates and the partner's
// waba_templates. Every new WABA gets an approved `hello_world` (en_US), as Meta does.
//
// Status casing: stored and shown in Meta's upper case (PENDING, APPROVED, REJECTED, PAUSED,
// DISABLED) in every API; 360dialog's lower-case forms are accepted wherever a status is read
// from the client (list filters), see normalizeStatus. The id is Meta's kind of id (15 digits)
// and is also the partner template's `external_id`.
import type { Selectable } from 'kysely';
import type { TemplatesTable } from '../../db/schema.ts';
import type { Executor } from '../../db/index.ts';
import { prepared } from '../../db/prepared.ts';
import { KeptRows } from '../../db/kept-rows.ts';
import type { Deps } from '../../deps.ts';
import { wireTime } from '../../clock.ts';
import { digits } from '../../ids.ts';
import { placeholders } from './placeholders.ts';

/** The job kind of a template's sandbox review (review.ts); deleting a template deletes its review. */
export const TEMPLATE_REVIEW_JOB = 'template_review';

export type TemplateRow = Selectable<TemplatesTable>;
export type TemplateStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED';
export interface Actor {
  user_id: string;
  user_name: string;
}
const PLATFORM: Actor = { user_id: 'system', user_name: 'system' };

/** 360dialog's lower-case statuses (and `submitted`, its word for "in review") → Meta's. */
export function normalizeStatus(s: string): string {
  const u = s.toUpperCase();
  return u === 'SUBMITTED' || u === 'CREATED' || u === 'IN_APPEAL' ? 'PENDING' : u;
}

export const HELLO_WORLD_COMPONENTS = [
  { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
  { type: 'BODY', text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.' },
  { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
];

export interface NewTemplateRow {
  partnerId: string;
  wabaAccountId: string;
  name: string;
  language: string;
  category: string;
  status: TemplateStatus;
  components: unknown[];
  actor?: Actor;
  /** The library template it is made from (library.ts). */
  libraryTemplateName?: string;
}

export async function insertTemplate(deps: Deps, tx: Executor, t: NewTemplateRow): Promise<TemplateRow> {
  const now = deps.clock.now().toISOString();
  const actor = t.actor ? JSON.stringify(t.actor) : null;
  const row: TemplateRow = {
    id: digits(15),
    partner_id: t.partnerId,
    waba_account_id: t.wabaAccountId,
    name: t.name,
    language: t.language,
    category: t.category,
    status: t.status,
    components: JSON.stringify(t.components),
    rejected_reason: null,
    created_at: now,
    modified_at: now,
    created_by: actor,
    modified_by: actor,
    library_template_name: t.libraryTemplateName ?? null,
  };
  await tx.insertInto('templates').values(row).execute();
  return row;
}

export function ensureDefaultTemplates(deps: Deps, tx: Executor, waba: { id: string; partner_id: string }): Promise<TemplateRow> {
  return insertTemplate(deps, tx, {
    partnerId: waba.partner_id,
    wabaAccountId: waba.id,
    name: 'hello_world',
    language: 'en_US',
    category: 'UTILITY',
    status: 'APPROVED',
    components: HELLO_WORLD_COMPONENTS,
  });
}

// Every template send looks its template up: compiled once.
const templateByName = prepared((db, p) =>
  db.selectFrom('templates').selectAll().where('waba_account_id', '=', p<string>(0)).where('name', '=', p<string>(1)).where('language', '=', p<string>(2)),
);

export async function findTemplate(deps: Deps, wabaAccountId: string, name: string, language: string, tx: Executor = deps.db.kysely): Promise<TemplateRow | undefined> {
  return (await templateByName(tx, [wabaAccountId, name, language])).rows[0];
}

/** A template as a send reads it: with its WABA's namespace, which On-Premise sends must name. */
export type SendTemplateRow = TemplateRow & { waba_namespace: string };

// The namespace comes in the same query (one join by primary key), not in a second one.
const templateForSend = prepared((db, p) =>
  db
    .selectFrom('templates')
    .innerJoin('waba_accounts', 'waba_accounts.id', 'templates.waba_account_id')
    .selectAll('templates')
    .select('waba_accounts.namespace as waba_namespace')
    .where('templates.waba_account_id', '=', p<string>(0))
    .where('templates.name', '=', p<string>(1))
    .where('templates.language', '=', p<string>(2)),
);

/**
 * The lookup of every template send, kept per database for a few seconds: a kept row is used only
 * while nothing has written the templates (or WABA) table since it was read (creation, review,
 * edit, deletion by this process, or any write by another on the same SQLite file; on PostgreSQL
 * another writer's is heard by NOTIFY within milliseconds), so a send sees every change at once.
 * Callers must not modify the row.
 */
const keptTemplates = new KeptRows<SendTemplateRow>(['templates', 'waba_accounts'], { ttlMs: 5_000, max: 10_000 });

export async function findTemplateForSend(deps: Deps, wabaAccountId: string, name: string, language: string): Promise<SendTemplateRow | undefined> {
  const db = deps.db;
  const key = `${wabaAccountId}\u0000${name}\u0000${language}`;
  const hit = keptTemplates.get(db, key);
  if (hit) return hit;
  const mark = keptTemplates.mark(db);
  const row = (await templateForSend(db.kysely, [wabaAccountId, name, language])).rows[0];
  if (row) keptTemplates.set(db, key, row, mark);
  else keptTemplates.delete(db, key);
  return row;
}

export function findTemplateById(deps: Deps, wabaAccountId: string, id: string, tx: Executor = deps.db.kysely): Promise<TemplateRow | undefined> {
  return tx.selectFrom('templates').selectAll().where('waba_account_id', '=', wabaAccountId).where('id', '=', id).executeTakeFirst();
}

/** The template's placeholder kind, as Meta reports it (`parameter_format`). */
export function parameterFormatOf(components: { type?: string; text?: string }[]): 'POSITIONAL' | 'NAMED' {
  for (const c of components) {
    const first = placeholders(c.text)[0];
    if (first !== undefined && (c.type === 'HEADER' || c.type === 'BODY')) return /^\d+$/.test(first) ? 'POSITIONAL' : 'NAMED';
  }
  return 'POSITIONAL';
}

/** The partner template object (`waba_templates[]` of the Partner API and of /v1/configs/templates). */
export function templateToWire(t: TemplateRow, namespace: string) {
  return {
    id: t.id,
    partner_id: t.partner_id,
    waba_account_id: t.waba_account_id,
    external_id: t.id,
    name: t.name,
    status: t.status,
    language: t.language,
    category: t.category,
    components: JSON.parse(t.components) as unknown[],
    // Meta's word for "not rejected" (also the `reason` of an APPROVED status webhook).
    rejected_reason: t.rejected_reason ?? 'NONE',
    namespace,
    created_at: wireTime(t.created_at),
    created_by: t.created_by ? (JSON.parse(t.created_by) as Actor) : PLATFORM,
    modified_at: wireTime(t.modified_at),
    modified_by: t.modified_by ? (JSON.parse(t.modified_by) as Actor) : PLATFORM,
    // Only on a template made from Meta's template library (library.ts), as Meta shows it.
    ...(t.library_template_name ? { library_template_name: t.library_template_name } : {}),
  };
}
export type TemplateWire = ReturnType<typeof templateToWire>;

/** Meta's template object (GET /message_templates). */
export function templateToMeta(t: TemplateRow) {
  const components = JSON.parse(t.components) as { type?: string; text?: string }[];
  return {
    id: t.id,
    name: t.name,
    language: t.language,
    status: t.status,
    category: t.category,
    parameter_format: parameterFormatOf(components),
    components,
    rejected_reason: t.rejected_reason ?? 'NONE',
    ...(t.library_template_name ? { library_template_name: t.library_template_name } : {}),
  };
}

/** Removes templates and their pending reviews; returns the removed rows. */
export async function deleteTemplates(tx: Executor, wabaAccountId: string, where: { name: string; id?: string } | { id: string }): Promise<TemplateRow[]> {
  let q = tx.selectFrom('templates').selectAll().where('waba_account_id', '=', wabaAccountId);
  if ('name' in where) q = q.where('name', '=', where.name);
  if (where.id !== undefined) q = q.where('id', '=', where.id);
  const rows = await q.execute();
  if (rows.length === 0) return rows;
  const ids = rows.map((r) => r.id);
  await tx.deleteFrom('templates').where('waba_account_id', '=', wabaAccountId).where('id', 'in', ids).execute();
  await tx.deleteFrom('jobs').where('kind', '=', TEMPLATE_REVIEW_JOB).where('ref_id', 'in', ids).execute();
  return rows;
}

export async function wabaNamespace(deps: Deps, wabaAccountId: string, tx: Executor = deps.db.kysely): Promise<{ namespace: string; external_id: string; partner_id: string } | undefined> {
  return tx.selectFrom('waba_accounts').select(['namespace', 'external_id', 'partner_id']).where('id', '=', wabaAccountId).executeTakeFirst();
}
