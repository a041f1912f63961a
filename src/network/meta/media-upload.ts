// A send on a Meta number may name media uploaded to openwaba (POST /media, POST /v1/media):
// Meta does not know those ids, so the file is uploaded to Meta first (`POST {graph}/{version}/
// {phone_number_id}/media`, multipart: messaging_product, type, file) and the message names
// Meta's id. Ids that are not our uploads pass through: a media id Meta gave (an inbound
// message's, one uploaded at Meta directly) is Meta's to check.
//
// Meta's id is kept in memory for a day per number, file and content (not in the database: an
// instance that does not have it uploads again, which costs a request, not correctness). Meta
// keeps an upload 30 days, so a day-old id is still good; a bulk send of one image uploads it
// once per instance instead of once per message.
import { openAsBlob } from 'node:fs';
import { FormData } from 'undici';
import type { Deps } from '../../deps.ts';
import { metaError } from '../../messaging/errors.ts';
import { filePath, type MediaRow } from '../../messaging/media/store.ts';
import type { GraphClient } from './graph-client.ts';
import { badAnswer, graphError } from './graph-errors.ts';

const KEEP_MS = 24 * 3600_000;
const KEEP_MAX = 10_000;

interface Kept {
  metaId: string;
  until: number;
}

/**
 * An upload's deadline: the Graph timeout plus the time the file takes at 1 MB/s, so a 100 MB
 * document on a modest uplink is not cut off by the timeout meant for a JSON request.
 */
export function uploadDeadlineMs(timeoutMs: number, bytes: number): number {
  return timeoutMs + Math.ceil(bytes / 1_000);
}

export class MediaUploads {
  private readonly kept = new Map<string, Kept>();
  /** Uploads in flight: concurrent sends of one file share one upload (Meta allows 25 uploads/s per number). */
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly deps: Deps,
    private readonly graph: GraphClient,
  ) {}

  /** Meta's media id for our upload `row`, sent from the number `phoneNumberId`. */
  async metaIdOf(row: MediaRow, phoneNumberId: string, token: string): Promise<string> {
    const key = `${phoneNumberId}\u0000${row.id}\u0000${row.sha256}`;
    const now = this.deps.clock.now().getTime();
    const hit = this.kept.get(key);
    if (hit && hit.until > now) return hit.metaId;
    const running = this.inFlight.get(key);
    if (running) return running;
    const upload = this.upload(row, phoneNumberId, token).then((metaId) => {
      if (this.kept.size >= KEEP_MAX) this.kept.clear();
      this.kept.set(key, { metaId, until: now + KEEP_MS });
      return metaId;
    });
    this.inFlight.set(key, upload);
    try {
      return await upload;
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async upload(row: MediaRow, phoneNumberId: string, token: string): Promise<string> {
    let file: Blob;
    try {
      // A Blob backed by the file: undici streams it into the form, the file is not read into memory.
      file = await openAsBlob(filePath(this.deps, row.storage_key), { type: row.mime_type });
    } catch {
      // The row is live but its file is gone (removed by hand, a data directory not shared by every instance).
      throw metaError(400, 131009, 'Parameter value is not valid', `media id ${row.id}: its file is no longer stored on this server; upload it again`);
    }
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', row.mime_type);
    form.append('file', file, row.filename ?? row.id);
    const answer = await this.graph.call('POST', `${phoneNumberId}/media`, token, { form }, { deadlineMs: uploadDeadlineMs(this.deps.config.metaTimeoutMs, file.size) });
    if (answer.status >= 300) throw graphError(answer);
    const id = (answer.body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string' || id === '' || id.length > 256) throw badAnswer(`HTTP ${answer.status} but no media id to an upload of media ${row.id}`);
    return id;
  }
}
