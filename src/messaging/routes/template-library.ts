// Meta's Template Library: GET /message_template_library (Graph's `/{version}/message_template_library`
// comes here through graph-paths.ts, as any versioned path naming no node of the key). The path is
// openwaba's choice: 360dialog documents the list but not its address (reference §4.1, [MISSING]),
// and this is Meta's edge at the root, as 360dialog serves Meta's other edges.
// The sandbox answers from its catalogue (templates/library.ts); a number on Meta's network from
// Meta's library. A template is made from an entry on the three create APIs (library-create.ts).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { listLibrary, type LibraryQuery } from '../templates/library-list.ts';
import { listMetaTemplateLibrary } from '../../network/meta/template-library-proxy.ts';
import { callerPageUrl } from '../page-links.ts';

const Q = (description: string) => Type.Optional(Type.String({ description, maxLength: 1024 }));
const Query = Type.Object({
  search: Q('a part of the name or body text, any casing'),
  topic: Q('e.g. ORDER_MANAGEMENT, PAYMENTS, ACCOUNT_UPDATE, EVENT_REMINDER, IDENTITY_VERIFICATION'),
  usecase: Q('e.g. SHIPMENT_CONFIRMATION, PAYMENT_DUE_REMINDER, ONE_TIME_PASSWORD'),
  industry: Q('e.g. E_COMMERCE, FINANCIAL_SERVICES, HEALTH'),
  language: Q('e.g. en_US'),
  name: Q('the whole library template name'),
  limit: Q('page size (default 25, at most 1000)'),
  after: Q('paging.cursors.after of the previous page'),
  before: Q('paging.cursors.before of the next page'),
});
const Button = Type.Object(
  {
    type: Type.String({ description: 'URL, PHONE_NUMBER, QUICK_REPLY or OTP' }),
    text: Type.String(),
    url: Type.Optional(Type.String()),
    phone_number: Type.Optional(Type.String()),
    otp_type: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
// Open: a number on Meta's network passes Meta's items through, with fields of Meta's choosing.
const Item = Type.Object(
  {
    name: Type.String(),
    language: Type.String(),
    category: Type.String({ description: 'UTILITY or AUTHENTICATION' }),
    topic: Type.Optional(Type.String()),
    usecase: Type.Optional(Type.String()),
    industry: Type.Optional(Type.Array(Type.String())),
    header: Type.Optional(Type.String()),
    body: Type.Optional(Type.String()),
    body_params: Type.Optional(Type.Array(Type.String())),
    body_param_types: Type.Optional(Type.Array(Type.String())),
    buttons: Type.Optional(Type.Array(Button)),
    id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
const Page = Type.Object(
  {
    data: Type.Array(Item),
    paging: Type.Optional(
      Type.Object(
        {
          cursors: Type.Optional(Type.Object({ before: Type.String(), after: Type.String() })),
          next: Type.Optional(Type.String()),
          previous: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

export const templateLibraryRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.get(
    '/message_template_library',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['Templates'],
        summary: "Meta's Template Library: ready-made UTILITY and AUTHENTICATION templates (cursor paging)",
        description:
          'Make a template from one with POST /message_templates (or /v1/configs/templates, or the Partner API) {name, category, language, library_template_name, library_template_button_inputs?, library_template_body_inputs?}: it is APPROVED at once.',
        security: [{ D360ApiKey: [] }],
        querystring: Query,
        response: { 200: Page },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const q = request.query as LibraryQuery;
      // paging.next/previous: the URL the caller used, its query kept (page-links.ts).
      const pageUrl = callerPageUrl(request, deps.config.publicUrl);
      if (ch.network === 'meta') return listMetaTemplateLibrary(meta, ch, q, pageUrl);
      return listLibrary(q, pageUrl);
    },
  );
};
