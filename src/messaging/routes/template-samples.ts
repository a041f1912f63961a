// GET and HEAD /template_samples/{session}/{signature}: a template's media header sample, the URL
// a template read shows in example.header_handle (templates/sample-url.ts). No key: the URL is the
// credential (as Meta's CDN URL is), so app.ts registers this beside the Messaging API, outside
// its key check. Anything that is not a live sample with that exact signature is one 404.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { uploadFilePath } from '../media/resumable.ts';
import { SAMPLE_PATH, uploadOfSampleUrl } from '../templates/sample-url.ts';

export const templateSampleRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.route({
    method: ['GET', 'HEAD'],
    url: `${SAMPLE_PATH}/:session/:signature`,
    schema: { hide: true },
    handler: async (request, reply) => {
      const { session, signature } = request.params as { session: string; signature: string };
      const missing = () =>
        reply.status(404).header('cache-control', 'no-store').send({ error: 'Not found: this template sample is unknown or expired, or the URL is not the one given' });
      const row = session.length <= 64 && signature.length <= 64 ? await uploadOfSampleUrl(deps, `${deps.config.publicUrl}${SAMPLE_PATH}/${session}/${signature}`) : undefined;
      if (!row) return missing();
      let size: number;
      try {
        size = (await stat(uploadFilePath(deps, row.id))).size;
      } catch {
        return missing();
      }
      reply.type(row.file_type).header('content-length', String(size)).header('cache-control', 'private, max-age=300').header('x-content-type-options', 'nosniff')
        // Served from openwaba's own origin without a key: never as a document that could run script.
        .header('content-security-policy', "default-src 'none'; sandbox");
      if (request.method === 'HEAD') return reply.send();
      return reply.send(createReadStream(uploadFilePath(deps, row.id)));
    },
  });
};
