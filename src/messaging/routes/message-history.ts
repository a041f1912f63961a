// Meta's Message History API at the root, as 360dialog serves Meta's Cloud API with the
// `/{phone-number-id}` prefix dropped, and at Graph's paths (graph-paths.ts):
//
//   GET /message_history?message_id=&fields=&limit=&after=&before=          Graph: /{version}/{phone-number-id}/message_history
//   GET /message_history/{history-id}/events?delivery_status=&fields=&…     Graph: /{version}/{history-id}/events
//
// Both answer from openwaba's store, for sandbox numbers and numbers on Meta's network alike (the
// statuses of a Meta number are stored as its webhooks arrive). Shapes, sources and the choices
// that no source confirms: messaging/message-history.ts.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { listHistoryEvents, listMessageHistory, type EventsQuery, type HistoryQuery, type PageUrl } from '../message-history.ts';
import { callerPageUrl, requestOrigin } from '../page-links.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Message history'];

const paging = {
  limit: Type.Optional(Type.String({ maxLength: 16, description: 'page size, 1 to 100 (default 25; a larger one is taken as 100)' })),
  after: Type.Optional(Type.String({ maxLength: 600 })),
  before: Type.Optional(Type.String({ maxLength: 600 })),
};

/** paging.next/previous: the URL the caller used (a Graph path stays one), its query kept, with the cursor (page-links.ts). */
function pageUrlOf(request: FastifyRequest, keep: Record<string, string | undefined>): PageUrl {
  const url = callerPageUrl(request, requestOrigin(request));
  return (cursor, limit) => url({ ...keep, limit: String(limit), ...cursor });
}

export const messageHistoryRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  app.get(
    '/message_history',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary: "The number's sent messages with their delivery status events (Meta's Message History API), paged with Graph cursors",
        description:
          'data[]: {id, message_id, events:{data:[{id, delivery_status: SENT|DELIVERED|READ|FAILED, timestamp, error_description}]}}, newest message first; ' +
          'message_id= gives that message only (400 code 100 when it is not one this number sent). fields= narrows (id, message_id, events{…}).',
        querystring: Type.Object({
          message_id: Type.Optional(Type.String({ maxLength: 300 })),
          fields: Type.Optional(Type.String({ maxLength: 2000 })),
          ...paging,
        }),
      },
    },
    async (request) => {
      const q = request.query as HistoryQuery;
      return listMessageHistory(deps, request.channel!, q, pageUrlOf(request, { message_id: q.message_id, fields: q.fields }));
    },
  );

  app.get(
    '/message_history/:history_id/events',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        security,
        summary: "One message history entry's delivery status events, paged with Graph cursors",
        description:
          'data[]: {cursor, node:{id, delivery_status, occurrence_timestamp, status_timestamp, error_description}}; delivery_status= (or status_filter=) keeps one status. ' +
          "An id that is not one of this number's entries is Graph's node error (400, code 100, subcode 33).",
        params: Type.Object({ history_id: Type.String({ maxLength: 400 }) }),
        querystring: Type.Object({
          delivery_status: Type.Optional(Type.String({ maxLength: 32 })),
          status_filter: Type.Optional(Type.String({ maxLength: 32 })),
          fields: Type.Optional(Type.String({ maxLength: 2000 })),
          ...paging,
        }),
      },
    },
    async (request) => {
      const q = request.query as EventsQuery;
      const { history_id } = request.params as { history_id: string };
      return listHistoryEvents(deps, request.channel!, history_id, q, pageUrlOf(request, { delivery_status: q.delivery_status, status_filter: q.status_filter, fields: q.fields }));
    },
  );
};
