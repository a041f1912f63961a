// The On-Premise profile photo (reference §6): POST /v1/settings/profile/photo with the image as
// the body (image/jpeg or image/png, at most 5 MB), GET it back (the bytes, or with
// ?format=link a link to them), DELETE it. The image is stored like an upload (a media row of the
// channel, kept until replaced or deleted), and the Cloud profile's profile_picture_url points at it.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import type { MessagingOptions } from '../plugin.ts';
import { ONPREM_META, metaError } from '../errors.ts';
import { uploadOnPremMedia, useRawBody } from '../media/onprem-upload.ts';
import { deleteMedia, liveMedia } from '../media/store.ts';
import { sendFile } from './media.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const config = { flavour: 'onpremise' as const };
const tags = ['Channel (On-Premise)'];
const PATH = '/v1/settings/profile/photo';
/** Kept until replaced: far beyond any retention. */
const KEEP_MS = 100 * 365 * 24 * 60 * 60 * 1000;

const noPhoto = () => metaError(404, 100, 'Invalid parameter', 'this number has no profile photo (set one with POST /v1/settings/profile/photo)');

/** Points the channel at its new photo (or none); the one it replaces is deleted. (Also a profile_picture_handle's: media/profile-picture-handle.ts.) */
export async function setPhoto(deps: Deps, channel: ChannelRow, mediaId: string | null): Promise<void> {
  const previous = await deps.db.kysely.selectFrom('channels').select('profile_photo_media_id').where('id', '=', channel.id).executeTakeFirst();
  await deps.db.kysely
    .updateTable('channels')
    .set({ profile_photo_media_id: mediaId, profile_picture_url: mediaId ? `${deps.config.publicUrl}${PATH}` : null, modified_at: deps.clock.now().toISOString() })
    .where('id', '=', channel.id)
    .execute();
  const old = previous?.profile_photo_media_id;
  if (old && old !== mediaId && (await liveMedia(deps, channel.id, old))) await deleteMedia(deps, channel, old);
}

export const onPremPhotoRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps }) => {
  await app.register(async (scope) => {
    useRawBody(scope);
    scope.post(PATH, { config, schema: { tags, summary: 'Set the profile photo: the image (image/jpeg or image/png, at most 5 MB) as the body', security } }, async (request) => {
      const row = await uploadOnPremMedia(deps, request, { kinds: ['image'], retentionMs: KEEP_MS });
      await setPhoto(deps, request.channel!, row.id);
      return { meta: ONPREM_META };
    });
  });

  app.get(
    PATH,
    { config, schema: { tags, summary: 'The profile photo: its bytes, or {settings:{profile:{photo:{link}}}} with ?format=link', security, querystring: Type.Object({ format: Type.Optional(Type.Literal('link')) }) } },
    async (request, reply) => {
      const id = request.channel!.profile_photo_media_id;
      const row = id ? await liveMedia(deps, request.channel!.id, id) : undefined;
      if (!row) throw noPhoto();
      if ((request.query as { format?: string }).format === 'link') return { settings: { profile: { photo: { link: `${deps.config.publicUrl}${PATH}` } } }, meta: ONPREM_META };
      return sendFile(deps, reply, row);
    },
  );

  app.delete(PATH, { config, schema: { tags, summary: 'Remove the profile photo', security } }, async (request) => {
    if (!request.channel!.profile_photo_media_id) throw noPhoto();
    await setPhoto(deps, request.channel!, null);
    return { meta: ONPREM_META };
  });
};
