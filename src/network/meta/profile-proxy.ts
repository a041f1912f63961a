// The business profile and health of a number on Meta's network are Meta's: GET and POST
// /whatsapp_business_profile go to Meta's /{phone_number_id}/whatsapp_business_profile, GET
// /health_status to /{phone_number_id}?fields=health_status. (GET /v1/configs/phone_number stays
// local: the number is the channel's own, known here.)
import { invalidParameter } from '../../messaging/errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { isObj } from '../../messaging/validate/check.ts';
import { badAnswer } from './graph-errors.ts';

/**
 * Asked when the client names no fields: Meta then answers only a few (or none) of the profile's,
 * while our own route and the sandbox answer the whole profile, which is what clients that omit
 * `fields` expect.
 */
const ALL_FIELDS = 'about,address,description,email,profile_picture_url,websites,vertical';

/** GET /whatsapp_business_profile: Meta's `{data:[{…}]}` as Meta gave it. */
export async function metaBusinessProfile(api: MetaCloudApi, channel: ChannelRow, fields: string | undefined): Promise<GraphObject> {
  const b = await api.json(channel, 'GET', (c) => withQuery(`${c.phoneNumberId}/whatsapp_business_profile`, { fields: fields?.trim() || ALL_FIELDS }));
  if (!Array.isArray(b.data)) throw badAnswer('a business profile without data');
  return b;
}

/** POST /whatsapp_business_profile: the body as the client wrote it, Meta checks it. */
export async function updateMetaBusinessProfile(api: MetaCloudApi, channel: ChannelRow, body: unknown): Promise<{ success: boolean }> {
  if (!isObj(body)) throw invalidParameter('body: must be a JSON object');
  const b = await api.json(channel, 'POST', (c) => `${c.phoneNumberId}/whatsapp_business_profile`, { json: body });
  return { success: b.success !== false };
}

/** GET /health_status: Meta's `{health_status:{can_send_message, entities}, id}`. */
export async function metaHealthStatus(api: MetaCloudApi, channel: ChannelRow): Promise<GraphObject> {
  const b = await api.json(channel, 'GET', (c) => withQuery(c.phoneNumberId, { fields: 'health_status' }));
  if (!isObj(b.health_status)) throw badAnswer('no health_status');
  return b;
}

/** GET /{version}/{phone-number-id} on a Graph path: Meta's phone number node, as Meta gave it. */
export async function metaPhoneNumber(api: MetaCloudApi, channel: ChannelRow, fields: string | undefined): Promise<GraphObject> {
  const f = fields?.trim();
  return api.json(channel, 'GET', (c) => (f ? withQuery(c.phoneNumberId, { fields: f }) : c.phoneNumberId));
}

/** GET /phone_numbers (the Graph path /{version}/{waba-id}/phone_numbers): Meta's list of the WABA's numbers. */
export async function metaPhoneNumbers(api: MetaCloudApi, channel: ChannelRow, fields: string | undefined): Promise<GraphObject> {
  const f = fields?.trim();
  const b = await api.json(channel, 'GET', (c) => (f ? withQuery(`${c.wabaId}/phone_numbers`, { fields: f }) : `${c.wabaId}/phone_numbers`));
  if (!Array.isArray(b.data)) throw badAnswer('a phone number list without data');
  return b;
}

/** GET /{version}/{waba-id} on a Graph path: Meta's WhatsApp Business Account node, as Meta gave it. */
export async function metaWabaNode(api: MetaCloudApi, channel: ChannelRow, fields: string | undefined): Promise<GraphObject> {
  const f = fields?.trim();
  return api.json(channel, 'GET', (c) => (f ? withQuery(c.wabaId, { fields: f }) : c.wabaId));
}
