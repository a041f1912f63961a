// Meta's Conversions API for Business Messaging (click-to-WhatsApp ad conversions) at the root, as
// 360dialog serves the WABA's edges, and on Graph's paths (graph-paths.ts):
//
//   GET  /dataset                        Graph: GET  /{version}/{waba-id}/dataset
//   POST /dataset                        Graph: POST /{version}/{waba-id}/dataset
//   POST /dataset/{dataset_id}/events    Graph: POST /{version}/{dataset-id}/events
//   GET  /sandbox/v1/conversion_events   (openwaba's extension: what the developer's code sent)
//
// (GET /{version}/{id}/events stays Meta's Message History API: routes/message-history.ts.)
// A sandbox WABA keeps one dataset and the last events posted to it (messaging/conversion-events.ts,
// where the shapes, limits and the choices no source confirms are). A dataset id that is not the
// key's WABA's answers Graph's unknown node (400, code 100, subcode 33). A number on Meta's network
// asks Meta with its token; its events are checked as a sandbox's are, then go to Meta (the dataset
// must be the one Meta names for the number's WABA), and are not kept here.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { graphParams } from '../graph-params.ts';
import { fbtrace, metaError } from '../errors.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { isKeysWaba } from '../graph-paths.ts';
import { assertSandboxChannel } from '../inbound.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { CONVERSION_EVENTS_KEPT, checkEventWabas, datasetOfWaba, ensureDataset, listConversionEvents, parseConversionEvents, storeConversionEvents } from '../conversion-events.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Conversions API'];
const config = { flavour: 'cloud' as const };
const DATASET_BODY_LIMIT = 16 * 1024;
/** 1000 events of a few hundred bytes each, with room. */
const EVENTS_BODY_LIMIT = 1024 * 1024;

function wabaOf(ch: ChannelRow): string {
  if (!ch.waba_account_id) throw metaError(400, 100, 'Invalid parameter', 'this number is not attached to a WhatsApp Business Account');
  return ch.waba_account_id;
}

/** The ids of a Meta answer's data list. */
function idsOf(b: { data?: unknown }): string[] {
  if (!Array.isArray(b.data)) throw badAnswer('a dataset list without data');
  return b.data.flatMap((d) => (d && typeof d === 'object' && typeof (d as { id?: unknown }).id === 'string' ? [(d as { id: string }).id] : []));
}

