// Which templates may go to a business-scoped user id (BSUID). Meta refuses an
// AUTHENTICATION-category template addressed by BSUID (Cloud `recipient`, or the BSUID an
// On-Premise `to` takes back from its webhooks): one-time passwords go to phone numbers only.
// Sources (stored copies): Meta's "Business-scoped user IDs" page, "Error codes" under "Messages":
// "Adding new error code response to the Messages API. Error code — 131062; Details —
// Business-scoped User ID (BSUID) recipients are not supported for this message."; Meta's
// Marketing Messages page gives the whole answer, an error response, not a failed status:
// `{"error":{"message":"(#131062) Business-scoped User ID (BSUID) recipients are not supported for
// this message.","type":"OAuthException","code":131062,…}}`, returned when "an authentication
// template is sent to a BSUID recipient"; dualhook.com/docs/contacts-bsuid-api-changes ("One-tap,
// zero-tap, and copy-code authentication templates still require phone numbers", which are all
// the OTP buttons an authentication template can have); Meta's Direct Send notes, as quoted by
// integrators: "Authentication-category messages can't be sent to a business-scoped user ID —
// use `to` with a phone number". Meta gives no HTTP status for it: 400, as for its other
// refusals of a message's content. A send with both `to` and `recipient` goes to the number
// (`to` wins): it is not a send to a BSUID and is not refused.
import { metaError } from '../errors.ts';

export const BSUID_RECIPIENT_NOT_SUPPORTED = 131062;
const TITLE = 'Business-scoped User ID (BSUID) recipients are not supported for this message.';

/**
 * Refuses a template of this (lower-case) category addressed to the BSUID `userId`
 * (undefined: the send is to a phone number, which takes every template).
 */
export function checkTemplateRecipient(category: string, name: string, userId: string | undefined): void {
  if (userId === undefined || category !== 'authentication') return;
  throw metaError(
    400,
    BSUID_RECIPIENT_NOT_SUPPORTED,
    TITLE,
    `template ${name} is an authentication template, which cannot be sent to a business-scoped user ID (${userId}); send it to the user's phone number (to)`,
  );
}
