// Meta's Resumable Upload API, as 360dialog serves it (docs.360dialog.com "Media Uploads") and as
// Graph does (POST /{version}/{app-id}/uploads, GET and POST /{version}/upload:{session}): a
// session is created with the file's name, length and type; its bytes arrive in one or more POSTs,
// each starting at the session's `file_offset` (what a GET answers, to resume an interrupted
// upload); the POST that completes the file answers the handle (`{"h":"4::…"}`) that a template's
// `example.header_handle` or a profile's `profile_picture_handle` names.
//
// Sessions are rows of `resumable_uploads` (migration 0031) owned by the channel that created
// them: every lookup names the channel, so another channel's session answers as an unknown one.
// The bytes append to `<dataDir>/media/uploads/<session>`, streamed, never buffered; the file's
// size on disk is the offset (bytes that reached the disk before a disconnect count; the row's
// file_offset follows it after every POST). A session not completed within 7 days, and a handle
// 30 days after it was issued (Meta's handles do not last forever either), are removed with their
// file by the hourly maintenance (pruneResumableUploads), unless a template still names the handle
// (its header sample, templates/sample-url.ts).
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, finished, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import type { ResumableUploadsTable } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { base62 } from '../../ids.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { metaError } from '../errors.ts';
import { fail } from '../validate/check.ts';
import { discard, UploadAborted } from './intake.ts';
import { graphNodeNotFound } from './not-found.ts';
import { mediaRoot } from './store.ts';
import { leaseTiming, takeLease, type Lease } from './upload-lease.ts';
import { contentMismatch, sniff, SNIFF_BYTES } from './upload-sniff.ts';

export type UploadSession = ResumableUploadsTable;

const DAY = 86_400_000;
/** An unfinished session lasts 7 days; an issued handle 30. */
export const SESSION_TTL_MS = 7 * DAY;
export const HANDLE_TTL_MS = 30 * DAY;
/** The largest file a session takes (Meta's template samples are far smaller; its video limit is 100 MB). */
export const MAX_FILE_LENGTH = 100 * 1024 * 1024;
/** The types Meta's Resumable Upload API takes (its reference's `file_type` list). */
export const UPLOAD_FILE_TYPES = ['application/pdf', 'image/jpeg', 'image/jpg', 'image/png', 'video/mp4'] as const;

export const uploadsDir = (deps: Deps) => path.join(mediaRoot(deps), 'uploads');
export const uploadFilePath = (deps: Deps, id: string) => path.join(uploadsDir(deps), id);

/** A session id as the API names it: `upload:<id>`. */
export const sessionName = (id: string) => `upload:${id}`;

/** Graph's 400 (code 100, subcode 33) for a session that is not there, expired or another channel's. */
export const sessionNotFound = (method: string, id: string) => graphNodeNotFound(method, sessionName(id));

/** What one number's live sessions may declare in all (file_length summed): ten files of the largest size. */
export const MAX_KEPT_PER_CHANNEL = 10 * MAX_FILE_LENGTH;

/** Our session ids: 32 base62 characters (anything else is not one of ours). */
const SESSION_ID = /^[0-9A-Za-z]{32}$/;

/** file_length (and file_type, as '') of a session created without them: known once its bytes arrive. */
export const UNDECLARED = 0;

export interface NewSession {
  file_name?: unknown;
  file_length?: unknown;
  file_type?: unknown;
}

/**
 * Checks the query of POST /uploads; the errors name the parameter, as Graph's do.
 *
 * file_length and file_type may be left out: Odoo's "Test Connection" creates a session with
 * neither (`POST /{app-id}/uploads?access_token=…`, whatsapp_api.py `_test_connection`) and expects
 * its `{"id":"upload:…"}`, so Meta issues one. What Meta then checks is not documented; our rule
 * (inferred from that client): such a session is answered 0 for either (UNDECLARED), its bytes are
 * capped while they stream at MAX_FILE_LENGTH (and the number's MAX_KEPT_PER_CHANNEL), the POST
 * that sends them completes it at the length that arrived, and a missing type is read from the
 * file's first bytes (upload-sniff.ts), one of UPLOAD_FILE_TYPES or refused.
 */
