// The changes of Meta's webhooks that openwaba passes on as they came (a number's calls and group
// fields, a WABA's template and account fields: inbound.ts), written down so that one is passed on
// once. Meta delivers a notification again when it did not get our 200 (say our 200 was lost after
// the commit), and keeps trying for up to 7 days ("The API will attempt to re-deliver failed
// webhooks for up to 7 days with exponential backoff", 360dialog's copy of Meta's webhook
// requirements, docs.360dialog.com/partner/messaging/receiving-messages-via-webhook); a retry
// carries the same body. Inbound messages need none of this (they are stored by Meta's wamid) and
// statuses only move messages forward; all but `played`, which is not stored and is written down
// here once per message (key: the channel, field `statuses`, value {id: wamid, status: played};
// early-statuses.ts withPlayedOnce).
//
// What identifies one change: where it goes (the channel, or the WABA whose channels get it), the
// entry's id and `time`, the field and the value as Meta sent it (its keys sorted, so that a
// re-serialisation in another key order is the same change). Meta's calls and group values carry
// their own ids and timestamps, template changes their template id and event, so two changes that
// differ differ there. Two genuinely different changes with identical bodies and the same entry
// time cannot be told from a retry and are passed on once: accepted, as nothing in Meta's body
// tells them apart.
//
// The row is inserted with ON CONFLICT DO NOTHING in the notification's transaction, before the
// webhook events are written: the change goes on only when the row is new. Of two deliveries of one
// notification at once (two instances), PostgreSQL makes the second insert wait for the first
// transaction and then do nothing (or insert, had the first rolled back); SQLite runs the two
// transactions one after the other. Rows go after 7 days (maintenance), when Meta retries no more.
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';

/** How long a change passed on is remembered: Meta's 7 days of retries. */
export const FORWARDED_CHANGE_MEMORY_MS = 7 * 86_400_000;

export interface ForwardedChange {
  /** Where it goes: a channel id, or `waba:` and Meta's WABA id for a WABA's channels. */
  target: string;
  /** The entry's id (Meta's WABA id) as Meta sent it, if it did. */
  entryId?: string;
  /** The entry's `time` (epoch seconds), if Meta gave one. */
  time?: number;
  change: { field: string; value: Record<string, unknown> };
}

/** Whether this change is passed on now (true: first seen; its row written in tx). */
export async function firstForwarding(deps: Deps, tx: Transaction<Database>, c: ForwardedChange): Promise<boolean> {
  const r = await tx
    .insertInto('meta_forwarded_changes')
    .values({ key: forwardedChangeKey(c), target: c.target, field: c.change.field, created_at: deps.clock.now().toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** sha256 (hex) of where the change goes and the change as Meta sent it. */
export function forwardedChangeKey(c: ForwardedChange): string {
  const parts = [c.target, c.entryId ?? null, c.time ?? null, c.change.field, canonicalJson(c.change.value)];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** JSON with every object's keys sorted (arrays keep their order). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Deletes the rows older than Meta's retries (maintenance). */
export async function pruneForwardedChanges(deps: Deps): Promise<void> {
  const before = new Date(deps.clock.now().getTime() - FORWARDED_CHANGE_MEMORY_MS).toISOString();
  await deps.db.kysely.deleteFrom('meta_forwarded_changes').where('created_at', '<', before).execute();
}
