// Where an event goes: its target's URL, custom headers and signing secret, read at delivery
// time so that a changed URL or rotated secret applies to pending retries too.
import type { Deps } from '../deps.ts';
import type { TargetType } from './outbox.ts';

export interface DeliveryTarget {
  url: string | null;
  headers: Record<string, string>;
  /** Standard Webhooks secret (`whsec_…`), if the target signs. */
  secret: string | null;
  /** Also send 360dialog's `x-360dialog-signature` (partner events). */
  sign360: boolean;
}

export type TargetResolver = (deps: Deps, targetId: string) => Promise<DeliveryTarget | undefined>;

function parseHeaders(json: string | null): Record<string, string> {
  if (!json) return {};
  try {
    const v = JSON.parse(json) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
    }
  } catch {
    /* stored by us; unreadable means none */
  }
  return {};
}

const partnerTarget: TargetResolver = async (deps, partnerId) => {
  const p = await deps.db.kysely
    .selectFrom('partners')
    .select(['webhook_url', 'webhook_headers', 'webhook_secret'])
    .where('id', '=', partnerId)
    .executeTakeFirst();
  if (!p) return undefined;
  return { url: p.webhook_url, headers: parseHeaders(p.webhook_headers), secret: p.webhook_secret, sign360: true };
};

const resolvers = new Map<TargetType, TargetResolver>([['partner', partnerTarget]]);

/** Lets a module that owns a kind of target (e.g. channels' webhooks) say where it delivers. */
export function registerTargetResolver(type: TargetType, resolver: TargetResolver): void {
  resolvers.set(type, resolver);
}

export function resolveTarget(deps: Deps, type: string, id: string): Promise<DeliveryTarget | undefined> {
  const r = resolvers.get(type as TargetType);
  return r ? r(deps, id) : Promise.resolve(undefined);
}