export function parseNewSession(q: NewSession): { fileName: string; fileLength: number; fileType: string } {
  const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);
  const lengthText = one(q.file_length);
  let fileLength = UNDECLARED;
  if (lengthText !== undefined && lengthText !== '') {
    if (typeof lengthText !== 'string' || !/^\d{1,12}$/.test(lengthText)) throw fail('file_length', 'must be a positive integer (the file size in bytes)');
    fileLength = Number(lengthText);
    if (fileLength < 1) throw fail('file_length', 'must be a positive integer (the file size in bytes)');
    if (fileLength > MAX_FILE_LENGTH) throw fail('file_length', `must be at most ${MAX_FILE_LENGTH} bytes (got ${fileLength})`);
  }
  const typeText = one(q.file_type);
  let fileType = '';
  if (typeText !== undefined && typeText !== '') {
    fileType = typeof typeText === 'string' ? typeText.trim().toLowerCase() : '';
    if (!(UPLOAD_FILE_TYPES as readonly string[]).includes(fileType)) throw fail('file_type', `must be one of ${UPLOAD_FILE_TYPES.join(', ')} (got ${JSON.stringify(String(typeText).slice(0, 100))})`);
  }
  // Meta's reference marks file_name optional; it is only kept (and shown nowhere yet).
  const nameText = one(q.file_name);
  if (nameText !== undefined && typeof nameText !== 'string') throw fail('file_name', 'must be a string');
  if (typeof nameText === 'string' && nameText.length > 255) throw fail('file_name', 'must be at most 255 characters');
  return { fileName: nameText ?? '', fileLength, fileType };
}

/** What the number's other live sessions and handles hold (file_length summed; an undeclared session counts what it has received). */
async function keptByChannel(deps: Deps, channelId: string, exceptId?: string): Promise<number> {
  let q = deps.db.kysely
    .selectFrom('resumable_uploads')
    .select(sql<string | number | null>`sum(coalesce(nullif(file_length, 0), file_offset))`.as('total'))
    .where('channel_id', '=', channelId)
    .where('expires_at', '>', deps.clock.now().toISOString());
  if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
  return Number((await q.executeTakeFirst())?.total ?? 0);
}

/** Creates a session and its empty file. */
export async function createSession(deps: Deps, channel: ChannelRow, input: { fileName: string; fileLength: number; fileType: string }): Promise<UploadSession> {
  // A cap on what one number keeps in sessions (7 days each, 30 with a handle): without it one key
  // could fill the data directory at 100 MB a session. Expired sessions do not count (the hourly
  // maintenance removes them).
  const total = await keptByChannel(deps, channel.id);
  if (total + input.fileLength > MAX_KEPT_PER_CHANNEL) {
    throw fail('file_length', `would bring this number's kept uploads to more than ${MAX_KEPT_PER_CHANNEL} bytes (${total} kept now; sessions expire after 7 days, handles after 30)`);
  }
  const id = base62(32);
  await mkdir(uploadsDir(deps), { recursive: true });
  await writeFile(uploadFilePath(deps, id), Buffer.alloc(0), { flag: 'wx' });
  const now = deps.clock.now();
  const row: UploadSession = {
    id,
    channel_id: channel.id,
    waba_account_id: channel.waba_account_id,
    file_name: input.fileName,
    file_type: input.fileType === 'image/jpg' ? 'image/jpeg' : input.fileType,
    file_length: input.fileLength,
    file_offset: 0,
    handle: null,
    sha256: null,
    created_at: now.toISOString(),
    completed_at: null,
    expires_at: new Date(now.getTime() + SESSION_TTL_MS).toISOString(),
    lease_token: null,
    lease_expires_at: null,
  };
  try {
    await deps.db.kysely.insertInto('resumable_uploads').values(row).execute();
  } catch (err) {
    await rm(uploadFilePath(deps, id), { force: true });
    throw err;
  }
  return row;
}

