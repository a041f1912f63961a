// Message content retention (content-retention.ts) for the webhook outbox. An inbound message's
// webhook event carries what the user wrote (text, caption, location, contact cards, media id,
// button titles…) and the user's profile name, and is kept, readable and replayable through the
// events API, for OPENWABA_WEBHOOK_RETENTION_DAYS. So the hourly maintenance also removes the
// content from the message events older than OPENWABA_MESSAGE_CONTENT_RETENTION_DAYS, in place,
// keeping the envelope, so that the event still shows what it was:
//
//   {"object":"whatsapp_business_account","entry":[{"id":"<WABA>","changes":[{"field":"messages",
//    "value":{"messaging_product":"whatsapp","metadata":{…},"contacts":[{"profile":{},"wa_id":"4917…"}],
//    "messages":[{"from":"4917…","id":"wamid.…","timestamp":"…","type":"text",
//                 "removed":{"at":"2026-07-01T12:00:00.000Z","retention_days":30}}]}}]}]}
//
// (On-Premise: the same contacts and messages at the top level.) Each message becomes the marker
// the messages table uses (`{type, removed}`) with the message's ids beside it: from, id, timestamp
// and a reply's context {from, id} — ids stay, as the message row's wa_id and context_id do.
// Kept too: the business's own identifiers (WABA id, metadata's number and phone_number_id) and the
// contact's wa_id, the user's WhatsApp id: it is the identifier the whole record is keyed by (the
// message row's wa_id, the status events' recipient_id, `from` here), not something the user said,
// and without it the event no longer says whose message it was. So are the user's business-scoped
// ids (contacts' user_id and parent_user_id, messages' from_user_id and from_parent_user_id: the
// only ids of a user whose number Meta does not share, network/bsuid.ts). The profile name (and
// username) is what the user chose to be called: it goes, and `profile` stays as an empty object so that a receiver reading
// `contacts[0].profile.name` from a replay finds nothing rather than failing. Anything else (a
// referral's ad text, fields a future payload may add) goes too: what is kept is listed, not what
// is removed. A body of an unexpected shape becomes `{"removed":{…}}` as a whole.
//
// Only `message` events carry content. Status events carry ids, timestamps, conversation and
// pricing, and for a failed message an error's code, title and details — words of the platform,
// not of the user — so they stay, but for one thing: Meta's delivered and read statuses carry the
// recipient's contact with the profile they chose (name, username: network/bsuid.ts), which goes
// as a message event's does (removedStatusProfiles, a walk of its own over status events).
// Template status events and partner events are left as they are.
//
// Every message event is blanked once past the cutoff, whatever its delivery status. One still
// pending then is a replay (which gets a fresh retry horizon) or the retry of a receiver failing
// since before the cutoff, possible only when OPENWABA_WEBHOOK_RETRY_HORIZON (at most 7 days) is
// longer than the content retention (at least 1 day): the retention is a promise about what is
// stored, so its next attempt sends the blanked body. A delivery in flight at that moment sends the
// body it had read.
//
// Copies for a number's extra webhooks (multi-webhook-delivery.ts) carry the same body and are
// blanked with their event: they are made when the main webhook takes the event, later than it,
// and a copy's id is the event's id and its destination's, so the copies to the number's
// destinations are found by id in the same transaction. Every copy is also blanked on its own when
// it is older than the cutoff (this covers copies to destinations removed since). A copy made after
// its event was blanked is made from the blanked body.
import type { Deps } from '../deps.ts';
import { rewriteOldEventBodies, type BodyChange, type StoredEventBody } from '../webhooks/body-retention.ts';
import { removeResponseExcerptsBefore } from '../webhooks/excerpt-retention.ts';
import { REMOVAL_BATCH, removalOf, type ContentRemoval } from './content-retention.ts';

const DAY_MS = 86_400_000;

/** instance_settings key: message events created before this (ISO) have had their content removed. */
export const WEBHOOK_CONTENT_PROGRESS_KEY = 'webhook_message_content_removed_before';
/** instance_settings key: status events created before this (ISO) have had their contacts' profiles removed. */
export const WEBHOOK_STATUS_PROFILES_PROGRESS_KEY = 'webhook_status_profiles_removed_before';

type JsonObject = Record<string, unknown>;
const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The listed keys of o whose values are ids or times (strings or numbers), in that order. */
function idsOf(o: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  }
  return out;
}

function marker(removal: ContentRemoval) {
  return { at: removal.at, retention_days: removal.retentionDays };
}

function removedMessage(m: unknown, removal: ContentRemoval): JsonObject {
  if (!isObject(m)) return { removed: marker(removal) };
  if (removalOf(m)) return m; // removed before: keep when, and after how many days
  const out = idsOf(m, ['from', 'from_user_id', 'from_parent_user_id', 'id', 'timestamp', 'type']);
  if (isObject(m.context)) {
    const context = idsOf(m.context, ['from', 'id']);
    if (Object.keys(context).length > 0) out.context = context;
  }
  out.removed = marker(removal);
  return out;
}

function removedContact(c: unknown): JsonObject {
  return { profile: {}, ...(isObject(c) ? idsOf(c, ['wa_id', 'user_id', 'parent_user_id']) : {}) };
}

