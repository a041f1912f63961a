// The Resumable Upload API of a number on Meta's network goes to Meta's: a handle is of use only if
// Meta issued it (a template Meta reviews names it in example.header_handle). Meta's sessions are
// its app's, so this needs the Meta app's id (OPENWABA_META_APP_ID, Embedded Signup's appId):
//
//   POST /uploads?file_name&file_length&file_type → POST /{app-id}/uploads?… (the number's token)
//   GET  /upload:{session}[?sig=]                 → GET  /upload:{session}[?sig=]
//   POST /upload:{session}[?sig=] (file_offset)   → POST /upload:{session}[?sig=], the body streamed through
//
// Meta's answers ({id}, {id, file_offset}, {h}) and errors are the client's. A chunk's bytes are
// passed on as they arrive, never held whole. Meta's session ids are long, signed and random
// (`upload:<base64>?sig=<signature>`): holding one is what lets a client use it, as at Meta.
import type { Readable } from 'node:stream';
import { pipeline, Transform } from 'node:stream';
import { invalidParameter, metaError } from '../../messaging/errors.ts';
import { graphNodeNotFound } from '../../messaging/media/not-found.ts';
import { MAX_FILE_LENGTH, parseNewSession, type NewSession } from '../../messaging/media/resumable.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { badAnswer } from './graph-errors.ts';
import { uploadDeadlineMs } from './media-upload.ts';

/** Meta's session as it follows `upload:` in a path: base64 (standard or URL-safe). Anything else is no session of Meta's. */
const META_SESSION = /^[A-Za-z0-9+=_-]{1,2048}$/;
/** Meta's `sig` parameter of a session. */
const SIG = /^[A-Za-z0-9+=_.-]{1,1024}$/;
const FILE_OFFSET = /^\d{1,12}$/;

/** The Meta app whose upload sessions the numbers on Meta's network use; undefined when none is configured. */
export function metaUploadAppId(api: MetaCloudApi): string | undefined {
  return api.deps.config.embeddedSignup?.appId;
}

export function noMetaAppId(): Error {
  return metaError(
    400,
    100,
    'Invalid parameter',
    "this number is on Meta's network: openwaba does not proxy the Resumable Upload API to Meta while no Meta app id is configured (OPENWABA_META_APP_ID, with Embedded Signup); configure the app id, or upload with Meta's /{app-id}/uploads and your app's token",
  );
}

/** POST /uploads: a session at Meta, its id as Meta gave it (`upload:…?sig=…`). */
export async function createMetaUploadSession(api: MetaCloudApi, channel: ChannelRow, query: NewSession): Promise<GraphObject> {
  const appId = metaUploadAppId(api);
  if (appId === undefined) throw noMetaAppId();
  // Checked here as for a sandbox number (Meta's file types and openwaba's size cap): a clear 400 before Meta is asked.
  const s = parseNewSession(query);
  const b = await api.json(channel, 'POST', () => withQuery(`${appId}/uploads`, { file_name: s.fileName, file_length: s.fileLength ? String(s.fileLength) : undefined, file_type: s.fileType }));
  if (typeof b.id !== 'string' || !b.id.startsWith('upload:')) throw badAnswer('an upload session without an upload: id');
  return b;
}

/** `upload:<session>[?sig=…]` as a Graph path, or Graph's "does not exist" 400 for what is no session of Meta's. */
function sessionPath(session: string, sig: unknown, method: string): string {
  if (!META_SESSION.test(session)) throw graphNodeNotFound(method, `upload:${session.slice(0, 100)}`);
  const one = Array.isArray(sig) ? sig[0] : sig;
  if (one !== undefined && (typeof one !== 'string' || !SIG.test(one))) throw invalidParameter("sig: must be the signature Meta's session id carries (letters, digits, - and _)");
  return `upload:${session}${one ? `?sig=${encodeURIComponent(one)}` : ''}`;
}

/** GET /upload:{session}: Meta's `{id, file_offset}`. Meta's reference writes the session requests with `Authorization: OAuth`. */
export async function metaUploadState(api: MetaCloudApi, channel: ChannelRow, session: string, sig: unknown): Promise<GraphObject> {
  const path = sessionPath(session, sig, 'GET');
  return sessionState(await api.json(channel, 'GET', () => path, undefined, { authScheme: 'OAuth' }));
}

/** Meta's `{id, file_offset}` (the routes' answer schema names both): anything else is no answer of Meta's. */
function sessionState(b: GraphObject): GraphObject {
  if (typeof b.id !== 'string' || typeof b.file_offset !== 'number' || !Number.isSafeInteger(b.file_offset)) throw badAnswer('an upload session without id and file_offset');
  return b;
}

/**
 * POST /upload:{session}: the body streamed to Meta with its file_offset (0 unless given), length
 * and type; Meta's `{h}` once the file is complete. At most MAX_FILE_LENGTH bytes are passed on
 * (the stream fails past it, and the request to Meta with it).
 */
export async function metaUploadChunk(
  api: MetaCloudApi,
  channel: ChannelRow,
  session: string,
  sig: unknown,
  body: Readable,
  h: { fileOffset?: string; contentLength?: string; contentType?: string },
): Promise<GraphObject> {
  const path = sessionPath(session, sig, 'POST');
  const fileOffset = h.fileOffset ?? '0';
  if (!FILE_OFFSET.test(fileOffset)) throw invalidParameter('file_offset: must be a whole number of bytes (the offset to resume from; GET the session for it)');
  const length = h.contentLength !== undefined && /^\d{1,15}$/.test(h.contentLength) ? Number(h.contentLength) : undefined;
  if (length !== undefined && length > MAX_FILE_LENGTH) throw invalidParameter(`the body is ${length} bytes, more than the ${MAX_FILE_LENGTH} bytes a file may have`);
  let seen = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > MAX_FILE_LENGTH) done(new Error(`upload chunk over ${MAX_FILE_LENGTH} bytes: cut off`));
      else done(null, chunk);
    },
  });
  const stream = pipeline(body, cap, () => {});
  const headers: Record<string, string> = {
    file_offset: fileOffset,
    ...(length !== undefined ? { 'content-length': String(length) } : {}),
    ...(h.contentType ? { 'content-type': h.contentType.slice(0, 200) } : { 'content-type': 'application/octet-stream' }),
  };
  let b: GraphObject;
  try {
    b = await api.json(channel, 'POST', () => path, { stream, headers }, { authScheme: 'OAuth', deadlineMs: uploadDeadlineMs(api.deps.config.metaTimeoutMs, length ?? MAX_FILE_LENGTH) });
  } catch (err) {
    // Meta never took the bytes (e.g. the token could not be opened): the body goes back to the
    // caller, which reads it away; what Meta's request already consumed is gone with it.
    body.unpipe();
    throw err;
  }
  // The handle once the file is complete; Meta may answer a partial chunk with the session's state.
  return typeof b.h === 'string' ? b : sessionState(b);
}
