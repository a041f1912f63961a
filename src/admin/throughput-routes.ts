// Operator control of a channel's send throughput: messages per second over POST /messages and
// /v1/messages (Meta's 130429 beyond it). Meta allows up to 1,000 for high-throughput numbers;
// a channel without its own setting uses OPENWABA_DEFAULT_THROUGHPUT_MPS.
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../deps.ts';
import { isoNow } from '../clock.ts';
import { notFound } from '../errors.ts';
import { ErrorBody } from '../partner-api/schemas.ts';
import { MAX_MPS as MAX_THROUGHPUT_MPS } from '../messaging/limits.ts';

const security: { [k: string]: string[] }[] = [{ AdminToken: [] }];
const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };
const Params = Type.Object({ channel_id: Type.String({ maxLength: 64 }) });
const Throughput = Type.Object({
  channel_id: Type.String(),
  throughput_mps: Type.Union([Type.Integer(), Type.Null()], { description: "The channel's own setting; null: the default applies" }),
  effective_mps: Type.Integer({ description: 'What the limiter enforces now' }),
});

export const adminThroughputRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['Admin'];
  const view = (channelId: string, mps: number | null) => ({ channel_id: channelId, throughput_mps: mps, effective_mps: mps ?? deps.config.defaultThroughputMps });

  async function load(channelId: string) {
    const ch = await deps.db.kysely.selectFrom('channels').select(['id', 'throughput_mps']).where('id', '=', channelId).executeTakeFirst();
    if (!ch) throw notFound(`Channel ${channelId} not found`);
    return ch;
  }

  app.get(
    '/channels/:channel_id/throughput',
    { schema: { tags, security, summary: "A channel's send throughput (messages per second)", params: Params, response: { 200: Throughput, ...errors } } },
    async (request) => {
      const ch = await load(request.params.channel_id);
      return view(ch.id, ch.throughput_mps);
    },
  );

  app.post(
    '/channels/:channel_id/throughput',
    {
      schema: {
        tags,
        security,
        summary: "Set a channel's send throughput: 1 to 1,000 messages per second, or null for the default",
        params: Params,
        body: Type.Object(
          { mps: Type.Union([Type.Integer({ minimum: 1, maximum: MAX_THROUGHPUT_MPS }), Type.Null()], { description: `1..${MAX_THROUGHPUT_MPS}, or null` }) },
          { additionalProperties: false },
        ),
        response: { 200: Throughput, ...errors },
      },
    },
    async (request) => {
      const ch = await load(request.params.channel_id);
      const mps = request.body.mps;
      await deps.db.kysely.updateTable('channels').set({ throughput_mps: mps, modified_at: isoNow(deps.clock) }).where('id', '=', ch.id).execute();
      return view(ch.id, mps);
    },
  );
};
