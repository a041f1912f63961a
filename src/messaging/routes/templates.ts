// Templates through the Messaging API, for the channel's WABA:
// - 360dialog's /v1/configs/templates (list in the Partner API's envelope, create, delete by name);
// - Meta's /message_templates (cursor-paged list, create, delete ?name=), and one template by id
//   (/message_templates/{id}: get, edit).
// /v1/configs/templates serves Cloud and On-Premise channels alike, so its errors follow the
// channel's hosting type (Meta's `{"error":…}` for Cloud, `{"errors":[…]}` for On-Premise).
// A number on Meta's network has its WABA's templates at Meta: each route asks Meta instead
// (network/meta/templates-proxy.ts, templates-360-list.ts), Meta's errors in the route's format.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { ChannelRow } from '../../services/channels.ts';
import type { MessagingOptions } from '../plugin.ts';
import { invalidParameter } from '../errors.ts';
import { listTemplates, listTemplatesMeta, templateNode, type MetaListQuery } from '../templates/list.ts';
import { createTemplate, deleteTemplatesByName, editTemplate, type TemplateScope } from '../templates/service.ts';
import { findTemplateById } from '../templates/store.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import type { Actor } from '../templates/store.ts';
import { templateName } from '../templates/validate.ts';
import { createMetaTemplate, deleteMetaTemplate, editMetaTemplate, getMetaTemplate, listMetaTemplates, type MetaTemplateQuery } from '../../network/meta/templates-proxy.ts';
import { listMetaTemplates360 } from '../../network/meta/templates-360-list.ts';
import multipart from '@fastify/multipart';
import { addFormBodyParser, FORM_CONTENT_TYPE } from '../../partner-api/form-body.ts';
import { templateParams } from '../templates/graph-input.ts';
import { showSampleUrlsIn } from '../templates/sample-url.ts';
import { callerPageUrl } from '../page-links.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Templates'];
const Q = (description: string) => Type.Optional(Type.String({ description, maxLength: 4096 }));
const ListQuery360 = Type.Object({
  filters: Q('JSON object, keys id, partner_id, business_templates.name (or name), status, category, language'),
  sort: Q('e.g. business_templates.name or -modified_at'),
  limit: Q('page size (default 50, at most 1000)'),
  offset: Q('items to skip'),
});
const MetaQuery = Type.Object({
  limit: Q('page size (default 25, at most 1000)'),
  after: Q('paging.cursors.after of the previous page'),
  before: Q('paging.cursors.before of the next page'),
  fields: Q('comma-separated: id, name, language, status, category, parameter_format, components, rejected_reason'),
  name: Q('part of the template name'),
  status: Q('APPROVED, PENDING, REJECTED … (either casing)'),
  category: Q('AUTHENTICATION, MARKETING, UTILITY'),
  language: Q('e.g. en_US'),
  summary: Q('total_count (or true): adds summary.total_count, the templates matching the filters; message_template_count: all of the WABA'),
});
const CreateBody = Type.Unknown({
  description:
    '{"name":"order_update","category":"UTILITY","language":"en_US","components":[{"type":"BODY","text":"Your order {{1}} has shipped","example":{"body_text":[["#1234"]]}}]}',
});
const Created = Type.Object({ id: Type.String(), status: Type.String(), category: Type.String() });
// Open: a number on Meta's network passes Meta's template object through, with fields of Meta's choosing.
const MetaTemplate = Type.Object(
  {
    id: Type.String(),
    name: Type.Optional(Type.String()),
    language: Type.Optional(Type.String()),
    status: Type.Optional(Type.String({ description: 'APPROVED, PENDING, REJECTED, PAUSED, DISABLED' })),
    category: Type.Optional(Type.String({ description: 'AUTHENTICATION, MARKETING, UTILITY' })),
    parameter_format: Type.Optional(Type.String({ description: 'POSITIONAL or NAMED' })),
    components: Type.Optional(Type.Array(Type.Unknown())),
    rejected_reason: Type.Optional(Type.String()),
  },
  { additionalProperties: true, description: "Meta's template object: id, name, language, status, category, parameter_format, components by default; rejected_reason when asked for" },
);

