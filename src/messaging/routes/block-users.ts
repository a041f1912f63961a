// Meta's Block Users API at the root, as 360dialog serves Meta's Cloud API with the
// `/{phone-number-id}` prefix dropped (reference §4 general rule), and so also at Graph's
// `/{version}/{phone-number-id}/block_users` (graph-paths.ts):
//
//   POST   /block_users  {"messaging_product":"whatsapp","block_users":[{"user":"…"}]}  block
//   DELETE /block_users  (the same body)                                              unblock
//   GET    /block_users?limit=&after=&before=                                        the list
//
// A sandbox number keeps its blocklist here (messaging/blocklist.ts: the rules, Meta's sources and
// our choices). A number on Meta's network has its blocklist at Meta: each request goes to Meta's
// /{phone_number_id}/block_users as the client wrote it, and Meta's answer comes back. One loss
// there: when Meta fails some users it answers 400 with the lists beside its error, and the client
// gets Meta's error only (graph-errors.ts passes the `error` object on, not the lists).
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { blockAnswer, blockUsers, listBlockedUsers, parseBlockBody, unblockUsers, type ListQuery } from '../blocklist.ts';
import { invalidParameter } from '../errors.ts';
import { isObj } from '../validate/check.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { callerPageUrl, requestOrigin, withCallerPaging } from '../page-links.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Block users'];

const BODY_DESCRIPTION =
  '{"messaging_product":"whatsapp","block_users":[{"user":"<phone number or wa_id>"}]} (at most 1,000 users). ' +
  '200 when every user is done; 400 with the lists (failed_users with errors) and error #139100 when any failed.';

/** The JSON text of an answer, with its status (the mixed 400 is Meta's body, not our error body). */
function send(reply: FastifyReply, status: number, body: unknown) {
  return reply.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

export const blockUserRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  const change = async (kind: 'block' | 'unblock', request: FastifyRequest, reply: FastifyReply) => {
    const ch = request.channel!;
    const method = kind === 'block' ? 'POST' : 'DELETE';
    if (ch.network === 'meta') {
      if (!isObj(request.body)) throw invalidParameter('body: must be a JSON object');
      const body = request.body;
      return send(reply, 200, await meta.json(ch, method, (c) => `${c.phoneNumberId}/block_users`, { json: body }));
    }
    const users = parseBlockBody(request.body);
    const outcome = kind === 'block' ? await blockUsers(deps, ch, users) : await unblockUsers(deps, ch, users);
    const answer = blockAnswer(kind, outcome);
    return send(reply, answer.status, answer.body);
  };

  app.post(
    '/block_users',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary: 'Block WhatsApp users (Meta: only users who messaged the number in the last 24 hours; 64,000 at most)',
        description: BODY_DESCRIPTION,
        body: Type.Unknown(),
      },
    },
    (request, reply) => change('block', request, reply),
  );

  app.delete(
    '/block_users',
    { config: { flavour: 'cloud' }, schema: { tags, security, summary: 'Unblock WhatsApp users', description: BODY_DESCRIPTION.replace('added', 'removed'), body: Type.Unknown() } },
    (request, reply) => change('unblock', request, reply),
  );

  app.get(
    '/block_users',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary: "The number's blocked users, paged with Graph cursors",
        description: 'data[] has one entry per user: {messaging_product, wa_id, block_users:[{input, wa_id}]}; paging.cursors.after/before, paging.next/previous when there is such a page.',
        querystring: Type.Object({
          limit: Type.Optional(Type.String({ maxLength: 16, description: 'page size, 1 to 1000 (default 25)' })),
          after: Type.Optional(Type.String({ maxLength: 256 })),
          before: Type.Optional(Type.String({ maxLength: 256 })),
        }),
      },
    },
    async (request, reply) => {
      const ch = request.channel!;
      const q = request.query as ListQuery;
      // paging.next/previous: the URL the caller used (a Graph path stays one), its query kept, with the cursor (page-links.ts).
      const url = callerPageUrl(request, requestOrigin(request));
      if (ch.network === 'meta') {
        return send(reply, 200, withCallerPaging(await meta.json(ch, 'GET', (c) => withQuery(`${c.phoneNumberId}/block_users`, { limit: q.limit, after: q.after, before: q.before })), url));
      }
      const pageUrl = (cursor: { after?: string; before?: string }, limit: number) => url({ limit: String(limit), ...cursor });
      return send(reply, 200, await listBlockedUsers(deps, ch, q, pageUrl));
    },
  );
};