/** The channel's live session with that id, or Graph's "does not exist" (the same for another channel's). */
export async function findSession(deps: Deps, channel: ChannelRow, id: string, method: string): Promise<UploadSession> {
  const row = SESSION_ID.test(id)
    ? await deps.db.kysely.selectFrom('resumable_uploads').selectAll().where('id', '=', id).where('channel_id', '=', channel.id).executeTakeFirst()
    : undefined;
  if (!row || Date.parse(row.expires_at) <= deps.clock.now().getTime()) throw sessionNotFound(method, id);
  return { ...row, file_length: Number(row.file_length), file_offset: Number(row.file_offset) };
}

/** Bytes received so far: the file's size (what reached the disk, a cut-off POST's included). */
export async function receivedBytes(deps: Deps, session: UploadSession): Promise<number> {
  if (session.handle) return session.file_length;
  try {
    return Math.min((await stat(uploadFilePath(deps, session.id))).size, session.file_length === UNDECLARED ? MAX_FILE_LENGTH : session.file_length);
  } catch {
    return session.file_offset;
  }
}

/**
 * Sessions being written to by this process: one POST at a time per session. A POST that finds
 * one in progress stops the earlier one and waits for it to end: a client resumes because it
 * believes its earlier POST dead (a dropped connection can take a while to be noticed here), and
 * the new POST's file_offset is then checked against what the earlier one left. The earlier POST
 * stops writing and is answered a 400 that says why (what it wrote stays; the rest of its body is
 * read and dropped, up to intake.ts's cap): a client whose POST was in fact alive gets an answer,
 * never a connection closed under it.
 * Across instances (one database and data directory), the session row's lease (upload-lease.ts)
 * keeps a second writer out: it waits for the other instance's POST, then is refused.
 */
const busy = new Map<string, { stop: () => void; done: Promise<void> }>();

const inProgress = (id: string) => refuse(`another upload to ${sessionName(id)} is in progress; GET the session for the offset to resume from, then retry`);
const superseded = (id: string) =>
  refuse(`a later POST to ${sessionName(id)} took the session over, so this one stopped writing; GET the session for the offset to resume from`);
const leaseLost = (id: string) => refuse(`this POST lost its hold on ${sessionName(id)} and stopped writing; GET the session for the offset to resume from, then retry`);

