// The partner's WABAs as the Hub's template pages name them: "client · WABA" labels for a page's
// rows, and the choices of the WABA pickers. Read-only, always scoped to the partner (like
// messages.ts; no service lists a partner's WABAs yet).
import type { Deps } from '../../deps.ts';

export interface WabaChoice {
  id: string;
  name: string;
  client_id: string;
  client_name: string;
}

/** A picker shows at most this many WABAs (a partner with more filters by a channel's link). */
export const MAX_WABA_CHOICES = 500;

/**
 * The partner's WABAs by client name: these `ids` only (a page's rows), or the first
 * MAX_WABA_CHOICES, plus `include` (the one a link or form named) when it is the partner's.
 */
export async function partnerWabas(deps: Deps, partnerId: string, opts: { ids?: string[]; include?: string } = {}): Promise<WabaChoice[]> {
  const query = (ids?: string[]) => {
    let q = deps.db.kysely
      .selectFrom('waba_accounts')
      .innerJoin('clients', 'clients.id', 'waba_accounts.client_id')
      .select(['waba_accounts.id as id', 'waba_accounts.name as name', 'clients.id as client_id', 'clients.name as client_name'])
      .where('waba_accounts.partner_id', '=', partnerId);
    if (ids) q = q.where('waba_accounts.id', 'in', ids);
    return q.orderBy('clients.name').orderBy('waba_accounts.name').orderBy('waba_accounts.id').limit(MAX_WABA_CHOICES);
  };
  if (opts.ids) return opts.ids.length === 0 ? [] : query([...new Set(opts.ids)]).execute();
  const list = await query().execute();
  if (opts.include && !list.some((w) => w.id === opts.include)) list.unshift(...(await query([opts.include]).execute()));
  return list;
}

/** "Client · WABA", or the client's name alone where the WABA is named after it (as onboarding names them). */
export const wabaLabel = (w: WabaChoice) => (w.name === w.client_name ? w.client_name : `${w.client_name} · ${w.name}`);
