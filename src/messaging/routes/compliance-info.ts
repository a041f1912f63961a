// India commerce compliance details of the number (rules and choices: ../compliance-info.ts):
//
//   Cloud       GET/POST /business_compliance_info   (also Graph's /{version}/{phone-number-id}/business_compliance_info)
//   On-Premise  GET/POST /v1/settings/business/compliance_info
//
// The Cloud paths take a JSON body, a form or the query string (graph-params.ts), as Graph does;
// the On-Premise path a JSON body. A number on Meta's network keeps its details at Meta: the
// checked record goes to Meta's /{phone_number_id}/business_compliance_info and Meta's answer (or
// error) comes back; its On-Premise GET answers Meta's first record in the On-Premise shape.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { addFormBodyParser } from '../../partner-api/form-body.ts';
import { graphParams } from '../graph-params.ts';
import { ONPREM_META } from '../errors.ts';
import { fail, isObj } from '../validate/check.ts';
import { ENTITY_TYPES, parseComplianceInfo, readComplianceInfo, saveComplianceInfo, type ComplianceInfo } from '../compliance-info.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const tags = ['Commerce compliance (India)'];
const BODY_LIMIT = 64 * 1024;
const PATH = '/business_compliance_info';
const ONPREM_PATH = '/v1/settings/business/compliance_info';
const bodyDescription =
  `{messaging_product?: "whatsapp", entity_name, entity_type (${ENTITY_TYPES.join(' | ')}, any case), entity_type_custom?, ` +
  'is_registered (required for PARTNERSHIP and OTHER), customer_care_details: {email, landline_number?, mobile_number?}, ' +
  'grievance_officer_details: {name, email, landline_number?, mobile_number?}}; each details object needs at least one of the two numbers. ' +
  'A POST replaces the whole record.';

export const complianceInfoRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  const metaPath = (c: { phoneNumberId: string }) => `${c.phoneNumberId}/business_compliance_info`;

  /** The number's record: ours, or (a number on Meta's network) Meta's `data` list. */
  async function read(ch: ChannelRow): Promise<unknown[]> {
    if (ch.network === 'meta') {
      const b = await meta.json(ch, 'GET', metaPath);
      return Array.isArray(b.data) ? b.data : [];
    }
    const info = await readComplianceInfo(deps, ch.id);
    return info ? [{ ...info, messaging_product: 'whatsapp' }] : [];
  }

  async function write(ch: ChannelRow, info: ComplianceInfo): Promise<void> {
    if (ch.network === 'meta') await meta.json(ch, 'POST', metaPath, { json: { messaging_product: 'whatsapp', ...info } });
    else await saveComplianceInfo(deps, ch.id, info);
  }

  await app.register(async (scope) => {
    addFormBodyParser(scope, { bodyLimit: BODY_LIMIT });
    const config = { flavour: 'cloud' as const };

    scope.get(
      PATH,
      {
        config,
        schema: {
          tags,
          security,
          summary: "The number's India commerce compliance details",
          description: '{"data":[{entity_name, entity_type, is_registered, customer_care_details, grievance_officer_details, messaging_product}]}, as Meta answers; {"data":[]} before any were given.',
        },
      },
      async (request) => ({ data: await read(request.channel!) }),
    );

    scope.post(
      PATH,
      {
        config,
        bodyLimit: BODY_LIMIT,
        schema: {
          tags,
          security,
          summary: 'Give the India commerce compliance details (needed before a +91 number sends product messages); answers {"success":true}',
          description: bodyDescription + ' A JSON body, a form or query parameters (objects as JSON text).',
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: Type.Unknown(),
        },
      },
      async (request) => {
        await write(request.channel!, parseComplianceInfo(graphParams(request)));
        return { success: true };
      },
    );
  });

  const onprem = { flavour: 'onpremise' as const };
  app.get(
    ONPREM_PATH,
    {
      config: onprem,
      schema: {
        tags,
        security,
        summary: "The number's India commerce compliance details (On-Premise shape)",
        description:
          '{"settings":{"business":{"compliance_info":{…}}},"meta":{…}}; compliance_info is {} before any were given. ' +
          "(Meta's sample puts meta inside compliance_info; we answer it beside settings, as every other On-Premise answer.)",
      },
    },
    async (request) => {
      const first = (await read(request.channel!))[0];
      const info: Record<string, unknown> = isObj(first) ? { ...first } : {};
      delete info.messaging_product;
      // On-Premise's GET shows entity_type_custom always (empty unless the type is Other).
      if (isObj(first)) info.entity_type_custom ??= '';
      return { settings: { business: { compliance_info: info } }, meta: ONPREM_META };
    },
  );

  app.post(
    ONPREM_PATH,
    { config: onprem, bodyLimit: BODY_LIMIT, schema: { tags, security, summary: 'Give the India commerce compliance details (On-Premise)', description: bodyDescription, body: Type.Unknown() } },
    async (request) => {
      if (!isObj(request.body)) throw fail('body', 'must be a JSON object');
      await write(request.channel!, parseComplianceInfo(request.body));
      return { meta: ONPREM_META };
    },
  );
};