async function takeOver(id: string, stop: () => void, deadline: number): Promise<() => void> {
  for (let earlier = busy.get(id); earlier; earlier = busy.get(id)) {
    earlier.stop();
    const left = deadline - Date.now();
    if (left <= 0) throw inProgress(id);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([earlier.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
  }
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  busy.set(id, { stop, done });
  return () => {
    busy.delete(id);
    release();
  };
}

/** A 4xx of this API: Graph's code 100 with the details naming what is wrong. */
const refuse = (details: string) => metaError(400, 100, 'Invalid parameter', details);

export type ChunkResult = { h: string } | { id: string; file_offset: number };

/**
 * Appends a POST's body to the session's file. `offsetHeader` is the request's `file_offset`
 * (Meta: "the offset in bytes to start the upload from", 0 when absent); it must equal the bytes
 * received so far. A body that would run past file_length is refused as a whole (the file is cut
 * back to where this POST started). The POST that completes the file issues the handle.
 */
export async function receiveChunk(
  deps: Deps,
  found: UploadSession,
  body: Readable,
  offsetHeader: string | undefined,
  contentLength: string | undefined,
  cutOff: () => void,
): Promise<ChunkResult> {
  let session = found;
  let offset: number;
  try {
    offset = offsetHeader === undefined || offsetHeader.trim() === '' ? 0 : /^\s*\d{1,12}\s*$/.test(offsetHeader) ? Number(offsetHeader) : NaN;
    if (!Number.isSafeInteger(offset)) throw fail('file_offset', `must be a non-negative integer (got ${JSON.stringify(String(offsetHeader).slice(0, 40))})`);
  } catch (err) {
    discard(body, cutOff);
    throw err;
  }
  let release: (() => void) | undefined;
  let holdRoom: (() => void) | undefined;
  let lease: Lease | undefined;
  // Stops this POST's writing (a later POST to the session, or a lost lease): its reason is the answer.
  const stop = new AbortController();
  try {
    const deadline = Date.now() + leaseTiming.takeoverWaitMs;
    release = await takeOver(session.id, () => stop.abort(superseded(session.id)), deadline);
    // Another instance's writer is not stopped: it is waited for until the same deadline.
    lease = await takeLease(deps, session.id, deadline, () => stop.abort(leaseLost(session.id)), stop.signal);
    stop.signal.throwIfAborted();
    if (!lease) throw inProgress(session.id);
    // As it is now: a POST cut off by this one may have completed it meanwhile.
    const fresh = await deps.db.kysely.selectFrom('resumable_uploads').select(['handle', 'file_offset']).where('id', '=', session.id).executeTakeFirst();
    if (!fresh) throw sessionNotFound('post', session.id);
    session = { ...session, handle: fresh.handle, file_offset: Number(fresh.file_offset) };
    const received = await receivedBytes(deps, session);
    const declared = contentLength === undefined ? undefined : Number(contentLength);
    if (session.handle) {
      // A retried last POST (its answer lost): the same handle again, for an empty body or the
      // offset the file ended at; anything more is refused.
      if ((offset === received || offset === 0) && (declared === 0 || declared === undefined)) {
        discard(body, cutOff);
        return { h: session.handle };
      }
      throw refuse(`${sessionName(session.id)} is complete (${session.file_length} bytes); its handle was issued by the POST that completed it`);
    }
    // A session without file_length: its bytes may run to MAX_FILE_LENGTH, or what the number's
    // other uploads leave of MAX_KEPT_PER_CHANNEL (the cap its creation could not check).
    const undeclared = session.file_length === UNDECLARED;
    const kept = undeclared ? await keptByChannel(deps, session.channel_id, session.id) : 0;
    // POSTs streaming into the number's other undeclared sessions right now: their bytes are not
    // in the table until they end, so each holds its room here (read and taken with no await
    // between, so parallel POSTs cannot each be given the same room). Per process: instances
    // sharing a database could each give one such room at once, at most 100 MB apiece.
    const limit = undeclared ? Math.min(MAX_FILE_LENGTH, MAX_KEPT_PER_CHANNEL - kept - (undeclaredInFlight.get(session.channel_id) ?? 0)) : session.file_length;
    if (undeclared) holdRoom = holdUndeclaredRoom(session.channel_id, Math.max(limit, 0));
    if (offset !== received)
      throw refuse(`file_offset ${offset} does not match the bytes received so far: resume at file_offset ${received} (GET /${sessionName(session.id)} answers it)`);
    if (declared !== undefined && Number.isFinite(declared) && offset + declared > limit)
      throw refuse(tooLong(session, limit, offset, declared));
    stop.signal.throwIfAborted();
    await appendBody(deps, session, body, offset, limit, stop.signal);
    stop.signal.throwIfAborted();
    const now = await receivedBytes(deps, session);
    // Undeclared: the POST that brought bytes completes the file at the length that arrived.
    if (undeclared ? now === 0 : now < session.file_length) {
      await deps.db.kysely.updateTable('resumable_uploads').set({ file_offset: now }).where('id', '=', session.id).execute();
      // Meta answers the handle only for the POST that completes the file; a POST that leaves
      // the file short answers what GET does, so a client sees where to resume.
      return { id: sessionName(session.id), file_offset: now };
    }
    return { h: await complete(deps, undeclared ? { ...session, file_length: now } : session) };
  } catch (err) {
    discard(body, cutOff);
    throw err;
  } finally {
    holdRoom?.();
    await lease?.release().catch(() => {});
    release?.();
  }
}

/** Bytes that POSTs into sessions without file_length may still write, per number (this process). */
const undeclaredInFlight = new Map<string, number>();

/** Holds `bytes` of the number's room until the returned function is called (once). */
function holdUndeclaredRoom(channelId: string, bytes: number): () => void {
  undeclaredInFlight.set(channelId, (undeclaredInFlight.get(channelId) ?? 0) + bytes);
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    const left = (undeclaredInFlight.get(channelId) ?? 0) - bytes;
    if (left > 0) undeclaredInFlight.set(channelId, left);
    else undeclaredInFlight.delete(channelId);
  };
}

/** Why a body is refused as too long: past the declared file_length, or past the cap of a session without one. */
function tooLong(session: UploadSession, limit: number, offset: number, declared?: number): string {
  const body = declared === undefined ? 'the body' : `the body (${declared} bytes from file_offset ${offset})`;
  if (session.file_length !== UNDECLARED) return `${body} would exceed file_length ${session.file_length}: at most ${Math.max(limit - offset, 0)} more bytes are expected from file_offset ${offset}`;
  return `${body} would exceed ${limit} bytes, the most this session (created without file_length) may take: at most ${MAX_FILE_LENGTH} bytes a file, ${MAX_KEPT_PER_CHANNEL} kept by a number`;
}

/** Streams the body onto the end of the file; over file_length: cut back to `offset` and refused. */
async function appendBody(deps: Deps, session: UploadSession, body: Readable, offset: number, limit: number, signal: AbortSignal): Promise<void> {
  const room = limit - offset;
  let n = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > room) return cb(refuse(tooLong(session, limit, offset)));
      cb(null, chunk);
    },
  });
  const file = uploadFilePath(deps, session.id);
  // The request is piped rather than part of the pipeline (as in intake.ts): a refused body must
  // not destroy the request, or the client would see a reset connection instead of the 400. A
  // client that disconnects ends the pipeline with an error, and what was written stays.
  const stopWatching = finished(body, (err) => {
    if (err) meter.destroy(new UploadAborted(`upload interrupted: ${err.message}`));
  });
  const onStop = () => meter.destroy(signal.reason as Error);
  signal.addEventListener('abort', onStop, { once: true });
  body.pipe(meter);
  try {
    await pipeline(meter, createWriteStream(file, { flags: 'a' }));
  } catch (err) {
    signal.removeEventListener('abort', onStop);
    body.unpipe(meter);
    stopWatching();
    if (n > room) {
      await truncate(file, offset).catch(() => {});
      throw err;
    }
    // Cut off or stopped: keep what arrived, and record the offset for GET.
    const kept = await receivedBytes(deps, session);
    await deps.db.kysely.updateTable('resumable_uploads').set({ file_offset: kept }).where('id', '=', session.id).execute();
    throw err;
  }
  signal.removeEventListener('abort', onStop);
  stopWatching();
}

