// Template analytics through the Messaging API: Meta's GET /{waba-id}/template_analytics
// (graph-paths.ts brings the Graph path here, after checking the WABA is the key's) at the root as
// GET /template_analytics, where the key names the WABA, as every other WABA edge is served here
// (/message_templates, /message_template_previews). Computed from the stored template sends:
// templates/analytics.ts. A number on Meta's network asks Meta.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { parseTemplateAnalyticsQuery, templateAnalytics, type TemplateAnalyticsQuery } from '../templates/analytics.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const Q = (description: string) => Type.Optional(Type.String({ description, maxLength: 4096 }));

export const TemplateAnalyticsParams = Type.Object({
  start: Q('Unix seconds (required): the first second counted'),
  end: Q('Unix seconds (required): counting stops before it; at most 90 days after start'),
  granularity: Q('DAILY (the only one)'),
  template_ids: Q('the templates, at most 10: ["123","456"] or 123,456 (required)'),
  metric_types: Q('SENT, DELIVERED, READ, CLICKED (default: all), as a list'),
  product_type: Q("Meta's cloud_api or marketing_messages_lite_api: accepted, every send counts"),
  use_waba_timezone: Q('accepted; days are UTC'),
  limit: Q('accepted; everything comes in one page'),
  after: Q('accepted; everything comes in one page'),
  before: Q('accepted; everything comes in one page'),
});

const Point = Type.Object(
  {
    template_id: Type.String(),
    start: Type.Integer(),
    end: Type.Integer(),
    sent: Type.Optional(Type.Integer()),
    delivered: Type.Optional(Type.Integer()),
    read: Type.Optional(Type.Integer()),
    clicked: Type.Optional(Type.Array(Type.Object({ type: Type.String(), button_content: Type.String(), count: Type.Integer() }, { additionalProperties: true }))),
  },
  { additionalProperties: true },
);
export const TemplateAnalyticsAnswer = Type.Object(
  {
    data: Type.Array(Type.Object({ granularity: Type.String(), product_type: Type.Optional(Type.String()), data_points: Type.Array(Point) }, { additionalProperties: true })),
    paging: Type.Optional(Type.Object({}, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

export const templateAnalyticsRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.get(
    '/template_analytics',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Templates'],
        summary: "Template analytics (Meta's template_analytics): sent, delivered, read and quick-reply clicks per template and day",
        security,
        querystring: TemplateAnalyticsParams,
        response: { 200: TemplateAnalyticsAnswer },
      },
    },
    async (request) => {
      const q = request.query as TemplateAnalyticsQuery;
      const ch = request.channel!;
      if (ch.network === 'meta') {
        const b = await meta.json(ch, 'GET', (c) => withQuery(`${c.wabaId}/template_analytics`, { ...q }));
        if (!Array.isArray(b.data)) throw badAnswer('template analytics without data');
        return b;
      }
      return templateAnalytics(deps, ch, parseTemplateAnalyticsQuery(q));
    },
  );
};
