// How the Hub names a partner's WABAs: "client · WABA" labels for a page's rows and the choices
// of its WABA pickers. Which WABAs those are is the service's (listPartnerWabas, always scoped to
// the partner); only the wording is the Hub's.
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { getWabaAccount, listPartnerWabas, type PartnerWaba } from '../../services/waba-accounts.ts';

/** "Client · WABA", or the client's name alone where the WABA is named after it (as onboarding names them). */
export const wabaLabel = (w: PartnerWaba) => (w.name === w.client_name ? w.client_name : `${w.client_name} · ${w.name}`);

/** A WABA picker's choices: the partner's WABAs, with `include` (the one a link or form named) when it is the partner's. */
export async function wabaChoices(deps: Deps, partnerId: string, include?: string): Promise<{ id: string; label: string }[]> {
  const wabas = await listPartnerWabas(deps, partnerId, { include: include || undefined });
  return wabas.map((w) => ({ id: w.id, label: wabaLabel(w) }));
}

/** The labels of these WABAs of the partner, by id (another partner's id has none). */
export async function wabaLabels(deps: Deps, partnerId: string, ids: readonly string[]): Promise<Map<string, string>> {
  const wabas = await listPartnerWabas(deps, partnerId, { ids });
  return new Map(wabas.map((w) => [w.id, wabaLabel(w)]));
}

/**
 * The signed-in partner's WABA chosen on a form, else `refuse`'s error at the form's
 * waba_account_id field: another partner's WABA reads as none at all, as in the Partner API.
 */
export async function chosenWaba(deps: Deps, partnerId: string, wabaAccountId: string, refuse: (message: string) => Error) {
  try {
    return await getWabaAccount(deps, partnerId, wabaAccountId);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw refuse(`waba_account_id: ${err.message}`);
    throw err;
  }
}
