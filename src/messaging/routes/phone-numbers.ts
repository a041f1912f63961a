// GET /phone_numbers: the numbers of the key's WABA as Graph lists them (`{data:[<phone number
// node>…]}`), the root form of Meta's `GET /{version}/{waba-id}/phone_numbers` (graph-paths.ts),
// which clients written for Meta call to find their number (whatsapp-business-java-api's
// retrievePhoneNumbers, pywa's get_business_phone_numbers). 360dialog documents no such root path
// (reference §4.1: phone-number info on Cloud is missing); a key sees only its own WABA's
// numbers, the ones not terminated, each with the fields asked (`fields=`) or Graph's default set.
// Without `fields` Graph's list shows the same default fields as the node. The whole list comes in
// one page (a WABA holds a few numbers), with no `paging`, as Graph answers a short list.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { metaPhoneNumbers } from '../../network/meta/profile-proxy.ts';
import { phoneNumberNode } from '../phone-number-node.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];

export const phoneNumberRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.get(
    '/phone_numbers',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Channel'],
        summary: "The numbers of the key's WABA, as Graph's /{waba-id}/phone_numbers lists them",
        security,
        querystring: Type.Object({
          fields: Type.Optional(Type.String({ maxLength: 500 })),
          summary: Type.Optional(Type.String({ maxLength: 500, description: 'total_count (or true): adds summary.total_count, the number of numbers' })),
        }),
      },
    },
    async (request, reply) => {
      const ch = request.channel!;
      const { fields, summary } = request.query as { fields?: string; summary?: string };
      if (ch.network === 'meta') return metaPhoneNumbers(meta, ch, fields);
      const numbers = await deps.db.kysely
        .selectFrom('channels')
        .selectAll()
        .where('waba_account_id', '=', ch.waba_account_id)
        .where('terminated_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const data: Record<string, unknown>[] = [];
      for (const n of numbers) data.push(await phoneNumberNode(deps, n, fields));
      // Serialized here: each node holds the fields asked, which no one response schema describes.
      // Graph's summary of this edge (Meta's reference documents total_count only): the whole list is one page.
      const asked = summary === undefined ? [] : summary.split(',').map((f) => f.trim().toLowerCase());
      const withSummary = asked.some((f) => f === 'total_count' || f === 'true' || f === '1');
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(withSummary ? { data, summary: { total_count: data.length } } : { data }));
    },
  );
};
