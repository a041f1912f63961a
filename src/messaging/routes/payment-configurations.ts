// Meta's Payments API India onboarding edges of the key's WABA (payments/configurations.ts), at the
// root as 360dialog serves the WABA's edges (/message_templates, /product_catalogs) and on the
// Graph paths /{version}/{waba-id}/… (graph-paths.ts; another WABA's id answers Graph's 400 code
// 100 subcode 33):
//
//   GET    /payment_configurations                       {"data":[{"payment_configurations":[…]}]}
//   GET    /payment_configuration/{configuration_name}   {"data":[{…one…}]}
//   POST   /payment_configuration                        gateway {oauth_url, expiration, success}; upi_vpa {success}
//   POST   /payment_configuration/{configuration_name}   {data_endpoint_url} → {success:true}
//   DELETE /payment_configuration {configuration_name}   {success:true}
//   POST   /generate_payment_configuration_oauth_link    {configuration_name, redirect_url?} → {oauth_url, expiration}
//
// The list is Meta's documented sample shape: `data` holds one object whose payment_configurations
// is the WABA's list (not the configurations themselves, as most Graph edges list them). The
// update's answer is not documented: {success:true}, as Graph's other writes answer (our choice).
// Parameters come from the query string or a JSON or form body, as Graph takes them
// (graph-params.ts). A number on Meta's network asks Meta with its own token.
//
// The sandbox's OAuth link, GET /sandbox/v1/payment_configuration_oauth?token=…, is opened by the
// merchant's browser without a key: it is served outside the Messaging API's key check
// (paymentConfigurationOauthRoutes, registered beside messagingApi in app.ts). A valid token makes
// its configuration Active and redirects to the configuration's redirect_url (302), or answers a
// short HTML page when it has none; an unknown or spent token is 404, an expired one 410, in
// Graph's error body.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { graphParams } from '../graph-params.ts';
import { metaError, messagingErrorHandler } from '../errors.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import { fail, isObj } from '../validate/check.ts';
import type { ChannelRow } from '../../services/channels.ts';
import {
  OAUTH_PAGE_PATH,
  configurationToWire,
  createConfiguration,
  getConfiguration,
  listConfigurations,
  openOauthLink,
  parseConfigurationName,
  parseConfigurationRemoval,
  parseConfigurationUpdate,
  parseNewConfiguration,
  parseOauthLinkRequest,
  regenerateOauthLink,
  removeConfiguration,
  updateDataEndpoint,
} from '../payments/configurations.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Payments (India)'];
const config = { flavour: 'cloud' as const };
const BODY_LIMIT = 16 * 1024;

const Code = Type.Object({ code: Type.String(), description: Type.String() });
// Loose where Meta's answer (a number on Meta's network) is passed on as it comes.
const Configuration = Type.Object(
  {
    configuration_name: Type.String(),
    merchant_category_code: Type.Optional(Code),
    purpose_code: Type.Optional(Code),
    status: Type.Optional(Type.String()),
    provider_mid: Type.Optional(Type.String()),
    provider_name: Type.Optional(Type.String()),
    merchant_vpa: Type.Optional(Type.String()),
    created_timestamp: Type.Optional(Type.Integer()),
    updated_timestamp: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true },
);
const Success = Type.Object({ success: Type.Boolean() }, { additionalProperties: true });
const OauthLink = Type.Object({ oauth_url: Type.String(), expiration: Type.Integer() }, { additionalProperties: true });
const NameParams = Type.Object({ configuration_name: Type.String({ maxLength: 200 }) });

function wabaOf(ch: ChannelRow): string {
  if (!ch.waba_account_id) throw metaError(400, 100, 'Invalid parameter', 'this number is not attached to a WhatsApp Business Account');
  return ch.waba_account_id;
}

/** The name in the path: the same rule as the parameter, named as the path names it. */
const pathName = (v: string) => parseConfigurationName(v, 'configuration_name (in the path)');

