// 360dialog's block of GET /{media_id} (reference §4.4 [DOC]): "after 20 error responses within
// 60 min the endpoint is blocked for 30 min (errors only; POST unaffected)". Per number (channel):
// its failed GETs count, other numbers' do not; while blocked its GET /{media_id} answers 360's
// documented 403 "The endpoint is blocked" (reference §4.3), in the body 360's own errors use
// here (`{"meta":{"success":false,"http_code":403,"developer_message":…}}`, errors.ts d360Error),
// with Retry-After (the seconds left). Our choices where the reference is silent [INF]:
// - what counts: 4xx answers of GET /{media_id} (unknown, deleted, expired or another number's
//   id, Meta's own refusals on a Meta number). A 5xx is openwaba's or Meta's fault, not the
//   client's, and does not count; the 403s of the block itself do not either (a client polling
//   through the block would otherwise never get out). Successes neither count nor forgive.
// - the block starts with the 20th error (that answer is still the error itself) and forgets the
//   errors before it: once the 30 minutes are over, the next 20 errors block again.
// - only GET /{media_id}: POST /media, DELETE /{media_id}, the download URL and the On-Premise
//   /v1/media routes are not blocked (§4.4 names the Cloud GET only).
// Shared by every instance on the database (migration 0024), so that errors answered by several
// instances behind a load balancer add up and a block outlives a restart:
// - an error (the rare path) writes its row in media_get_errors and counts the channel's rows
//   within the window; the instance that counts the 20th writes the block (media_get_blocks),
//   deletes the rows before it, and knows of the block at once. Of two errors counted at once,
//   the later count sees both rows (each instance counts after its own insert), so the 20th is
//   never missed; if both counts reach 20, both write the same block. An error another instance
//   answers before it learns of the block (below) counts towards the next block.
// - a GET (the common path) writes nothing and reads no per-channel row: each instance keeps the
//   blocks still running in memory and reloads them, in one query for all channels, when they
//   are older than BLOCKS_RELOAD_MS (5 s) on the next GET. So a block set by another instance is
//   honoured here within 5 seconds; until then this instance still answers (and records) GETs.
//   A new instance loads the blocks on its first GET.
// - the database failing here never fails the request: a GET goes on with the blocks it knew of,
//   an error answers as it would have (logged, not counted).
// Old rows go in maintenance (pruneMediaGetErrors). The token buckets (token-buckets.ts) do not
// fit here: a bucket refills continuously, this rule counts errors in a sliding window and then
// holds a fixed block.
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import { ApiError } from '../../errors.ts';
import type { Db } from '../../db/index.ts';
import type { Deps } from '../../deps.ts';
import { recordId } from '../../ids.ts';

export interface MediaGetErrorBlockSettings {
  /** Errors within `windowMs` that start a block. */
  errors: number;
  windowMs: number;
  blockMs: number;
}

/** 360dialog's documented figures. */
export const DOCUMENTED_MEDIA_GET_ERROR_BLOCK: MediaGetErrorBlockSettings = { errors: 20, windowMs: 60 * 60_000, blockMs: 30 * 60_000 };

/** How old (by the app's clock) an instance's copy of the running blocks may get before a GET reloads it. */
export const BLOCKS_RELOAD_MS = 5_000;

/** 360dialog's documented text for a blocked endpoint (reference §4.3). */
export const ENDPOINT_BLOCKED = 'The endpoint is blocked';

const iso = (ms: number) => new Date(ms).toISOString();

export class MediaGetErrorBlock {
  /** The blocks still running that this instance knows of: channel id → blocked until (ms). */
  private readonly blocked = new Map<string, number>();
  /** When (the app's clock) the blocks were last loaded; -Infinity: never. */
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly settings: MediaGetErrorBlockSettings,
    private readonly log: Pick<FastifyBaseLogger, 'warn'>,
    private readonly reloadMs = BLOCKS_RELOAD_MS,
  ) {}

  /** Throws 360's 403 while the channel's GET /{media_id} is blocked. */
  async check(channelId: string, now: number): Promise<void> {
    // A clock stepped back reloads too.
    if (now - this.loadedAt >= this.reloadMs || now < this.loadedAt) await this.reload(now);
    const until = this.blocked.get(channelId);
    if (until === undefined || until <= now) return;
    const seconds = Math.max(1, Math.ceil((until - now) / 1000));
    throw new ApiError(403, ENDPOINT_BLOCKED, { retryAfter: seconds, extra: { d360: true } });
  }

  /** Records the status a GET /{media_id} answered (only 4xx count). */
  async record(channelId: string, status: number, now: number): Promise<void> {
    if (status < 400 || status > 499) return;
    try {
      const db = this.db.kysely;
      const at = iso(now);
      await db.insertInto('media_get_errors').values({ id: recordId('mge'), channel_id: channelId, errored_at: at }).execute();
      const { n } = await db
        .selectFrom('media_get_errors')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('channel_id', '=', channelId)
        .where('errored_at', '>', iso(now - this.settings.windowMs))
        .executeTakeFirstOrThrow();
      if (Number(n) < this.settings.errors) return;
      const until = iso(now + this.settings.blockMs);
      await db
        .insertInto('media_get_blocks')
        .values({ channel_id: channelId, blocked_until: until })
        // Never shortened: of two instances blocking at once, the later end stays.
        .onConflict((oc) =>
          oc.column('channel_id').doUpdateSet({
            blocked_until: sql<string>`case when media_get_blocks.blocked_until > excluded.blocked_until then media_get_blocks.blocked_until else excluded.blocked_until end`,
          }),
        )
        .execute();
      // The block forgets the errors before it.
      await db.deleteFrom('media_get_errors').where('channel_id', '=', channelId).where('errored_at', '<=', at).execute();
      this.blocked.set(channelId, Math.max(this.blocked.get(channelId) ?? 0, now + this.settings.blockMs));
    } catch (err) {
      this.log.warn({ err, channelId }, 'could not record an error of GET /{media_id}; not counted');
    }
  }

  /** Loads the running blocks (one query at a time); a failure keeps the ones known and waits for the next reload. */
  private reload(now: number): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = await this.db.kysely.selectFrom('media_get_blocks').select(['channel_id', 'blocked_until']).where('blocked_until', '>', iso(now)).execute();
        for (const [id, until] of this.blocked) if (until <= now) this.blocked.delete(id);
        // Merged, never replaced: a block this instance wrote while the query ran stays.
        for (const r of rows) {
          const until = Date.parse(r.blocked_until);
          if (until > (this.blocked.get(r.channel_id) ?? 0)) this.blocked.set(r.channel_id, until);
        }
      } catch (err) {
        this.log.warn({ err }, 'could not load the blocks of GET /{media_id}; going on with the ones known');
      } finally {
        this.loadedAt = now;
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}

/** Maintenance: deletes errors older than the window and blocks that ended. */
export async function pruneMediaGetErrors(deps: Deps): Promise<void> {
  const now = deps.clock.now().getTime();
  // Off: nothing counts any more, every error row can go.
  const windowMs = deps.config.mediaGetErrorBlock?.windowMs ?? 0;
  await deps.db.kysely.deleteFrom('media_get_errors').where('errored_at', '<=', iso(now - windowMs)).execute();
  await deps.db.kysely.deleteFrom('media_get_blocks').where('blocked_until', '<=', iso(now)).execute();
}
