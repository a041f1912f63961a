// Two small parts of Meta's Cloud API for a number, at the root as 360dialog serves Meta's Cloud
// API with the `/{phone-number-id}` prefix dropped:
//
//   GET  /whatsapp_commerce_settings   {"data":[{"is_cart_enabled":true,"is_catalog_visible":false,"id":"…"}]}
//   POST /whatsapp_commerce_settings?is_cart_enabled=true&is_catalog_visible=false   {"success":true}
//   POST /register       {"messaging_product":"whatsapp","pin":"123456"}             {"success":true}
//   POST /deregister                                                                 {"success":true}
//   POST /request_code   {"code_method":"SMS"|"VOICE","language":"en_US"}            {"success":true}
//   POST /verify_code    {"code":"123456"}                                           {"success":true}
//
// Parameters: Meta documents them as query parameters (commerce settings, request_code) or a JSON
// body (register, verify_code); Graph takes any parameter in either place, and clients do both
// (meta-cloud-api puts the commerce flags in the query, the official Node SDK sends request_code's
// as a JSON body, Python's requests/PHP clients post forms). So every route here reads the query,
// then a JSON or form-encoded body over it. Unknown parameters are ignored, as Graph ignores them
// (clients add `access_token`, `messaging_product`, …).
//
// A sandbox number keeps its commerce settings in commerce_settings (migration 0026) with Meta's defaults:
// "By default, the shopping cart is enabled and the storefront icon is hidden". It is always
// registered: /register, /deregister, /request_code and /verify_code check their parameters as Meta
// does and answer success without changing anything (no code is ever sent, so any well-formed code
// verifies), except that the first /register's PIN becomes the number's two-step PIN when it has
// none (phone-number-update.ts; the sandbox never compares a PIN). A number added with POST
// /phone_numbers is the exception: verify_code, then register move it on (add-phone-number.ts).
// A number on Meta's network asks Meta: the
// checked parameters go to Meta's /{phone_number_id}/… in the form Meta documents, and Meta's answer
// or error comes back.
import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { fail, oneOf, str, type Obj } from '../validate/check.ts';
import { graphBool, graphParams } from '../graph-params.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import { isoNow } from '../../clock.ts';
import { setTwoStepPin } from '../phone-number-update.ts';
import { registrationStep } from '../add-phone-number.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const BODY_LIMIT = 16 * 1024;
const config = { flavour: 'cloud' as const };
const COMMERCE = '/whatsapp_commerce_settings';

/** One value: a parameter repeated in the query (`?a=1&a=2`) is refused, not guessed at. */
function single(p: Obj, field: string): unknown {
  const v = p[field];
  if (Array.isArray(v)) throw fail(field, 'must be given once');
  return v;
}

/** A sandbox number's commerce settings id: stable per number, Meta-shaped (15 digits). */
export function commerceSettingsId(channelId: string): string {
  const n = createHash('sha256').update(`whatsapp_commerce_settings:${channelId}`).digest().readBigUInt64BE(0);
  return String(100_000_000_000_000n + (n % 900_000_000_000_000n));
}

export function parseCommerceSettings(p: Obj): { is_cart_enabled?: boolean; is_catalog_visible?: boolean } {
  const cart = graphBool(single(p, 'is_cart_enabled'), 'is_cart_enabled');
  const catalog = graphBool(single(p, 'is_catalog_visible'), 'is_catalog_visible');
  // Meta's docs are silent on an update naming neither; a no-op is most likely a typo, so say so.
  if (cart === undefined && catalog === undefined) throw fail('is_cart_enabled', 'is required (or is_catalog_visible): true or false');
  return { ...(cart !== undefined ? { is_cart_enabled: cart } : {}), ...(catalog !== undefined ? { is_catalog_visible: catalog } : {}) };
}

const SIX_DIGITS = /^\d{6}$/;

export function parseRegister(p: Obj): { messaging_product: 'whatsapp'; pin: string; data_localization_region?: string } {
  oneOf(single(p, 'messaging_product'), 'messaging_product', ['whatsapp']);
  const pinValue = single(p, 'pin');
  const pin = typeof pinValue === 'number' && Number.isInteger(pinValue) ? String(pinValue) : str(pinValue, 'pin');
  if (!SIX_DIGITS.test(pin)) throw fail('pin', 'must be the 6-digit two-step verification PIN');
  const region = single(p, 'data_localization_region');
  if (region !== undefined && !/^[A-Z]{2}$/.test(str(region, 'data_localization_region'))) {
    throw fail('data_localization_region', 'must be a 2-letter ISO 3166 country code, such as DE');
  }
  return { messaging_product: 'whatsapp', pin, ...(region !== undefined ? { data_localization_region: region as string } : {}) };
}

export function parseRequestCode(p: Obj): { code_method: 'SMS' | 'VOICE'; language: string } {
  const codeMethod = oneOf(single(p, 'code_method'), 'code_method', ['SMS', 'VOICE'] as const);
  const language = str(single(p, 'language'), 'language', { max: 16 });
  // A locale such as en_US (Meta's docs) or a bare language such as en (the Node SDK's examples).
  if (!/^[a-z]{2,3}(_[A-Za-z]{2,4})?$/.test(language)) throw fail('language', `must be a language or locale code such as en_US (got "${language.slice(0, 20)}")`);
  return { code_method: codeMethod, language };
}