/** The file is whole: its first bytes checked against file_type (upload-sniff.ts), its hash, a handle, and 30 more days. */
async function complete(deps: Deps, session: UploadSession): Promise<string> {
  const head = await readHead(uploadFilePath(deps, session.id));
  if (session.file_type === '') {
    // Created without file_type: the file's kind, one of the types a session may declare.
    const kind = sniff(head);
    if (!kind || !(UPLOAD_FILE_TYPES as readonly string[]).includes(kind)) {
      await rm(uploadFilePath(deps, session.id), { force: true });
      await deps.db.kysely.deleteFrom('resumable_uploads').where('id', '=', session.id).where('handle', 'is', null).execute();
      throw metaError(400, 100, 'Invalid parameter', `file_type: ${sessionName(session.id)} was created without file_type and its bytes are ${kind ?? 'none of the recognised types'}, not one of ${UPLOAD_FILE_TYPES.join(', ')}; its bytes were removed, create a new session (with file_type)`);
    }
    session = { ...session, file_type: kind };
  }
  const mismatch = contentMismatch(session.file_type, head);
  if (mismatch) {
    // The session is spent: its file and row go (a client starts a new session with the right type).
    await rm(uploadFilePath(deps, session.id), { force: true });
    await deps.db.kysely.deleteFrom('resumable_uploads').where('id', '=', session.id).where('handle', 'is', null).execute();
    throw metaError(400, 100, 'Invalid parameter', `file_type ${session.file_type} does not match the file: its bytes look like ${mismatch}; ${sessionName(session.id)} and its bytes were removed, create a new session with the right file_type`);
  }
  const hash = createHash('sha256');
  await pipeline(createReadStream(uploadFilePath(deps, session.id)), hash);
  // Shaped like Meta's (`4::<base64 of the MIME type>:<opaque>`), so clients that look at it see
  // what they expect; the opaque part is random and is looked up, never decoded.
  const handle = `4::${Buffer.from(session.file_type).toString('base64')}:${base62(40)}`;
  const now = deps.clock.now();
  const res = await deps.db.kysely
    .updateTable('resumable_uploads')
    .set({ file_offset: session.file_length, file_length: session.file_length, file_type: session.file_type, handle, sha256: hash.digest('hex'), completed_at: now.toISOString(), expires_at: new Date(now.getTime() + HANDLE_TTL_MS).toISOString() })
    .where('id', '=', session.id)
    .where('handle', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 1) return handle;
  // Completed by another instance meanwhile: its handle.
  const row = await deps.db.kysely.selectFrom('resumable_uploads').select('handle').where('id', '=', session.id).executeTakeFirst();
  if (!row?.handle) throw sessionNotFound('post', session.id);
  return row.handle;
}

