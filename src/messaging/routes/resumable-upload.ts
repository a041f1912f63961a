// The Resumable Upload API (media/resumable.ts): POST /uploads?file_name=&file_length=&file_type=
// creates a session, GET /upload:{session} answers how many bytes it has, POST /upload:{session}
// (header file_offset, the bytes as the body) appends to it and answers {"h":"<handle>"} once the
// file is complete. Graph's paths reach the same routes: /{version}/{app-id}/uploads (any app id:
// the key names the channel), /{version}/upload:{session}, and /app/uploads.
//
// `upload:{session}` holds a colon, which find-my-way reads as a parameter; the URL rewrite
// (graph-paths.ts) turns it into /uploads/{session} before routing, so these routes take a plain
// parameter.
//
// Numbers on Meta's network: a handle must be Meta's to be of use in a template Meta reviews, so
// with a Meta app id configured (OPENWABA_META_APP_ID) the three routes go to Meta's Resumable
// Upload API with the number's token, the chunks streamed through (network/meta/resumable-proxy.ts);
// without one, POST /uploads answers them a 400 saying so (clients then upload to Meta's own API
// with their app's token).
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { MessagingOptions } from '../plugin.ts';
import { discard } from '../media/intake.ts';
import { useRawBody } from '../media/onprem-upload.ts';
import { createSession, findSession, MAX_FILE_LENGTH, parseNewSession, receiveChunk, receivedBytes, sessionName, UPLOAD_FILE_TYPES, type NewSession } from '../media/resumable.ts';
import { UnknownMediaBody } from '../media/error-schemas.ts';
import { UploadSessionLimit } from '../media/upload-session-limit.ts';
import { createMetaUploadSession, metaUploadChunk, metaUploadState } from '../../network/meta/resumable-proxy.ts';

const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
const config = { flavour: 'cloud' as const };
const tags = ['Media (Cloud)'];

const SessionId = Type.Object({ id: Type.String({ description: 'upload:<session>' }) });
const SessionState = Type.Object({ id: Type.String(), file_offset: Type.Integer({ description: 'Bytes received so far: the file_offset to resume from' }) });
const Handle = Type.Object({ h: Type.String({ description: "The file's handle, e.g. for a template's example.header_handle" }) });
const SessionParams = Type.Object({ upload_session: Type.String() });

const sessionOf = (request: FastifyRequest) => String((request.params as { upload_session?: unknown }).upload_session ?? '');
const header = (request: FastifyRequest, name: string) => {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export const resumableUploadRoutes: FastifyPluginAsync<MessagingOptions> = async (app, { deps, meta }) => {
  const sessionLimit = new UploadSessionLimit();
  await app.register(async (scope) => {
    // Every body reaches the handlers unread: the bytes of a chunk, or whatever a client sends
    // with the session's creation (its parameters are in the query).
    useRawBody(scope);
    const cutOff = (request: FastifyRequest) => () => request.raw.destroy();
    const bodyOf = (request: FastifyRequest) => (request.body as Readable | undefined) ?? request.raw;

    for (const url of ['/uploads', '/app/uploads']) {
      scope.post(
        url,
        {
          config,
          schema: {
            ...(url === '/uploads' ? {} : { hide: true }),
            tags,
            summary: `Resumable upload: create a session (file_length at most ${MAX_FILE_LENGTH} bytes; file_type one of ${UPLOAD_FILE_TYPES.join(', ')}). Also /{version}/{app-id}/uploads`,
            security,
            querystring: Type.Object({ file_name: Type.Optional(Type.String()), file_length: Type.Optional(Type.String()), file_type: Type.Optional(Type.String()) }),
            response: { 200: SessionId },
          },
        },
        async (request) => {
          discard(bodyOf(request), cutOff(request));
          const ch = request.channel!;
          // Without a Meta app id configured: the 400 that says so (resumable-proxy.ts noMetaAppId).
          if (ch.network === 'meta') return createMetaUploadSession(meta, ch, request.query as NewSession);
          const input = parseNewSession(request.query as NewSession);
          // Counted once the parameters are valid: a refused creation makes no session.
          sessionLimit.check(deps, ch);
          const session = await createSession(deps, ch, input);
          return { id: sessionName(session.id) };
        },
      );
    }

    scope.get(
      '/uploads/:upload_session',
      {
        config,
        schema: {
          tags,
          summary: 'Resumable upload: the bytes received so far (served at /upload:{session} and /{version}/upload:{session})',
          security,
          params: SessionParams,
          response: { 200: SessionState, 400: UnknownMediaBody('get') },
        },
      },
      async (request) => {
        if (request.channel!.network === 'meta') return metaUploadState(meta, request.channel!, sessionOf(request), (request.query as { sig?: unknown }).sig);
        const session = await findSession(deps, request.channel!, sessionOf(request), 'get');
        return { id: sessionName(session.id), file_offset: await receivedBytes(deps, session) };
      },
    );

    scope.post(
      '/uploads/:upload_session',
      {
        config,
        schema: {
          tags,
          summary: 'Resumable upload: append the body (the raw bytes) at header file_offset (default 0); {"h":"<handle>"} once the file is complete (served at /upload:{session})',
          security,
          params: SessionParams,
          response: { 200: Type.Union([Handle, SessionState]) },
        },
      },
      async (request) => {
        const body = bodyOf(request);
        if (request.channel!.network === 'meta') {
          try {
            return await metaUploadChunk(meta, request.channel!, sessionOf(request), (request.query as { sig?: unknown }).sig, body, {
              fileOffset: header(request, 'file_offset'),
              contentLength: header(request, 'content-length'),
              contentType: header(request, 'content-type'),
            });
          } catch (err) {
            discard(body, cutOff(request));
            throw err;
          }
        }
        let session;
        try {
          session = await findSession(deps, request.channel!, sessionOf(request), 'post');
        } catch (err) {
          discard(body, cutOff(request));
          throw err;
        }
        return receiveChunk(deps, session, body, header(request, 'file_offset'), header(request, 'content-length'), cutOff(request));
      },
    );
  });
};
