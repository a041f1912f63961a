// Before a number is attached, Meta is asked about it with the credentials given
// (`GET {graph}/{version}/{phone_number_id}?fields=display_phone_number,verified_name,
// quality_rating,messaging_limit_tier`): a wrong id or a token without access fails here, with
// Meta's reason, instead of at the first send; and the channel gets the number's real phone
// number, verified name, quality rating and messaging limit (its webhooks' display_phone_number,
// the Partner API's setup_info and current_limit), not the sandbox's. The app is then subscribed
// to the WABA's webhooks (subscribed_apps), without which no message or status would come back.
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { GraphClient, type GraphBody } from './graph-client.ts';
import { withQuery } from './cloud-api.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { attachMetaChannel, checkAttachable, checkMetaInput, META_ENUM, type MetaCredentialsInput, type MetaNumberFacts } from './channels.ts';
import { isObj } from '../../messaging/validate/check.ts';

const FIELDS = 'display_phone_number,verified_name,quality_rating,messaging_limit_tier';

/**
 * One request of the attach's checks, its JSON object: Meta unreachable (or no Graph answer) → 502,
 * Meta's refusal (a wrong id, a token without access) → 400 with Meta's words, the operator's to fix;
 * `asking` says what was asked, `refused` what a refusal means. Nothing is attached on either.
 */
export async function ask(graph: GraphClient, method: 'GET' | 'POST', path: string, token: string, asking: string, refused: string, body?: GraphBody): Promise<Record<string, unknown>> {
  let answer;
  try {
    answer = await graph.call(method, path, token, body);
  } catch (err) {
    const why = err instanceof ApiError ? err.message : 'no answer';
    throw new ApiError(502, `Meta could not be asked ${asking}: ${why}`);
  }
  const b = answer.body;
  if (answer.status >= 300) {
    const e = isObj(b) && isObj(b.error) ? b.error : undefined;
    const what = e && typeof e.message === 'string' ? e.message.slice(0, 300) : `HTTP ${answer.status}`;
    throw new ApiError(answer.status >= 500 ? 502 : 400, `${refused}: ${what}`);
  }
  if (!isObj(b)) throw new ApiError(502, `Meta answered ${asking} without a JSON object`);
  return b;
}

export async function checkMetaNumber(deps: Deps, input: MetaCredentialsInput): Promise<MetaNumberFacts> {
  const graph = new GraphClient(deps.config);
  try {
    const facts = await readNumberFacts(graph, input);
    await checkWabaHasNumber(graph, input);
    await subscribeApp(graph, input);
    return facts;
  } finally {
    await graph.close();
  }
}

/** What Meta says of the number (read only: nothing changes at Meta), as the channel takes it. */
export async function readNumberFacts(graph: GraphClient, input: MetaCredentialsInput): Promise<MetaNumberFacts> {
  const b = await ask(graph, 'GET', withQuery(input.phoneNumberId, { fields: FIELDS }), input.accessToken, `about phone_number_id ${input.phoneNumberId}`, `Meta refused these credentials for phone_number_id ${input.phoneNumberId}`);
  if (b.id !== undefined && String(b.id) !== input.phoneNumberId) throw new ApiError(502, `Meta answered about another number (${String(b.id).slice(0, 40)})`);
  const facts: MetaNumberFacts = {};
  const digits = typeof b.display_phone_number === 'string' ? b.display_phone_number.replace(/\D/g, '') : '';
  if (/^\d{6,15}$/.test(digits)) facts.phoneNumber = digits;
  if (typeof b.verified_name === 'string' && b.verified_name.trim() && b.verified_name.length <= 200 && !b.verified_name.includes('\u0000')) facts.verifiedName = b.verified_name.trim();
  if (typeof b.quality_rating === 'string' && META_ENUM.test(b.quality_rating)) facts.qualityRating = b.quality_rating;
  if (typeof b.messaging_limit_tier === 'string' && META_ENUM.test(b.messaging_limit_tier)) facts.limitTier = b.messaging_limit_tier;
  return facts;
}

/** Pages of a WABA's numbers read at most (100 a page): a WABA has a handful, Meta allows a few dozen. */
const MAX_NUMBER_PAGES = 20;

/**
 * The number must be one of the WABA's (`GET {waba_id}/phone_numbers`): a WABA id mistyped to a
 * sibling the token also manages would otherwise be subscribed instead of the number's own, and
 * the number would send but never hear back.
 */
async function checkWabaHasNumber(graph: GraphClient, input: MetaCredentialsInput): Promise<void> {
  let after: string | undefined;
  for (let page = 0; page < MAX_NUMBER_PAGES; page++) {
    const b = await ask(graph, 'GET', withQuery(`${input.wabaId}/phone_numbers`, { fields: 'id', limit: '100', after }), input.accessToken, `for WABA ${input.wabaId}'s numbers`, `Meta refused to list WABA ${input.wabaId}'s numbers`);
    const data = Array.isArray(b.data) ? b.data : [];
    if (data.some((n) => isObj(n) && String(n.id) === input.phoneNumberId)) return;
    const paging = isObj(b.paging) ? b.paging : undefined;
    const cursor = paging && isObj(paging.cursors) && typeof paging.cursors.after === 'string' ? paging.cursors.after : undefined;
    if (!paging?.next || !cursor) break;
    after = cursor;
  }
  throw new ApiError(400, `phone_number_id ${input.phoneNumberId} is not a number of WABA ${input.wabaId} (as Meta lists them)`);
}

/**
 * Meta sends a WABA's webhooks (its numbers' messages and statuses) only to apps subscribed to
 * it: `POST {waba_id}/subscribed_apps` subscribes the app whose token this is (idempotent). Without
 * it the number sends but never hears back, which is easy to miss; a refusal stops the attach.
 */
async function subscribeApp(graph: GraphClient, input: MetaCredentialsInput): Promise<void> {
  await ask(graph, 'POST', `${input.wabaId}/subscribed_apps`, input.accessToken, `to send WABA ${input.wabaId}'s webhooks to this app`, `Meta refused to send WABA ${input.wabaId}'s webhooks to this app (POST subscribed_apps)`);
}

/**
 * Attaches a channel to Meta (the admin API and the CLI): the input's own refusals first, then,
 * unless verify is false, Meta's word on the number, then the attach with what Meta said.
 */
export async function attachVerified(deps: Deps, channelId: string, input: MetaCredentialsInput, verify: boolean): Promise<ChannelRow> {
  checkMetaInput(deps, input);
  // Our own refusals before anything is asked of Meta (subscribed_apps changes Meta's side); the
  // attach checks them again in its transaction.
  await checkAttachable(deps, channelId, input.phoneNumberId);
  const facts = verify ? await checkMetaNumber(deps, input) : {};
  return attachMetaChannel(deps, channelId, input, deps.db.kysely, facts);
}
