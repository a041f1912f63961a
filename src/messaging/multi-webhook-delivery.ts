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
//   meanwhile get it, a switch turned off stops the copies not yet made (those made are delivered).
// The send and status paths are untouched: a number without extra destinations costs one
// statement per batch of delivered outcomes (it finds nothing), none per status move.
import { sql } from 'kysely';
import { parseStoredHeaders, type CopyStatement, type TargetResolver } from '../webhooks/targets.ts';


/**
 * Where a copy goes, read at delivery time (a destination's URL changed by PATCH, or by POST
 * keeping its name, applies to its pending retries). A destination removed since has no target:
 * its pending copies end as "no_endpoint", as a channel's events do when its URL is removed.
 */
export const destinationTarget: TargetResolver = async (deps, destinationId) => {
  const d = await deps.db.kysely.selectFrom('channel_webhook_destinations').select(['url', 'headers']).where('id', '=', destinationId).executeTakeFirst();
  if (!d) return undefined;
  // Not signed, like the main webhook: custom headers (e.g. Authorization) authenticate them.
  return { url: d.url, headers: parseStoredHeaders(d.headers), secret: null, sign360: false };
};

/**
 * Copies of the delivered channel events for the enabled destinations of their channels: one
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
    join channel_webhook_destinations d on d.channel_id = e.target_id
    where ${delivered} and e.target_type = 'channel'
    on conflict (id) do nothing`;
};
