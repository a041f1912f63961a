// Templates: one store behind /v1/configs/templates, /message_templates and the partner's
// waba_templates. Every new WABA gets an approved `hello_world` (en_US), as Meta does.
import type { Selectable } from 'kysely';
import type { TemplatesTable } from '../../db/schema.ts';
import type { Executor } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { digits } from '../../ids.ts';

export type TemplateRow = Selectable<TemplatesTable>;

export const HELLO_WORLD_COMPONENTS = [
  { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
  { type: 'BODY', text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.' },
  { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
];

export async function insertTemplate(
  deps: Deps,
  tx: Executor,
  t: { partnerId: string; wabaAccountId: string; name: string; language: string; category: string; status: string; components: unknown[] },
): Promise<TemplateRow> {
  const now = deps.clock.now().toISOString();
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
    created_by: null,
    modified_by: null,
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

export function findTemplate(deps: Deps, wabaAccountId: string, name: string, language: string): Promise<TemplateRow | undefined> {
  return deps.db.kysely
    .selectFrom('templates')
    .selectAll()
    .where('waba_account_id', '=', wabaAccountId)
    .where('name', '=', name)
    .where('language', '=', language)
    .executeTakeFirst();
}
