// The WhatsApp Business Calling API (messaging/call-lifecycle.ts and its siblings), at 360dialog's paths and at Meta's
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
//
// The sandbox's simulated user's side of a call (an openwaba extension, sandbox numbers only):
//
//   POST /sandbox/v1/calls/{call_id}/accept      the user picks up a business call that rings
//   POST /sandbox/v1/calls/{call_id}/terminate   the user hangs up (declines a business call that rings)
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { fail, isObj, onlyKeys, recipient } from '../validate/check.ts';
import { assertSandboxChannel } from '../inbound.ts';
import { assertCloudChannel, parseCallingSettings, readCallingSettings, updateCallingSettings } from '../calling-settings.ts';
import { parseCallRequest } from '../call-request.ts';
import { handleCallRequest } from '../business-calls.ts';
import { userAcceptsCall, userEndsCall } from '../sandbox-user-calls.ts';
import { permissionState } from '../call-permission-state.ts';
import { refuseOverCallLimit } from '../call-limits.ts';

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
    if (ch.network === 'meta') {
      // The number's calls recorded from Meta's webhooks (network/meta/call-records.ts) count toward
      // the 24-hour limit: past it, refused here with Meta's own 138012, as Meta would.
      if (r.action === 'connect') await refuseOverCallLimit(deps.db.kysely, ch.id, r.to!, deps.clock.now());
      return meta.json(ch, 'POST', (c) => `${c.phoneNumberId}/calls`, { json: { messaging_product: 'whatsapp', ...r } });
    }
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
      'Sandbox: the user answers a business call after OPENWABA_SANDBOX_CALL_ANSWER, 1 s by default (statuses RINGING, ACCEPTED; REJECTED when set to decline, unreachable or blocking); ' +
      'a call nobody answers ends after 60 s (a terminate webhook with status FAILED).',
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

  // The simulated user's side (sandbox numbers only; a body, if any, must be an empty object).
  const userAction = (act: typeof userAcceptsCall) => async (request: FastifyRequest) => {
    const ch = request.channel!;
    assertSandboxChannel(ch);
    assertCloudChannel(ch);
    const b = request.body;
    if (b !== undefined && b !== null && b !== '') {
      if (!isObj(b)) throw fail('body', 'must be empty or a JSON object');
      onlyKeys(b, 'body', []);
    }
    const r = await act(deps, ch, (request.params as { call_id: string }).call_id);
    return { success: true as const, call: r };
  };
  const sandboxDoc = (summary: string, description: string) => ({
    tags: ['Sandbox (extension)'],
    security,
    summary,
    description,
    params: Type.Object({ call_id: Type.String({ minLength: 1, maxLength: 256 }) }),
    body: Type.Unknown(),
    response: {
      200: Type.Object({
        success: Type.Literal(true),
        call: Type.Object({ id: Type.String(), outcome: Type.Union([Type.Literal('accepted'), Type.Literal('completed'), Type.Literal('rejected'), Type.Literal('cancelled')]) }),
      }),
    },
  });
  app.post(
    '/sandbox/v1/calls/:call_id/accept',
    {
      config,
      bodyLimit: 1024,
      schema: sandboxDoc(
        "The simulated user picks up a business call that rings",
        'The business gets the connect webhook with the user\'s SDP answer, then status ACCEPTED (as when the sandbox answers by itself after OPENWABA_SANDBOX_CALL_ANSWER). ' +
          'Refused (400) for a call that no longer rings, or that the user made.',
      ),
    },
    (request) => userAction(userAcceptsCall)(request),
  );
  app.post(
    '/sandbox/v1/calls/:call_id/terminate',
    {
      config,
      bodyLimit: 1024,
      schema: sandboxDoc(
        'The simulated user hangs up (or declines a business call that rings)',
        'A connected call: a terminate webhook with status COMPLETED, start_time, end_time and duration (outcome completed). ' +
          'A business call still ringing: status REJECTED, then a terminate webhook with status FAILED (outcome rejected). ' +
          "The user's own call not yet answered: a terminate webhook with status FAILED (outcome cancelled). Refused (400) for a call that has ended.",
      ),
    },
    (request) => userAction(userEndsCall)(request),
  );
};
