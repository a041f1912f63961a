// The WhatsApp Business Calling API (messaging/calling.ts), at 360dialog's paths and at Meta's
// (the Graph rewrite serves /{version}/{phone-number-id}/settings, /calls and /call_permissions at
// the root; graph-paths.ts):
//
//   GET  /calling/settings  | /settings                      {"calling":{status, call_icon_visibility, call_hours, callback_permission_status, sip}}
//   POST /calling/settings  | /settings                      {"calling":{…}} → {"success":true}
//   POST /calling/calls     | /calls                         {messaging_product, to, action, call_id?, session?, biz_opaque_callback_data?}
//   GET  /calling/permissions/{wa_id} | /call_permissions?user_wa_id=   {messaging_product, permission, actions}
//
// On-Premise numbers are refused (the On-Premise API has no calling). A number on Meta's network
// asks Meta (the checked body goes to Meta's own path; Meta's answer or error comes back).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { recipient } from '../validate/check.ts';
import { assertCloudChannel, handleCallRequest, parseCallRequest, parseCallingSettings, permissionState, readCallingSettings, updateCallingSettings } from '../calling.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Calling'];
const config = { flavour: 'cloud' as const };
const BODY_LIMIT = 160 * 1024;

export const callingRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  const getSettings = async (request: FastifyRequest) => {
    const ch = request.channel!;
    assertCloudChannel(ch);
    if (ch.network === 'meta') return meta.json(ch, 'GET', (c) => `${c.phoneNumberId}/settings`);
    return { calling: await readCallingSettings(deps.db.kysely, ch.id) };
  };
  const postSettings = async (request: FastifyRequest) => {
    const ch = request.channel!;
    assertCloudChannel(ch);
    const change = parseCallingSettings(request.body);
    if (ch.network === 'meta') {
      const b = await meta.json(ch, 'POST', (c) => `${c.phoneNumberId}/settings`, { json: { calling: change } });
      return { success: b.success !== false };
    }
    await updateCallingSettings(deps, ch.id, change);
    return { success: true };
  };
  const postCall = async (request: FastifyRequest) => {
    const ch = request.channel!;
    assertCloudChannel(ch);
    const r = parseCallRequest(request.body);
    if (ch.network === 'meta') return meta.json(ch, 'POST', (c) => `${c.phoneNumberId}/calls`, { json: { messaging_product: 'whatsapp', ...r } });
    return handleCallRequest(deps, ch, r);
  };
  const getPermission = async (request: FastifyRequest, waIdValue: unknown, field: string) => {
    const ch = request.channel!;
    assertCloudChannel(ch);
    const waId = recipient(waIdValue, field);
    if (ch.network === 'meta') return meta.json(ch, 'GET', (c) => withQuery(`${c.phoneNumberId}/call_permissions`, { user_wa_id: waId }));
    return permissionState(deps, ch, waId);
  };

  const settingsDoc = {
    get: { tags, security, summary: "The number's Calling API settings ({\"calling\":{status, call_icon_visibility, call_hours, callback_permission_status, sip}})" },
    post: {
      tags,
      security,
      summary: 'Configure calling: {"calling":{"status":"ENABLED"|"DISABLED", call_icon_visibility, call_hours, callback_permission_status, sip}} → {"success":true}',
      description: 'Only the parts named change; each replaces what was stored. Calls need status ENABLED and SIP DISABLED.',
      body: Type.Unknown(),
    },
  };
  const callsDoc = {
    tags,
    security,
    summary: 'Start (connect), answer (pre_accept, accept), reject or end (terminate) a call',
    description:
      'connect: {messaging_product:"whatsapp", to, action:"connect", session:{sdp_type:"offer", sdp}} → {messaging_product, calls:[{id}]} (the user must have granted call permission: else 138006). ' +
      'pre_accept/accept {call_id, session:{sdp_type:"answer", sdp}}, reject/terminate {call_id} → {success:true}. ' +
      'Sandbox: the user answers a business call after about a second (statuses RINGING, ACCEPTED; REJECTED when unreachable or blocking).',
    body: Type.Unknown(),
  };
  const permissionsDoc = { tags, security, summary: 'Whether the business may call a user, and its call and permission request limits' };

  for (const prefix of ['/calling/settings', '/settings']) {
    app.get(prefix, { config, schema: settingsDoc.get }, (request) => getSettings(request));
    app.post(prefix, { config, bodyLimit: BODY_LIMIT, schema: settingsDoc.post }, (request) => postSettings(request));
  }
  for (const path of ['/calling/calls', '/calls']) app.post(path, { config, bodyLimit: BODY_LIMIT, schema: callsDoc }, (request) => postCall(request));
  app.get(
    '/calling/permissions/:wa_id',
    { config, schema: { ...permissionsDoc, params: Type.Object({ wa_id: Type.String({ maxLength: 64 }) }) } },
    (request) => getPermission(request, (request.params as { wa_id: string }).wa_id, 'wa_id'),
  );
  app.get(
    '/call_permissions',
    { config, schema: { ...permissionsDoc, summary: `${permissionsDoc.summary} (Meta's path: ?user_wa_id=)`, querystring: Type.Object({ user_wa_id: Type.Optional(Type.String({ maxLength: 64 })) }) } },
    (request) => getPermission(request, (request.query as { user_wa_id?: string }).user_wa_id, 'user_wa_id'),
  );
};
