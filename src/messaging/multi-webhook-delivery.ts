// What a number's extra webhook destinations (multi-webhook.ts) receive: a copy of every event
// its main webhook has received — inbound messages, statuses, template status updates — with
// exactly the body the main webhook got, each copy an outbox event of its own (target type
// channel_destination, target id the destination's id), delivered and retried on its own, so
// that a failing destination neither delays nor duplicates the others' copies.
//
// When: 360dialog documents that "extra webhooks will only get these notifications if the main
// destination (connected to the phone number) successfully receives them with 200 success code"
// (reference §4.5). So a copy is made once the main webhook has taken the event (a 2xx: the
// dispatcher's "delivered"; a 2xx other than 200 is not retried either, so it counts), in the
// transaction that records that delivery (webhooks/targets.ts registerCopyTargets). It follows:
// - a number without a main webhook URL sends its destinations nothing (no event is even
//   written then: channel-webhook.ts emitChannelEvent);
// - while the main webhook fails, its destinations wait; if it never takes the event (retries
//   run out), they never get it;
// - the switch and the list are read when the main webhook takes the event: destinations added
//   meanwhile get it, a switch turned off stops the copies not yet made;
// - a copy is only for a Cloud API number (360dialog documents multiple webhooks for those only):
//   a number hosted On-Premise gets none, even with a list stored from before.
// A copy not yet delivered ends at once, as failed, when its destination is removed, the switch is
// turned off, or the number is On-Premise (COPIES_GIVEN_UP): at the change (multi-webhook.ts), and
// else when it next comes due (destinationTarget).
// The send and status paths are untouched: a number without extra destinations costs one
// statement per batch of delivered outcomes (it finds nothing), none per status move.
import { sql } from 'kysely';
import { parseStoredHeaders, type CopyStatement, type TargetResolver } from '../webhooks/targets.ts';


/**
 * Why a copy not yet delivered is given up: it ends at once as `failed` (the final state of an
 * event the outbox gives up on; there is no other) with this as its last error, and, when the
 * dispatcher ends it, an attempt of outcome `no_endpoint` — the words of a channel's events whose
 * webhook URL is removed. Unlike those, which keep being retried until their horizon (the main
 * webhook is the number's own and its URL may be set again), the copies are not retried: a removed
 * destination is gone for good (its id is not reused).
 *
 * Nothing brings an ended copy back, as for the main webhook: setting its URL again sends what is
 * still pending but never an event that has ended (failed); only a replay of the event (POST
 * /api/v2/partners/{pid}/webhook_events/{id}/retry) does. So a destination added again under the
 * same name — a new destination, with a new id — gets no old copies, nor does a switch turned on
 * again; and a replayed copy of a removed destination ends again at once.
 */
export const COPIES_GIVEN_UP = {
  removed: "destination removed from this number's multiple webhooks (POST /multi_webhook): its copies are given up, not retried",
  disabled: 'multiple webhooks disabled for this number (POST /multi_webhook {"enabled":false}): copies not yet delivered are given up',
  onPremise: 'the number is hosted On-Premise, and multiple webhooks are for Cloud API numbers only: copies not yet delivered are given up',
} as const;

/**
 * Where a copy goes, read at delivery time (a destination's URL changed by PATCH, or by POST
 * keeping its name, applies to its pending retries), or why it is given up (COPIES_GIVEN_UP).
 */
export const destinationTarget: TargetResolver = async (deps, destinationId) => {
  const d = await deps.db.kysely
    .selectFrom('channel_webhook_destinations as d')
    .innerJoin('channels as c', 'c.id', 'd.channel_id')
    .leftJoin('channel_multi_webhooks as m', 'm.channel_id', 'd.channel_id')
    .leftJoin('channel_webhook_app_secrets as s', 's.channel_id', 'd.channel_id')
    .select(['d.url', 'd.headers', 'm.enabled', 'c.hosting_type', 's.app_secret'])
    .where('d.id', '=', destinationId)
    .executeTakeFirst();
  const giveUp = !d ? COPIES_GIVEN_UP.removed : d.hosting_type === 'onpremise' ? COPIES_GIVEN_UP.onPremise : d.enabled !== 1 ? COPIES_GIVEN_UP.disabled : undefined;
  if (giveUp) return { url: null, headers: {}, secret: null, sign360: false, giveUp };
  // Not signed, like the main webhook: custom headers (e.g. Authorization) authenticate them; with
  // the number's webhook app secret set, Meta's X-Hub-Signature-256 as on the main webhook.
  return { url: d!.url, headers: parseStoredHeaders(d!.headers), secret: null, sign360: false, hubSecret: d!.app_secret ?? null };
};

/**
 * Copies of the delivered channel events for the enabled destinations of their (Cloud API) channels: one
 * INSERT … SELECT for the batch. A copy's id is the event's id and the destination's, so an
 * event delivered again (a replay through the events API) is not copied twice.
 */
export const copiesForDestinations: CopyStatement = (kind, { ids, now, expiresAt }) => {
  const delivered = kind === 'sqlite' ? sql`e.id in (select value from json_each(${JSON.stringify(ids)}))` : sql`e.id = any(cast(${ids} as text[]))`;
  return sql`
    insert into webhook_events (id, partner_id, target_type, target_id, event_type, body, status, attempts, available_at, expires_at, created_at)
    select e.id || '.' || d.id, e.partner_id, 'channel_destination', d.id, e.event_type, e.body, 'pending', 0, ${now}, ${expiresAt}, ${now}
    from webhook_events e
    join channel_multi_webhooks m on m.channel_id = e.target_id and m.enabled = 1
    join channels c on c.id = e.target_id and c.hosting_type <> 'onpremise'
    join channel_webhook_destinations d on d.channel_id = e.target_id
    where ${delivered} and e.target_type = 'channel'
    on conflict (id) do nothing`;
};