export const paymentConfigurationRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });

    scope.get(
      '/payment_configurations',
      {
        config,
        schema: {
          tags,
          security,
          summary: "The payment configurations of the key's WABA (Meta's Payments API India)",
          description: 'Meta\'s documented shape: {"data":[{"payment_configurations":[…]}]}.',
          response: { 200: Type.Object({ data: Type.Array(Type.Object({ payment_configurations: Type.Optional(Type.Array(Configuration)) }, { additionalProperties: true })) }, { additionalProperties: true }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'GET', (c) => `${c.wabaId}/payment_configurations`);
          if (!Array.isArray(b.data)) throw badAnswer('a payment_configurations list without data');
          return b;
        }
        const rows = await listConfigurations(deps, wabaOf(ch));
        return { data: [{ payment_configurations: rows.map(configurationToWire) }] };
      },
    );

    scope.get(
      '/payment_configuration/:configuration_name',
      {
        config,
        schema: {
          tags,
          security,
          summary: "One payment configuration of the key's WABA, by name",
          params: NameParams,
          response: { 200: Type.Object({ data: Type.Array(Configuration) }, { additionalProperties: true }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        const name = pathName((request.params as { configuration_name: string }).configuration_name);
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'GET', (c) => `${c.wabaId}/payment_configuration/${encodeURIComponent(name)}`);
          if (!Array.isArray(b.data)) throw badAnswer('a payment_configuration answer without data');
          return b;
        }
        return { data: [configurationToWire(await getConfiguration(deps, wabaOf(ch), name))] };
      },
    );

    scope.post(
      '/payment_configuration',
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Create a payment configuration: a payment gateway (razorpay, payu, zaakpay, billdesk; Needs_Connecting until its OAuth link is opened) or UPI (upi_vpa with merchant_vpa; Active at once)',
          description:
            'configuration_name, purpose_code (2 digits), merchant_category_code (4 digits), provider_name, merchant_vpa (upi_vpa), redirect_url (gateways, optional), in the JSON or form body or the query string. A gateway answers {"oauth_url","expiration","success":true}; UPI {"success":true}.',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
          response: { 200: Type.Object({ success: Type.Boolean(), oauth_url: Type.Optional(Type.String()), expiration: Type.Optional(Type.Integer()) }, { additionalProperties: true }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        const input = parseNewConfiguration(graphParams(request));
        if (ch.network === 'meta') {
          const json: Record<string, string> = { configuration_name: input.configuration_name, purpose_code: input.purpose_code, merchant_category_code: input.merchant_category_code, provider_name: input.provider_name };
          if (input.merchant_vpa) json.merchant_vpa = input.merchant_vpa;
          if (input.redirect_url) json.redirect_url = input.redirect_url;
          return meta.json(ch, 'POST', (c) => `${c.wabaId}/payment_configuration`, { json });
        }
        return createConfiguration(deps, wabaOf(ch), input);
      },
    );

    scope.post(
      '/payment_configuration/:configuration_name',
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: "Link, change or remove a payment configuration's data endpoint (data_endpoint_url; \"\" removes it)",
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          params: NameParams,
          body: Type.Unknown(),
          response: { 200: Success },
        },
      },
      async (request) => {
        const ch = request.channel!;
        const name = pathName((request.params as { configuration_name: string }).configuration_name);
        const { data_endpoint_url } = parseConfigurationUpdate(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'POST', (c) => `${c.wabaId}/payment_configuration/${encodeURIComponent(name)}`, { json: { data_endpoint_url: data_endpoint_url ?? '' } });
          return { ...b, success: b.success !== false };
        }
        await updateDataEndpoint(deps, wabaOf(ch), name, data_endpoint_url);
        return { success: true };
      },
    );

    scope.delete(
      '/payment_configuration',
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Remove a payment configuration ({configuration_name})',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
          response: { 200: Success },
        },
      },
      async (request) => {
        const ch = request.channel!;
        const { configuration_name } = parseConfigurationRemoval(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'DELETE', (c) => `${c.wabaId}/payment_configuration`, { json: { configuration_name } });
          return { success: b.success !== false };
        }
        await removeConfiguration(deps, wabaOf(ch), configuration_name);
        return { success: true };
      },
    );

    scope.post(
      '/generate_payment_configuration_oauth_link',
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: "A new OAuth link for a payment gateway configuration (the older link stops working)",
          description: 'configuration_name, redirect_url (optional). Answers {"oauth_url","expiration"}; in the sandbox the link is openwaba\'s page, which connects the configuration (Active) when opened.',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
          response: { 200: OauthLink },
        },
      },
      async (request) => {
        const ch = request.channel!;
        const { configuration_name, redirect_url } = parseOauthLinkRequest(graphParams(request));
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'POST', (c) => `${c.wabaId}/generate_payment_configuration_oauth_link`, { json: { configuration_name, ...(redirect_url ? { redirect_url } : {}) } });
          if (typeof b.oauth_url !== 'string') throw badAnswer('an OAuth link answer without oauth_url');
          return b;
        }
        return regenerateOauthLink(deps, wabaOf(ch), configuration_name, redirect_url);
      },
    );
  });
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The sandbox's OAuth page (no key: the token is the credential). Registered beside messagingApi in app.ts. */
export const paymentConfigurationOauthRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.setErrorHandler(messagingErrorHandler);
  app.get(
    OAUTH_PAGE_PATH,
    {
      config,
      schema: {
        tags: ['Sandbox (extension)'],
        summary: "The sandbox's payment gateway OAuth link: connects the token's payment configuration (Active) and redirects to its redirect_url",
        description: 'Opened by the merchant\'s browser, without a key. Single use; expires an hour after it was made. 404 for an unknown or spent token, 410 for an expired one.',
        querystring: Type.Object({ token: Type.Optional(Type.Unknown()) }, { additionalProperties: true }),
        response: { 200: Type.String() },
      },
    },
    async (request, reply) => {
      const q = isObj(request.query) ? request.query : {};
      const token = q.token;
      if (typeof token !== 'string' || token === '') throw fail('token', 'is required, once: open the oauth_url as it was given');
      const outcome = await openOauthLink(deps, token);
      if (!outcome.ok) {
        if (outcome.reason === 'expired') throw metaError(410, 100, 'Invalid parameter', 'token: this OAuth link has expired: make a new one with POST /generate_payment_configuration_oauth_link');
        throw metaError(404, 100, 'Invalid parameter', 'token: this OAuth link does not exist or was already used: make a new one with POST /generate_payment_configuration_oauth_link');
      }
      reply.header('cache-control', 'no-store');
      if (outcome.redirect_url) return reply.redirect(outcome.redirect_url, 302);
      const c = outcome.configuration;
      return reply
        .type('text/html; charset=utf-8')
        .send(
          `<!doctype html><html><head><meta charset="utf-8"><title>Payment configuration connected</title></head><body><h1>Payment configuration connected</h1><p>${escapeHtml(c.configuration_name)} is connected to the sandbox's ${escapeHtml(c.provider_name)} account ${escapeHtml(c.provider_mid ?? '')} and is now ${escapeHtml(c.status)}.</p></body></html>`,
        );
    },
  );
};
