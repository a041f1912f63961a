// POST /{version}/{phone-number-id} with fields other than webhook_configuration (graph-node.ts):
//
//   {"pin":"123456"}                 two-step verification: Meta's WhatsApp-Nodejs-SDK
//                                    `twoStepVerification.setPin` (POST /{phone-number-id}, body {pin})
//   {"new_display_name":"Acme"}      a display name change request: pywa api.py `update_display_name`
//                                    (POST /{phone_id}, {new_display_name, messaging_product})
//
// Both answer Graph's {"success":true}. On a sandbox number:
// - the PIN is kept as a salted SHA-256 hash only (pinHash; channel_two_step_pins, migration 0039),
//   not scrypt: the sandbox never compares a PIN, and a 32 MiB scrypt per POST let one key stall the
//   server (400 PIN posts at once held a partner login for 22 s); six digits fall to any hash
//   once the table leaks, so the hash only keeps the PIN out of the database in clear. The phone
//   number node's is_pin_enabled becomes true (Meta: "There is no endpoint to disable two-step
//   verification"). POST /register sets it too when none is set (Meta's register reference: the PIN
//   of a number without two-step verification becomes its PIN). The sandbox never compares a PIN:
//   register keeps taking any 6 digits, as it always has (routes/phone-settings.ts).
// - the requested name is kept (channel_name_requests) with new_name_status PENDING_REVIEW; the
//   sandbox's review approves it after OPENWABA_TEMPLATE_REVIEW_DELAY, as it reviews templates
//   (display-name-review.ts): verified_name becomes the new name, new_name_status APPROVED.
// A number on Meta's network passes the checked field to Meta (graph-node.ts). A body with
// webhook_configuration stays Meta's override (webhook-override.ts); one with none of the three is
// refused naming them all.
import type { Deps } from '../deps.ts';
import type { Executor } from '../db/index.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { ChannelRow } from '../services/channels.ts';
import { transact } from '../webhooks/outbox.ts';
import { scheduleNameReview } from './display-name-review.ts';
import { fail, oneOf, str, type Obj } from './validate/check.ts';

export type PhoneNumberUpdate = { pin: string } | { new_display_name: string };

/** The update a phone number node POST asks for, or undefined when it is the webhook override. */
export function parsePhoneNumberUpdate(p: Obj): PhoneNumberUpdate | undefined {
  if (p.webhook_configuration !== undefined) return undefined;
  if (p.messaging_product !== undefined) oneOf(p.messaging_product, 'messaging_product', ['whatsapp']);
  const hasPin = p.pin !== undefined;
  const hasName = p.new_display_name !== undefined;
  if (hasPin && hasName) throw fail('pin', 'cannot be combined with new_display_name: send one change at a time');
  if (hasPin) {
    const v = p.pin;
    const pin = typeof v === 'number' && Number.isInteger(v) && v >= 0 ? String(v) : str(v, 'pin', { max: 64 });
    if (!/^\d{6}$/.test(pin)) throw fail('pin', 'must be a 6-digit two-step verification PIN such as "123456"');
    return { pin };
  }
  if (hasName) {
    const name = str(p.new_display_name, 'new_display_name', { max: 512 }).trim();
    // WhatsApp display names are 3 to 512 characters (our bound: Meta's review judges the rest).
    if (name.length < 3) throw fail('new_display_name', 'must be at least 3 characters');
    return { new_display_name: name };
  }
  throw fail('webhook_configuration', 'is required (or pin for two-step verification, or new_display_name): none of them was given');
}

/** `<salt>:<sha256(salt + pin)>`, hex: a PIN kept out of the database in clear. */
function pinHash(pin: string): string {
  const salt = randomBytes(16).toString('hex');
  return `${salt}:${createHash('sha256').update(salt).update(pin).digest('hex')}`;
}

/**
 * Keeps a sandbox number's PIN (its hash; `onlyIfUnset`: the first register's PIN, never replacing
 * one set before).
 */
export async function setTwoStepPin(deps: Deps, ch: ChannelRow, pin: string, onlyIfUnset = false): Promise<void> {
  // Checked first so that a register after the PIN was set writes nothing.
  if (onlyIfUnset && (await isPinEnabled(deps.db.kysely, ch.id))) return;
  const row = { channel_id: ch.id, pin_hash: pinHash(pin), modified_at: deps.clock.now().toISOString() };
  await deps.db.kysely
    .insertInto('channel_two_step_pins')
    .values(row)
    .onConflict((oc) => (onlyIfUnset ? oc.column('channel_id').doNothing() : oc.column('channel_id').doUpdateSet({ pin_hash: row.pin_hash, modified_at: row.modified_at })))
    .execute();
}

/** Whether the number has a two-step PIN (the phone number node's is_pin_enabled). */
export async function isPinEnabled(db: Executor, channelId: string): Promise<boolean> {
  return !!(await db.selectFrom('channel_two_step_pins').select('channel_id').where('channel_id', '=', channelId).executeTakeFirst());
}

/** The number's latest display name request (new name, PENDING_REVIEW | APPROVED | DECLINED, when asked), or undefined when none was made. */
export async function readNameRequest(db: Executor, channelId: string): Promise<{ new_display_name: string; status: string; requested_at: string } | undefined> {
  return db.selectFrom('channel_name_requests').select(['new_display_name', 'status', 'requested_at']).where('channel_id', '=', channelId).executeTakeFirst();
}

/** A sandbox number's update: stored, and a name request scheduled for review, in one transaction. */
export async function applyPhoneNumberUpdate(deps: Deps, ch: ChannelRow, update: PhoneNumberUpdate): Promise<void> {
  if ('pin' in update) return setTwoStepPin(deps, ch, update.pin);
  const now = deps.clock.now().toISOString();
  await transact(deps, async (tx) => {
    // A new request replaces the last one (approved or pending): Meta reviews the latest name asked for.
    const row = { channel_id: ch.id, new_display_name: update.new_display_name, status: 'PENDING_REVIEW', requested_at: now, decided_at: null };
    await tx
      .insertInto('channel_name_requests')
      .values(row)
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ new_display_name: row.new_display_name, status: row.status, requested_at: now, decided_at: null }))
      .execute();
    await scheduleNameReview(deps, tx, ch.id, now);
  });
}
