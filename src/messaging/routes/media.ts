// Media: Cloud POST /media, GET and DELETE /{media_id}, the download URL
// /whatsapp_business/attachments/?mid=…; On-Premise POST /v1/media, GET and DELETE /v1/media/{id}.
// Registered last: GET and DELETE /{media_id} take every single-segment path nothing else has.
// On a number on Meta's network, an id openwaba did not issue is Meta's (an inbound message's
// media): those requests go to Meta (network/meta/media-proxy.ts); ids of our own uploads are
// served from here as on any number.
// Media that is not there answers per route (media/not-found.ts): Graph's 400 on Cloud GET and
// DELETE /{media_id}, a 404 on the download URL, the On-Premise 404 (1006) under /v1/media.
// Cloud GET /{media_id} is blocked for a while after repeated errors when configured
// (media/get-error-block.ts).
import { open } from 'node:fs/promises';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import multipart from '@fastify/multipart';
import contentDisposition from 'content-disposition';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import type { MessagingOptions } from '../plugin.ts';
import { ONPREM_META, invalidParameter } from '../errors.ts';
import { uploadCloudMedia } from '../media/cloud-upload.ts';
import { uploadOnPremMedia, useRawBody } from '../media/onprem-upload.ts';
import { ATTACHMENTS_PATH, downloadUrl, verifyDownload } from '../media/download-url.ts';
import { deleteMedia, filePath, findMedia, liveMedia, type MediaRow } from '../media/store.ts';
import { cloudDeleteMiss, cloudGetMiss, downloadNotFound, onPremMediaNotFound, type MediaMiss } from '../media/not-found.ts';
import { MediaGetErrorBlock } from '../media/get-error-block.ts';
import { BlockedBody, DownloadErrorBody, OnPremMediaErrorBody, UnknownMediaBody } from '../media/error-schemas.ts';
import { toApiError } from '../../errors.ts';
import { extensionOf } from '../media/types.ts';
import { UploadLimit } from '../media/upload-limit.ts';
import { OnPremMeta } from './messages.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { deleteMetaMedia, metaMediaInfo, sendMetaDownload, sendMetaMedia } from '../../network/meta/media-proxy.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const cloud = { flavour: 'cloud' as const };
const onpremise = { flavour: 'onpremise' as const };
const MediaInfo = Type.Object({
  messaging_product: Type.Literal('whatsapp'),
  url: Type.String(),
  mime_type: Type.String(),
  sha256: Type.String(),
  file_size: Type.Integer(),
  id: Type.String(),
});
const Success = Type.Object({ success: Type.Boolean() });

/** Answers the file's bytes from disk, streamed, with its type, length and a filename; a file gone meanwhile is `miss`. */
export async function sendFile(deps: Deps, reply: FastifyReply, row: MediaRow, miss: MediaMiss = downloadNotFound) {
  let handle;
  try {
    handle = await open(filePath(deps, row.storage_key), 'r');
  } catch {
    throw miss(row.id);
  }
  const name = row.filename ?? `${row.id}.${extensionOf(row.mime_type)}`;
  return reply
    .type(row.mime_type)
    .header('content-length', String(row.file_size))
    .header('content-disposition', contentDisposition(name))
    .header('cache-control', 'private, no-store')
    .send(handle.createReadStream());
}

const mediaId = (params: unknown) => String((params as { media_id?: unknown }).media_id ?? '');

