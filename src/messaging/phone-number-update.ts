// POST /{version}/{phone-number-id} with fields other than webhook_configuration (graph-node.ts):
//
//   {"pin":"123456"}                 two-step verification: Meta's WhatsApp-Nodejs-SDK
//                                    `twoStepVerification.setPin` (POST /{phone-number-id}, body {pin})
//   {"new_display_name":"Acme"}      a display name change request: pywa api.py `update_display_name`
//                                    (POST /{phone_id}, {new_display_name, messaging_product})
//
// Both answer Graph's {"success":true}. On a sandbox number nothing is stored: the sandbox keeps no
// two-step PIN (register takes any 6 digits, routes/phone-settings.ts), and the phone number node has
// no new_display_name / name_status field to show a request in (phone-number-node.ts); a real display
// name change is the Partner API's and Meta's review's. A number on Meta's network passes the
// checked field to Meta (graph-node.ts). A body with webhook_configuration stays Meta's override
// (webhook-override.ts); one with none of the three is refused naming them all.
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
