// The /marketing/ paths of 360dialog's Marketing Messages reference that have no root route
// (the others are the root routes' own: marketing-paths.ts), as the PHP SDK
// xiaoguo0426/whatsapp-360-dialog-sdk MarketingApi calls them:
//
//   POST /marketing/template_analytics?enable=true   → {"success":true}. 360dialog's switch for
//        Meta's template analytics (Graph: POST /{waba-id}?is_enabled_for_insights=true, answered
//        {"success":true}). openwaba counts template analytics for every WABA from the start
//        (GET /template_analytics), so there is nothing to switch on: the answer says it is on.
//        enable=false is refused (it cannot be switched off here).
//   GET /marketing/reachestimate, /marketing/dataset_quality, /marketing/{ad_object_id}/insights:
//        passthroughs to Meta's Marketing API (an audience's reach estimate, a Conversions API
//        dataset's quality metrics, an ad object's insights). openwaba runs no ads and measures no
//        dataset quality, so it has nothing true to answer: a Cloud-format 400 with Meta's code 3
//        ("Application does not have the capability to make this API call") saying so, rather
//        than made-up figures.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { metaError } from '../errors.ts';
import { fail } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Marketing Messages (360dialog /marketing/ paths)'];
const config = { flavour: 'cloud' as const };
const AnyQuery = Type.Object({}, { additionalProperties: true });

const unavailable = (what: string) =>
  metaError(400, 3, 'Application does not have the capability to make this API call', `${what} is Meta's Marketing API and is not available in the openwaba sandbox (no ads are run, so there is no data to report)`);

export const marketingRoutes: FastifyPluginAsync<MessagingOptions> = async (app) => {
  app.post(
    '/marketing/template_analytics',
    {
      config,
      schema: {
        tags,
        security,
        summary: "Turn on template analytics for the key's WABA (always on in openwaba)",
        description: 'enable=true answers {"success":true}: openwaba counts template analytics for every WABA (GET /template_analytics). enable=false is refused.',
        querystring: Type.Object({ enable: Type.Optional(Type.String({ maxLength: 10 })) }, { additionalProperties: true }),
        response: { 200: Type.Object({ success: Type.Boolean() }) },
      },
    },
    async (request) => {
      const enable = (request.query as { enable?: string }).enable;
      if (enable === undefined) throw fail('enable', 'is required (enable=true)');
      if (enable !== 'true') throw fail('enable', 'must be true: template analytics are always on in the openwaba sandbox and cannot be turned off');
      return { success: true };
    },
  );

  const description = 'Always a 400 (code 3): not available in the sandbox.';
  app.get('/marketing/reachestimate', { config, schema: { tags, security, description, summary: 'Reach estimate (not available in the sandbox)', querystring: AnyQuery } }, async () => {
    throw unavailable('GET /marketing/reachestimate (reach estimate)');
  });
  app.get('/marketing/dataset_quality', { config, schema: { tags, security, description, summary: 'Dataset quality (not available in the sandbox)', querystring: AnyQuery } }, async () => {
    throw unavailable('GET /marketing/dataset_quality (dataset quality)');
  });
  app.get(
    '/marketing/:ad_object_id/insights',
    { config, schema: { tags, security, description, summary: 'Ad object insights (not available in the sandbox)', params: Type.Object({ ad_object_id: Type.String() }), querystring: AnyQuery } },
    async () => {
      throw unavailable('GET /marketing/{ad_object_id}/insights (ad insights)');
    },
  );
};