const scopeOf = (ch: ChannelRow): TemplateScope => ({ partnerId: ch.partner_id, wabaAccountId: ch.waba_account_id });
const actorOf = (ch: ChannelRow): Actor => ({ user_id: ch.id, user_name: 'channel_api_key' });

export const templateRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  // Graph's template create and edit also take forms and multipart bodies (templates/graph-input.ts).
  await app.register(multipart);
  addFormBodyParser(app);
  // ---- 360dialog: /v1/configs/templates ----
  app.get(
    '/v1/configs/templates',
    { config: { flavour: 'channel' }, schema: { tags, summary: "The WABA's templates (360 list envelope, key waba_templates)", security, querystring: ListQuery360 } },
    async (request) => {
      const ch = request.channel!;
      if (ch.network === 'meta') return listMetaTemplates360(meta, ch, request.query as Record<string, string>);
      const list = await listTemplates(deps, ch.waba_account_id, request.query as Record<string, string>);
      await showSampleUrlsIn(deps, ch.waba_account_id, list.waba_templates);
      return list;
    },
  );

  app.post(
    '/v1/configs/templates',
    {
      config: { flavour: 'channel' },
      schema: {
        tags,
        summary: 'Create a template (PENDING until the sandbox review, OPENWABA_TEMPLATE_REVIEW_DELAY)',
        description: 'Refused at once as Meta refuses it (400, error_subcode 2388299 or 2388293): a BODY that begins or ends with a placeholder, or has too many placeholders for its length. Rejected by the sandbox review (INVALID_FORMAT): names starting with reject_, two placeholders side by side.',
        security,
        body: CreateBody,
        response: { 201: Created },
      },
    },
    async (request, reply) => {
      const ch = request.channel!;
      if (ch.network === 'meta') return reply.status(201).send(await createMetaTemplate(meta, ch, request.body));
      const t = await createTemplate(deps, scopeOf(ch), request.body, actorOf(ch));
      return reply.status(201).send({ id: t.id, status: t.status, category: t.category });
    },
  );

  app.delete(
    '/v1/configs/templates/:name',
    {
      config: { flavour: 'channel' },
      schema: { tags, summary: 'Delete a template name (all its languages)', security, params: Type.Object({ name: Type.String({ maxLength: 512 }) }) },
    },
    async (request) => {
      const name = templateName((request.params as { name: string }).name);
      const ch = request.channel!;
      if (ch.network === 'meta') await deleteMetaTemplate(meta, ch, name);
      else await deleteTemplatesByName(deps, ch.waba_account_id, name);
      return { meta: { success: true, http_code: 200, developer_message: `template name=${name} was deleted` } };
    },
  );

  // ---- Meta: /message_templates ----
  app.get(
    '/message_templates',
    { config: { flavour: 'cloud' }, schema: { tags, summary: "The WABA's templates (Meta format, cursor paging)", security, querystring: MetaQuery } },
    async (request) => {
      // paging.next/previous: the URL the caller used, its query kept (page-links.ts).
      const pageUrl = callerPageUrl(request, deps.config.publicUrl);
      if (request.channel!.network === 'meta') return listMetaTemplates(meta, request.channel!, request.query as MetaTemplateQuery, pageUrl);
      const list = await listTemplatesMeta(deps, request.channel!.waba_account_id, request.query as MetaListQuery, pageUrl);
      // A media header's sample as a URL, as Meta shows it (templates/sample-url.ts).
      await showSampleUrlsIn(deps, request.channel!.waba_account_id, list.data);
      return list;
    },
  );

  app.post(
    '/message_templates',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        summary: 'Create a template (Meta format): a JSON body, or the parameters in the query, a form or multipart (components as its JSON text), as Graph takes them',
        security,
        consumes: ['application/json', FORM_CONTENT_TYPE, 'multipart/form-data'],
        body: CreateBody,
        response: { 200: Created },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const body = await templateParams(request);
      if (ch.network === 'meta') return createMetaTemplate(meta, ch, body);
      const t = await createTemplate(deps, scopeOf(ch), body, actorOf(ch));
      return { id: t.id, status: t.status, category: t.category };
    },
  );

  // Meta's template edit, POST /{template-id} (Graph's `/{version}/{template-id}`, which
  // graph-paths.ts brings here): new components (and category) for an APPROVED, REJECTED or PAUSED
  // template, which goes back to review; `{"success":true}`. At the root it is
  // /message_templates/{template-id}: a root POST /{id} would take every unknown single-segment POST.
  // A template of another WABA, or none, answers as Graph answers a node the token cannot see.
  app.post(
    '/message_templates/:template_id',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        summary: "Edit a template by id (Meta's POST /{template-id}): components, category",
        security,
        params: Type.Object({ template_id: Type.String({ maxLength: 64 }) }),
        consumes: ['application/json', FORM_CONTENT_TYPE, 'multipart/form-data'],
        body: Type.Unknown({ description: '{"components":[…],"category"?} — as Meta\'s template edit (or as query, form or multipart parameters)' }),
      },
    },
    async (request) => {
      const ch = request.channel!;
      const id = (request.params as { template_id: string }).template_id;
      if (!/^\d{1,20}$/.test(id)) throw graphNodeNotFound('POST', id);
      const body = await templateParams(request);
      if (ch.network === 'meta') return editMetaTemplate(meta, ch, id, body);
      if (!(await findTemplateById(deps, ch.waba_account_id, id))) throw graphNodeNotFound('POST', id);
      await editTemplate(deps, ch.waba_account_id, id, body, actorOf(ch));
      return { success: true };
    },
  );

  // Meta's template by id, GET /{template-id} (Graph's `/{version}/{template-id}`): Meta's template
  // object as the list shows each item, `fields=` as the list takes it. At the root it is
  // /message_templates/{template-id}, as the edit. A template of another WABA, none, or an id that
  // cannot be one answers as Graph answers a node the token cannot see.
  app.get(
    '/message_templates/:template_id',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        summary: "A template by id (Meta's GET /{template-id})",
        security,
        params: Type.Object({ template_id: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object({ fields: MetaQuery.properties.fields }),
        response: { 200: MetaTemplate },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const id = (request.params as { template_id: string }).template_id;
      if (!/^\d{1,20}$/.test(id)) throw graphNodeNotFound('GET', id);
      const fields = (request.query as { fields?: string }).fields;
      if (ch.network === 'meta') return getMetaTemplate(meta, ch, id, fields);
      const node = await templateNode(deps, ch.waba_account_id, id, fields);
      if (!node) throw graphNodeNotFound('GET', id);
      await showSampleUrlsIn(deps, ch.waba_account_id, [node]);
      return node;
    },
  );

  app.delete(
    '/message_templates',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags,
        summary: 'Delete a template by name (all languages), or one language with hsm_id',
        security,
        querystring: Type.Object({ name: Q('template name'), hsm_id: Q('template id: delete only this one') }),
      },
    },
    async (request) => {
      const q = request.query as { name?: string; hsm_id?: string };
      if (q.name === undefined || q.name === '') throw invalidParameter('name is required (DELETE /message_templates?name=<template name>)');
      const name = templateName(q.name);
      if (q.hsm_id !== undefined && !/^\d{1,20}$/.test(q.hsm_id)) throw invalidParameter('hsm_id must be a template id (digits)');
      const ch = request.channel!;
      if (ch.network === 'meta') await deleteMetaTemplate(meta, ch, name, q.hsm_id);
      else await deleteTemplatesByName(deps, ch.waba_account_id, name, q.hsm_id);
      return { success: true };
    },
  );
};