/** A Cloud `value` or an On-Premise body: what stays of its envelope, contacts and messages. */
function removedValue(v: JsonObject, removal: ContentRemoval): JsonObject {
  const out = idsOf(v, ['messaging_product']);
  if (isObject(v.metadata)) out.metadata = idsOf(v.metadata, ['display_phone_number', 'phone_number_id']);
  if (Array.isArray(v.contacts)) out.contacts = v.contacts.map(removedContact);
  if (Array.isArray(v.messages)) out.messages = v.messages.map((m) => removedMessage(m, removal));
  return out;
}

/**
 * The body of a message event without the messages' content (see the top of this file). A body
 * already without it comes back unchanged (the same text), so the removal can run again safely.
 */
export function removedEventBody(body: string, removal: ContentRemoval): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return JSON.stringify({ removed: marker(removal) });
  }
  if (!isObject(parsed)) return JSON.stringify({ removed: marker(removal) });
  if (removalOf(parsed)) return body; // removed as a whole before
  if (Array.isArray(parsed.entry)) {
    // Cloud API: Meta's whatsapp_business_account envelope.
    const out = {
      ...idsOf(parsed, ['object']),
      entry: parsed.entry.map((e) => {
        if (!isObject(e)) return {};
        return {
          ...idsOf(e, ['id']),
          ...(Array.isArray(e.changes)
            ? { changes: e.changes.map((c) => (isObject(c) ? { ...idsOf(c, ['field']), ...(isObject(c.value) ? { value: removedValue(c.value, removal) } : {}) } : {})) }
            : {}),
        };
      }),
    };
    return JSON.stringify(out);
  }
  // On-Premise: contacts and messages at the top level.
  if ('messages' in parsed || 'contacts' in parsed) return JSON.stringify(removedValue(parsed, removal));
  return JSON.stringify({ removed: marker(removal) });
}

/**
 * A status event's body without the profile (name, username) of the contacts it carries, Cloud
 * (`entry[].changes[].value.contacts`) or On-Premise (top-level `contacts`); `profile` stays as an
 * empty object, as in a blanked message event. Everything else is kept as written, and a body with
 * no profile to remove comes back as the same text (nothing to write).
 */
export function removedStatusProfiles(body: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  if (!isObject(parsed)) return body;
  let changed = false;
  const strip = (v: unknown) => {
    if (!isObject(v) || !Array.isArray(v.contacts)) return;
    for (const c of v.contacts) {
      if (isObject(c) && isObject(c.profile) && Object.keys(c.profile).length > 0) {
        c.profile = {};
        changed = true;
      }
    }
  };
  if (Array.isArray(parsed.entry)) {
    for (const e of parsed.entry) if (isObject(e) && Array.isArray(e.changes)) for (const c of e.changes) if (isObject(c)) strip(c.value);
  } else strip(parsed);
  return changed ? JSON.stringify(parsed) : body;
}

/** The changes for a batch of events: each event's rewritten body (`rewrite`), for it and its copies. */
async function changesFor(deps: Deps, events: StoredEventBody[], rewrite: (body: string) => string): Promise<BodyChange[]> {
  const changes: (BodyChange & { channelId?: string })[] = [];
  for (const e of events) {
    const to = rewrite(e.body);
    if (to !== e.body) changes.push({ ids: [e.id], from: e.body, to, ...(e.target_type === 'channel' ? { channelId: e.target_id } : {}) });
  }
  const channels = [...new Set(changes.flatMap((c) => (c.channelId ? [c.channelId] : [])))];
  if (channels.length === 0) return changes;
  const destinations = await deps.db.kysely.selectFrom('channel_webhook_destinations').select(['id', 'channel_id']).where('channel_id', 'in', channels).execute();
  if (destinations.length === 0) return changes;
  for (const c of changes) {
    if (!c.channelId) continue;
    // A copy's id: the event's, a dot, the destination's (multi-webhook-delivery.ts).
    for (const d of destinations) if (d.channel_id === c.channelId) c.ids.push(`${c.ids[0]}.${d.id}`);
  }
  return changes;
}

/**
 * Removes the content from every message event older than the content retention, and the profiles
 * from the status events as old, batch by batch (webhooks/body-retention.ts); returns how many
 * events (copies included) it changed.
 */
export async function removeOldWebhookContent(deps: Deps, batchSize = REMOVAL_BATCH): Promise<number> {
  const days = deps.config.messageContentRetentionDays;
  if (days === null) return 0;
  const now = deps.clock.now();
  const removal: ContentRemoval = { at: now.toISOString(), retentionDays: days };
  const before = new Date(now.getTime() - days * DAY_MS).toISOString();
  const changed = await rewriteOldEventBodies(deps, {
    eventType: 'message',
    before,
    progressKey: WEBHOOK_CONTENT_PROGRESS_KEY,
    batchSize,
    rewrite: (events) => changesFor(deps, events, (body) => removedEventBody(body, removal)),
  });
  const statuses = await rewriteOldEventBodies(deps, {
    eventType: 'status',
    before,
    progressKey: WEBHOOK_STATUS_PROFILES_PROGRESS_KEY,
    batchSize,
    rewrite: (events) => changesFor(deps, events, removedStatusProfiles),
  });
  // What receivers answered may echo what they were sent: it goes with the content.
  await removeResponseExcerptsBefore(deps, before, batchSize);
  return changed + statuses;
}