export function parseVerifyCode(p: Obj): { code: string } {
  const v = single(p, 'code');
  const code = typeof v === 'number' && Number.isInteger(v) ? String(v) : str(v, 'code');
  if (!SIX_DIGITS.test(code)) throw fail('code', 'must be the 6-digit code from request_code');
  return { code };
}

const paramsSchema = { body: Type.Unknown() };

export const phoneSettingsRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    // Forms as the rest of the project parses them (qs, prototype keys refused, size limits).
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });

    scope.get(
      COMMERCE,
      {
        config,
        schema: {
          tags: ['Commerce settings'],
          security,
          summary: "The number's commerce settings: whether the cart is enabled and the catalog storefront icon shown",
          description: '{"data":[{"is_cart_enabled":true,"is_catalog_visible":false,"id":"…"}]}; Meta\'s defaults: cart enabled, catalog hidden.',
        },
      },
      async (request) => {
        const ch = request.channel!;
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'GET', (c) => `${c.phoneNumberId}/whatsapp_commerce_settings`);
          if (!Array.isArray(b.data)) throw badAnswer('commerce settings without data');
          return b;
        }
        const row = await deps.db.kysely.selectFrom('commerce_settings').select(['is_cart_enabled', 'is_catalog_visible']).where('channel_id', '=', ch.id).executeTakeFirst();
        // No row: Meta's defaults, cart enabled and catalog hidden.
        const settings = { is_cart_enabled: row ? row.is_cart_enabled === 1 : true, is_catalog_visible: row ? row.is_catalog_visible === 1 : false };
        return { data: [{ ...settings, id: commerceSettingsId(ch.id) }] };
      },
    );

    scope.post(
      COMMERCE,
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['Commerce settings'],
          security,
          summary: 'Enable or disable the cart and show or hide the catalog (is_cart_enabled, is_catalog_visible: true or false)',
          description: 'Query parameters as Meta documents them (?is_cart_enabled=true&is_catalog_visible=false); a JSON or form body is taken too.',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          ...paramsSchema,
        },
      },
      async (request) => {
        const ch = request.channel!;
        const s = parseCommerceSettings(graphParams(request));
        if (ch.network === 'meta') {
          const q = { is_cart_enabled: s.is_cart_enabled?.toString(), is_catalog_visible: s.is_catalog_visible?.toString() };
          const b = await meta.json(ch, 'POST', (c) => withQuery(`${c.phoneNumberId}/whatsapp_commerce_settings`, q));
          return { success: b.success !== false };
        }
        const now = isoNow(deps.clock);
        const flag = (b: boolean | undefined, dflt: boolean) => ((b ?? dflt) ? 1 : 0);
        // The first change starts from Meta's defaults; later ones change only what they name.
        await deps.db.kysely
          .insertInto('commerce_settings')
          .values({ channel_id: ch.id, is_cart_enabled: flag(s.is_cart_enabled, true), is_catalog_visible: flag(s.is_catalog_visible, false), modified_at: now })
          .onConflict((oc) =>
            oc.column('channel_id').doUpdateSet({
              ...(s.is_cart_enabled !== undefined ? { is_cart_enabled: flag(s.is_cart_enabled, true) } : {}),
              ...(s.is_catalog_visible !== undefined ? { is_catalog_visible: flag(s.is_catalog_visible, false) } : {}),
              modified_at: now,
            }),
          )
          .execute();
        return { success: true };
      },
    );

    const registration = (path: string, summary: string, handle: (p: Obj) => { query?: Record<string, string>; json?: unknown }) =>
      scope.post(
        path,
        {
          config,
          bodyLimit: BODY_LIMIT,
          schema: {
            tags: ['Phone number registration'],
            security,
            summary,
            description: 'A sandbox number is always registered: the parameters are checked as Meta checks them and the answer is {"success":true}. A number on Meta\'s network: Meta\'s answer.',
            consumes: ['application/json', 'application/x-www-form-urlencoded'],
            ...paramsSchema,
          },
        },
        async (request) => {
          const ch = request.channel!;
          const out = handle(graphParams(request));
          if (ch.network === 'meta') {
            const b = await meta.json(ch, 'POST', (c) => withQuery(`${c.phoneNumberId}${path}`, out.query ?? {}), out.json !== undefined ? { json: out.json } : undefined);
            return { success: b.success !== false };
          }
          // A number added with POST /phone_numbers is verified, then registered (add-phone-number.ts).
          await registrationStep(deps, ch, path);
          // Meta: registering a number without two-step verification makes the PIN given its PIN
          // (phone-number-update.ts; a PIN already set is kept, never compared).
          if (path === '/register') await setTwoStepPin(deps, ch, (out.json as { pin: string }).pin, true);
          return { success: true };
        },
      );

    registration('/register', 'Register the number for the Cloud API with its two-step verification PIN ({"messaging_product":"whatsapp","pin":"123456"})', (p) => ({ json: parseRegister(p) }));
    registration('/deregister', 'Deregister the number from the Cloud API', () => ({}));
    registration('/request_code', 'Request a verification code by SMS or voice call (code_method SMS or VOICE, language such as en_US)', (p) => ({ query: parseRequestCode(p) }));
    registration('/verify_code', 'Verify the number with the code from request_code ({"code":"123456"})', (p) => ({ json: parseVerifyCode(p) }));
  });
};
