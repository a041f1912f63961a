// A 360dialog-specific Partner API client against openwaba: WABA360Dialog.NET's partner client
// (C#, NuGet WABA360Dialog.NET), the only public client that covers the Partner API end to end.
// .NET cannot run here, so each request below is the one the client builds, and each answer is
// checked as its Newtonsoft.Json models read it (see `newtonsoft` below).
//
// Files read (repository yuenkik6/WABA360Dialog.NET in the code index):
//   WABA360Dialog.NET/WABA360DialogPartnerClient.cs (commit 4b85f6c1: BasePath
//     https://hub.360dialog.io/api/v2/, MakeHttpRequestAsync — Authorization: Bearer <token>, the
//     query built by HttpUtility.ParseQueryString without null values, a JSON body on every
//     non-GET, TryDeserializeJson of the answer whatever its status, a 401 re-authorizes with the
//     username/password and retries, else response.Meta.DeveloperMessage; other errors take
//     response?.ErrorDescription; an answer that does not deserialize is "360Dialog API Error
//     Occured."; MakeHttpNoTokenRequestAsync for POST token: response.Error/ErrorDescription),
//   PartnerClient/Payloads/Base/PartnerApiRequestBase.cs and PartnerApiResponseBase.cs (the body is
//     the request object serialized, Content-Type application/json; meta, error, error_description),
//   Common/Helpers/JsonHelper.cs (SnakeCase, nulls included unless a class ignores them),
//   Common/Converters/Base/EnumConverter.cs (every enum reads JToken.Value<string>() and looks it
//     up in a dictionary: an unknown string is the enum's 0, a null throws),
//   PartnerClient/Payloads/TokenRequest.cs, GetPartnerPublicData.cs, PatchPartnerPublicData.cs,
//     GetPartnerWebhookUrl.cs, SetPartnerWebhookUrl.cs, GetPartnerClients.cs, UpdateClient.cs
//     (3b3e5b40), GetPartnerChannels.cs (13213de8), CreateApiKeyByChannel.cs, GetApiKeyByChannel.cs,
//     DeleteApiKeyByChannel.cs, GetClientBalance.cs (53b2347d), GetPartnerWhatsAppBusinessApiTemplates.cs,
//     CreatePartnerWhatsAppBusinessApiTemplate.cs (2167de87), RemovePartnerWhatsAppBusinessApiTemplate.cs,
//     SetCancellationRequestOnChannel.cs (795e2b54),
//   PartnerClient/Payloads/Models/PartnerChannel.cs, Client.cs, SetupInfo.cs, Integration.cs,
//     WhatsAppBusinessApiAccount.cs, WhatsAppBusinessApiClient.cs, ChannelApiKey.cs,
//     PartnerWhatsAppBusinessApiTemplate.cs, WABA360DialogPartnerWebhookPayload.cs,
//   PartnerClient/Converters/*.cs (AccountMode sandbox|live, PartnerChannelStatus, ClientStatus
//     unknown|active, FacebookAccountStatus, TemplateStatus lower-case, the webhook events
//     channel_submitted|channel_live|cancellation_request|cancellation_revoke|cancellation_processed),
//   ApiClient/Payloads/Models/MessageObjects/TemplateObjects/CreateTemplateObject.cs (TemplateComponentObject).
//
// What the client does that openwaba does not follow, on purpose (each is asserted below):
// - Its list filters are classes with non-nullable enum properties, so a filter object always
//   carries them: GetPartnerChannelsFilter { Id = x } goes out as
//   {"id":x,"account_mode":"unknown","status":"unknown"}. openwaba matches filters by equality
//   (reference §1.2), so such a filter finds nothing; callers set the enums too.
// - CreatePartnerWhatsAppBusinessApiTemplateAsync takes ONE TemplateComponentObject and sends
//   "components": {…} (an object): refused with a Partner API error naming components.
// - SetCancellationRequestOnChannelResponse has a non-nullable DateTime terminated_at: a channel
//   not yet terminated answers null there (as every channel object does), which that model cannot read.
// - TemplateStatus is lower-case in the client; openwaba shows Meta's upper case (templates/store.ts),
//   which the client reads as TemplateStatus.unknown (it does not throw).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplayApp } from './helpers/client-replay.ts';
import { describeEachDb } from './helpers/db.ts';
import type { HttpResponse, TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';
import type { BootstrapResult } from '../src/services/bootstrap.ts';

/** Newtonsoft's view of a JSON value for one property of a model. */
type Kind = 'string' | 'bool' | 'int' | 'decimal' | 'datetime' | 'datetime?' | 'enum' | 'object' | 'array';
interface Model {
  [property: string]: Kind | Model | [Model];
}

/**
 * JsonConvert.DeserializeObject<T> as far as the model's properties go: a non-nullable value
 * type (bool, int, decimal, DateTime) cannot take null, an enum's converter throws on null, a
 * DateTime must parse, a string property takes a string or null, a nested class an object or
 * null. A property the JSON lacks keeps its default. Returns the failures (empty = it deserializes).
 */
function newtonsoft(value: unknown, model: Model, path = '$'): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object, got ${JSON.stringify(value)}`];
  const o = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [k, kind] of Object.entries(model)) {
    const v = o[k];
    const at = `${path}.${k}`;
    if (v === undefined) continue;
    if (Array.isArray(kind)) {
      if (v === null) continue;
      if (!Array.isArray(v)) problems.push(`${at}: expected an array`);
      else v.forEach((x, i) => problems.push(...newtonsoft(x, kind[0]!, `${at}[${i}]`)));
      continue;
    }
    if (typeof kind === 'object') {
      problems.push(...newtonsoft(v, kind, at));
      continue;
    }
    switch (kind) {
      case 'string':
        if (v !== null && typeof v === 'object') problems.push(`${at}: a string property got ${JSON.stringify(v)}`);
        break;
      case 'bool':
        if (typeof v !== 'boolean') problems.push(`${at}: bool got ${JSON.stringify(v)}`);
        break;
      case 'int':
        if (!Number.isInteger(typeof v === 'string' ? Number(v) : v)) problems.push(`${at}: int got ${JSON.stringify(v)}`);
        break;
      case 'decimal':
        if (!Number.isFinite(typeof v === 'string' ? Number(v) : v)) problems.push(`${at}: decimal got ${JSON.stringify(v)}`);
        break;
      case 'datetime':
      case 'datetime?':
        if (v === null && kind === 'datetime?') break;
        if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) problems.push(`${at}: DateTime got ${JSON.stringify(v)}`);
        break;
      case 'enum':
        if (typeof v !== 'string' && typeof v !== 'number') problems.push(`${at}: the enum converter got ${JSON.stringify(v)}`);
        break;
      case 'object':
        if (v !== null && typeof v !== 'object') problems.push(`${at}: object got ${JSON.stringify(v)}`);
        break;
      case 'array':
        if (v !== null && !Array.isArray(v)) problems.push(`${at}: array got ${JSON.stringify(v)}`);
        break;
    }
  }
  return problems;
}

const BASE: Model = { meta: { success: 'bool', http_code: 'int', developer_message: 'string' }, error: 'string', error_description: 'string' };
const PARTNER: Model = { ...BASE, brand_name: 'string', id: 'string', logo_url: 'string', onboarding_deeplink_add_params: 'bool', partner_redirect_url: 'string', payment_plan: 'object', payment_required: 'bool', webhook_url: 'string' };
const CONTACT_INFO: Model = {};
const CLIENT: Model = { id: 'string', name: 'string', status: 'enum', max_channels: 'int', organisation: 'string', meta_info: 'object', contact_info: 'object', contact_user: 'object', partner_payload: 'string', created_at: 'datetime', created_by: 'object', modified_at: 'datetime', modified_by: 'object' };
const CHANNEL: Model = {
  id: 'string',
  client_id: 'string',
  account_mode: 'enum',
  billing_started_at: 'datetime?',
  terminated_at: 'datetime?',
  status: 'enum',
  client: { id: 'string', name: 'string', partner_payload: 'string', contact_info: CONTACT_INFO },
  setup_info: { phone_number: 'string', phone_name: 'string', was_in_use: 'bool', ivr: 'bool', verification_method: 'enum', certificate: 'string', new_name_status: 'string', default_language: 'string', has_integration_layer: 'bool', error: 'string', configuration_type: 'string', region: 'string', shards_number: 'int' },
  waba_account: { id: 'string', fb_account_status: 'enum', on_behalf_of_business_info: 'object' },
  integration: { enabled: 'bool', app_id: 'string', state: 'string' },
};
const LIST: Model = { ...BASE, count: 'int', filters: 'object', sort: 'array', limit: 'int', offset: 'int', total: 'int' };
const TEMPLATE: Model = {
  id: 'string',
  partner_id: 'string',
  waba_account_id: 'string',
  name: 'string',
  status: 'enum',
  language: 'enum',
  category: 'enum',
  components: [{ type: 'enum', format: 'string', text: 'string', example: 'object', buttons: [{ type: 'enum', url: 'string', text: 'string', example: 'object', phone_number: 'string' }] }],
  rejected_reason: 'string',
  namespace: 'string',
  created_at: 'datetime',
  created_by: 'object',
  modified_at: 'datetime',
  modified_by: 'object',
};

describeEachDb('client: WABA360Dialog.NET partner client against the Partner API', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  /** WABA360DialogPartnerClient._accessToken, from AuthorizeClient. */
  let token: string;

  /**
   * MakeHttpRequestAsync: the query (null values left out, ParseQueryString's encoding), the
   * request object as JSON on every non-GET, Authorization: Bearer. Returns the answer and the
   * client's outcome: the deserialized response, or the exception it throws.
   */
  async function call(method: string, path: string, opts: { query?: Record<string, string | null>; body?: Record<string, unknown>; model: Model; bearer?: string }) {
    const query: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== null) query[k] = v;
    // MakeHttpNoTokenRequestAsync (POST token, bearer '') sends no Authorization header.
    const headers: Record<string, string> = opts.bearer === '' ? {} : { authorization: `Bearer ${opts.bearer ?? token}` };
    if (method !== 'GET') headers['content-type'] = 'application/json';
    const res = await t.request(method, `/api/v2/${path}`, { headers, query, ...(method !== 'GET' ? { raw: JSON.stringify(opts.body ?? {}) } : {}) });
    const problems = typeof res.body === 'object' && res.body !== null ? newtonsoft(res.body, opts.model) : ['not JSON'];
    return { res, problems };
  }
  /** The call succeeds in the client: a 2xx that deserializes into its model. */
  function ok(r: { res: HttpResponse; problems: string[] }) {
    expect(r.res.status, r.res.text).toBeGreaterThanOrEqual(200);
    expect(r.res.status, r.res.text).toBeLessThan(300);
    expect(r.problems, JSON.stringify(r.res.body)).toEqual([]);
    return r.res.body;
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startReplayApp(kind);
    p = await t.tenant();
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  describe('authorization', () => {
    it('RequestOAuthTokenAsync: POST token {username, password} → access_token, token_type, expires_in (an int), refresh_token', async () => {
      const r = await call('POST', 'token', { body: { username: p.username, password: p.password }, model: { ...BASE, access_token: 'string', refresh_token: 'string', token_type: 'string', expires_in: 'int' }, bearer: '' });
      const body = ok(r);
      expect(typeof body.access_token).toBe('string');
      token = body.access_token;
      // A wrong password: PartnerClientAuthenticationException(response.Error, response.ErrorDescription).
      const wrong = await call('POST', 'token', { body: { username: p.username, password: 'wrong' }, model: BASE, bearer: '' });
      expect(wrong.res.status).toBeGreaterThanOrEqual(400);
      expect(wrong.problems).toEqual([]);
      expect(wrong.res.body).toMatchObject({ error: expect.any(String), error_description: expect.any(String) });
    });

    it('an expired or wrong token: 401 with meta.developer_message (read by the token-only client)', async () => {
      const r = await call('GET', `partners/${p.partner_id}`, { model: PARTNER, bearer: 'not-a-token' });
      expect(r.res.status).toBe(401);
      // new PartnerClientAuthenticationException(response.Meta.DeveloperMessage, …): Meta must be there.
      expect(r.res.body.meta.developer_message).toEqual(expect.any(String));
    });
  });

  describe('the partner', () => {
    it('GetPartnerPublicDataAsync, PatchPartnerPublicDataAsync (a null field included), Get/SetPartnerWebhookUrlAsync', async () => {
      const got = ok(await call('GET', `partners/${p.partner_id}`, { model: PARTNER }));
      expect(got).toMatchObject({ id: p.partner_id, brand_name: expect.any(String), payment_required: expect.any(Boolean), onboarding_deeplink_add_params: expect.any(Boolean) });
      // PatchPartnerPublicDataRequest(webhookUrl, partnerRedirectUrl): both serialized, null included.
      const hook = `${receiver.url}/partner-events`;
      const patched = ok(await call('PATCH', `partners/${p.partner_id}`, { body: { partner_redirect_url: 'https://partner.example.com/onboarded', webhook_url: hook }, model: PARTNER }));
      expect(patched).toMatchObject({ webhook_url: hook, partner_redirect_url: 'https://partner.example.com/onboarded' });
      const nulled = ok(await call('PATCH', `partners/${p.partner_id}`, { body: { partner_redirect_url: null, webhook_url: hook }, model: PARTNER }));
      expect(nulled).toMatchObject({ webhook_url: hook, partner_redirect_url: null });
      // SetPartnerWebhookUrlRequest: POST webhook_url {"webhook_url"} → the partner with it.
      const set = ok(await call('POST', `partners/${p.partner_id}/webhook_url`, { body: { webhook_url: hook }, model: PARTNER }));
      expect(set.webhook_url).toBe(hook);
      const read = ok(await call('GET', `partners/${p.partner_id}/webhook_url`, { model: { ...BASE, webhook_url: 'string' } }));
      expect(read.webhook_url).toBe(hook);
    });
  });

  describe('clients and channels', () => {
    it('GetPartnerClientsAsync (limit 20, offset 0, sort left out, a filter with its enum) and UpdateClientAsync with max_channels null', async () => {
      // GetPartnerClientsFilter { Id, Status = active }: Name and Organisation (null) are left out.
      const listed = ok(await call('GET', `partners/${p.partner_id}/clients`, { query: { limit: '20', offset: '0', sort: null, filters: JSON.stringify({ id: p.client_id, status: 'active' }) }, model: { ...LIST, clients: [CLIENT] } }));
      expect(listed).toMatchObject({ count: 1, total: 1, limit: 20, offset: 0 });
      expect(listed.clients[0]).toMatchObject({ id: p.client_id, status: 'active', max_channels: expect.any(Number) });
      // GetPartnerClientsFilter { Id } alone still carries "status": "unknown" (ClientStatus's 0):
      // an equality filter on status, which no client has.
      const quirk = ok(await call('GET', `partners/${p.partner_id}/clients`, { query: { limit: '20', offset: '0', filters: JSON.stringify({ id: p.client_id, status: 'unknown' }) }, model: { ...LIST, clients: [CLIENT] } }));
      expect(quirk.count).toBe(0);

      // UpdateClientRequest(partnerId, clientId, partnerPayload, maxChannels = null): both serialized.
      const updated = ok(await call('PATCH', `partners/${p.partner_id}/clients/${p.client_id}`, { body: { partner_payload: 'crm-4711', max_channels: null }, model: { ...BASE, ...CLIENT, suspicious: 'bool' } }));
      expect(updated).toMatchObject({ id: p.client_id, partner_payload: 'crm-4711', max_channels: listed.clients[0].max_channels, suspicious: false });
      const more = ok(await call('PATCH', `partners/${p.partner_id}/clients/${p.client_id}`, { body: { partner_payload: 'crm-4711', max_channels: 5 }, model: { ...BASE, ...CLIENT, suspicious: 'bool' } }));
      expect(more.max_channels).toBe(5);
    });

    it('GetPartnerChannelsAsync: filters with client_id, account_mode and status; every PartnerChannel field reads', async () => {
      const listed = ok(
        await call('GET', `partners/${p.partner_id}/channels`, {
          query: { limit: '20', offset: '0', sort: null, filters: JSON.stringify({ client_id: p.client_id, account_mode: 'sandbox', status: 'ready' }) },
          model: { ...LIST, partner_channels: [CHANNEL] },
        }),
      );
      expect(listed.count).toBe(1);
      const ch = listed.partner_channels[0];
      expect(ch).toMatchObject({ id: p.channel_id, client_id: p.client_id, account_mode: 'sandbox', status: 'ready', setup_info: { phone_number: p.phone_number }, integration: { enabled: true } });
      // The enum strings the client knows: AccountMode sandbox|live, FacebookAccountStatus verified.
      expect(['sandbox', 'live']).toContain(ch.account_mode);
      expect(ch.waba_account.fb_account_status).toBe('verified');
      // GetPartnerChannelsFilter { Id } alone: "account_mode": "unknown", "status": "unknown" come along.
      const quirk = ok(await call('GET', `partners/${p.partner_id}/channels`, { query: { limit: '20', offset: '0', filters: JSON.stringify({ id: p.channel_id, account_mode: 'unknown', status: 'unknown' }) }, model: LIST }));
      expect(quirk.count).toBe(0);
    });

    it('Create/Get/DeleteApiKeyByChannelAsync: POST and DELETE carry "{}"; the new key works on the Messaging API', async () => {
      const created = ok(await call('POST', `partners/${p.partner_id}/channels/${p.channel_id}/api_keys`, { body: {}, model: { ...BASE, id: 'string', address: 'string', api_key: 'string', app_id: 'string' } }));
      expect(created).toMatchObject({ api_key: expect.any(String), address: expect.any(String), app_id: expect.any(String) });
      const keys = ok(await call('GET', `partners/${p.partner_id}/channels/${p.channel_id}/api_keys`, { model: { ...BASE, api_keys: [{ id: 'string', address: 'string', api_key: 'string', app_id: 'string' }] } }));
      expect(keys.api_keys).toHaveLength(1);
      expect(keys.api_keys[0]).toMatchObject({ id: created.id, address: created.address, app_id: created.app_id });
      const webhook = await t.get('/v1/configs/webhook', { headers: { 'D360-API-KEY': created.api_key } });
      expect(webhook.status, webhook.text).toBe(200);
      // DeleteApiKeyByChannelRequest: DELETE with the JSON body "{}"; the response is meta only.
      const deleted = ok(await call('DELETE', `partners/${p.partner_id}/channels/${p.channel_id}/api_keys`, { body: {}, model: BASE }));
      expect(deleted.meta).toMatchObject({ success: true });
      const revoked = await t.get('/v1/configs/webhook', { headers: { 'D360-API-KEY': created.api_key } });
      expect(revoked.status).toBe(401);
    });

    it('GetClientBalanceAsync: start_date, end_date, granularity → decimals and the usage list', async () => {
      const now = Math.floor(Date.now() / 1000);
      const balance = ok(
        await call('GET', `partners/${p.partner_id}/clients/${p.client_id}/info/balance`, {
          query: { start_date: String(now - 60 * 86400), end_date: String(now), granularity: 'month' },
          model: { ...BASE, balance: 'decimal', currency: 'string', last_renewal: 'object', estimated_template_cost: 'decimal', granularity: 'string', bi_price_for_currency_and_client_country: 'decimal', ui_price_for_currency_and_client_country: 'decimal', usage: 'array' },
        }),
      );
      expect(Array.isArray(balance.usage)).toBe(true);
      expect(balance.usage.length).toBeGreaterThan(0);
    });
  });

  describe('templates and cancellation', () => {
    it('GetPartnerWhatsAppBusinessApiTemplatesAsync (limit 1000), the create with a single component object, RemovePartnerWhatsAppBusinessApiTemplatesAsync', async () => {
      const path = `partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/waba_templates`;
      const listed = ok(await call('GET', path, { query: { limit: '1000', offset: '0', sort: null }, model: { ...LIST, waba_templates: [TEMPLATE] } }));
      expect(listed.waba_templates.map((x: { name: string }) => x.name)).toContain('hello_world');
      // Meta's upper case, which the client's TemplateStatus (lower case) reads as unknown.
      expect(listed.waba_templates[0].status).toBe('APPROVED');

      // CreatePartnerWhatsAppBusinessApiTemplateRequest: {name, category, components: <one object>, language}.
      const single = await call('POST', path, { body: { name: 'dotnet_order', category: 'UTILITY', components: { type: 'BODY', text: 'Your order {{1}} is ready.', example: { body_text: [['A1']] } }, language: 'en_US' }, model: BASE });
      expect(single.res.status).toBe(400);
      expect(single.problems).toEqual([]);
      expect(single.res.body.meta).toMatchObject({ success: false, http_code: 400, developer_message: expect.stringContaining('components') });

      // A template made as the API documents (an array), then removed the .NET way: DELETE …/{id} with "{}".
      const made = await t.post(`/api/v2/${path}`, { headers: { authorization: `Bearer ${token}` }, json: { name: 'dotnet_order', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your order {{1}} is ready.', example: { body_text: [['A1']] } }], language: 'en_US' } });
      expect(made.status, made.text).toBeLessThan(300);
      expect(newtonsoft(made.body, { ...BASE, ...TEMPLATE, components: 'array' })).toEqual([]);
      const removed = ok(await call('DELETE', `${path}/${made.body.id}`, { body: {}, model: BASE }));
      expect(removed.meta.success).toBe(true);
      const after = ok(await call('GET', path, { query: { limit: '1000', offset: '0' }, model: { ...LIST, waba_templates: [TEMPLATE] } }));
      expect(after.waba_templates.map((x: { name: string }) => x.name)).not.toContain('dotnet_order');
    });

    it('SetCancellationRequestOnChannelAsync (enabled true, then false) and the partner webhook events it causes', async () => {
      const path = `partners/${p.partner_id}/clients/${p.client_id}/channels/${p.channel_id}/control/cancellation_request`;
      const requested = await call('POST', path, { body: { enabled: true }, model: { ...BASE, ...CHANNEL, billing_started_at: 'datetime', terminated_at: 'datetime' } });
      expect(requested.res.status, requested.res.text).toBe(200);
      expect(requested.res.body).toMatchObject({ id: p.channel_id, client_id: p.client_id, cancellation_requested_at: expect.any(String) });
      // The one field SetCancellationRequestOnChannelResponse cannot read: DateTime terminated_at
      // (not DateTime?) while the channel is not terminated.
      expect(requested.problems).toEqual([`$.terminated_at: DateTime got null`]);

      // WABA360DialogPartnerWebhookPayload {id, event, data: PartnerChannel}.
      const event = await receiver.waitForBody('cancellation_request', (bodies) => bodies.find((b) => b.event === 'cancellation_request'));
      expect(newtonsoft(event, { id: 'string', event: 'enum', data: CHANNEL })).toEqual([]);
      expect(event.data).toMatchObject({ id: p.channel_id, client_id: p.client_id });

      const revoked = await call('POST', path, { body: { enabled: false }, model: { ...BASE, ...CHANNEL } });
      expect(revoked.res.status, revoked.res.text).toBe(200);
      expect(revoked.res.body.cancellation_requested_at).toBeNull();
      const revokeEvent = await receiver.waitForBody('cancellation_revoke', (bodies) => bodies.find((b) => b.event === 'cancellation_revoke'));
      expect(newtonsoft(revokeEvent, { id: 'string', event: 'enum', data: CHANNEL })).toEqual([]);
    });

    it('errors: an unknown channel is a 404 in the meta body (PartnerClientException keeps the raw answer)', async () => {
      const r = await call('GET', `partners/${p.partner_id}/channels/noSuchCH/api_keys`, { model: BASE });
      expect(r.res.status).toBe(404);
      expect(r.problems).toEqual([]);
      expect(r.res.body.meta).toMatchObject({ success: false, http_code: 404, developer_message: expect.any(String) });
    });
  });
});
