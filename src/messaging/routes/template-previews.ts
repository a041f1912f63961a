// Authentication template previews through the Messaging API: Meta's
// GET /{waba-id}/message_template_previews (graph-paths.ts brings it here) at the root as
// GET /message_template_previews, and GET /message_templates/previews (the Graph path
// /{waba-id}/message_templates/previews comes here through the message_templates edge). The
// static segment wins over GET /message_templates/{template_id} in Fastify's router. What is
// previewed: templates/previews.ts. A number on Meta's network asks Meta.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { authTemplatePreviews, parsePreviewQuery, type PreviewQuery } from '../templates/previews.ts';
import { metaTemplatePreviews } from '../../network/meta/templates-migrate-proxy.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const Q = (description: string) => Type.Optional(Type.String({ description, maxLength: 4096 }));

export const PreviewParams = Type.Object({
  category: Q('AUTHENTICATION (required)'),
  languages: Q('comma-separated language codes, e.g. en_US,es (default: every supported language)'),
  language: Q('the same as languages'),
  add_security_recommendation: Q('true: the body has the security sentence ("For your security, do not share this code." in English), in each language'),
  code_expiration_minutes: Q('1 to 90: the footer "This code expires in N minutes.", in each language'),
  button_types: Q('OTP: the items have the OTP button labels'),
});

export const PreviewAnswer = Type.Object({
  data: Type.Array(
    Type.Object(
      {
        body: Type.String(),
        buttons: Type.Optional(Type.Array(Type.Object({ autofill_text: Type.Optional(Type.String()), text: Type.String() }, { additionalProperties: true }))),
        footer: Type.Optional(Type.String()),
        language: Type.String(),
      },
      { additionalProperties: true },
    ),
  ),
});

export const templatePreviewRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { meta }) => {
  for (const path of ['/message_template_previews', '/message_templates/previews']) {
    app.get(
      path,
      {
        config: { flavour: 'cloud' },
        schema: {
          tags: ['Templates'],
          summary: "Authentication template previews (Meta's message_template_previews): body, footer and button texts per language",
          security,
          querystring: PreviewParams,
          response: { 200: PreviewAnswer },
        },
      },
      async (request) => {
        const q = request.query as PreviewQuery;
        const ch = request.channel!;
        if (ch.network === 'meta') return metaTemplatePreviews(meta, ch, q);
        return authTemplatePreviews(parsePreviewQuery(q));
      },
    );
  }
};
