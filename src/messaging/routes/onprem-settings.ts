// On-Premise settings of the number (reference §6): the business profile and the "about" text,
// over the same fields as Cloud's /whatsapp_business_profile (business-profile.ts).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { ONPREM_META } from '../errors.ts';
import { fail, isObj } from '../validate/check.ts';
import { aboutText, profileChanges, readProfile, saveProfile, verticalLabel } from '../business-profile.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const config = { flavour: 'onpremise' as const };
const tags = ['Channel (On-Premise)'];
const BUSINESS_FIELDS = ['address', 'description', 'email', 'vertical', 'websites'];

function body(raw: unknown, allowed: string[]): Record<string, unknown> {
  if (!isObj(raw)) throw fail('body', 'must be a JSON object');
  for (const k of Object.keys(raw)) if (!allowed.includes(k)) throw fail(k, `is not a field here (${allowed.join(', ')})`);
  return raw;
}

export const onPremSettingsRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.get('/v1/settings/business/profile', { config, schema: { tags, summary: 'The business profile (On-Premise shape)', security } }, async (request) => {
    const p = readProfile(request.channel!);
    return {
      settings: { business: { profile: { address: p.address, description: p.description, email: p.email, vertical: verticalLabel(p.vertical), websites: p.websites } } },
      meta: ONPREM_META,
    };
  });

  app.post(
    '/v1/settings/business/profile',
    { config, schema: { tags, summary: 'Update the business profile: address, description, email, vertical (its label), websites (at most 2)', security, body: Type.Unknown() } },
    async (request) => {
      await saveProfile(deps, request.channel!, profileChanges(body(request.body, BUSINESS_FIELDS), 'onpremise'));
      return { meta: ONPREM_META };
    },
  );

  app.get('/v1/settings/profile/about', { config, schema: { tags, summary: 'The "about" text of the profile', security } }, async (request) => ({
    settings: { profile: { about: { text: readProfile(request.channel!).about } } },
    meta: ONPREM_META,
  }));

  app.patch(
    '/v1/settings/profile/about',
    { config, schema: { tags, summary: 'Set the "about" text (1 to 139 characters)', security, body: Type.Unknown() } },
    async (request) => {
      const b = body(request.body, ['text']);
      await saveProfile(deps, request.channel!, { profile_about_text: aboutText(b.text, 'text') });
      return { meta: ONPREM_META };
    },
  );
};
