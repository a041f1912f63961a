// Uploaded media: files under `<dataDir>/media/files`, one row each in `media`, owned by the
// channel that uploaded them. Every upload schedules its own expiry as a durable job, which
// removes the file and the row; a deleted file is removed at once (and its row at expiry).
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Transaction } from 'kysely';
import type { Database, MediaTable } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { base62, digits } from '../../ids.ts';
import { enqueueJob, registerJobHandler } from '../../jobs/scheduler.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { transact } from '../../webhooks/outbox.ts';
import { cloudDeleteMiss, cloudGetMiss, type MediaMiss } from './not-found.ts';
import type { Received } from './intake.ts';
import { prepared } from '../../db/prepared.ts';

export type MediaRow = MediaTable;

const DAY = 86_400_000;
/** Meta keeps Cloud API uploads 30 days; the On-Premise API kept them 14. */
export const RETENTION_MS = { cloud: 30 * DAY, onpremise: 14 * DAY } as const;
export const EXPIRE_JOB = 'media_expire';

export const mediaRoot = (deps: Deps) => path.join(deps.config.dataDir, 'media');
export const tmpDir = (deps: Deps) => path.join(mediaRoot(deps), 'tmp');
export const filePath = (deps: Deps, storageKey: string) => path.join(mediaRoot(deps), 'files', ...storageKey.split('/'));

/** Moves a received file into place and records it, with its expiry job, in one transaction. */
export async function saveMedia(
  deps: Deps,
  channel: ChannelRow,
  file: Received,
  meta: { mime: string; filename: string | null; retentionMs: number },
): Promise<MediaRow> {
  const id = digits(16);
  // The random part makes the storage key a per-file secret: it signs the download URLs.
  const storageKey = `${id.slice(0, 2)}/${id.slice(2, 4)}/${id}-${base62(16)}`;
  const dest = filePath(deps, storageKey);
  await mkdir(path.dirname(dest), { recursive: true });
  await rename(file.tmpPath, dest);
  const now = deps.clock.now();
  const row: MediaRow = {
    id,
    channel_id: channel.id,
    partner_id: channel.partner_id,
    mime_type: meta.mime,
    sha256: file.sha256,
    file_size: file.size,
    filename: meta.filename,
    storage_key: storageKey,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + meta.retentionMs).toISOString(),
    deleted_at: null,
  };
  try {
    await transact(deps, async (tx) => {
      await tx.insertInto('media').values(row).execute();
      await enqueueJob(deps, tx, { kind: EXPIRE_JOB, refId: id, at: new Date(row.expires_at), payload: { media_id: id } });
    });
  } catch (err) {
    await rm(dest, { force: true });
    throw err;
  }
  return row;
}

// Every send by media id reads this: compiled once.
const mediaById = prepared((db, p) =>
  db.selectFrom('media').selectAll().where('id', '=', p<string>(0)).where('channel_id', '=', p<string>(1)).where('deleted_at', 'is', null),
);

/** The channel's live media with that id (not deleted, not expired), if any. Media ids are digits. */
export async function liveMedia(deps: Deps, channelId: string, id: string): Promise<MediaRow | undefined> {
  if (!/^\d{1,32}$/.test(id)) return undefined;
  const row = (await mediaById(deps.db.kysely, [id, channelId])).rows[0];
  return row && Date.parse(row.expires_at) > deps.clock.now().getTime() ? row : undefined;
}

/**
 * The channel's live media with that id, or `miss(id)`: the answer of the route asking
 * (not-found.ts: Graph's 400 on Cloud, the CDN's 404 for the download URL, 1006 On-Premise).
 */
export async function findMedia(deps: Deps, channel: ChannelRow, id: string, miss: MediaMiss = cloudGetMiss): Promise<MediaRow> {
  const row = await liveMedia(deps, channel.id, id);
  if (!row) throw miss(id);
  return row;
}

/** Deletes the channel's media: the row is marked, the file removed now. Not there: `miss(id)`. */
export async function deleteMedia(deps: Deps, channel: ChannelRow, id: string, miss: MediaMiss = cloudDeleteMiss): Promise<void> {
  const row = await findMedia(deps, channel, id, miss);
  const res = await deps.db.kysely
    .updateTable('media')
    .set({ deleted_at: deps.clock.now().toISOString() })
    .where('id', '=', row.id)
    .where('channel_id', '=', channel.id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw miss(id);
  await rm(filePath(deps, row.storage_key), { force: true });
}

/** The expiry job: the file and the row go (a row already deleted by hand loses its file twice, harmlessly). */
async function expire(deps: Deps, tx: Transaction<Database>, mediaId: string): Promise<void> {
  const row = await tx.selectFrom('media').select(['id', 'storage_key']).where('id', '=', mediaId).executeTakeFirst();
  if (!row) return;
  await rm(filePath(deps, row.storage_key), { force: true });
  await tx.deleteFrom('media').where('id', '=', row.id).execute();
}

registerJobHandler(EXPIRE_JOB, async (deps, tx, job, payload) => {
  const id = (payload as { media_id?: string } | null)?.media_id ?? job.ref_id;
  await expire(deps, tx, id);
  return { done: true };
});

/** Temporary files older than this are leftovers of uploads cut off by a crash. */
const STALE_TMP_MS = DAY;

/** Removes leftover temporary files (run by the hourly maintenance, src/maintenance.ts). */
export async function sweepTemporaryFiles(deps: Deps, nowMs = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tmpDir(deps));
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const p = path.join(tmpDir(deps), name);
    try {
      const s = await stat(p);
      if (nowMs - s.mtimeMs > STALE_TMP_MS) {
        await rm(p, { force: true });
        removed++;
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return removed;
}
