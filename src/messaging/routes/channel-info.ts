// About the number: phone number, health, business profile, contact checks. A number on Meta's
// network has its health and Cloud business profile at Meta (network/meta/profile-proxy.ts).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { ONPREM_META } from '../errors.ts';
import { arr, fail, isObj, oneOf, optStr, recipient, str } from '../validate/check.ts';
import { PROFILE_FIELDS, profileChanges, readProfile, saveProfile } from '../business-profile.ts';
import { metaBusinessProfile, metaHealthStatus, updateMetaBusinessProfile } from '../../network/meta/profile-proxy.ts';
import { addFormBodyParser, FORM_CONTENT_TYPE } from '../../partner-api/form-body.ts';
import { sandboxHealthStatus } from '../phone-number-node.ts';
import { mediaFromUpload, profilePictureUpload } from '../media/profile-picture-handle.ts';
import { setPhoto } from './onprem-photo.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];

export const channelInfoRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.get('/v1/configs/phone_number', { config: { flavour: 'onpremise' }, schema: { tags: ['Channel'], summary: "The channel's phone number", security } }, async (request) => ({
    phone_number: request.channel!.phone_number,
  }));

  app.get('/v1/health', { config: { flavour: 'onpremise' }, schema: { tags: ['Channel'], summary: 'On-Premise health', security } }, async (request) => {
    const ch = request.channel!;
    const status = ch.availability_status === 'ready' ? 'connected' : ch.availability_status === 'error' ? 'disconnected' : 'pending';
    return { health: { gateway_status: status }, meta: ONPREM_META };
  });

  app.get(
    '/health_status',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Channel'],
        summary: 'Whether the number can send messages (Meta health_status)',
        description:
          "A WABA restriction in force (account_update ACCOUNT_RESTRICTION) shows on the WABA entity until its expiration: one messaging restriction LIMITED, both BLOCKED, with errors[] (code 131031) naming each; a banned WABA (account_update DISABLED_UPDATE DISABLE, until REINSTATE) BLOCKED with an error naming the ban. A number on Meta's network answers Meta's own health_status.",
        security,
      },
    },
    async (request) => {
      const ch = request.channel!;
      if (ch.network === 'meta') return metaHealthStatus(meta, ch);
      return { health_status: await sandboxHealthStatus(deps, ch), id: ch.external_id };
    },
  );

  app.get(
    '/whatsapp_business_profile',
    {
      config: { flavour: 'cloud' },
      schema: { tags: ['Channel'], summary: 'The business profile', security, querystring: Type.Object({ fields: Type.Optional(Type.String({ maxLength: 500 })) }) },
    },
    async (request) => {
      const fields = (request.query as { fields?: string }).fields;
      if (request.channel!.network === 'meta') return metaBusinessProfile(meta, request.channel!, fields);
      const profile: Record<string, unknown> = { ...readProfile(request.channel!), messaging_product: 'whatsapp' };
      if (fields) {
        const want = fields.split(',').map((f) => f.trim()).filter(Boolean);
        for (const f of want) if (!(PROFILE_FIELDS as readonly string[]).includes(f)) throw fail('fields', `"${f}" is not a profile field (${PROFILE_FIELDS.join(', ')})`);
        for (const k of Object.keys(profile)) if (k !== 'messaging_product' && !want.includes(k)) delete profile[k];
      }
      return { data: [profile] };
    },
  );

  // A form-encoded body too, in its own scope: Graph takes form parameters on every POST, and
  // clients built on a form-posting HTTP library send the profile that way (ruby_whatsapp_sdk's
  // BusinessProfile#update posts its params hash through Faraday's url_encoded middleware:
  // `about=…&websites[]=…&messaging_product=whatsapp`). The handler checks the parsed form exactly
  // as it checks JSON.
  await app.register(async (scope) => {
    addFormBodyParser(scope);
    scope.post(
      '/whatsapp_business_profile',
      {
        config: { flavour: 'cloud' },
        schema: { tags: ['Channel'], summary: 'Update the business profile', security, consumes: ['application/json', FORM_CONTENT_TYPE], body: Type.Unknown() },
      },
      async (request) => {
        const b = request.body;
        if (request.channel!.network === 'meta') return updateMetaBusinessProfile(meta, request.channel!, b);
        if (!isObj(b)) throw fail('body', 'must be a JSON object');
        if (b.messaging_product !== 'whatsapp') throw fail('messaging_product', 'is required and must be "whatsapp"');
        for (const k of Object.keys(b)) {
          if (![...PROFILE_FIELDS, 'messaging_product', 'profile_picture_handle'].includes(k)) throw fail(k, 'is not a business profile field');
        }
        const set = profileChanges(b, 'cloud');
        const handle = optStr(b.profile_picture_handle, 'profile_picture_handle', { max: 1000 });
        // One of our Resumable Upload handles sets the profile photo; any other is accepted as before.
        const picture = await profilePictureUpload(deps, request.channel!, handle);
        await saveProfile(deps, request.channel!, set);
        if (picture) await setPhoto(deps, request.channel!, (await mediaFromUpload(deps, request.channel!, picture)).id);
        return { success: true };
      },
    );
  });

  app.post(
    '/v1/contacts',
    { config: { flavour: 'onpremise' }, schema: { tags: ['Channel'], summary: 'Check contacts (every well-formed number is a sandbox user)', security, body: Type.Unknown() } },
    async (request) => {
      const b = request.body;
      if (!isObj(b)) throw fail('body', 'must be a JSON object');
      const list = arr(b.contacts, 'contacts', { min: 1, max: 1000 });
      if (b.blocking !== undefined) oneOf(b.blocking, 'blocking', ['wait', 'no_wait'] as const);
      return {
        contacts: list.map((c, i) => {
          const input = str(c, `contacts[${i}]`, { max: 32 });
          try {
            return { input, status: 'valid', wa_id: recipient(input, `contacts[${i}]`) };
          } catch {
            return { input, status: 'invalid' };
          }
        }),
        meta: ONPREM_META,
      };
    },
  );
};