export const mediaRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  /** Whether this id is Meta's: the number is on Meta's network and the id is none of our uploads. */
  const atMeta = async (ch: ChannelRow, id: string | undefined) => ch.network === 'meta' && !(id && (await liveMedia(deps, ch.id, id)));

  const uploadLimit = new UploadLimit();
  const getErrorBlock = deps.config.mediaGetErrorBlock ? new MediaGetErrorBlock(deps.db, deps.config.mediaGetErrorBlock, app.log) : undefined;

  // Cloud upload: multipart, parsed as a stream in the handler (never against the 1 MiB body limit).
  // Local on Meta's network too: a send naming the id uploads the file to Meta then (network/meta/
  // media-upload.ts), so the file needs no Meta request until it is used, and is sent once per day.
  await app.register(async (scope) => {
    await scope.register(multipart);
    scope.post(
      '/media',
      {
        config: cloud,
        schema: {
          tags: ['Media (Cloud)'],
          summary: 'Upload media: multipart/form-data with messaging_product=whatsapp, file, type',
          security,
          consumes: ['multipart/form-data'],
          response: { 200: Type.Object({ id: Type.String() }) },
        },
      },
      async (request) => {
        uploadLimit.check(deps, request);
        return { id: (await uploadCloudMedia(deps, request)).id };
      },
    );
  });

  // On-Premise upload: the raw body, handed over unread.
  await app.register(async (scope) => {
    useRawBody(scope);
    scope.post(
      '/v1/media',
      {
        config: onpremise,
        schema: {
          tags: ['Media (On-Premise)'],
          summary: 'Upload media: the file as the body, its MIME type as Content-Type',
          security,
          response: { 201: Type.Object({ media: Type.Array(Type.Object({ id: Type.String() })), meta: OnPremMeta.properties.meta }) },
        },
      },
      async (request, reply) => {
        uploadLimit.check(deps, request);
        const row = await uploadOnPremMedia(deps, request);
        return reply.status(201).send({ media: [{ id: row.id }], meta: ONPREM_META });
      },
    );
  });

  app.get(
    ATTACHMENTS_PATH,
    {
      config: cloud,
      schema: {
        tags: ['Media (Cloud)'],
        summary: 'Download media from the URL given by GET /{media_id} (valid 5 minutes, with the same D360-API-KEY)',
        security,
        querystring: Type.Object({ mid: Type.Optional(Type.String()), ext: Type.Optional(Type.String()), hash: Type.Optional(Type.String()) }),
        response: { 404: DownloadErrorBody },
      },
    },
    async (request, reply) => {
      const q = request.query as { mid?: string; ext?: string; hash?: string };
      if (await atMeta(request.channel!, q.mid)) {
        // Meta's CDN URL with our origin: the same path and query (as received, unparsed) at Meta's CDN.
        const raw = request.raw.url ?? '';
        const at = raw.indexOf('?');
        return sendMetaDownload(meta, request.channel!, reply, ATTACHMENTS_PATH + (at >= 0 ? raw.slice(at) : ''), q.mid);
      }
      if (!q.mid) throw invalidParameter('mid is required: use the url from GET /{media_id}');
      if (!q.ext || !/^\d{1,12}$/.test(q.ext) || !q.hash) throw invalidParameter('ext and hash are required: use the url from GET /{media_id}');
      const row = await findMedia(deps, request.channel!, q.mid, downloadNotFound);
      verifyDownload(deps, row, q.ext, q.hash);
      return sendFile(deps, reply, row, downloadNotFound);
    },
  );

  app.get(
    '/v1/media/:media_id',
    { config: onpremise, schema: { tags: ['Media (On-Premise)'], summary: 'Download media', security, response: { 404: OnPremMediaErrorBody } } },
    async (request, reply) => {
      const id = mediaId(request.params);
      if (await atMeta(request.channel!, id)) return sendMetaMedia(meta, request.channel!, reply, id);
      return sendFile(deps, reply, await findMedia(deps, request.channel!, id, onPremMediaNotFound), onPremMediaNotFound);
    },
  );

  app.delete(
    '/v1/media/:media_id',
    { config: onpremise, schema: { tags: ['Media (On-Premise)'], summary: 'Delete media', security, response: { 404: OnPremMediaErrorBody } } },
    async (request) => {
      const id = mediaId(request.params);
      if (await atMeta(request.channel!, id)) await deleteMetaMedia(meta, request.channel!, id, onPremMediaNotFound);
      else await deleteMedia(deps, request.channel!, id, onPremMediaNotFound);
      return { meta: ONPREM_META };
    },
  );

  // GET/DELETE /media/{media_id}: the same as /{media_id}. A Chatwoot fork's
  // Whatsapp360DialogCloudApiService#media_url calls `${base}/media/${id}` on waba-v2.360dialog.io;
  // that 360dialog serves this path is unconfirmed (its docs show /{media_id} only).
  for (const path of ['/:media_id', '/media/:media_id']) {
    app.get(
      path,
      {
        config: cloud,
        schema: {
          tags: ['Media (Cloud)'],
          summary: path === '/:media_id' ? "Media's URL and metadata" : "Media's URL and metadata (alias of /{media_id})",
          security,
          response: { 200: MediaInfo, 400: UnknownMediaBody('get'), 403: BlockedBody },
        },
      },
      async (request, reply) => {
        const channel = request.channel!;
        // (The bare Graph node naming the key's number, WABA, a flow or a template is answered before this route: graph-node.ts.)
        const id = mediaId(request.params);
        await getErrorBlock?.check(channel.id, deps.clock.now().getTime());
        try {
          if (await atMeta(channel, id)) return await metaMediaInfo(meta, channel, id);
          const row = await findMedia(deps, channel, id, cloudGetMiss);
          return {
            messaging_product: 'whatsapp' as const,
            url: downloadUrl(deps, row),
            mime_type: row.mime_type,
            sha256: row.sha256,
            file_size: Number(row.file_size),
            id: row.id,
          };
        } catch (err) {
          await getErrorBlock?.record(channel.id, toApiError(err).status, deps.clock.now().getTime());
          throw err;
        }
      },
    );

    app.delete(
      path,
      { config: cloud, schema: { tags: ['Media (Cloud)'], summary: path === '/:media_id' ? 'Delete media' : 'Delete media (alias of /{media_id})', security, response: { 200: Success, 400: UnknownMediaBody('delete') } } },
      async (request) => {
        const id = mediaId(request.params);
        if (await atMeta(request.channel!, id)) return deleteMetaMedia(meta, request.channel!, id, cloudDeleteMiss);
        await deleteMedia(deps, request.channel!, id, cloudDeleteMiss);
        return { success: true };
      },
    );
  }
};