async function readHead(file: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The live session that issued this handle to a channel of the WABA, if it is one of ours. */
export async function findHandle(deps: Deps, wabaAccountId: string, handle: string): Promise<UploadSession | undefined> {
  if (!handle.startsWith('4::') || handle.length > 200) return undefined;
  const row = await deps.db.kysely.selectFrom('resumable_uploads').selectAll().where('handle', '=', handle).where('waba_account_id', '=', wabaAccountId).executeTakeFirst();
  return row && Date.parse(row.expires_at) > deps.clock.now().getTime() ? row : undefined;
}

/** Removes expired sessions and handles with their files (run by the hourly maintenance, src/maintenance.ts). */
export async function pruneResumableUploads(deps: Deps): Promise<number> {
  const now = deps.clock.now().toISOString();
  const gone = await deps.db.kysely.selectFrom('resumable_uploads').select(['id', 'handle', 'waba_account_id']).where('expires_at', '<=', now).limit(10_000).execute();
  let removed = 0;
  for (const { id, handle, waba_account_id } of gone) {
    // A handle a template of its WABA still names is the template's header sample (shown as a URL
    // by templates/sample-url.ts): it is kept another HANDLE_TTL_MS. A handle holds no LIKE wildcard.
    if (handle && /^[A-Za-z0-9+/=:]+$/.test(handle)) {
      const named = await deps.db.kysely
        .selectFrom('templates')
        .select('id')
        .where('waba_account_id', '=', waba_account_id)
        .where('components', 'like', `%${handle}%`)
        .limit(1)
        .executeTakeFirst();
      if (named) {
        await deps.db.kysely.updateTable('resumable_uploads').set({ expires_at: new Date(deps.clock.now().getTime() + HANDLE_TTL_MS).toISOString() }).where('id', '=', id).execute();
        continue;
      }
    }
    await rm(uploadFilePath(deps, id), { force: true });
    await deps.db.kysely.deleteFrom('resumable_uploads').where('id', '=', id).execute();
    removed++;
  }
  return removed;
}
