// The Official Business Account request of the key's number (rules and choices:
// ../official-business-account.ts):
//
//   POST /official_business_account   (Graph's /{version}/{phone-number-id}/official_business_account)
//
// Its status is the phone number node's official_business_account field (phone-number-node.ts).
// The parameters come as a JSON body, a form or the query string (graph-params.ts), as Graph takes
// them. A number on Meta's network asks Meta: the checked request goes to Meta's
// /{phone_number_id}/official_business_account and Meta's answer (or error) comes back.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { graphParams } from '../graph-params.ts';
import { MAX_SUPPORTING_LINKS, parseObaRequest, submitObaRequest } from '../official-business-account.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const BODY_LIMIT = 64 * 1024;

export const officialBusinessAccountRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });
    scope.post(
      '/official_business_account',
      {
        config: { flavour: 'cloud' as const },
        bodyLimit: BODY_LIMIT,
        schema: {
          tags: ['Official Business Account'],
          security,
          summary: 'Request Official Business Account status (the tick) for the number; answers {"success":true}',
          description:
            `{business_website_url, primary_country_of_operation, primary_language, supporting_links: [1 to ${MAX_SUPPORTING_LINKS} URLs], ` +
            'parent_business_or_brand?, additional_supporting_information?}. {"success":true} means submitted, not approved: the status is the ' +
            'phone number node\'s official_business_account field ({"oba_status":"PENDING"}, then APPROVED or REJECTED with a status_message); ' +
            'an approved number\'s is_official_business_account is true. A JSON body, a form or query parameters (supporting_links as JSON text).',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
        },
      },
      async (request) => {
        const ch = request.channel!;
        const req = parseObaRequest(graphParams(request));
        if (ch.network === 'meta') return meta.json(ch, 'POST', (c) => `${c.phoneNumberId}/official_business_account`, { json: req });
        await submitObaRequest(deps, ch, req);
        return { success: true };
      },
    );
  });
};
