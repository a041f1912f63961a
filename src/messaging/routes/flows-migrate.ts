// Flow migration through the Messaging API: Meta's POST /{destination-waba-id}/migrate_flows
// (graph-paths.ts brings it here; pywa's migrate_flows) and, at the root, POST /migrate_flows (as
// /migrate_message_templates: 360dialog serves the WABA's edges at the root, the key naming the
// WABA). The destination is always the key's WABA; `source_waba_id` names another WABA of the same
// partner, by Meta's id or openwaba's. Any other WABA (another partner's, or none) answers as Graph
// answers a node the token cannot see (400, code 100, subcode 33), exactly as template migration
// does (routes/template-migrate.ts). Rules and answer: flows/migrate.ts. A number on Meta's
// network asks Meta (its WABA's flows are there), with the parameters as checked here.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { graphNodeNotFound } from '../media/not-found.ts';
import { findPartnerWaba } from '../templates/migrate.ts';
import { migrateFlows, parseFlowMigration } from '../flows/migrate.ts';
import { withQuery } from '../../network/meta/cloud-api.ts';
import { badAnswer } from '../../network/meta/graph-errors.ts';
import { fail, type Obj } from '../validate/check.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];

const FlowMigrationAnswer = Type.Object(
  {
    migrated_flows: Type.Array(Type.Object({ source_name: Type.String(), source_id: Type.String(), migrated_id: Type.String() }, { additionalProperties: true })),
    failed_flows: Type.Array(Type.Object({ source_name: Type.String(), error_code: Type.String(), error_message: Type.String() }, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

export const flowMigrateRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  app.post(
    '/migrate_flows',
    {
      config: { flavour: 'cloud' },
      schema: {
        tags: ['WhatsApp Flows (Cloud)'],
        summary: "Copy another WABA's flows into the key's WABA (Meta's migrate_flows)",
        description:
          "Both WABAs must be the same partner's. The named flows (source_flow_names, a comma list or an array) or all of the source's, at most 100; a copy is PUBLISHED when its source is (and it passes the destination's publish checks), else DRAFT. A name the destination already has fails (error_code 4233041).",
        security,
        querystring: Type.Object({
          source_waba_id: Type.Optional(Type.String({ maxLength: 64, description: "the WABA to copy from (Meta's id or openwaba's); also taken in the body" })),
          source_flow_names: Type.Optional(Type.String({ maxLength: 25_000, description: 'comma-separated flow names; none: all flows' })),
        }),
        body: Type.Unknown({ description: '{"source_waba_id":"102290129340398","source_flow_names"?:["appointment-booking"]}' }),
        response: { 200: FlowMigrationAnswer },
      },
    },
    async (request) => {
      const ch = request.channel!;
      const req = parseFlowMigration(request.body, request.query as Obj);
      if (ch.network === 'meta') {
        const names = req.names?.join(',');
        const b = await meta.json(ch, 'POST', (c) => withQuery(`${c.wabaId}/migrate_flows`, { source_waba_id: req.source, source_flow_names: names }));
        if (!Array.isArray(b.migrated_flows)) throw badAnswer('a flow migration without migrated_flows');
        return { migrated_flows: b.migrated_flows, failed_flows: Array.isArray(b.failed_flows) ? b.failed_flows : [] };
      }
      const source = await findPartnerWaba(deps, ch.partner_id, req.source, ch.client_id);
      if (!source) throw graphNodeNotFound('POST', req.source);
      if (source.id === ch.waba_account_id) throw fail('source_waba_id', 'names the destination WhatsApp Business Account itself; name another WABA to copy its flows from');
      return migrateFlows(deps, { partnerId: ch.partner_id, wabaAccountId: ch.waba_account_id }, source.id, req);
    },
  );
};