export const conversionEventRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: EVENTS_BODY_LIMIT });

    scope.get(
      '/dataset',
      {
        config,
        schema: {
          tags,
          security,
          summary: "The Conversions API dataset of the key's WABA, as Graph's /{waba-id}/dataset lists it ({data:[{id}]}, empty when it has none)",
          response: { 200: Type.Object({ data: Type.Array(Type.Object({ id: Type.String() }, { additionalProperties: true })) }, { additionalProperties: true }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'GET', (c) => `${c.wabaId}/dataset`);
          idsOf(b);
          return b;
        }
        const id = await datasetOfWaba(deps, wabaOf(ch));
        return { data: id ? [{ id }] : [] };
      },
    );

    scope.post(
      '/dataset',
      {
        config,
        bodyLimit: DATASET_BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: "Create the Conversions API dataset of the key's WABA, or get the one it has ({id})",
          description: 'A WABA has one dataset: a second call answers the same id. Parameters (none are needed) in the JSON or form body or the query string.',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
          response: { 200: Type.Object({ id: Type.String() }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        graphParams(request); // a body that is not an object is refused, as on Graph's other edges
        if (ch.network === 'meta') {
          const b = await meta.json(ch, 'POST', (c) => `${c.wabaId}/dataset`, { json: {} });
          if (typeof b.id !== 'string') throw badAnswer('a dataset without an id');
          return { id: b.id };
        }
        return { id: await ensureDataset(deps, wabaOf(ch)) };
      },
    );

    scope.post(
      '/dataset/:dataset_id/events',
      {
        config,
        bodyLimit: EVENTS_BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: "Send click-to-WhatsApp conversion events to the key's WABA's dataset (Meta's Conversions API for Business Messaging)",
          description:
            '{data:[{event_name: LeadSubmitted|Purchase|AddToCart|InitiateCheckout|ViewContent, event_time (unix seconds, at most 7 days old), action_source:"business_messaging", ' +
            'messaging_channel:"whatsapp", user_data:{whatsapp_business_account_id, ctwa_clid}, custom_data:{currency, value} (required for Purchase)}], partner_agent?, test_event_code?}; ' +
            `up to 1000 events, all or none. Answers {events_received, messages:[], fbtrace_id}. A sandbox dataset keeps its last ${CONVERSION_EVENTS_KEPT} events (GET /sandbox/v1/conversion_events).`,
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          params: Type.Object({ dataset_id: Type.String({ maxLength: 400 }) }), // long enough for any id a client names (a message history id too): the handler answers Graph's unknown node
          body: Type.Unknown(),
          response: { 200: Type.Object({ events_received: Type.Integer(), messages: Type.Array(Type.Unknown()), fbtrace_id: Type.String() }, { additionalProperties: true }) },
        },
      },
      async (request) => {
        const ch = request.channel!;
        const { dataset_id } = request.params as { dataset_id: string };
        const notFound = () => graphNodeNotFound('POST', dataset_id);
        if (!/^\d{1,32}$/.test(dataset_id)) throw notFound();
        let datasetId: string;
        if (ch.network === 'meta') {
          // The dataset must be the one Meta names for the number's WABA: the number's token may see others.
          const ids = idsOf(await meta.json(ch, 'GET', (c) => `${c.wabaId}/dataset`));
          if (!ids.includes(dataset_id)) throw notFound();
          datasetId = dataset_id;
        } else {
          const own = await datasetOfWaba(deps, wabaOf(ch));
          if (own !== dataset_id) throw notFound();
          datasetId = own;
        }
        const nowSeconds = Math.floor(deps.clock.now().getTime() / 1000);
        const batch = parseConversionEvents(graphParams(request), nowSeconds);
        await checkEventWabas(batch, (id) => isKeysWaba(deps, ch, id));
        if (ch.network === 'meta') {
          const json = { data: batch.events.map((e) => e.event), ...(batch.partner_agent ? { partner_agent: batch.partner_agent } : {}), ...(batch.test_event_code ? { test_event_code: batch.test_event_code } : {}) };
          const b = await meta.json(ch, 'POST', () => `${datasetId}/events`, { json });
          if (typeof b.events_received !== 'number') throw badAnswer('an events answer without events_received');
          return { events_received: b.events_received, messages: Array.isArray(b.messages) ? b.messages : [], fbtrace_id: typeof b.fbtrace_id === 'string' ? b.fbtrace_id : fbtrace() };
        }
        await storeConversionEvents(deps, datasetId, batch);
        return { events_received: batch.events.length, messages: [], fbtrace_id: fbtrace() };
      },
    );
  });

  app.get(
    '/sandbox/v1/conversion_events',
    {
      config,
      schema: {
        tags: ['Sandbox (extension)'],
        security,
        summary: "The last conversion events posted to the key's WABA's dataset, newest first (what your code sent)",
        description: `Sandbox numbers only. limit: 1 to ${CONVERSION_EVENTS_KEPT} (default 50). A dataset keeps its last ${CONVERSION_EVENTS_KEPT} events.`,
        querystring: Type.Object({ limit: Type.Optional(Type.String({ maxLength: 16 })) }),
        response: {
          200: Type.Object({
            dataset_id: Type.Union([Type.String(), Type.Null()]),
            events: Type.Array(
              Type.Object({
                id: Type.String(),
                received_at: Type.String(),
                event_name: Type.String(),
                event_time: Type.Integer(),
                ctwa_clid: Type.String(),
                test_event_code: Type.Union([Type.String(), Type.Null()]),
                partner_agent: Type.Union([Type.String(), Type.Null()]),
                event: Type.Unknown(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const ch = request.channel!;
      assertSandboxChannel(ch);
      const { limit: raw } = request.query as { limit?: string };
      let limit = 50;
      if (raw !== undefined) {
        if (!/^\d{1,4}$/.test(raw.trim()) || Number(raw) < 1) throw metaError(400, 100, 'Invalid parameter', `limit: must be a whole number from 1 to ${CONVERSION_EVENTS_KEPT}`);
        limit = Math.min(Number(raw), CONVERSION_EVENTS_KEPT);
      }
      const datasetId = await datasetOfWaba(deps, wabaOf(ch));
      return { dataset_id: datasetId ?? null, events: datasetId ? await listConversionEvents(deps, datasetId, limit) : [] };
    },
  );
};
