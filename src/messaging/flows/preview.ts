// A flow's preview link: Meta's `preview` field of a flow (GET /{flow-id}?fields=preview.invalidate(false)),
// which 360dialog's Partner API flow GET lists among its fields:
//
//   {"preview":{"preview_url":"https://…/flows/preview/<token>","expires_at":"2026-02-01T00:00:00+0000"},"id":"…"}
//
// The link is an openwaba page (web/flow-preview.ts) that shows the flow's current Flow JSON with
// the sandbox phone's renderer; it needs no login, as Meta's does not, and shows only that flow.
// Its token is a random secret that appears only in the link: only its SHA-256 is stored, with the
// expiry (30 days, as Meta's), and a presented token is found by the hash of it.
//
// Meta answers invalidate(false) with the same link while it is valid. Since the token itself is
// not kept, openwaba cannot show the same link twice: it answers a new link of the same generation
// instead (the same expires_at; the links given before keep working), the newest MAX_LINKS_PER_FLOW
// of them kept. invalidate(true) ends every link of the flow and starts a new generation (30 days).
import { hashSecret, newSecret } from '../../crypto.ts';
import type { Deps } from '../../deps.ts';
import type { FlowRow, FlowScope } from './store.ts';

export type StoredFlowForPreview = Pick<FlowRow, 'id' | 'name' | 'flow_json'>;

export const PREVIEW_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const MAX_LINKS_PER_FLOW = 20;
export const PREVIEW_PATH = '/flows/preview';
const TOKEN_LENGTH = 40; // base62: ~238 bits

export interface FlowPreview {
  preview_url: string;
  expires_at: string;
}

/** Meta's form of a timestamp: 2023-12-12T15:30:00+0000. */
export const metaTime = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, '+0000');

/** A preview link of the scope's flow `flowId` (which the caller found in the scope). */
export async function flowPreview(deps: Deps, scope: FlowScope, flowId: string, invalidate: boolean): Promise<FlowPreview> {
  const now = deps.clock.now();
  const nowIso = now.toISOString();
  const token = newSecret(TOKEN_LENGTH);
  const expiresAt = await deps.db.kysely.transaction().execute(async (tx) => {
    const ofFlow = () => tx.deleteFrom('flow_previews').where('flow_id', '=', flowId).where('partner_id', '=', scope.partnerId).where('waba_account_id', '=', scope.wabaAccountId);
    if (invalidate) await ofFlow().execute();
    else await ofFlow().where('expires_at', '<=', nowIso).execute();
    const live = invalidate
      ? undefined
      : await tx
          .selectFrom('flow_previews')
          .select('expires_at')
          .where('flow_id', '=', flowId)
          .where('partner_id', '=', scope.partnerId)
          .where('waba_account_id', '=', scope.wabaAccountId)
          .where('expires_at', '>', nowIso)
          .orderBy('expires_at', 'desc')
          .limit(1)
          .executeTakeFirst();
    const expires = live?.expires_at ?? new Date(now.getTime() + PREVIEW_TTL_MS).toISOString();
    await tx
      .insertInto('flow_previews')
      .values({ token_hash: hashSecret(token), flow_id: flowId, partner_id: scope.partnerId, waba_account_id: scope.wabaAccountId, expires_at: expires, created_at: nowIso })
      .execute();
    // The newest links only: one more ends the oldest.
    const beyond = await tx
      .selectFrom('flow_previews')
      .select('token_hash')
      .where('flow_id', '=', flowId)
      .where('partner_id', '=', scope.partnerId)
      .orderBy('created_at', 'desc')
      .orderBy('token_hash', 'desc')
      .limit(1000)
      .offset(MAX_LINKS_PER_FLOW)
      .execute();
    if (beyond.length > 0) await tx.deleteFrom('flow_previews').where('token_hash', 'in', beyond.map((r) => r.token_hash)).execute();
    return expires;
  });
  return { preview_url: `${deps.config.publicUrl}${PREVIEW_PATH}/${token}`, expires_at: metaTime(new Date(expiresAt)) };
}

/** The flow a preview token opens (while the link is valid and the flow exists), or undefined. */
export async function flowOfPreviewToken(deps: Deps, token: string): Promise<StoredFlowForPreview | undefined> {
  if (!/^[A-Za-z0-9]{1,100}$/.test(token)) return undefined;
  return deps.db.kysely
    .selectFrom('flow_previews')
    .innerJoin('flows', (j) =>
      j.onRef('flows.id', '=', 'flow_previews.flow_id').onRef('flows.partner_id', '=', 'flow_previews.partner_id').onRef('flows.waba_account_id', '=', 'flow_previews.waba_account_id'),
    )
    .select(['flows.id', 'flows.name', 'flows.flow_json'])
    .where('flow_previews.token_hash', '=', hashSecret(token))
    .where('flow_previews.expires_at', '>', deps.clock.now().toISOString())
    .executeTakeFirst();
}

/**
 * Takes `preview` or `preview.invalidate(true|false)` out of a flow GET's `fields` (Meta's field
 * expansion syntax): the other fields, and whether a preview was asked for and with invalidate.
 * Anything else starting with `preview` is a 400.
 */
export function splitPreviewField(raw: string | undefined, refuse: (message: string) => Error): { rest: string | undefined; preview?: { invalidate: boolean } } {
  if (raw === undefined) return { rest: raw };
  const rest: string[] = [];
  let preview: { invalidate: boolean } | undefined;
  for (const f of raw.split(',').map((x) => x.trim())) {
    if (!/^preview\b/.test(f)) {
      rest.push(f);
      continue;
    }
    const m = /^preview(?:\.invalidate\((true|false)\))?$/.exec(f.replace(/\s+/g, ''));
    if (!m) throw refuse(`(#100) Invalid field: ${f.slice(0, 60)}; use preview or preview.invalidate(true|false)`);
    preview = { invalidate: (preview?.invalidate ?? false) || m[1] === 'true' };
  }
  return { rest: rest.filter(Boolean).join(','), ...(preview ? { preview } : {}) };
}
