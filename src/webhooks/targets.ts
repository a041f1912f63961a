// Where an event goes: its target's URL, custom headers and signing secret, read at delivery
// time so that a changed URL or rotated secret applies to pending retries too.
import type { RawBuilder } from 'kysely';
import type { DialectKind } from '../db/index.ts';
import type { Deps } from '../deps.ts';
import type { TargetType } from './outbox.ts';

export interface DeliveryTarget {
  url: string | null;
  headers: Record<string, string>;
  /** Standard Webhooks secret (`whsec_…`), if the target signs. */
  secret: string | null;
  /** Also send 360dialog's `x-360dialog-signature` (partner events). */
  sign360: boolean;
  /**
   * A channel's webhook app secret, if set (messaging/webhook-app-secret.ts): the delivery then
   * carries Meta's `X-Hub-Signature-256` over the exact bytes posted (hub-signature.ts).
   */
  hubSecret?: string | null;
  /**
   * Set when the target's events are to be given up rather than tried (a removed extra webhook
   * destination): the dispatcher ends each at once as failed, recording an attempt of outcome
   * no_endpoint with this as its error, instead of retrying it until its horizon.
   */
  giveUp?: string;
}

export type TargetResolver = (deps: Deps, targetId: string) => Promise<DeliveryTarget | undefined>;

/** Custom headers as stored (a JSON object of strings); anything unreadable counts as none. */
export function parseStoredHeaders(json: string | null): Record<string, string> {
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
  return { url: p.webhook_url, headers: parseStoredHeaders(p.webhook_headers), secret: p.webhook_secret, sign360: true };
};

const resolvers = new Map<TargetType, TargetResolver>([['partner', partnerTarget]]);
const endedByOwner = new Set<string>();

/**
 * Lets a module that owns a kind of target (e.g. channels' webhooks) say where it delivers.
 * `endedByOwner`: the owner may end events of this type while a dispatcher holds them (a removed
 * extra webhook destination ends its copies as failed): the dispatcher then reads the event's
 * status once more just before sending it, and leaves an event ended meanwhile unsent.
 */
export function registerTargetResolver(type: TargetType, resolver: TargetResolver, opts: { endedByOwner?: boolean } = {}): void {
  resolvers.set(type, resolver);
  if (opts.endedByOwner) endedByOwner.add(type);
}

/** Whether events of this target type may be ended by their owner while claimed (see registerTargetResolver). */
export function mayBeEndedByOwner(type: string): boolean {
  return endedByOwner.has(type);
}

export function resolveTarget(deps: Deps, type: string, id: string): Promise<DeliveryTarget | undefined> {
  const r = resolvers.get(type as TargetType);
  return r ? r(deps, id) : Promise.resolve(undefined);
}

/** Events of one target type whose delivery was just recorded, and the times their copies get. */
export interface DeliveredEvents {
  ids: string[];
  /** The copies' created_at and available_at (due at once). */
  now: string;
  /** The copies' own retry horizon, counted from now. */
  expiresAt: string;
}

/**
 * One statement that writes copies of delivered events for further targets: it selects the
 * events by id (in the same transaction, so it reads their body as delivered) and inserts one new
 * event per copy, with an id derived from the event's and ON CONFLICT (id) DO NOTHING, so that a
 * replayed event is not copied twice.
 */
export type CopyStatement = (kind: DialectKind, delivered: DeliveredEvents) => RawBuilder<unknown>;

const copiers = new Map<string, CopyStatement>();

/**
 * Lets the module that owns a target type have its delivered events copied to further targets
 * (360dialog's multiple webhooks: a number's extra destinations get what its main webhook has
 * received with a 2xx). The statement runs in the transaction that records the delivered
 * outcomes (attempt-writer.ts): the copies exist exactly when the outcome does, so none is lost
 * across a crash and none is made for an event that was not delivered. Each copy is an event of
 * its own, delivered and retried on its own.
 */
export function registerCopyTargets(type: TargetType, statement: CopyStatement): void {
  copiers.set(type, statement);
}

export function copyStatementFor(type: string): CopyStatement | undefined {
  return copiers.get(type);
}
