// More of Meta's template edges through the Messaging API (graph-paths.ts brings the Graph paths here):
//   POST /upsert_message_templates              Meta's POST /{waba-id}/upsert_message_templates (templates/upsert.ts)
//   POST /message_templates/{id}/unpause        Meta's POST /{template-id}/unpause (templates/unpause.ts)
//   GET  /message_templates/{id}/compare        Meta's GET /{template-id}/compare (templates/compare.ts)
// A number on Meta's network asks Meta the same edge with the channel's credentials, Meta's answer
// (or error) passed on, as the other template edges do (network/meta/templates-proxy.ts).
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { parseUpsert, upsertTemplates } from '../templates/upsert.ts';
import { unpauseTemplate } from '../templates/unpause.ts';
import { compareTemplates, type CompareQuery } from '../templates/compare.ts';
import { findTemplateById } from '../templates/store.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import { forgetMetaTemplateLists } from '../../network/meta/templates-360-list.ts';
import { invalidParameter } from '../errors.ts';
import { isObj } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Templates'];
const Q = (description: string) => Type.Optional(Type.String({ description, maxLength: 4096 }));
const TemplateId = Type.Object({ template_id: Type.String({ maxLength: 64 }) });
const ID = /^\d{1,20}$/;

const UpsertAnswer = Type.Object(
  { data: Type.Array(Type.Object({ id: Type.String(), status: Type.String(), language: Type.String() }, { additionalProperties: true })) },
  { additionalProperties: true },
);
const Success = Type.Object({ success: Type.Boolean() }, { additionalProperties: true });
const CompareAnswer = Type.Object({ data: Type.Array(Type.Object({ metric: Type.String(), type: Type.String() }, { additionalProperties: true })) }, { additionalProperties: true });

export const templateUpsertRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.post(
    '/upsert_message_templates',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        summary: "Create or update an authentication template in several languages (Meta's upsert_message_templates)",
        security,
        body: Type.Unknown({
          description: '{"name":"login_code","languages":["en_US","es_ES"],"category":"AUTHENTICATION","components":[{"type":"BODY","add_security_recommendation":true},{"type":"BUTTONS","buttons":[{"type":"OTP","otp_type":"COPY_CODE"}]}]}',
        }),
        response: { 200: UpsertAnswer },
      },
    },
    async (request) => {
      const ch = request.channel!;
      if (ch.network === 'meta') {
        if (!isObj(request.body)) throw invalidParameter('body: must be a JSON object with name, languages, category and components');
        let waba: string | undefined;
        try {
          const b = await meta.json(ch, 'POST', (c) => `${(waba = c.wabaId)}/upsert_message_templates`, { json: request.body });
          if (!Array.isArray(b.data)) throw badAnswer('an upsert_message_templates answer without data');
          return b;
        } finally {
          // Whatever Meta did (a refusal changes nothing; dropping the kept lists costs one re-read).
          if (waba !== undefined) forgetMetaTemplateLists(deps, waba);
        }
      }
      return upsertTemplates(deps, { partnerId: ch.partner_id, wabaAccountId: ch.waba_account_id }, parseUpsert(request.body), { user_id: ch.id, user_name: 'channel_api_key' });
    },
  );

  app.post(
    '/message_templates/:template_id/unpause',
    {
      config: { flavour: 'cloud' },
      schema: { tags, summary: "Unpause a PAUSED template (Meta's POST /{template-id}/unpause): it is APPROVED again", security, params: TemplateId, response: { 200: Success } },
    },
    async (request) => {
      const ch = request.channel!;
      const id = (request.params as { template_id: string }).template_id;
      if (!ID.test(id)) throw graphNodeNotFound('POST', id);
      if (ch.network === 'meta') {
        let waba: string | undefined;
        try {
          const b = await meta.json(ch, 'POST', (c) => ((waba = c.wabaId), `${id}/unpause`));
          return { ...b, success: b.success !== false };
        } finally {
          if (waba !== undefined) forgetMetaTemplateLists(deps, waba);
        }
      }
      if (!(await findTemplateById(deps, ch.waba_account_id, id))) throw graphNodeNotFound('POST', id);
      return unpauseTemplate(deps, ch.waba_account_id, id);
    },
  );

  app.get(
    '/message_templates/:template_id/compare',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        summary: "Compare a template with another (Meta's GET /{template-id}/compare): sends, block rate order, top block reason",
        security,
        params: TemplateId,
        querystring: Type.Object({
          template_ids: Q('the other template: ["1234567890"] (required)'),
          start: Q('Unix seconds (required)'),
          end: Q('Unix seconds (required): end - start is 7, 30, 60 or 90 days'),
        }),
        response: { 200: CompareAnswer },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const id = (request.params as { template_id: string }).template_id;
      if (!ID.test(id)) throw graphNodeNotFound('GET', id);
      const q = request.query as CompareQuery;
      if (ch.network === 'meta') {
        const b = await meta.json(ch, 'GET', () => withQuery(`${id}/compare`, { template_ids: q.template_ids, start: q.start, end: q.end }));
        if (!Array.isArray(b.data)) throw badAnswer('a template comparison without data');
        return b;
      }
      if (!(await findTemplateById(deps, ch.waba_account_id, id))) throw graphNodeNotFound('GET', id);
      return compareTemplates(deps, ch, id, q);
    },
  );
};
